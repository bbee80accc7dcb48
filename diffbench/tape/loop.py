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
  ``T/k + k``: memory grows like ``sqrt(T)``;
* ``revolve c``: Griewank's binomial schedule with ``c`` stored states
  (``c = ceil(sqrt(T))`` unless given): the reverse sweep tapes one step at
  a time, and the states it needs are recomputed from the nearest stored
  one, the stored states being placed where the fewest recomputed steps
  follow.  With ``r`` the least integer with ``C(c + r, c) >= T`` it takes
  ``r T - C(c + r, c + 1)`` untaped forward steps in all (the forward pass
  up to its last stored state included), the proven minimum for ``c``
  states (Griewank and Walther, *Algorithm 799: revolve*, ACM TOMS 26(1),
  2000); memory is ``c`` states and one step's tape.

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
    """What the forward pass keeps: ``kind`` is "plain", "every", "sqrt" or
    "revolve" (``every`` is then the number of stored states, 0 for sqrt(T))."""

    kind: str = "plain"
    every: int = 0

    def stride(self, count: int) -> int | None:
        """Steps between checkpoints, or None for plain reverse mode and revolve."""
        if self.kind in ("plain", "revolve"):
            return None
        if self.kind == "sqrt":
            return max(1, math.ceil(math.sqrt(count)))
        return max(1, min(self.every, count))

    def snapshots(self, count: int) -> int:
        """Revolve: how many states may be stored at once (``h_0`` included)."""
        return max(1, min(self.every or math.ceil(math.sqrt(count)), count))

    @property
    def label(self) -> str:
        if self.kind == "revolve":
            return f"revolve, {self.every} states" if self.every else "revolve, sqrt(T) states"
        return {"plain": "plain", "sqrt": "sqrt(T) segments"}.get(self.kind, f"every {self.every}")


# ---------------------------------------------------------------- binomial schedule

def binomial(c: int, r: int) -> int:
    """``beta(c, r) = C(c + r, c)``: the most steps ``c`` stored states can
    reverse with every step run at most ``r`` times untaped."""
    return math.comb(c + r, c) if r >= 0 else 0


def repetitions(steps: int, states: int) -> int:
    """The least ``r`` with ``beta(states, r) >= steps``."""
    r = 0
    while binomial(states, r) < steps:
        r += 1
    return r


def revolve_steps(steps: int, states: int) -> int:
    """The published minimum of untaped forward steps to reverse ``steps``
    steps with ``states`` stored states: ``r T - beta(c + 1, r - 1)``."""
    r = repetitions(steps, states)
    return r * steps - binomial(states + 1, r - 1)


def revolve_split(steps: int, states: int) -> int:
    """Where to store the next state: ``l`` steps after the current one,
    in the range where the cost above is attained (the left part then needs
    one repetition fewer, the right part one state fewer)."""
    r = repetitions(steps, states)
    return max(1, steps - binomial(states - 1, r), binomial(states, r - 2))


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
    extra_state_bytes: int = 0  # revolve: states stored during the reverse sweep, at their peak
    advanced_steps: int = 0  # revolve: steps run untaped during the reverse sweep


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
        self.states = schedule.snapshots(count) if schedule.kind == "revolve" else None

    # ------------------------------------------------------------ forward
    def _step(self, inputs: dict, special: bool) -> list:
        return self.body.forward(inputs, inputs if special else None)

    def _bytes(self, tape: list) -> int:
        return self.body.held_bytes(tape, self.computed)

    def _stored(self) -> set[int] | None:
        """The steps whose state the forward pass keeps (None: every tape)."""
        if self.states is not None:  # revolve's first descent
            start, left, states, kept = 0, self.count, self.states, {0}
            while left > 1 and states > 1:
                split = revolve_split(left, states)
                start, left, states = start + split, left - split, states - 1
                kept.add(start)
            return kept
        return None if self.stride is None else set(range(0, self.count, self.stride))

    def forward(self, h0, free_values, special: bool = False):
        """``(h_T, record)``; ``special`` for dual or Taylor values."""
        inputs = dict(zip(self.free, free_values))
        h, out = h0, self.body.output
        stored = self._stored()
        tapes, checkpoints, kept = ([], None, 0) if stored is None else (None, {}, 0)
        for t in range(self.count):
            inputs[self.state] = h
            if checkpoints is not None and t in stored:
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
        elif self.states is not None:
            saved = dict(record.checkpoints)
            g = self._revolve(0, self.count, self.states, g, saved, record, inputs, totals)
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

    def _advance(self, h, steps: int, record: LoopRecord, inputs: dict):
        """``h`` run ``steps`` steps on, keeping no tape (counted as recomputed)."""
        for _ in range(steps):
            inputs[self.state] = h
            h = self._step(inputs, record.special)[self.body.output]
        record.recomputed_steps += steps
        record.advanced_steps += steps
        return h

    def _revolve(self, start: int, end: int, states: int, g, saved: dict, record, inputs, totals):
        """Reverse steps ``start .. end-1`` from the stored ``h_start`` with
        ``states`` stored states (that one included): store a state ``split``
        steps on, reverse the right part with one state fewer, free it, then
        the left part.  The recursion is as deep as the states are many."""
        while end - start > 1 and g is not None:
            if states == 1:  # nothing to store: recompute the last state from the start
                h = self._advance(saved[start], end - 1 - start, record, inputs)
                g = self._reverse_one(h, g, record, inputs, totals)
                end -= 1
                continue
            mid = start + revolve_split(end - start, states)
            if mid not in saved:  # the forward pass stored the first descent's states
                saved[mid] = self._advance(saved[start], mid - start, record, inputs)
                self._track(saved, record)
            g = self._revolve(mid, end, states - 1, g, saved, record, inputs, totals)
            del saved[mid]
            end = mid
        if end - start == 1 and g is not None:
            g = self._reverse_one(saved[start], g, record, inputs, totals)
        return g

    def _reverse_one(self, h, g, record: LoopRecord, inputs: dict, totals: dict):
        """Tape one step from ``h`` and pull ``g`` back through it."""
        inputs[self.state] = h
        tape = self._step(inputs, record.special)
        record.recomputed_steps += 1
        record.segment_bytes = max(record.segment_bytes, self._bytes(tape) + record.extra_state_bytes)
        return self._reverse([tape], g, totals)

    def _track(self, saved: dict, record: LoopRecord) -> None:
        """Bytes of the states stored beyond the forward pass's, at their peak."""
        now = sum(np.asarray(getattr(h, "primal", h)).nbytes for h in saved.values())
        record.extra_state_bytes = max(record.extra_state_bytes, now - record.retained_bytes)

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
