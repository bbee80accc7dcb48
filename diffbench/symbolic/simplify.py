"""Algebraic simplification of IR formulas: the rewrites a person would do.

:func:`mk` is a *smart constructor*: it builds ``op(args)`` after applying
local rewrites, assuming the arguments are already simplified; the new
nodes a rewrite builds go through ``mk`` again, so every node it returns
is in normal form.  :func:`simplify` maps a whole DAG through ``mk``
bottom-up (each shared node once).  Interning makes equal subformulas the
same object, so "is this ``x - x``" is an identity test.

Rewrites (each keeps the value; none assumes symmetry of a variable):

* constants: fold scalar arithmetic, drop ``0 +``, ``1 *``, ``/ 1``, ``--x``;
* scalars to the front: ``A (s x) -> s (A x)``, ``x s -> s x``,
  ``(s u) ⊙ v -> s (u ⊙ v)``, ``x/x -> 1`` for scalars;
* sums: ``x + x -> 2x``, ``s u + s v -> s (u + v)``, ``A x + B x -> (A + B) x``,
  ``A x - A y -> A (x - y)``, ``x + (-y) -> x - y``;
* transposes pushed inwards: ``(AB)ᵀ -> BᵀAᵀ``, ``(A + B)ᵀ -> Aᵀ + Bᵀ``,
  ``(u vᵀ)ᵀ -> v uᵀ``, ``diag(v)ᵀ -> diag(v)``, ``Aᵀᵀ -> A``; and ``Aᵀ + A``
  is ordered ``A + Aᵀ`` so a symmetric term reads one way;
* identities: ``I A -> A``, ``diag(v) I -> diag(v)``, ``(u vᵀ) w -> ⟨v, w⟩ u``;
* shape plumbing: ``reshape(x, shape(x)) -> x``, nested reshapes, and
  ``broadcast(s) ⊙ v -> s v``.
"""
from __future__ import annotations

from ..ir import Node, const, node, topological
from ..ops import TABLE, build

def is_const(n: Node, value: float | None = None) -> bool:
    return n.op == "const" and (value is None or n.attr("value") == value)


def is_scalar(n: Node) -> bool:
    return n.shape == ()


def mk(op: str, args: tuple | list, attrs: dict | None = None) -> Node:
    """``op(args)`` simplified (arguments must already be simplified)."""
    args = tuple(a if isinstance(a, Node) else const(a) for a in args)
    rule = _RULES.get(op)
    if rule is not None:
        out = rule(*args, **(attrs or {}))
        if out is not None:
            return out
    return _fold(op, args, attrs or {})


def _fold(op, args, attrs):
    prim = TABLE.get(op)
    if (prim is not None and prim.family == "elementwise" and args
            and all(is_const(a) for a in args)):
        return const(float(prim.impl(*[a.attr("value") for a in args])))
    if op in TABLE:
        return build(op, args, attrs)
    return node(op, args, attrs, attrs.get("_shape", ()))


def simplify(roots):
    """Simplify a node or a list/dict of nodes; shared nodes are visited once."""
    single = isinstance(roots, Node)
    items = [roots] if single else (list(roots.values()) if isinstance(roots, dict) else list(roots))
    items_nodes = [r for r in items if r is not None]
    done: dict[int, Node] = {}
    for n in topological(items_nodes):
        if not n.args:
            done[id(n)] = n
            continue
        attrs = dict(n.attrs)
        if n.op not in TABLE:
            attrs["_shape"] = n.shape
            done[id(n)] = node(n.op, tuple(done[id(a)] for a in n.args), n.attrs, n.shape)
            continue
        done[id(n)] = mk(n.op, [done[id(a)] for a in n.args], attrs)
    mapped = [done[id(r)] if r is not None else None for r in items]
    if single:
        return mapped[0]
    if isinstance(roots, dict):
        return dict(zip(roots.keys(), mapped))
    return mapped


# ------------------------------------------------------------------ rules
# Each returns the rewritten node, or None to build the node as it is.

