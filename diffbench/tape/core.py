"""The Wengert tape: one interpreter of the IR, forward and backward.

A :class:`Program` is set up once per function and concrete sizes: the
nodes in topological order, each step's primitive, argument slots and
resolved attributes, and which slots depend on the differentiation
variables (only those get adjoints: ``X`` in ``X*w`` never does).

``forward`` evaluates the steps and keeps the values the reverse sweep
reads: that list *is* the tape.  Which values a VJP rule reads is found
once per rule by running it on IR placeholders (rules are written over
``prims``, so the formula they build names what they read); any other array
is released after its last forward reader, and ``backward`` releases each
kept one after its last reverse reader.  A released slot holds a zero-stride
stand-in of its shape (a rule may still ask a value's shape), so a Hessian
sweep over N x N temporaries holds the few a rule needs, not all of them.
``backward`` walks the tape once in reverse.  A value used by several steps
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
from ..ir import Node, resolve_shape, var
from ..ops import TABLE, prims
from ..ops.core import IdentityBatch, bind


# piecewise constant: their derivative is 0 wherever it exists, so what they read
# needs no reverse sweep (log(det X) is canonically logdet X + log sign(det X))
FLAT = frozenset({"sign", "step"})
LOOP = "loop"  # the reverse-sweep mark of an iterate step's active arguments


def _rules(st) -> tuple:
    """``(vjp, slot)`` pairs of a step's active arguments; a symmetric primitive given
    one value twice gets one product on twice the cotangent (x'x: 2g x, not g x + g x)."""
    rules = tuple((rule, j) for rule, j in zip(st.vjps, st.args) if rule is not None)
    if st.prim is not None and st.prim.symmetric and len(rules) == 2 and rules[0][1] == rules[1][1]:
        return ((_twice(rules[0][0]), rules[0][1]),)
    return rules


def _twice(rule):
    def twice(g, ans, *args, **attrs):
        doubled = prims.add(g, g)  # through the table: g may be a dual number or a cotangent batch
        if type(doubled) is IdentityBatch:  # 2I is no identity: the marker stays on the seed only
            doubled = doubled.view(np.ndarray)
        return rule(doubled, ans, *args, **attrs)
    twice.once = rule  # what compiled code calls on g + g (plain arrays: no marker to drop)
    return twice


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
            active[s.slot] = s.op not in FLAT and any(active[j] for j in s.args)
            make = self._loop_step if s.op == "iterate" else self._step
            self.steps.append((s.slot, make(s, active)))
        self.active = active
        # slots of rank 0 (compiled code writes scalar arithmetic with Python's operators)
        self.scalar_slots = frozenset([s.slot for s in lowered.steps if not s.node.shape]
                                      + [slot for name, slot in self.inputs.items() if not fn.shapes.get(name, (0,))]
                                      + [slot for slot, value in self.constants.items() if np.ndim(value) == 0])
        self.compiled: dict = {}  # the sweeps written out as straight-line code (tape.compiled), on first use
        # a loop's record (what its reverse sweep needs) sits in a slot past the nodes
        self.record_slot = {slot: self.size + k for k, slot in enumerate(self.loops)}
        # flat tuples for the hot loops (attribute lookups cost per step)
        self.plain_steps = [(slot, st.impl, st.args, st.attrs) for slot, st in self.steps]
        self.reverse_steps = [(slot, st.args, st.attrs, _rules(st)) for slot, st in reversed(self.steps) if active[slot]]
        self.wrt_slots = {name: self.inputs[name] for name in self.wrt if name in self.inputs}
        self._plan_release(lowered)

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

    # ------------------------------------------------------------ release
    def _plan_release(self, lowered) -> None:
        """Which slots each forward step and each reverse step may release.

        Only computed arrays of at least ``RELEASED_ENTRIES`` entries are released
        (a small one costs more to release than it holds); inputs, constants and
        the output never are."""
        nodes = {s.slot: s.node for s in lowered.steps}
        kept = self._residuals(lowered)
        self.standins = {}
        for slot, n in nodes.items():
            shape = resolve_shape(n.shape, self.sizes)
            if slot != self.output and int(np.prod(shape, dtype=int)) >= RELEASED_ENTRIES:
                self.standins[slot] = np.broadcast_to(np.zeros(()), shape)
        last_forward = {}
        for i, (slot, st) in enumerate(self.steps):
            last_forward[slot] = i  # never read: released right after its own step
            for j in st.args:
                last_forward[j] = i
        self.forward_release = [() for _ in self.steps]
        for slot, i in last_forward.items():
            if slot in self.standins and slot not in kept:
                self.forward_release[i] += (slot,)
        last_reverse = {}  # the reverse sweep runs the steps backwards: its last reader of a value
        for r, (slot, args, _, _) in enumerate(self.reverse_steps):
            for j in (slot,) + tuple(args):
                last_reverse[j] = r
        self.reverse_release = [() for _ in self.reverse_steps]
        for j in kept & set(self.standins):
            if j in last_reverse:
                self.reverse_release[last_reverse[j]] += (j,)
        # the hot loops take the release lists along (empty tuples cost one truth test)
        self.plain_steps = [step + (frees,) for step, frees in zip(self.plain_steps, self.forward_release)]

    def _residuals(self, lowered) -> set[int]:
        """Slots some VJP rule of an active step reads (an iterate step's: all of them)."""
        nodes = {s.slot: s.node for s in lowered.steps}
        kept: set[int] = set()
        for slot, st in self.steps:
            if not self.active[slot]:
                continue
            if st.prim is None:  # an iterate loop keeps its record and its arguments
                kept.update((slot,) + tuple(st.args))
                continue
            for k, rule in enumerate(st.vjps):
                if rule is not None:
                    kept.update(slot if pos < 0 else st.args[pos]
                                for pos in _reads(st.prim, k, rule, nodes[slot], st.attrs, self.sizes))
        return kept

    def held_bytes(self, tape: list, slots) -> int:
        """Bytes of the values ``tape`` still holds in ``slots`` (stand-ins hold none)."""
        standins = {id(v) for v in self.standins.values()}
        return int(sum(np.asarray(getattr(v, "primal", v)).nbytes for v in (tape[s] for s in slots)
                       if v is not None and id(v) not in standins))

    # ------------------------------------------------------------ passes

    def forward(self, inputs: dict, values: dict | None = None, keep_all: bool = False) -> list:
        """Evaluate every step; returns the tape of values (slot -> value): the
        ones the reverse sweep reads, every one with ``keep_all``.

        ``values`` overrides input slots (e.g. by dual numbers for forward mode).
        """
        tape = [None] * (self.size + len(self.loops))
        for slot, value in self.constants.items():
            tape[slot] = value
        for name, slot in self.inputs.items():
            tape[slot] = inputs[name]
        for name, value in (values or {}).items():
            tape[self.inputs[name]] = value
        standins = None if keep_all else self.standins
        if values is None:
            for slot, impl, args, attrs, frees in self.plain_steps:
                if impl is None:
                    self._run_loop(tape, slot, args, attrs["loop"], False)
                elif attrs or len(args) > 2:
                    tape[slot] = impl(*[tape[j] for j in args], **attrs)
                elif len(args) == 1:
                    tape[slot] = impl(tape[args[0]])
                else:
                    tape[slot] = impl(tape[args[0]], tape[args[1]])
                if frees and standins:
                    for j in frees:
                        tape[j] = standins[j]
        else:  # through prims-dispatch so that dual numbers carry their tangents
            for (slot, step), frees in zip(self.steps, self.forward_release):
                if step.prim is None:
                    self._run_loop(tape, slot, step.args, step.attrs["loop"], True)
                else:
                    tape[slot] = bind(step.prim, tuple(tape[j] for j in step.args), step.attrs)
                if frees and standins:
                    for j in frees:
                        tape[j] = standins[j]
        return tape

    def _run_loop(self, tape: list, slot: int, args, loop, special: bool) -> None:
        tape[slot], tape[self.record_slot[slot]] = loop.forward(
            tape[args[0]], [tape[j] for j in args[1:]], special)

    def backward(self, tape: list, seed, release: bool = True) -> dict[str, object]:
        """Adjoints of the ``wrt`` variables, given the output's cotangent ``seed``;
        ``release`` frees each tape value after its last reader (the output stays)."""
        adjoint = [None] * self.size
        adjoint[self.output] = seed
        standins = self.standins if release else None
        for (slot, args, attrs, rules), frees in zip(self.reverse_steps, self.reverse_release):
            g = adjoint[slot]
            if g is not None:
                adjoint[slot] = None  # release early: keeps peak memory at the tape's
                if "loop" in attrs:
                    self._reverse_loop(tape, slot, args, attrs["loop"], g, rules, adjoint)
                else:
                    ans = tape[slot]
                    values = [tape[j] for j in args]
                    for rule, j in rules:
                        contribution = rule(g, ans, *values, **attrs)
                        previous = adjoint[j]
                        adjoint[j] = contribution if previous is None else previous + contribution
                    del ans, values
            if frees and standins:
                for j in frees:
                    tape[j] = standins[j]
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
        retained = self.held_bytes(tape, range(self.size))
        records = [tape[self.record_slot[slot]] for slot in self.loops]
        out = {"tape_nodes": self.size, "tape_steps": len(self.steps),
               "tape_bytes": int(retained + sum(r.retained_bytes + r.segment_bytes for r in records))}
        if records:
            out.update(loop_steps=sum(loop.count for loop in self.loops.values()),
                       checkpoint_schedule=self.schedule.label,
                       recomputed_steps=sum(r.recomputed_steps for r in records),
                       segment_bytes=int(sum(r.segment_bytes for r in records)))
        return out


def dense(g, like):
    """An adjoint as a float array shaped like its variable (zeros if it got none)."""
    if type(g) is _NDARRAY and g.dtype is _FLOAT64 and type(like) is _NDARRAY and g.shape == like.shape:
        return g  # already so (the common case: no conversion per call)
    if g is None:
        return np.zeros(np.shape(like))
    return np.asarray(g, dtype=float).reshape(np.shape(like))


_FLOAT64 = np.dtype(float)
_NDARRAY = np.ndarray

#: arrays with fewer entries stay on the tape (releasing them saves less than it costs)
RELEASED_ENTRIES = 256

_READ_CACHE: dict = {}
_READS_KEPT = 4096


def _reads(prim, k: int, rule, n: Node, attrs: dict, sizes: dict) -> tuple[int, ...]:
    """Positions a VJP rule reads: -1 for the step's output, ``i`` for argument ``i``.

    The rule runs once on IR placeholders of the concrete shapes; the formula it
    builds names every value it uses.  A rule that cannot run on IR keeps them all."""
    shapes = tuple(resolve_shape(a.shape, sizes) for a in n.args)
    out = resolve_shape(n.shape, sizes)
    try:
        key = (prim.name, k, rule, shapes, out, tuple(sorted(attrs.items())))
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in _READ_CACHE:
        return _READ_CACHE[key]
    everything = (-1,) + tuple(range(len(shapes)))
    args = tuple(var(f"_vjp_arg{i}", s) for i, s in enumerate(shapes))
    ans = var("_vjp_ans", out)
    try:
        formula = rule(var("_vjp_cotangent", out), ans, *args, **attrs)
        found = _names_in(formula)
        found = tuple(pos for pos, leaf in zip(everything, (ans,) + args) if leaf.attr("name") in found)
    except Exception:  # noqa: BLE001 (a rule written for arrays only: keep every value it may read)
        found = everything
    if key is not None:
        if len(_READ_CACHE) >= _READS_KEPT:  # a long-running service sees many sizes: bounded
            _READ_CACHE.clear()
        _READ_CACHE[key] = found
    return found


def _names_in(formula) -> set:
    """Variable names in a formula (a node, a number, or a tuple/list of them)."""
    from ..ir import topological

    if isinstance(formula, Node):
        return {m.attr("name") for m in topological(formula) if m.op == "var"}
    if isinstance(formula, (tuple, list)):
        return set().union(*(_names_in(f) for f in formula)) if formula else set()
    if formula is None or isinstance(formula, (int, float)):
        return set()
    raise TypeError(f"a VJP rule built {type(formula).__name__}, not a formula")
