"""The ``tape`` engine: reverse-mode AD over a Wengert tape, in the registry."""
from __future__ import annotations

import time

import numpy as np

from ..engines.base import Engine, Prepared, register
from ..ir import resolve_shape
from . import operators as ops
from .core import Program
from ..ops.core import GENERATION


class TapePrepared(Prepared):
    def __init__(self, program: Program, setup_seconds: float):
        self.program = program
        self.stats = {"prepare_seconds": setup_seconds, "tape_nodes": program.size,
                      "tape_steps": len(program.steps)}

    def value(self, inputs):
        return ops.value(self.program, inputs)

    def gradient(self, inputs):
        return ops.grad(self.program, inputs)

    def hessian(self, inputs):
        return ops.hessian(self.program, inputs)

    def jacobian(self, inputs):
        return ops.jacobian(self.program, inputs)

    def evaluate(self, inputs, order=2, scalar=True):
        """One sweep for everything: the forward pass gives the value, its reverse
        pass the gradient; for a Hessian the forward-over-reverse sweep's primal
        parts are the value and gradient (nothing is evaluated twice)."""
        if not scalar:
            return super().evaluate(inputs, order, scalar)
        if order >= 2:
            return ops.value_gradient_hessian(self.program, inputs)
        return ops.value_and_grad(self.program, inputs)

    def tape_stats(self, inputs) -> dict:
        """Nodes and bytes retained by one forward pass (reverse mode's memory cost)."""
        return self.program.stats(self.program.forward(inputs))


class TapeEngine(Engine):
    name = "tape"
    description = "reverse-mode AD over a Wengert tape of NumPy arrays (Hessian: batched forward-over-reverse)"

    def prepare(self, fn, wrt, sizes, order=2):
        start = time.perf_counter()
        key = ("tape", tuple(wrt), tuple(sorted(sizes.items())), GENERATION[0])
        program = fn.cache.get(key)
        if program is None:
            program = fn.cache[key] = Program(fn, list(wrt), sizes)
        prepared = TapePrepared(program, time.perf_counter() - start)
        if order >= 2 and fn.is_scalar:  # how the Hessian's directions are batched
            prepared.stats.update(hessian_chunk=ops.hessian_chunk(program),
                                  hessian_directions=sum(int(np.prod(resolve_shape(fn.shapes[w], sizes)))
                                                         for w in wrt))
        return prepared


register(TapeEngine())
