"""The ``tape`` engine: reverse-mode AD over a Wengert tape, in the registry."""
from __future__ import annotations

import time

from ..engines.base import Engine, Prepared, register
from . import operators as ops
from .core import Program
from ..ops.core import GENERATION


class TapePrepared(Prepared):
    """``mode`` says how gradients and Jacobians are accumulated: ``forward``
    (every input direction in one batched sweep), ``reverse`` (every output
    cotangent in one batched backward sweep) or ``auto`` (the cost model of
    :mod:`~diffbench.tape.cost`).  ``stats["mode"]`` records what ran."""

    def __init__(self, program: Program, setup_seconds: float, mode: str = "auto"):
        self.program = program
        self.mode = mode
        self.stats = {"prepare_seconds": setup_seconds, "tape_nodes": program.size,
                      "tape_steps": len(program.steps), "mode": {}}

    def _mode(self, quantity: str, default: str) -> str:
        mode = self.mode
        if mode == "auto":
            mode = default if default else ops.choose_mode(self.program)
        self.stats["mode"][quantity] = mode
        return mode

    def value(self, inputs):
        return ops.value(self.program, inputs)

    def gradient(self, inputs):
        # auto: a scalar's gradient is one reverse sweep (the cheap-gradient principle)
        if self._mode("gradient", "reverse") == "forward":
            return ops.grad_forward(self.program, inputs)
        return ops.grad(self.program, inputs)

    def hessian(self, inputs):
        return ops.hessian(self.program, inputs)

    def jacobian(self, inputs):
        return ops.jacobian(self.program, inputs, self._mode("jacobian", ""))

    def hvp(self, inputs, vectors):
        """Forward-over-reverse: one sweep with one tangent direction."""
        self.stats["mode"]["hvp"] = "forward-over-reverse"
        return ops.hvp(self.program, inputs, vectors)

    def hvp_batch(self, inputs, directions):
        """Many products in one sweep (Hutchinson's probes)."""
        self.stats["mode"]["hvp"] = "forward-over-reverse"
        return ops.hvp_batch(self.program, inputs, directions)

    def tape_stats(self, inputs) -> dict:
        """Nodes and bytes retained by one forward pass (reverse mode's memory cost)."""
        return self.program.stats(self.program.forward(inputs))


class TapeEngine(Engine):
    name = "tape"
    description = "reverse-mode AD over a Wengert tape of NumPy arrays (Hessian: batched forward-over-reverse)"
    modes = ops.MODES

    def __init__(self, mode: str = "auto"):
        self.mode = mode
        if mode != "auto":
            self.name = f"tape:{mode}"
            self.description = f"the tape with gradients and Jacobians in {mode} mode"

    def variant(self, mode: str) -> "TapeEngine":
        return TapeEngine(mode)

    def prepare(self, fn, wrt, sizes, order=2):
        start = time.perf_counter()
        key = ("tape", tuple(wrt), tuple(sorted(sizes.items())), GENERATION[0])
        program = fn.cache.get(key)
        if program is None:
            program = fn.cache[key] = Program(fn, list(wrt), sizes)
        return TapePrepared(program, time.perf_counter() - start, self.mode)


register(TapeEngine())