def _add(a, b):
    if is_const(a, 0.0):
        return b if b.shape == _bshape(a, b) else None
    if is_const(b, 0.0):
        return a if a.shape == _bshape(a, b) else None
    if a is b:
        return mk("mul", (2.0, a))
    if b.op == "neg":
        return mk("sub", (a, b.args[0]))
    if a.op == "neg":
        return mk("sub", (b, a.args[0]))
    # s u + s v -> s (u + v)  and  s u + u -> (s + 1) u
    sa, ra = _split_scalar(a)
    sb, rb = _split_scalar(b)
    if ra is rb and (sa is not None or sb is not None) and ra.shape == _bshape(a, b):
        return mk("mul", (mk("add", (sa or const(1.0), sb or const(1.0))), ra))
    if sa is not None and sa is sb and ra.shape == rb.shape:
        return mk("mul", (sa, mk("add", (ra, rb))))
    if a.op == "matmul" and b.op == "matmul" and a.shape == b.shape:
        if a.args[1] is b.args[1] and a.args[0].shape == b.args[0].shape:
            return mk("matmul", (mk("add", (a.args[0], b.args[0])), a.args[1]))
        if a.args[0] is b.args[0] and a.args[1].shape == b.args[1].shape:
            return mk("matmul", (a.args[0], mk("add", (a.args[1], b.args[1]))))
    if a.op == "transpose" and a.args[0] is b:  # Aᵀ + A reads A + Aᵀ
        return build("add", (b, a))
    if a.shape == b.shape:
        common = _common_factor(a, b)
        if common is not None:
            s, ra, rb = common
            return mk("mul", (s, mk("add", (ra, rb))))
        if _negative(a) and not _negative(b):  # -u + v reads v - u
            return mk("sub", (b, mk("neg", (a,))))
    return None


def _negative(n):
    return n.op == "neg" or (n.op == "mul" and is_const(n.args[0]) and n.args[0].attr("value") < 0)


def _scalar_parts(n):
    """``n`` as (constant, [scalar factors], rest) with rest the non-scalar part."""
    c, factors = 1.0, []
    s, rest = _split_scalar(n) if n.shape != () else (None, n)
    stack = [s] if s is not None else []
    while stack:
        f = stack.pop()
        if f.op == "mul" and f.shape == ():
            stack.extend(f.args)
        elif is_const(f):
            c *= f.attr("value")
        else:
            factors.append(f)
    return c, factors, rest


def _product(c, factors):
    out = const(c)
    for f in factors:
        out = mk("mul", (out, f))
    return out


def _common_factor(a, b):
    """``c p u + d p v -> p (c u + d v)``: a shared scalar factor ``p`` of two terms."""
    if a.shape == ():
        return None
    ca, fa, ra = _scalar_parts(a)
    cb, fb, rb = _scalar_parts(b)
    shared = [f for f in fa if f in fb]
    g = 1.0
    if ca != cb and ca and cb and abs(ca) != 1.0 and abs(cb) != 1.0:
        small, big = sorted((abs(ca), abs(cb)))
        if (big / small).is_integer():
            g = small
    if not shared and g == 1.0:
        return None
    rest_a = [f for f in fa if f not in shared]
    rest_b = [f for f in fb if f not in shared]
    return (_product(g, shared), mk("mul", (_product(ca / g, rest_a), ra)),
            mk("mul", (_product(cb / g, rest_b), rb)))


def _sub(a, b):
    if is_const(b, 0.0) and a.shape == _bshape(a, b):
        return a
    if is_const(a, 0.0) and b.shape == _bshape(a, b):
        return mk("neg", (b,))
    if a is b and a.shape == ():
        return const(0.0)
    if b.op == "neg":
        return mk("add", (a, b.args[0]))
    if a.op == "matmul" and b.op == "matmul" and a.shape == b.shape:
        if a.args[1] is b.args[1] and a.args[0].shape == b.args[0].shape:
            return mk("matmul", (mk("sub", (a.args[0], b.args[0])), a.args[1]))
        if a.args[0] is b.args[0] and a.args[1].shape == b.args[1].shape:
            return mk("matmul", (a.args[0], mk("sub", (a.args[1], b.args[1]))))
    sa, ra = _split_scalar(a)
    sb, rb = _split_scalar(b)
    if sa is not None and sa is sb and ra.shape == rb.shape:
        return mk("mul", (sa, mk("sub", (ra, rb))))
    return None


