"""The Wengert tape: one interpreter of the IR, forward and backward.

A :class:`Program` is set up once per function and concrete sizes: the
nodes in topological order, each step's primitive, argument slots and
resolved attributes, and which slots depend on the differentiation
variables (only those get adjoints: ``X`` in ``X*w`` never does).

``forward`` evaluates the steps and keeps every value: that list *is* the
tape, everything a VJP rule may ask for (inputs and output of its step).
``backward`` walks it once in reverse.  A value used by several steps
receives one cotangent from each; they are summed, because by the chain
rule the derivative through a reused value is the sum over its uses.

Both passes are loops over a flat list, so a 100,000-node chain needs no
recursion.  Values may be arrays or :class:`~diffbench.tape.dual.Dual`
numbers: the same passes then compute forward-over-reverse products.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..canonical import canonical_root
from ..function import Function
from ..lowering import lower
from ..ops import TABLE
from ..ops.core import bind


LOOP = "loop"  # the reverse-sweep mark of an iterate step's active arguments


@dataclass
class Step:
    prim: object  # Primitive
    impl: object
    args: tuple[int, ...]
    attrs: dict
    vjps: tuple  # per argument: rule, or None where no adjoint is needed


class Program:
    """The IR of one function laid out flat (:mod:`diffbench.lowering`) for
    given sizes and ``wrt``, with the VJP rules of the steps that need them."""

    def __init__(self, fn: Function, wrt: list[str], sizes: dict[str, int], schedule=None):
        from .loop import PLAIN

        self.fn = fn
        self.wrt = list(wrt)
        self.sizes = dict(sizes)
        self.schedule = schedule or PLAIN
        self.loops: dict[int, object] = {}  # slot of an iterate node -> its Loop
        lowered = lower(fn, self.sizes, canonical_root(fn))  # the spelling decides neither speed nor overflow
        self.size, self.output, self.inputs = lowered.size, lowered.output, dict(lowered.inputs)
        self.constants = {leaf.slot: TABLE[leaf.op].impl(**leaf.attrs) for leaf in lowered.leaves}
        active = [False] * self.size
        for name, slot in self.inputs.items():
            active[slot] = name in self.wrt
        self.steps: list[tuple[int, Step]] = []
        for s in lowered.steps:
            active[s.slot] = any(active[j] for j in s.args)
            make = self._loop_step if s.op == "iterate" else self._step
            self.steps.append((s.slot, make(s, active)))
        self.active = active
        # a loop's record (what its reverse sweep needs) sits in a slot past the nodes
        self.record_slot = {slot: self.size + k for k, slot in enumerate(self.loops)}
        # flat tuples for the hot loops (attribute lookups cost per step)
        self.plain_steps = [(slot, st.impl, st.args, st.attrs) for slot, st in self.steps]
        self.reverse_steps = [
            (slot, st.args, st.attrs, tuple((rule, j) for rule, j in zip(st.vjps, st.args) if rule is not None))
            for slot, st in reversed(self.steps) if active[slot]]
        self.wrt_slots = {name: self.inputs[name] for name in self.wrt if name in self.inputs}

    @staticmethod
    def _step(s, active) -> Step:
        prim = TABLE[s.op]
        vjps = tuple(prim.vjp[k] if active[j] else None for k, j in enumerate(s.args))
        return Step(prim, prim.impl, s.args, s.attrs, vjps)

    def _loop_step(self, s, active) -> Step:
        """An ``iterate`` node: run and reversed by a :class:`~.loop.Loop`."""
        from .loop import Loop

        loop = Loop(s.node, [active[j] for j in s.args], self.sizes, self.schedule, Program)
        self.loops[s.slot] = loop
        marks = tuple(LOOP if active[j] else None for j in s.args)
        return Step(None, None, s.args, {"loop": loop}, marks)

    # ------------------------------------------------------------ passes

    def forward(self, inputs: dict, values: dict | None = None) -> list:
        """Evaluate every step; returns the tape of values (slot -> value).

        ``values`` overrides input slots (e.g. by dual numbers for forward mode).
        """
        tape = [None] * (self.size + len(self.loops))
        for slot, value in self.constants.items():
            tape[slot] = value
        for name, slot in self.inputs.items():
            tape[slot] = inputs[name]
        for name, value in (values or {}).items():
            tape[self.inputs[name]] = value
        if values is None:
            for slot, impl, args, attrs in self.plain_steps:
                if impl is None:
                    self._run_loop(tape, slot, args, attrs["loop"], False)
                elif attrs or len(args) > 2:
                    tape[slot] = impl(*[tape[j] for j in args], **attrs)
                elif len(args) == 1:
                    tape[slot] = impl(tape[args[0]])
                else:
                    tape[slot] = impl(tape[args[0]], tape[args[1]])
        else:  # through prims-dispatch so that dual numbers carry their tangents
            for slot, step in self.steps:
                if step.prim is None:
                    self._run_loop(tape, slot, step.args, step.attrs["loop"], True)
                else:
                    tape[slot] = bind(step.prim, tuple(tape[j] for j in step.args), step.attrs)
        return tape

    def _run_loop(self, tape: list, slot: int, args, loop, special: bool) -> None:
        tape[slot], tape[self.record_slot[slot]] = loop.forward(
            tape[args[0]], [tape[j] for j in args[1:]], special)

    def backward(self, tape: list, seed) -> dict[str, object]:
        """Adjoints of the ``wrt`` variables, given the output's cotangent ``seed``."""
        adjoint = [None] * self.size
        adjoint[self.output] = seed
        for slot, args, attrs, rules in self.reverse_steps:
            g = adjoint[slot]
            if g is None:
                continue
            adjoint[slot] = None  # release early: keeps peak memory at the tape's
            if "loop" in attrs:
                self._reverse_loop(tape, slot, args, attrs["loop"], g, rules, adjoint)
                continue
            ans = tape[slot]
            values = [tape[j] for j in args]
            for rule, j in rules:
                contribution = rule(g, ans, *values, **attrs)
                previous = adjoint[j]
                adjoint[j] = contribution if previous is None else previous + contribution
        return {name: adjoint[slot] for name, slot in self.wrt_slots.items()}

    def _reverse_loop(self, tape, slot, args, loop, g, rules, adjoint) -> None:
        contributions = loop.backward(g, tape[self.record_slot[slot]], [tape[j] for j in args[1:]])
        active = [j for _, j in rules]
        for j, c in zip([args[0]] + [args[1 + k] for k, name in enumerate(loop.free)
                                     if name in loop.active_free], contributions):
            if c is None or j not in active:
                continue
            adjoint[j] = c if adjoint[j] is None else adjoint[j] + c

    # ------------------------------------------------------------ figures

    def stats(self, tape: list) -> dict:
        """Nodes on the tape and bytes of the values it retains for the reverse
        sweep (counted, array by array); a loop adds what it kept (every step's
        values, or only its checkpoints) and its largest recomputed segment."""
        retained = sum(np.asarray(v).nbytes for v in tape[:self.size] if v is not None)
        records = [tape[self.record_slot[slot]] for slot in self.loops]
        out = {"tape_nodes": self.size, "tape_steps": len(self.steps),
               "tape_bytes": int(retained + sum(r.retained_bytes + r.segment_bytes for r in records))}
        if records:
            out.update(loop_steps=sum(loop.count for loop in self.loops.values()),
                       checkpoint_schedule=self.schedule.label,
                       recomputed_steps=sum(r.recomputed_steps for r in records),
                       segment_bytes=int(sum(r.segment_bytes for r in records)))
        return out
