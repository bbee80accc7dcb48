"""A recorded program written out as one straight-line Python function.

The interpreter of :mod:`~diffbench.tape.core` pays, on every step of every
call, a loop iteration, a few list lookups and branches, and a call through
each VJP rule's dispatch: ~0.5-1 us a step, which is most of a small
function's value and gradient (``log(1 + exp(a'x))`` is four steps).  Like
ReverseDiff.jl's compiled tapes, :func:`value_and_grad` writes the same two
sweeps out once per program as Python source: one line per forward step, one
per VJP rule, in the interpreter's order, calling the very callables the
program holds (each step's ``impl``, each rule), bound as constants.  It is
the tape's own reverse mode over the same op table; only the per-step
bookkeeping is done once, when the source is written:

* which adjoints exist is known statically (the interpreter tests for None);
* releasing is static too: after its last reader a value's name is rebound
  to the program's zero-stride stand-in (forward and reverse, as the
  interpreter does), and an adjoint is deleted once its step has used it;
* on slots of rank 0, the scalar arithmetic ``prims`` already does with
  Python's operators (``add``, ``sub``, ``mul``, ``neg``: same IEEE results,
  inf on overflow, never an exception) is written as the operator, and an
  element-wise rule ``g * f'(x)`` calls the table's ``deriv`` directly;
* a rule the table marks ``times = k`` (``g`` times argument ``k``: inner's)
  is written as that product, the operator ``prims.mul`` applies to plain values.

Programs with an ``iterate`` loop, and very long ones (whose source would cost
more to compile than their steps cost to dispatch), keep the interpreter.
Dual numbers (Hessians, forward mode) always go through the interpreter.
"""
from __future__ import annotations

import numpy as np

from ..ops.prims import _SCALAR_OPS
from .core import Program, dense

#: a program with more steps is interpreted: writing and compiling the source costs ~25 us a
#: step (3 ms for 130 steps, 25 ms for 660, measured), paid back after some 30 calls
COMPILED_STEPS = 2000