def _bshape(a, b):
    return a.shape if a.shape != () else b.shape


def _split_scalar(n):
    """``s x`` with ``s`` scalar and ``x`` not: ``(s, x)``; else ``(None, n)``."""
    if n.op == "mul" and n.args[0].shape == () and n.args[1].shape != ():
        return n.args[0], n.args[1]
    return None, n


def _mul(a, b):
    if a.shape != () and b.shape == ():
        a, b = b, a  # scalars to the front
    if is_const(a, 1.0) and b.shape == _bshape(a, b):
        return b
    if is_const(b, 1.0) and a.shape == _bshape(a, b):
        return a
    if is_const(a, -1.0):
        return mk("neg", (b,))
    if is_const(a, 0.0) and b.shape == ():
        return const(0.0)
    if a.op == "neg":
        return mk("neg", (mk("mul", (a.args[0], b)),))
    if b.op == "neg":
        return mk("neg", (mk("mul", (a, b.args[0])),))
    if a.op == "broadcast" and a.shape == b.shape:
        return mk("mul", (a.args[0], b))
    if b.op == "broadcast" and a.shape == b.shape:
        return mk("mul", (b.args[0], a))
    if a.shape == ():
        if is_const(a) and b.op == "mul" and is_const(b.args[0]):
            return mk("mul", (const(a.attr("value") * b.args[0].attr("value")), b.args[1]))
        if b.op == "mul" and b.args[0].shape == () and b.shape != ():
            return mk("mul", (mk("mul", (a, b.args[0])), b.args[1]))
        if b.op == "div" and b.args[1] is a:  # a (x / a) -> x
            return b.args[0]
        if b.shape == () and b.op == "div" and is_const(b.args[0], 1.0):
            return mk("div", (a, b.args[1]))
        if a.op == "div" and is_const(a.args[0], 1.0) and b.shape == ():
            return mk("div", (b, a.args[1]))
        if b.shape == () and is_const(b) and not is_const(a):
            return build("mul", (b, a))
    else:
        sa, ra = _split_scalar(a)
        sb, rb = _split_scalar(b)
        if sa is not None or sb is not None:  # (s u) ⊙ v -> s (u ⊙ v)
            s = sa if sb is None else (sb if sa is None else mk("mul", (sa, sb)))
            return mk("mul", (s, mk("mul", (ra, rb))))
    return None


def _div(a, b):
    if is_const(b, 1.0):
        return a
    if a.op == "exp" and b.op == "add" and is_const(b.args[0], 1.0) and b.args[1] is a:
        return mk("sigmoid", a.args)  # e^u / (1 + e^u) = σ(u)
    if a is b and a.shape == ():
        return const(1.0)
    if a.op == "neg":
        return mk("neg", (mk("div", (a.args[0], b)),))
    if a.op == "mul" and a.args[1] is b and b.shape == () and a.args[0].shape == a.shape:
        return a.args[0]
    if a.op == "mul" and a.args[0] is b and b.shape == ():
        return a.args[1]
    if a.shape != () and b.shape == ():  # u / s -> (1/s) u
        return mk("mul", (mk("div", (1.0, b)), a))
    return None


def _neg(a):
    if a.op == "neg":
        return a.args[0]
    if is_const(a):
        return const(-a.attr("value"))
    if a.op == "mul" and is_const(a.args[0]):
        return mk("mul", (const(-a.args[0].attr("value")), a.args[1]))
    return None


