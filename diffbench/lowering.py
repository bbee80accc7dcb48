"""One lowering of the IR into steps, shared by every interpreter.

A function's DAG, for concrete dim sizes, becomes a flat list: each node a
*slot*, in topological order.  A variable's slot is filled from the
inputs; a leaf (``const``, ``eye``, ``ones``) and every other node is a
:class:`Step` naming its primitive, its argument slots and its attributes,
with the concrete output ``shape=`` added for primitives that take it.

The tape, the framework engines and the scalar SymPy baseline are each a
short loop over these steps with their own table of implementations
(Autodidax's ``eval_jaxpr``):

>>> lowered = lower(fn, {"n": 3})                          # doctest: +SKIP
>>> run(lowered, {"add": np.add, ...}, {"x": x})           # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .function import Function
from .ir import Node, resolve_shape, topological
from .ops import TABLE


@dataclass(frozen=True)
class Step:
    slot: int
    op: str
    args: tuple[int, ...]
    attrs: dict
    node: Node  # the IR node it came from, for an interpreter that treats an op its own way


@dataclass(frozen=True)
class Lowered:
    """A function laid out flat: ``size`` slots, ``inputs`` (variable name ->
    slot), ``leaves`` (steps without arguments) and ``steps`` (the rest, in
    an order where every argument comes first); the value is in ``output``."""

    size: int
    output: int
    inputs: dict[str, int]
    leaves: tuple[Step, ...]
    steps: tuple[Step, ...]

    def ops(self) -> set[str]:
        """Every primitive a step or leaf applies."""
        return {s.op for s in self.leaves + self.steps}


def lower(fn: Function, sizes: dict[str, int], root: Node | None = None) -> Lowered:
    """The steps of ``fn`` at ``sizes`` (of ``root``, an equivalent form of ``fn.root``, if given)."""
    root = fn.root if root is None else root
    nodes = topological(root)
    index = {id(n): i for i, n in enumerate(nodes)}
    inputs: dict[str, int] = {}
    leaves, steps = [], []
    for i, n in enumerate(nodes):
        if n.op == "var":
            inputs[n.attr("name")] = i
            continue
        attrs = dict(n.attrs)
        prim = TABLE.get(n.op)
        if prim is not None and prim.needs_shape:
            attrs["shape"] = resolve_shape(n.shape, sizes)
        step = Step(i, n.op, tuple(index[id(a)] for a in n.args), attrs, n)
        (steps if n.args else leaves).append(step)
    return Lowered(len(nodes), index[id(root)], inputs, tuple(leaves), tuple(steps))


def run(lowered: Lowered, impls: dict[str, Callable], inputs: dict, check: Callable | None = None):
    """The output of ``lowered`` with each step's primitive looked up in
    ``impls`` (``check()`` runs after each step: a time guard, say)."""
    slots = fill(lowered, impls, inputs)
    for step in lowered.steps:
        slots[step.slot] = impls[step.op](*[slots[j] for j in step.args], **step.attrs)
        if check is not None:
            check()
    return slots[lowered.output]


def fill(lowered: Lowered, impls: dict[str, Callable], inputs: dict) -> list:
    """The slots with the inputs and the leaves in place (the rest None)."""
    slots: list = [None] * lowered.size
    for name, slot in lowered.inputs.items():
        slots[slot] = inputs[name]
    for leaf in lowered.leaves:
        slots[leaf.slot] = impls[leaf.op](**leaf.attrs)
    return slots