#: Python's operators for what ``prims`` computes with them on two scalars
_INFIX = {"add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "neg": "-{0}"}
assert set(_INFIX) == set(_SCALAR_OPS), "the scalar operators are prims' own"


def value_and_grad(prog: Program, single: str | None = None):
    """``inputs -> {"value", "gradient": {name: array}}`` for ``prog`` (a scalar
    function), written out once and kept on the program; None where the
    interpreter stays (an iterate loop, more than :data:`COMPILED_STEPS` steps).
    With ``single`` (the program's one ``wrt`` name) ``"gradient"`` is its array
    itself: the form ``diffbench.derivatives`` returns for one name."""
    key = ("value_and_grad", single)
    if key not in prog.compiled:
        fits = not prog.loops and len(prog.steps) <= COMPILED_STEPS and (single is None or prog.wrt == [single])
        prog.compiled[key] = _load(*_source(prog, single)) if fits else None
    return prog.compiled[key]


def _source(prog: Program, single: str | None) -> tuple[str, dict]:
    """The function's source and the constants it names (no user text enters the source)."""
    names = _Constants()
    lines = ["def value_and_grad(inputs):"]
    for name, slot in prog.inputs.items():
        lines.append(f"    t{slot} = inputs[{names.add(name, 'N')}]")
    for slot, value in prog.constants.items():
        lines.append(f"    t{slot} = {names.add(value, 'C')}")
    lines += _forward(prog, names)
    live = _reverse(prog, names, lines)
    gradients = {name: _gradient(prog, names, name, live) for name in prog.wrt}
    gradient = gradients[single] if single is not None else \
        "{" + ", ".join(f"{names.add(name, 'W')}: {g}" for name, g in gradients.items()) + "}"
    lines.append(f"    return {{'value': t{prog.output}, 'gradient': {gradient}}}")
    return "\n".join(lines) + "\n", names.values


def _gradient(prog: Program, names: "_Constants", name: str, live: set) -> str:
    """A variable's adjoint as a float array of its shape (zeros where it got none)."""
    slot = prog.wrt_slots.get(name)
    if slot in live:  # dense()'s own test for "already so", written out (a call less per variable)
        g, t = f"g{slot}", f"t{slot}"
        return f"({g} if type({g}) is ND and {g}.dtype is F64 and type({t}) is ND and {g}.shape == {t}.shape " \
               f"else dense({g}, {t}))"
    like = f"t{slot}" if slot is not None else f"inputs[{names.add(name, 'N')}]"
    return f"dense(None, {like})"


def _forward(prog: Program, names: "_Constants") -> list[str]:
    lines = []
    for (slot, step), frees in zip(prog.steps, prog.forward_release):
        args = [f"t{j}" for j in step.args]
        infix = _INFIX.get(step.prim.name)
        if infix is not None and prog.scalar_slots.issuperset((slot,) + step.args):
            call = infix.format(*args)
        else:
            call = f"{names.add(step.impl, 'I')}({', '.join(args + _keywords(step.attrs, names))})"
        lines.append(f"    t{slot} = {call}")
        lines += [f"    t{j} = {names.add(prog.standins[j], 'S')}" for j in frees]
    return lines


def _reverse(prog: Program, names: "_Constants", lines: list) -> set:
    """The reverse sweep's lines (appended); returns the slots left with an adjoint."""
    lines.append(f"    g{prog.output} = 1.0")
    live = {prog.output}
    for (slot, args, attrs, rules), frees in zip(prog.reverse_steps, prog.reverse_release):
        if slot in live:
            for rule, j in rules:
                part = _rule_call(prog, names, rule, slot, args, attrs)
                lines.append(f"    g{j} = g{j} + {part}" if j in live else f"    g{j} = {part}")
                live.add(j)
            lines.append(f"    del g{slot}")
            live.discard(slot)
        lines += [f"    t{j} = {names.add(prog.standins[j], 'S')}" for j in frees]
    return live


def _rule_call(prog: Program, names: "_Constants", rule, slot: int, args: tuple, attrs: dict) -> str:
    """One VJP rule applied to the step's cotangent ``g{slot}``."""
    g = f"g{slot}"
    deriv = getattr(rule, "deriv", None)  # an element-wise rule: g * f'(x, ans)
    if deriv is not None and slot in prog.scalar_slots:
        return f"{g} * {names.add(deriv, 'D')}(t{args[0]}, t{slot})"
    once = getattr(rule, "once", None)  # a symmetric primitive's one product on 2g
    if once is not None:
        rule, g = once, f"({g} + {g})"
    times = getattr(rule, "times", None)  # g * args[k] (inner's rules): prims.mul's own operator
    if times is not None:
        return f"{g} * t{args[times]}"
    return f"{names.add(rule, 'R')}({', '.join([g, f't{slot}'] + [f't{j}' for j in args] + _keywords(attrs, names))})"


def _keywords(attrs: dict, names: "_Constants") -> list[str]:
    return [f"**{names.add(attrs, 'A')}"] if attrs else []


class _Constants:
    """The objects the source names, each once, as ``<prefix><k>``."""

    def __init__(self):
        self.values: dict[str, object] = {}
        self._named: dict[int, str] = {}

    def add(self, value, prefix: str) -> str:
        key = id(value)
        if key not in self._named:
            self._named[key] = f"{prefix}{len(self.values)}"
            self.values[self._named[key]] = value
        return self._named[key]


def _load(source: str, constants: dict):
    """Execute the generated source (diffbench's own: slot numbers and fixed templates)."""
    namespace = {**constants, "dense": dense, "ND": np.ndarray, "F64": np.dtype(float)}
    exec(compile(source, "<diffbench.tape compiled program>", "exec"), namespace)  # noqa: S102
    function = namespace["value_and_grad"]
    function.source = source
    return function
