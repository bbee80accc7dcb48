"""The tape's ``iterate`` step: a recurrence run, and reversed, with or without checkpoints.

The body of ``iterate(T, h -> body, h0)`` is laid out once as its own small
:class:`~diffbench.tape.core.Program` (its variables: the loop variable and
the free variables).  The forward pass runs it ``T`` times.

What the reverse sweep needs is every step's tape.  A :class:`Schedule` says
what the forward pass keeps:

* ``plain``: every step's tape -- reverse mode as the seeds describe it,
  memory linear in ``T``;
* ``every k``: only the state ``h_t`` at ``t = 0, k, 2k, ...``; the reverse
  sweep recomputes one segment of ``k`` steps at a time from its checkpoint,
  reverses it and drops it: memory ``T/k`` states plus ``k`` step tapes,
  for one extra forward pass in time;
* ``sqrt``: ``every k`` with ``k = ceil(sqrt(T))``, which minimises
  ``T/k + k``: memory grows like ``sqrt(T)``.

Gradients are bit-identical to the plain sweep's: the recomputed segments
repeat exactly the same floating-point operations.

Bytes are counted, not estimated: ``retained_bytes`` is what the forward pass
leaves for the reverse sweep (step tapes or checkpoint states, computed values
only: inputs such as ``W`` are shared, not copied), ``segment_bytes`` the
largest recomputed segment held at once during the reverse sweep.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..function import Function
from ..ir import variables
from ..iterate import parts


@dataclass(frozen=True)
class Schedule:
    """What the forward pass keeps: ``kind`` is "plain", "every" or "sqrt"."""

    kind: str = "plain"
    every: int = 0

    def stride(self, count: int) -> int | None:
        """Steps between checkpoints, or None for plain reverse mode."""
        if self.kind == "plain":
            return None
        if self.kind == "sqrt":
            return max(1, math.ceil(math.sqrt(count)))
        return max(1, min(self.every, count))

    @property
    def label(self) -> str:
        return {"plain": "plain", "sqrt": "sqrt(T) segments"}.get(self.kind, f"every {self.every}")


PLAIN = Schedule()


@dataclass
class LoopRecord:
    """What one forward run of a loop left for the reverse sweep."""

    tapes: list | None  # plain: every step's tape
    checkpoints: dict | None  # checkpointed: t -> h_t
    retained_bytes: int
    special: bool = False  # values were dual numbers or series: recompute them so
    segment_bytes: int = 0
    recomputed_steps: int = 0


class Loop:
    """One ``iterate`` node of a program, for given sizes and active arguments."""

    def __init__(self, n, active_args: list[bool], sizes: dict, schedule: Schedule, program):
        """``program`` is :class:`~diffbench.tape.core.Program`, given by the caller
        (that module imports this one)."""
        count, state, body, _, free = parts(n)
        self.count = count
        self.state = state.attr("name")
        self.free = [v.attr("name") for v in free]
        self.active_free = [name for name, a in zip(self.free, active_args[1:]) if a]
        step = Function(f"<step of iterate({count}, {self.state} -> ...)>", body, variables(body))
        self.body = program(step, [self.state] + self.active_free, sizes)
        self.computed = [slot for slot, _ in self.body.steps]
        self.stride = schedule.stride(count)

    # ------------------------------------------------------------ forward
    def _step(self, inputs: dict, special: bool) -> list:
        return self.body.forward(inputs, inputs if special else None)

    def _bytes(self, tape: list) -> int:
        return sum(np.asarray(getattr(tape[s], "primal", tape[s])).nbytes for s in self.computed)

    def forward(self, h0, free_values, special: bool = False):
        """``(h_T, record)``; ``special`` for dual or Taylor values."""
        inputs = dict(zip(self.free, free_values))
        h, out = h0, self.body.output
        tapes, checkpoints, kept = ([], None, 0) if self.stride is None else (None, {}, 0)
        for t in range(self.count):
            inputs[self.state] = h
            if checkpoints is not None and t % self.stride == 0:
                checkpoints[t] = h
                kept += np.asarray(getattr(h, "primal", h)).nbytes
            tape = self._step(inputs, special)
            if tapes is not None:
                tapes.append(tape)
                kept += self._bytes(tape)
            h = tape[out]
        return h, LoopRecord(tapes, checkpoints, kept, special)

    # ------------------------------------------------------------ reverse
    def backward(self, g, record: LoopRecord, free_values) -> list:
        """Cotangents of ``h0`` and of each active free variable, in argument order."""
        inputs = dict(zip(self.free, free_values))
        totals: dict = {}
        if record.tapes is not None:
            g = self._reverse(record.tapes, g, totals)
        else:
            for start in sorted(record.checkpoints, reverse=True):
                if g is None:
                    break
                segment = self._recompute(start, record, inputs, record.special)
                g = self._reverse(segment, g, totals)
        return [g] + [totals.get(name) for name in self.active_free]

    def _recompute(self, start: int, record: LoopRecord, inputs: dict, special: bool) -> list:
        h, tapes = record.checkpoints[start], []
        for _ in range(start, min(start + self.stride, self.count)):
            inputs[self.state] = h
            tape = self._step(inputs, special)
            tapes.append(tape)
            h = tape[self.body.output]
        record.recomputed_steps += len(tapes)
        record.segment_bytes = max(record.segment_bytes, sum(self._bytes(t) for t in tapes))
        return tapes

    def _reverse(self, tapes: list, g, totals: dict):
        for tape in reversed(tapes):
            adjoints = self.body.backward(tape, g)
            for name in self.active_free:
                a = adjoints.get(name)
                if a is not None:
                    totals[name] = a if totals.get(name) is None else totals[name] + a
            g = adjoints.get(self.state)
            if g is None:  # earlier steps cannot reach the output any more
                break
        return g
