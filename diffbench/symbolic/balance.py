"""Scale-safe evaluation of ``u vᵀ / D``: the denominator shared by the two factors.

The simplifier collects powers, so the Hessian of ``‖x‖`` reads
``I/‖x‖ − x xᵀ / (‖x‖² ‖x‖)``.  Evaluated as written, ``‖x‖³`` leaves the
float range long before the Hessian does: at ``x = [1e-110, 1e-110, 0]`` it
underflows to 0 (the Hessian came out -inf and nan; its entries are
±3.5e109), at ``x = 1e150 [1, 1, 0]`` it overflows and the whole outer
product term silently vanished.  The printed formula stays as it is; the
generated code evaluates ``c / D · u vᵀ`` as ``(u / √D)(c v / √D)ᵀ`` with
``√D`` taken factor by factor (``‖x‖ · ‖x‖^0.5``), so each factor of the
product stays near the scale of the answer.  That is ``(I − û ûᵀ)/‖x‖`` in
effect, with ``û = x/‖x‖``: scale-invariant.

Only denominators whose factors are known to be positive (norms, exps and
even powers) are split: a square root of a negative factor is not real.
"""
from __future__ import annotations

from ..ir import Node, const, node, topological

_POSITIVE = {"norm2", "exp"}


def balanced(roots: dict) -> dict:
    """``roots`` (key -> node or None) with every ``c/D · u ⊗ v`` rewritten (see above)."""
    nodes = [n for n in roots.values() if n is not None]
    if not any(_split(n) is not None for n in topological(nodes)):
        return roots  # the common case: nothing to rewrite, the nodes stay as they are
    done: dict[int, Node] = {}
    for n in topological(nodes):
        args = tuple(done[id(a)] for a in n.args)
        rebuilt = n if all(a is b for a, b in zip(args, n.args)) else node(n.op, args, n.attrs, n.shape)
        done[id(n)] = _split(rebuilt) or rebuilt
    return {k: (None if n is None else done[id(n)]) for k, n in roots.items()}


def _is_product(n: Node) -> bool:
    """An outer product of two tensors (``outer``, or a two-operand einsum of them)."""
    return n.op in ("outer", "einsum") and len(n.args) == 2 and all(a.shape for a in n.args)


def _scaled(n: Node):
    """``(c, [(base, exponent), ...], t)`` when ``n`` is ``(c / D) t`` with ``D`` a
    product of powers of positive scalars of total degree at least 2, else None."""
    if n.op != "mul" or len(n.args) != 2 or n.args[0].shape != () or n.args[0].op != "div":
        return None
    k, t = n.args
    factors = _powers(k.args[1])
    if factors is None or sum(e for _, e in factors) < 2:
        return None
    return k.args[0], factors, t


def _powers(d: Node):
    """``D`` as ``[(base, exponent), ...]`` or None when a factor may be negative."""
    if d.op == "mul" and d.shape == ():
        parts = [_powers(a) for a in d.args]
        return None if any(p is None for p in parts) else [f for p in parts for f in p]
    if d.op == "pow" and d.args[1].op == "const" and d.args[0].op in _POSITIVE:
        return [(d.args[0], float(d.args[1].attr("value")))]
    if d.op in _POSITIVE:
        return [(d, 1.0)]
    return None


def _root(factors) -> Node:
    """√D factor by factor (``‖x‖ · ‖x‖^0.5``): no intermediate beyond the answer's scale."""
    root = None
    for base, e in factors:
        half = base if e == 2 else node("pow", (base, const(e / 2)), (), ())
        root = half if root is None else node("mul", (root, half), (), ())
    return root


def _times(k: Node, t: Node) -> Node:
    return node("mul", (k, t), (), t.shape)


def _split(n: Node) -> Node | None:
    """``(c/D) · u ⊗ v`` (the scalar outside or on either factor) as ``(u/√D) ⊗ (c v/√D)``."""
    if n.op == "mul" and _is_product(n.args[1]):
        found, product, at = _scaled(n), n.args[1], 1
        operands = list(product.args)
    elif _is_product(n):
        at = next((i for i, a in enumerate(n.args) if _scaled(a) is not None), None)
        found, product = (None if at is None else _scaled(n.args[at])), n
        operands = list(n.args)
    else:
        return None
    if found is None:
        return None
    c, factors, inner = found
    if product is n:
        operands[at] = inner
    root = _root(factors)
    operands[at] = _times(node("div", (c, root), (), ()), operands[at])
    operands[1 - at] = _times(node("div", (const(1.0), root), (), ()), operands[1 - at])
    return node(product.op, tuple(operands), product.attrs, n.shape)
