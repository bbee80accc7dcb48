"""The op table's machinery: what a primitive is, and how a call is dispatched.

Every primitive carries, side by side, everything each engine needs:

* ``shape``   -- ``shape(*arg_shapes, **attrs) -> (out_shape, [(dim, dim), ...])``:
  the output shape and the dim equalities the arguments must satisfy;
* ``impl``    -- the NumPy evaluation;
* ``vjp``     -- one rule per argument, ``rule(g, ans, *args, **attrs)``, giving
  that argument's cotangent.  VJP rules are written with the primitives
  themselves (``diffbench.ops.prims``), never with raw NumPy, so the same rule
  runs on arrays (the tape's gradient), on dual numbers (the tape's Hessian:
  forward-over-reverse) and on IR nodes (the symbolic engine's gradient
  formula);
* ``jvp``     -- one rule per argument, ``rule(t, ans, *args, **attrs)`` in raw
  NumPy, where ``t`` is a *batch* of tangents with one leading axis (``k``
  directions at once) and the other arguments are plain primal arrays;
* ``domain``  -- per argument, what a valid input is (``real``, ``positive``,
  ``nonzero``, ``spd``, ``invertible``) so tests and samplers draw from it;
* ``symbolic`` -- the symbolic engine's slot (printing and matrix-calculus
  rules it owns), filled by ``diffbench.symbolic``;
* ``scalar``  -- for element-wise primitives, the SymPy scalar function, so
  SymPy can referee the hand-written derivative;
* ``broadcasts`` -- a scalar argument beside a tensor one is *broadcast
  explicitly* when the IR is built: ``a + x`` is ``add(broadcast(a), x)``.
  The ``broadcast`` primitive owns the rules of broadcasting (VJP: a sum,
  JVP: the tangent repeated), so every engine, and every rewrite that
  distributes a linear map over a sum, sees arguments of the result's shape.
* ``numpy``   -- its NumPy-API spelling, from which generated code and the
  framework engines spell it; ``printed`` -- its name in formulas (text, LaTeX).

A primitive with no rule for an argument must say so with
``differentiable=False``; a test walks the table and fails otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from typing import Any, Callable

from ..ir import Node, Shape, format_shape, node, const


class ShapeError(ValueError):
    """Arguments whose shapes a primitive cannot combine."""


@dataclass
class Primitive:
    name: str
    arity: int
    shape: Callable[..., tuple[Shape, list]]
    impl: Callable[..., Any]
    vjp: tuple = ()
    jvp: tuple = ()
    domain: tuple = ()
    family: str = ""
    doc: str = ""
    scalar: Callable | None = None  # SymPy scalar function (element-wise only)
    deriv: Callable | None = None  # f'(x, ans) written over prims (element-wise only)
    needs_shape: bool = False  # impl takes shape=<concrete output shape>
    # its NumPy-API spelling ("exp", "linalg.inv"): generated code calls np.<numpy>,
    # and autograd, JAX and PyTorch look the same name up in their own namespace
    numpy: str | None = None
    printed: tuple[str, str] | None = None  # (text, LaTeX) name when printed as a function
    differentiable: bool = True
    broadcasts: bool = False  # a scalar beside a tensor becomes broadcast(scalar) in the IR
    # f(a, b) = f(b, a) with the VJPs mirrored: given one value twice (x'x, x.*x) the
    # tape runs the first VJP once on 2g (VJPs are linear in g), not both and a sum
    symmetric: bool = False
    symbolic: dict = field(default_factory=dict)
    # interpreters that honestly cannot run it and report it unsupported
    # (names as in tests/test_interpreters.py: "sympy-scalar", "autograd", ...)
    unsupported_by: frozenset = frozenset()

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


TABLE: dict[str, Primitive] = {}

# Bumped whenever a rule is replaced at run time (tests do, to check that a
# wrong rule is caught); engines put it in their cache keys so nothing
# compiled from the old rule survives.
GENERATION = [0]

# Interpreters for non-array values (dual numbers, IR nodes) register here:
# ``type -> handler(prim, args, attrs)``.
HANDLERS: dict[type, Callable] = {}


def define(prim: Primitive) -> Primitive:
    if prim.name in TABLE:
        raise ValueError(f"primitive {prim.name!r} defined twice")
    TABLE[prim.name] = prim
    return prim


def linear(name: str, shape: Callable, impl: Callable, adjoint: Callable, doc: str = "", *,
           batched: Callable | None = None, needs_shape: bool = False, family: str = "structural",
           domain: str = "real", leading: bool = False, numpy: str | None = None,
           printed: tuple[str, str] | None = None) -> Primitive:
    """Define a primitive linear in its one argument (autograd's ``def_linear``).

    Its derivative is itself, so every rule follows from ``impl`` and its
    ``adjoint``:

    * the VJP is ``adjoint(g, x, **attrs)``, written over ``prims``;
    * the JVP is the operation on the batch of tangents: ``batched(t, **attrs)``
      when given, else ``impl`` itself, with the batch axis moved last (right
      for a primitive that acts on its leading axes and carries the rest);
    * the symbolic derivative is the primitive applied to the tangent formula;
      ``leading=True`` also lets the symbolic engine push a Jacobian through it.
    """
    def vjp(g, ans, x, **attrs):
        return adjoint(g, x, **attrs)

    def jvp(t, ans, x, **attrs):
        return batched(t, **attrs)

    def tangent(t, ans, x, **attrs):  # symbolic: d f(x) = f(dx)
        return bind(TABLE[name], (t,), attrs)

    symbolic = {"jvp": (tangent,), **({"leading": True} if leading else {})}
    return define(Primitive(name, 1, shape, impl, vjp=(vjp,), jvp=(jvp if batched else batch_last(impl),),
                            domain=(domain,), family=family, doc=doc, needs_shape=needs_shape, symbolic=symbolic,
                            numpy=numpy, printed=printed))


def out_of_reach(interpreter: str, *names: str) -> None:
    """Record that ``interpreter`` has no rule for these primitives (it reports
    them unsupported), so the completeness test knows it is on purpose."""
    for name in names:
        TABLE[name].unsupported_by = TABLE[name].unsupported_by | {interpreter}


def batch_last(impl: Callable) -> Callable:
    """A JVP rule from a leading-axes ``impl``: the tangent batch ``(k, ...)``
    gets its batch axis moved last, where the primitive carries it along."""
    def rule(t, ans, *args, **attrs):
        if "shape" in attrs:
            attrs = {**attrs, "shape": tuple(attrs["shape"]) + (t.shape[0],)}
        return np.moveaxis(impl(np.moveaxis(t, 0, -1), *args[1:], **attrs), -1, 0)
    return rule


def bind(prim: Primitive, args: tuple, attrs: dict):
    """Apply ``prim``: on plain arrays by its NumPy ``impl``, otherwise by the
    interpreter registered for the first special argument type."""
    for a in args:
        handler = HANDLERS.get(type(a))
        if handler is not None:
            return handler(prim, args, attrs)
    return prim.impl(*args, **attrs)


class IdentityBatch(np.ndarray):
    """A tangent batch known to be the identity (forward mode's seed for a
    Jacobian or Hessian).  JVP rules of linear maps may shortcut it:
    ``A @ I`` is ``A``, so the seed costs no matrix product.  Only the seed
    itself carries this type; results of rules are plain arrays."""


def shape_of(x) -> tuple:
    """Shape of an array, dual number, IR node or Python number."""
    return getattr(x, "shape", ())


def ndim_of(x) -> int:
    """``np.ndim(x)`` without its dispatch (~0.4 us, more than the scalar work it
    guards on a small function's per-call path): arrays and NumPy scalars carry
    ``ndim``, a Python float has none."""
    if type(x) is float:
        return 0
    found = getattr(x, "ndim", None)
    return np.ndim(x) if found is None else found


# ---------------------------------------------------------------- IR building

def check_dims(prim_name: str, arg_shapes, constraints) -> None:
    for a, b in constraints:
        if a != b:
            shapes = " and ".join(format_shape(s) for s in arg_shapes)
            raise ShapeError(f"{prim_name}: incompatible shapes {shapes} ({a} vs {b})")


def build(name: str, args: tuple, attrs: dict | None = None) -> Node:
    """The IR node for ``name(args)``, shape-checked by the primitive's rule."""
    prim = TABLE[name]
    attrs = dict(attrs or {})
    args = tuple(a if isinstance(a, Node) else const(a) for a in args)
    shapes = [a.shape for a in args]
    out, constraints = prim.shape(*shapes, **attrs)
    check_dims(name, shapes, constraints)
    if prim.broadcasts:
        args = tuple(broadcast_to(a, out) for a in args)
    node_attrs = {k: v for k, v in attrs.items()}
    return node(name, args, node_attrs, out)


def broadcast_to(arg: Node, shape: Shape) -> Node:
    """``arg`` as a node of ``shape``: a scalar becomes ``broadcast(arg)``."""
    if arg.shape == tuple(shape) or arg.shape != ():
        return arg
    return build("broadcast", (arg,), {"shape": tuple(shape)})


def _build_handler(prim: Primitive, args: tuple, attrs: dict) -> Node:
    return build(prim.name, args, attrs)


HANDLERS[Node] = _build_handler