def _transpose(a):
    op = a.op
    if op == "transpose":
        return a.args[0]
    if op == "matmul" and a.args[1].ndim == 2:
        return mk("matmul", (mk("transpose", (a.args[1],)), mk("transpose", (a.args[0],))))
    if op in ("add", "sub") and a.args[0].shape == a.args[1].shape:
        t = mk(op, (mk("transpose", (a.args[0],)), mk("transpose", (a.args[1],))))
        return t
    if op == "mul" and a.args[0].shape == ():
        return mk("mul", (a.args[0], mk("transpose", (a.args[1],))))
    if op == "neg":
        return mk("neg", (mk("transpose", (a.args[0],)),))
    if op == "outer":
        return mk("outer", (a.args[1], a.args[0]))
    if op in ("diag_embed", "eye"):
        return a
    if op == "ones":
        return node("ones", (), {"shape": (a.shape[1], a.shape[0])}, (a.shape[1], a.shape[0]))
    return None


def _matmul(a, b):
    if a.op == "eye":
        return b
    if b.op == "eye":
        return a
    sa, ra = _split_scalar(a)
    if sa is not None:
        return mk("mul", (sa, mk("matmul", (ra, b))))
    sb, rb = _split_scalar(b)
    if sb is not None:
        return mk("mul", (sb, mk("matmul", (a, rb))))
    if a.op == "neg":
        return mk("neg", (mk("matmul", (a.args[0], b)),))
    if b.op == "neg":
        return mk("neg", (mk("matmul", (a, b.args[0])),))
    if a.op == "outer" and b.ndim == 1:  # (u vᵀ) w -> ⟨v, w⟩ u
        return mk("mul", (mk("inner", (a.args[1], b)), a.args[0]))
    if a.op == "diag_embed" and b.op == "diag_embed":
        return mk("diag_embed", (mk("mul", (a.args[0], b.args[0])),))
    if a.op == "diag_embed" and b.ndim == 1:
        return mk("mul", (a.args[0], b))
    return None


def _inner(a, b):
    sa, ra = _split_scalar(a)
    if sa is not None:
        return mk("mul", (sa, mk("inner", (ra, b))))
    sb, rb = _split_scalar(b)
    if sb is not None:
        return mk("mul", (sb, mk("inner", (a, rb))))
    if a.op == "neg":
        return mk("neg", (mk("inner", (a.args[0], b)),))
    if b.op == "neg":
        return mk("neg", (mk("inner", (a, b.args[0])),))
    if a.shape == ():
        return mk("mul", (a, b))
    return None


def _outer(a, b):
    sa, ra = _split_scalar(a)
    if sa is not None:
        return mk("mul", (sa, mk("outer", (ra, b))))
    sb, rb = _split_scalar(b)
    if sb is not None:
        return mk("mul", (sb, mk("outer", (a, rb))))
    return None


def _reshape(a, shape=()):
    shape = tuple(shape)
    if a.shape == shape:
        return a
    if a.op == "reshape":
        return mk("reshape", (a.args[0],), {"shape": shape})
    return None


def _sum(a):
    if a.op == "broadcast":
        return None
    sa, ra = _split_scalar(a)
    if sa is not None:
        return mk("mul", (sa, mk("sum", (ra,))))
    return None


def _tr(a):
    sa, ra = _split_scalar(a)
    if sa is not None:
        return mk("mul", (sa, mk("tr", (ra,))))
    if a.op == "transpose":
        return mk("tr", (a.args[0],))
    return None


def _diag_part(a):
    if a.op == "diag_embed":
        return a.args[0]
    if a.op == "transpose":
        return mk("diag_part", (a.args[0],))
    return None


def _pow(a, b):
    if is_const(b, 1.0):
        return a
    if is_const(b, 0.0) and a.shape == ():
        return const(1.0)
    return None


_RULES = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "neg": _neg, "pow": _pow,
    "transpose": _transpose, "matmul": _matmul, "inner": _inner, "outer": _outer,
    "reshape": _reshape, "sum": _sum, "tr": _tr, "diag_part": _diag_part,
}
