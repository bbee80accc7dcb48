"""The ``tape`` engine: reverse-mode AD over a Wengert tape, in the registry."""
from __future__ import annotations

import time

import numpy as np

from ..engines.base import Engine, Prepared, check_higher_order, register
from ..ir import resolve_shape
from . import cost
from . import compiled
from . import operators as ops
from .core import Program
from .loop import PLAIN, Schedule
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

    def _mode(self, quantity: str, default: str, inputs: dict | None = None) -> str:
        mode = self.mode
        if mode == "auto":
            mode = default if default else cost.mode_for(self.program, inputs)
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
        return cost.jacobian(self.program, inputs, self._mode("jacobian", "", inputs))

    def hvp(self, inputs, vectors):
        """Forward-over-reverse: one sweep with one tangent direction."""
        self.stats["mode"]["hvp"] = "forward-over-reverse"
        return ops.hvp(self.program, inputs, vectors)

    def hvp_batch(self, inputs, directions):
        """Many products in one sweep (Hutchinson's probes)."""
        self.stats["mode"]["hvp"] = "forward-over-reverse"
        return ops.hvp_batch(self.program, inputs, directions)

    def derivatives(self, inputs, order):
        return ops.derivatives(self.program, inputs, order)

    def evaluate(self, inputs, order=2, scalar=True):
        """One sweep for everything: the forward pass gives the value, its reverse
        pass the gradient; for a Hessian the forward-over-reverse sweep's primal
        parts are the value and gradient (nothing is evaluated twice)."""
        if not scalar:
            return super().evaluate(inputs, order, scalar)
        if order >= 2:
            return ops.value_gradient_hessian(self.program, inputs)
        return ops.value_and_grad(self.program, inputs)

    def one_pass(self, order=2, scalar=True):
        if scalar and order < 2:  # the sweeps themselves (compiled where they can be)
            return ops.value_and_grad_of(self.program)
        return super().one_pass(order, scalar)

    def one_name(self, order=2, scalar=True, name=""):
        run = compiled.value_and_grad(self.program, name) if scalar and order < 2 else None
        return run if run is not None else super().one_name(order, scalar, name)

    def tape_stats(self, inputs) -> dict:
        """Nodes and bytes one forward pass retains for the reverse sweep
        (reverse mode's memory cost), and, for checkpointed loops, the largest
        segment the reverse sweep recomputes (so a gradient sweep is run too)."""
        tape = self.program.forward(inputs)
        if self.program.fn.is_scalar and self.program.wrt and self.program.loops:
            self.program.backward(tape, 1.0, release=False)  # the tape is counted after it
        return self.program.stats(tape)


class TapeEngine(Engine):
    name = "tape"
    description = "reverse-mode AD over a Wengert tape of NumPy arrays (Hessian: batched forward-over-reverse)"
    schedule = PLAIN
    modes = ops.MODES

    def __init__(self, mode: str = "auto"):
        self.mode = mode
        if mode != "auto":
            self.name = f"tape:{mode}"
            self.description = f"the tape with gradients and Jacobians in {mode} mode"

    def variant(self, mode: str) -> "TapeEngine":
        return TapeEngine(mode)

    def prepare(self, fn, wrt, sizes, order=2):
        check_higher_order(fn, list(wrt), order)
        start = time.perf_counter()
        key = (self.name, tuple(wrt), tuple(sorted(sizes.items())), GENERATION[0])
        program = fn.cache.get(key)
        if program is None:
            program = fn.cache[key] = Program(fn, list(wrt), sizes, self.schedule)
        prepared = TapePrepared(program, time.perf_counter() - start, self.mode)
        if order >= 2 and fn.is_scalar:  # how the Hessian's directions are batched
            prepared.stats.update(hessian_chunk=ops.hessian_chunk(program),
                                  hessian_directions=sum(int(np.prod(resolve_shape(fn.shapes[w], sizes)))
                                                         for w in wrt))
        return prepared


class CheckpointedTape(TapeEngine):
    """The tape with checkpointed ``iterate`` loops (see :mod:`diffbench.tape.loop`);
    on functions without a loop it is the plain tape."""

    def __init__(self, name: str, schedule: Schedule, what: str, mode: str = "auto"):
        super().__init__(mode)
        self.name = name if mode == "auto" else f"{name}:{mode}"
        self.base, self.schedule, self.what = name, schedule, what
        self.description = f"the tape, keeping {what} of an iterate loop and recomputing the rest backwards"

    def variant(self, mode: str) -> "CheckpointedTape":
        return CheckpointedTape(self.base, self.schedule, self.what, mode)


register(TapeEngine())
register(CheckpointedTape("tape-sqrt", Schedule("sqrt"), "every ceil(sqrt(T))-th state (sqrt(T) segments)"))
register(CheckpointedTape("tape-every4", Schedule("every", 4), "every 4th state"))
register(CheckpointedTape("tape-every32", Schedule("every", 32), "every 32nd state"))
register(CheckpointedTape("tape-revolve", Schedule("revolve"), "ceil(sqrt(T)) states placed by the binomial (revolve) schedule"))
register(CheckpointedTape("tape-revolve8", Schedule("revolve", 8), "8 states placed by the binomial (revolve) schedule"))
