"""The evaluation trace as the lectures tabulate it: the Wengert list.

For ``L = w2 log w1 + sqrt(w2 log w1)`` at ``w1 = 2, w2 = 1.5``::

    v    operation      value    tangent v̇ (along w1)   adjoint v̄
    w1   input          2        1                      ∂L/∂w1
    w2   input          1.5      0                      ∂L/∂w2
    v1   log(w1)        0.693    0.5                    ...
    v2   w2 · v1        1.04     ...
    ...

One row per variable and per step of the tape, in evaluation order: its
operation over earlier rows, its value, its forward tangent (one forward
sweep on dual numbers along the chosen direction) and its adjoint (one
backward sweep from ``L̄ = 1``, every adjoint kept rather than released).
Constants are written into the operations, not numbered.
"""
from __future__ import annotations

import numpy as np

from ..canonical import canonical_root
from ..function import InputError
from ..ir import topological
from .core import Program
from .dual import Dual

#: infix spellings of binary primitives; everything else prints as name(args)
INFIX = {"add": "+", "sub": "−", "mul": "·", "div": "/", "pow": "^", "matmul": "@"}
#: a value with at most this many entries is printed whole
SMALL = 4


def _labels(prog: Program, nodes) -> dict[int, str]:
    labels, count = {}, 0
    for slot, n in enumerate(nodes):
        if n.op == "var":
            labels[slot] = n.attr("name")
        elif slot in prog.constants:
            labels[slot] = _constant(prog.constants[slot])
        else:
            count += 1
            labels[slot] = f"v{count}"
    return labels


def _constant(value) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):g}"
    return f"const{np.shape(value)}"


def _operation(prog: Program, slot: int, step, labels: dict) -> str:
    args = [labels[j] for j in step.args]
    if step.prim.name in INFIX and len(args) == 2:
        return f"{args[0]} {INFIX[step.prim.name]} {args[1]}"
    if step.prim.name == "transpose":
        return f"{args[0]}ᵀ"
    if step.prim.name == "take":  # the entries taken, counted from 1 as the language writes them
        return f"{args[0]}[{', '.join(_slot(spec, step.attrs.get('shape')) for spec in step.attrs['index'])}]"
    if step.prim.name == "concat":
        return f"[{args[0]}{'; ' if step.attrs['axis'] == 0 else ', '}{args[1]}]"
    return f"{step.prim.name}({', '.join(args)})"


def _slot(spec, shape) -> str:
    kind = spec[0]
    if kind == "at":
        return str(spec[1] + 1)
    if kind == "range":
        return f"{spec[1] + 1}:{spec[2]}"
    if kind == "all":
        return ":"
    return f"first {spec[1]}" if kind == "head" else f"last {spec[1]}"


def _adjoints(prog: Program, tape: list) -> list:
    """Every slot's adjoint from ``L̄ = 1`` (the backward pass, nothing released)."""
    adjoint = [None] * prog.size
    adjoint[prog.output] = 1.0
    for slot, args, attrs, rules in prog.reverse_steps:
        g = adjoint[slot]
        if g is None:
            continue
        values = [tape[j] for j in args]
        for rule, j in rules:
            part = rule(g, tape[slot], *values, **attrs)
            adjoint[j] = part if adjoint[j] is None else adjoint[j] + part
    return adjoint


def wengert(fn, inputs: dict, direction: dict | None = None, sizes: dict | None = None) -> dict:
    """The trace of ``fn`` at ``inputs``: ``{"rows", "direction", "output"}``.

    Every variable is differentiated.  ``direction`` gives the tangent seed
    per variable (default: 1 on the entries of the alphabetically first
    variable, 0 elsewhere -- the lectures' ``∂/∂w1``).  Each row is ``{"name", "operation", "shape",
    "value", "tangent", "adjoint"}`` with arrays as nested lists.
    """
    if not fn.is_scalar:  # the adjoint column is ∂f/∂v: one number f, or the backward pass has no seed
        raise InputError(f"the trace's adjoints need a scalar function; {fn.expr!r} has shape "
                         f"({', '.join(map(str, fn.shape))}): trace one entry or a sum of it, e.g. sum({fn.expr})")
    if any(n.op == "iterate" for n in topological(fn.root)):
        raise InputError("the trace lists one row per primitive, and iterate(...) is one loop node of any "
                         "depth: its derivatives come from diffbench compare or diffbench.derivatives")
    names = list(fn.variables)
    arrays = {k: (float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float)) for k, v in inputs.items()}
    prog = Program(fn, names, fn.bind(arrays, sizes))  # sizes: of dims no input shows (ones(n))
    first = min(names)  # w1 before w2, as the lectures differentiate
    direction = direction or {n: np.ones(np.shape(arrays[n])) if n == first else np.zeros(np.shape(arrays[n]))
                              for n in names}
    seeds = {n: Dual(np.asarray(arrays[n], dtype=float), np.asarray(direction[n], dtype=float)[None]) for n in names}
    duals = prog.forward(arrays, seeds, keep_all=True)
    values = prog.forward(arrays, keep_all=True)
    adjoint = _adjoints(prog, values)
    nodes = topological(canonical_root(fn))  # the program's slots are the canonical form's nodes
    labels = _labels(prog, nodes)
    steps = dict(prog.steps)
    rows = []
    for slot in range(prog.size):
        if slot in prog.constants:
            continue
        operation = "input" if slot not in steps else _operation(prog, slot, steps[slot], labels)
        d = duals[slot]
        tangent = d.tangent[0] if type(d) is Dual else np.zeros(np.shape(values[slot]))
        rows.append({"name": labels[slot], "operation": operation, "shape": list(np.shape(values[slot])),
                     "value": _plain(values[slot]), "tangent": _plain(tangent),
                     "adjoint": _plain(adjoint[slot] if adjoint[slot] is not None else np.zeros(np.shape(values[slot]))),
                     "output": slot == prog.output})
    return {"expr": fn.expr, "rows": rows, "direction": {n: _plain(direction[n]) for n in names}}


def _plain(x):
    x = np.asarray(x, dtype=float)
    return float(x) if x.ndim == 0 else x.tolist()


def shown(value, shape) -> str:
    """A value as the table prints it: whole when small, else shape and norm."""
    a = np.asarray(value, dtype=float)
    if a.size <= SMALL:
        return f"{float(a):.6g}" if a.ndim == 0 else "[" + ", ".join(f"{v:.4g}" for v in a.ravel()) + "]"
    return f"{'×'.join(map(str, shape))}, ‖·‖ = {np.linalg.norm(a):.4g}"


__all__ = ["wengert", "shown"]
