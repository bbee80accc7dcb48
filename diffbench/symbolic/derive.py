"""Differential operators over IR formulas: gradient, Jacobian, Hessian,
differential.  Every result is itself an IR formula (never scalar entries).

* :func:`gradients` -- reverse mode as *source transformation*: the op
  table's VJP rules, run over IR nodes, build the adjoint of every node in
  reverse topological order.  A node used twice receives two adjoint
  contributions, which are summed (the multivariate chain rule: the
  differential of a reused value is the sum of the differentials through
  each use).
* :func:`jacobian` -- forward accumulation of Jacobian *tensors*
  (``node.shape + var.shape``): for each node that depends on the variable,
  the primitive's symbolic rule gives its differential in a tangent
  placeholder, and :class:`~diffbench.symbolic.rules.Linear` pushes the
  arguments' Jacobians through that linear formula.  The Hessian is the
  Jacobian of the gradient formula (matrix-level forward-over-reverse).
* :func:`differential` -- the same rules with a named direction ``dX``:
  ``d(∇f)[dX]``, the readable form of a 4th-order Hessian.
"""
from __future__ import annotations

from ..errors import Unsupported
from ..ir import Node, const, topological, var
from ..ops import TABLE
from .budget import check_time
from .einsum import einsum_form, eye
from .rules import Linear
from .simplify import make_node, simplify

DIRS = "STUVWXYZ"


def _depending(root: Node, targets: set[int]) -> set[int]:
    dep: set[int] = set()
    for n in topological(root):
        if id(n) in targets or any(id(a) in dep for a in n.args):
            dep.add(id(n))
    return dep


def _prim(n: Node):
    prim = TABLE.get(n.op)
    if prim is None:
        raise Unsupported(f"unsupported: {n.op} (not a primitive of the op table)")
    return prim


def gradients(root: Node, wrt: dict[str, Node]) -> dict[str, Node]:
    """``{name: ∂root/∂var}`` for a scalar root, simplified; zeros as ``None``."""
    targets = {id(v) for v in wrt.values()}
    dep = _depending(root, targets)
    adjoint: dict[int, Node] = {id(root): const(1.0)}
    for n in reversed(topological(root)):
        check_time("gradient")
        g = adjoint.get(id(n))
        if g is None or not n.args:
            continue
        prim = _prim(n)
        attrs = dict(n.attrs)
        for i, a in enumerate(n.args):
            if id(a) not in dep:
                continue
            if not prim.differentiable or i >= len(prim.vjp):
                raise Unsupported(f"unsupported: {n.op} (no VJP rule for argument {i})")
            contribution = simplify(prim.vjp[i](g, n, *n.args, **attrs))
            previous = adjoint.get(id(a))
            adjoint[id(a)] = contribution if previous is None else make_node("add", (previous, contribution))
    return {name: adjoint.get(id(v)) for name, v in wrt.items()}


def identity(v: Node) -> Node:
    """∂v/∂v: the identity of shape ``v.shape + v.shape``."""
    if v.ndim == 0:
        return const(1.0)
    if v.ndim == 1:
        return eye(v.shape[0])
    out = "".join("abcd"[i] for i in range(v.ndim))
    dirs = DIRS[:v.ndim]
    return einsum_form([(eye(d), o + s) for d, o, s in zip(v.shape, out, dirs)], out + dirs)


def _placeholder(i: int, shape) -> Node:
    return var(f"\N{PARTIAL DIFFERENTIAL}t{i}", shape)


def _push(expr: Node, known: dict[int, Node], linear: Linear) -> Node | None:
    """Jacobian of ``expr`` (linear in the placeholders of ``known``)."""
    dep = _depending(expr, set(known))
    memo: dict[int, Node | None] = {}
    for n in topological(expr):
        check_time("Jacobian")
        if id(n) in known:
            memo[id(n)] = known[id(n)]
        elif id(n) not in dep:
            memo[id(n)] = None
        else:
            consts = [None if id(a) in dep else simplify(a) for a in n.args]
            memo[id(n)] = linear.apply(n, [memo[id(a)] for a in n.args], consts)
    return memo[id(expr)]


def jacobian(expr: Node, v: Node) -> Node | None:
    """∂expr/∂v as a tensor of shape ``expr.shape + v.shape`` (None if zero)."""
    linear = Linear(DIRS[:v.ndim])
    dep = _depending(expr, {id(v)})
    jac: dict[int, Node | None] = {id(v): identity(v)}
    for n in topological(expr):
        if id(n) not in dep or id(n) in jac:
            continue
        check_time("Jacobian")
        prim = _prim(n)
        rules = prim.symbolic.get("jvp", ())
        attrs = dict(n.attrs)
        terms = []
        for i, a in enumerate(n.args):
            if id(a) not in dep or jac.get(id(a)) is None:
                continue
            if i >= len(rules):
                raise Unsupported(f"unsupported: {n.op} (no symbolic derivative rule for argument {i})")
            t = _placeholder(i, a.shape)
            terms.append(_push(rules[i](t, n, *n.args, **attrs), {id(t): jac[id(a)]}, linear))
        total = None
        for term in terms:
            if term is not None:
                total = term if total is None else make_node("add", (total, term))
        jac[id(n)] = total
    return simplify(jac.get(id(expr))) if jac.get(id(expr)) is not None else None


def differential(expr: Node, v: Node, direction: Node) -> Node | None:
    """The directional derivative of ``expr`` along ``direction`` (a formula)."""
    dep = _depending(expr, {id(v)})
    tan: dict[int, Node | None] = {id(v): direction}
    for n in topological(expr):
        if id(n) not in dep or id(n) in tan:
            continue
        check_time("differential")
        rules = _prim(n).symbolic.get("jvp", ())
        total = None
        for i, a in enumerate(n.args):
            t = tan.get(id(a))
            if id(a) not in dep or t is None:
                continue
            if i >= len(rules):
                raise Unsupported(f"unsupported: {n.op} (no symbolic derivative rule for argument {i})")
            term = simplify(rules[i](t, n, *n.args, **dict(n.attrs)))
            total = term if total is None else make_node("add", (total, term))
        tan[id(n)] = total
    out = tan.get(id(expr))
    return simplify(out) if out is not None else None


def hessian(grads: dict[str, Node], wrt: dict[str, Node]) -> dict[tuple[str, str], Node | None]:
    """Blocks ``∂²f/∂a∂b`` (shape ``a.shape + b.shape``) from gradient formulas.

    The block ``(a, b)`` is the Jacobian of ``∇_a f`` in ``b``; ``(b, a)``
    is the same tensor with its index groups swapped, so it is not derived
    twice.
    """
    names = list(wrt)
    blocks: dict[tuple[str, str], Node | None] = {}
    for i, a in enumerate(names):
        for b in names[i:]:
            g = grads[a]
            blocks[(a, b)] = jacobian(g, wrt[b]) if g is not None else None
            if a != b:
                blocks[(b, a)] = swap(blocks[(a, b)], wrt[a].ndim, wrt[b].ndim)
    return blocks


def swap(h: Node | None, ra: int, rb: int) -> Node | None:
    if h is None:
        return None
    if ra == 0 or rb == 0:
        return h
    if ra == 1 and rb == 1:
        return make_node("transpose", (h,))
    first, second = "abcd"[:ra], "efgh"[:rb]
    return einsum_form([(h, first + second)], second + first)


__all__ = ["gradients", "jacobian", "hessian", "differential", "identity"]
