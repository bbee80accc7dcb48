"""The ``tape`` engine: reverse-mode AD over a Wengert tape, in the registry."""
from __future__ import annotations

import time

from ..engines.base import Engine, Prepared, check_higher_order, register
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

    def derivatives(self, inputs, order):
        return ops.derivatives(self.program, inputs, order)

    def tape_stats(self, inputs) -> dict:
        """Nodes and bytes retained by one forward pass (reverse mode's memory cost)."""
        return self.program.stats(self.program.forward(inputs))


class TapeEngine(Engine):
    name = "tape"
    description = "reverse-mode AD over a Wengert tape of NumPy arrays (Hessian: batched forward-over-reverse)"

    def prepare(self, fn, wrt, sizes, order=2):
        check_higher_order(fn, list(wrt), order)
        start = time.perf_counter()
        key = ("tape", tuple(wrt), tuple(sorted(sizes.items())), GENERATION[0])
        program = fn.cache.get(key)
        if program is None:
            program = fn.cache[key] = Program(fn, list(wrt), sizes)
        return TapePrepared(program, time.perf_counter() - start)


register(TapeEngine())
