"""Algebraic simplification of IR formulas: the rewrites a person would do.

:func:`make_node` is a *smart constructor*: it builds ``op(args)`` after applying
local rewrites, assuming the arguments are already simplified; the new
nodes a rewrite builds go through ``make_node`` again, so every node it returns
is in normal form.  :func:`simplify` maps a whole DAG through ``make_node``
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
* diagonals: ``diag(u) ± diag(v) -> diag(u ± v)`` (never a dense sum of diagonals);
  inner products ordered one way, ``⟨u, v⟩ = ⟨v, u⟩``;
* identities: ``I A -> A``, ``diag(v) I -> diag(v)``, ``(u vᵀ) w -> ⟨v, w⟩ u``;
* shape plumbing: ``reshape(x, shape(x)) -> x``, nested reshapes, and
  ``broadcast(s) ⊙ v -> s v``.
"""
from __future__ import annotations

from contextlib import contextmanager

import threading
import weakref
import zlib

from ..ir import Node, const, node, topological
from ..ops import TABLE, build
from .budget import check_time

_KEYS: "weakref.WeakKeyDictionary[Node, tuple]" = weakref.WeakKeyDictionary()


def order_key(n: Node) -> tuple:
    """A deterministic total order on formulas (smaller first, then by
    structure), used to write commutative operands one canonical way so
    that ``u ⊙ v`` and ``v ⊙ u`` are the same node."""
    key = _KEYS.get(n)
    if key is not None:  # the common case: sums and products ask again and again
        return key
    stack = [n]  # post-order over the nodes without a key yet, never into keyed ones
    while stack:
        m = stack[-1]
        missing = [a for a in m.args if a not in _KEYS]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        if m not in _KEYS:
            _KEYS[m] = _own_key(m)
    return _KEYS[n]


def _own_key(m: Node) -> tuple:
    """``m``'s key from its arguments' keys."""
    if m.op == "var":
        return (1, "v:" + m.attr("name"))
    if m.op == "const":
        return (1, f"c:{m.attr('value')!r}")
    size = 1 + sum(_KEYS[a][0] for a in m.args)
    text = m.op + repr(m.attrs) + "".join(_KEYS[a][1] for a in m.args)
    return (size, f"{zlib.crc32(text.encode()):08x}")


def _canonical(a: Node, b: Node) -> tuple[Node, Node]:
    return (b, a) if order_key(b) < order_key(a) else (a, b)


def _sum_key(n: Node) -> tuple:
    """Terms of a sum: constants first, then larger terms first (``w x + b``)."""
    size, text = order_key(n)
    return (not is_const(n), -size, text)


def is_const(n: Node, value: float | None = None) -> bool:
    return n.op == "const" and (value is None or n.attr("value") == value)


def is_scalar(n: Node) -> bool:
    return n.shape == ()


# make_node is a pure function of interned nodes; during one derivation its
# answers are kept (with their arguments, so no id is reused), because sums of
# adjoints re-simplify the same pairs of terms many times over (an unrolled
# RK4 took seconds per step without this).  Per thread: derivations may run
# side by side in one worker.
_LOCAL = threading.local()


@contextmanager
def memoized():
    """Remember make_node's answers until the outermost ``with`` ends."""
    outer = _memo()
    if outer is None:
        _LOCAL.memo = {"simplified": {}}
    try:
        yield
    finally:
        if outer is None:
            _LOCAL.memo = None


def _memo() -> "dict | None":
    return getattr(_LOCAL, "memo", None)


def make_node(op: str, args: tuple | list, attrs: dict | None = None) -> Node:
    """``op(args)`` simplified (arguments must already be simplified)."""
    args = tuple(a if isinstance(a, Node) else const(a) for a in args)
    memo = _memo()
    if memo is None:
        return _make_node(op, args, attrs)
    try:
        key = (op, tuple(map(id, args)), tuple(sorted(attrs.items())) if attrs else ())
        hash(key)
    except TypeError:  # an attribute that cannot be a key: no memo
        return _make_node(op, args, attrs)
    found = memo.get(key)
    if found is None:
        found = memo[key] = (_make_node(op, args, attrs), args)
    return found[0]


# linear in each argument: a zero argument makes the result zero (sum(x − x) = 0)
_ZERO_IN_ZERO_OUT = frozenset({"mul", "neg", "inner", "matmul", "outer", "sum", "tr", "transpose",
                               "diag_embed", "diag_part", "sum_axis"})


def _is_zero(n: Node) -> bool:
    return is_const(n, 0.0) or (n.op == "broadcast" and is_const(n.args[0], 0.0))


def _zero_like(n: Node) -> Node:
    return const(0.0) if n.shape == () else make_node("broadcast", (const(0.0),), {"shape": n.shape})


def _make_node(op: str, args: tuple, attrs: dict | None) -> Node:
    if op in _ZERO_IN_ZERO_OUT and any(map(_is_zero, args)):
        return _zero_like(_fold(op, args, attrs or {}))
    if op in TABLE and TABLE[op].broadcasts:
        args = _scalars_of(args)
    rule = _RULES.get(op)
    if rule is not None:
        out = rule(*args, **(attrs or {}))
        if out is not None:
            return out
    return _fold(op, args, attrs or {})


def _scalars_of(args: tuple) -> tuple:
    """``broadcast(s) + x`` as ``s + x``: the rules below reason about the scalar;
    building the node broadcasts it again (``Primitive.broadcasts``)."""
    if len(args) != 2 or args[0].shape != args[1].shape or args[0].shape == ():
        return args
    scalars = tuple(_scalar_behind(a) for a in args)
    if all(s is not None for s in scalars):
        return args
    return tuple(a if s is None else s for a, s in zip(args, scalars))


def _scalar_behind(n: Node) -> Node | None:
    """The scalar a broadcast node repeats (``ones`` repeats 1), else None."""
    if n.op == "broadcast":
        return n.args[0]
    if n.op == "ones":
        return const(1.0)
    return None


def _fold(op, args, attrs):
    prim = TABLE.get(op)
    if (prim is not None and prim.family == "elementwise" and args
            and all(is_const(a) for a in args)):
        return const(float(prim.impl(*[a.attr("value") for a in args])))
    if op in TABLE:
        return build(op, args, attrs)
    return node(op, args, attrs, attrs.get("_shape", ()))


def _unsimplified_first(roots: list[Node], known: dict) -> list[Node]:
    """``topological(roots)``, but nodes in ``known`` (already simplified in
    this derivation) are not entered: each sum of adjoints would otherwise
    walk the whole formula built so far again."""
    order: list[Node] = []
    seen: set[int] = set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        n, expanded = stack.pop()
        if id(n) in seen:
            continue
        if expanded or id(n) in known or not n.args:
            seen.add(id(n))
            order.append(n)
            continue
        stack.append((n, True))
        stack.extend((a, False) for a in reversed(n.args) if id(a) not in seen)
    return order


def simplify(roots):
    """Simplify a node or a list/dict of nodes; shared nodes are visited once."""
    single = isinstance(roots, Node)
    items = [roots] if single else (list(roots.values()) if isinstance(roots, dict) else list(roots))
    items_nodes = [r for r in items if r is not None]
    done: dict[int, Node] = {}
    memo = _memo()
    known = memo["simplified"] if memo is not None else {}
    for n in _unsimplified_first(items_nodes, known):
        check_time("simplification")
        if id(n) in known:
            done[id(n)] = known[id(n)][0]
            continue
        if not n.args:
            done[id(n)] = n
            continue
        attrs = dict(n.attrs)
        if n.op not in TABLE:
            attrs["_shape"] = n.shape
            done[id(n)] = node(n.op, tuple(done[id(a)] for a in n.args), n.attrs, n.shape)
            continue
        done[id(n)] = make_node(n.op, [done[id(a)] for a in n.args], attrs)
        if memo is not None:  # both the node and its simplified form are done
            known[id(n)] = (done[id(n)], n)
            known[id(done[id(n)])] = (done[id(n)], done[id(n)])
    mapped = [done[id(r)] if r is not None else None for r in items]
    if single:
        return mapped[0]
    if isinstance(roots, dict):
        return dict(zip(roots.keys(), mapped))
    return mapped


# ------------------------------------------------------------------ rules
# Each returns the rewritten node, or None to build the node as it is.

# Sums longer than this are left as they are built: flattening reads a shared
# sub-sum once per use, so the adjoints of an unrolled loop (RK4 steps, LSTM
# cells) would expand into exponentially many terms, each pair tried.
MAX_SUM_TERMS = 24


class _LongSum(Exception):
    pass


def _terms(n, sign, out):
    stack = [(n, sign)]
    while stack:
        n, sign = stack.pop()
        if n.op in ("add", "sub") and n.args[0].shape == n.args[1].shape == n.shape:
            stack.append((n.args[1], sign if n.op == "add" else -sign))
            stack.append((n.args[0], sign))
        elif n.op == "neg":
            stack.append((n.args[0], -sign))
        else:
            out.append([sign, n])
            if len(out) > MAX_SUM_TERMS:
                raise _LongSum
    return out


def _combine_sum(a, b, negate_b):
    """A sum of three or more terms, like terms combined, positive terms first."""
    try:
        terms = _terms(a, 1, [])
        terms += _terms(b, -1 if negate_b else 1, [])
    except _LongSum:
        return None
    if len(terms) < 3 or len(terms) > MAX_SUM_TERMS:
        return None
    merged = True
    while merged:
        merged = False
        for i in range(len(terms)):
            for j in range(i + 1, len(terms)):
                (si, ti), (sj, tj) = terms[i], terms[j]
                combined = _pair_rule("add" if si == sj else "sub", ti, tj)
                # (a result that is not a sum cannot be the pair itself)
                if combined is not None and combined.op not in ("add", "sub", "neg"):
                    terms[i] = [si, combined]
                    del terms[j]
                    merged = True
                    break
            if merged:
                break
    terms.sort(key=lambda st: (st[0] < 0, _sum_key(st[1])))
    sign, out = terms[0]
    if sign < 0:
        out = make_node("neg", (out,))
    for sign, t in terms[1:]:
        out = build("add" if sign > 0 else "sub", (out, t))
    return out


def _pair_rule(op: str, a: Node, b: Node) -> "Node | None":
    """The add/sub rule on two terms of a sum (remembered as make_node is:
    successive sums of adjoints try the same pairs again)."""
    memo = _memo()
    if memo is None:
        return _RULES[op](a, b)
    key = ("pair", op, id(a), id(b))
    found = memo.get(key)
    if found is None:
        found = memo[key] = (_RULES[op](a, b), a, b)
    return found[0]


def _add(a, b):
    ones = _ones_beside_a_scalar("add", a, b)
    if ones is not None:
        return ones
    if a.shape == b.shape and ("add" in (a.op, b.op) or "sub" in (a.op, b.op)):
        combined = _combine_sum(a, b, False)
        if combined is not None:
            return combined
    if is_const(a, 0.0):
        return b if b.shape == _bshape(a, b) else None
    if is_const(b, 0.0):
        return a if a.shape == _bshape(a, b) else None
    if a is b:
        return make_node("mul", (2.0, a))
    if b.op == "neg":
        return make_node("sub", (a, b.args[0]))
    if a.op == "neg":
        return make_node("sub", (b, a.args[0]))
    # s u + s v -> s (u + v)  and  s u + u -> (s + 1) u
    sa, ra = _split_scalar(a)
    sb, rb = _split_scalar(b)
    if ra is rb and (sa is not None or sb is not None) and ra.shape == _bshape(a, b):
        return make_node("mul", (make_node("add", (sa or const(1.0), sb or const(1.0))), ra))
    if sa is not None and sa is sb and ra.shape == rb.shape:
        return make_node("mul", (sa, make_node("add", (ra, rb))))
    if a.op == "matmul" and b.op == "matmul" and a.shape == b.shape:
        if a.args[1] is b.args[1] and a.args[0].shape == b.args[0].shape:
            return make_node("matmul", (make_node("add", (a.args[0], b.args[0])), a.args[1]))
        if a.args[0] is b.args[0] and a.args[1].shape == b.args[1].shape:
            return make_node("matmul", (a.args[0], make_node("add", (a.args[1], b.args[1]))))
    if a.op == "diag_embed" and b.op == "diag_embed":  # diag(u) + diag(v) = diag(u + v): no dense sum
        return make_node("diag_embed", (make_node("add", (a.args[0], b.args[0])),))
    if a.op == "transpose" and a.args[0] is b:  # Aᵀ + A reads A + Aᵀ
        return build("add", (b, a))
    if a.shape == b.shape:
        common = _common_factor(a, b)
        if common is not None:
            s, ra, rb = common
            return make_node("mul", (s, make_node("add", (ra, rb))))
        if _negative(a) and not _negative(b):  # -u + v reads v - u
            return make_node("sub", (b, make_node("neg", (a,))))
    if not _negative(a) and not _negative(b) and a.op not in ("add", "sub") and b.op not in ("add", "sub") \
            and a.shape == b.shape and not (b.op == "transpose" and b.args[0] is a):
        if _sum_key(b) < _sum_key(a):
            return build("add", (b, a))
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
        out = make_node("mul", (out, f))
    return out


def _common_factor(a, b):
    """``c p u + d p v -> p (c u + d v)``: a shared scalar factor ``p`` of two terms."""
    if a.shape == ():
        return None
    ca, fa, ra = _scalar_parts(a)
    cb, fb, rb = _scalar_parts(b)
    shared, pool = [], list(fb)
    for f in fa:  # multiset intersection
        if f in pool:
            pool.remove(f)
            shared.append(f)
    g = 1.0
    if ca != cb and ca and cb and abs(ca) != 1.0 and abs(cb) != 1.0:
        small, big = sorted((abs(ca), abs(cb)))
        if (big / small).is_integer():
            g = small
    if not shared and g == 1.0:
        return None
    rest_a, rest_b = list(fa), pool
    for f in shared:
        rest_a.remove(f)
    return (_product(g, shared), make_node("mul", (_product(ca / g, rest_a), ra)),
            make_node("mul", (_product(cb / g, rest_b), rb)))


def _ones_beside_a_scalar(op: str, a: Node, b: Node) -> Node | None:
    """``c ± 𝟏`` is ``(c ± 1)`` broadcast: ``1 − 𝟏`` (the gradient of sum(x − x)) is 0."""
    ones = a if a.op == "ones" else b if b.op == "ones" else None
    if ones is None or (a.shape, b.shape).count(()) != 1:
        return None
    scalar = make_node(op, tuple(const(1.0) if n is ones else n for n in (a, b)))
    return make_node("broadcast", (scalar,), {"shape": ones.shape})


def _sub(a, b):
    ones = _ones_beside_a_scalar("sub", a, b)
    if ones is not None:
        return ones
    if a.shape == b.shape and ("add" in (a.op, b.op) or "sub" in (a.op, b.op)):
        combined = _combine_sum(a, b, True)
        if combined is not None:
            return combined
    if is_const(b, 0.0) and a.shape == _bshape(a, b):
        return a
    if is_const(a, 0.0) and b.shape == _bshape(a, b):
        return make_node("neg", (b,))
    if a is b:  # x − x: zero, broadcast to x's shape (sum(x − x) is 0, not sum(𝟏 − 𝟏))
        return _zero_like(a)
    if b.op == "neg":
        return make_node("add", (a, b.args[0]))
    if a.op == "diag_embed" and b.op == "diag_embed":  # diag(u) - diag(v) = diag(u - v)
        return make_node("diag_embed", (make_node("sub", (a.args[0], b.args[0])),))
    if a.op == "neg" and a.shape == b.shape:  # -p - q -> -(p + q)
        return make_node("neg", (make_node("add", (a.args[0], b)),))
    if a.op == "matmul" and b.op == "matmul" and a.shape == b.shape:
        if a.args[1] is b.args[1] and a.args[0].shape == b.args[0].shape:
            return make_node("matmul", (make_node("sub", (a.args[0], b.args[0])), a.args[1]))
        if a.args[0] is b.args[0] and a.args[1].shape == b.args[1].shape:
            return make_node("matmul", (a.args[0], make_node("sub", (a.args[1], b.args[1]))))
    sa, ra = _split_scalar(a)
    sb, rb = _split_scalar(b)
    if sa is not None and sa is sb and ra.shape == rb.shape:
        return make_node("mul", (sa, make_node("sub", (ra, rb))))
    return None


def _bshape(a, b):
    return a.shape if a.shape != () else b.shape


def _split_scalar(n):
    """``s x`` with ``s`` scalar and ``x`` not: ``(s, x)``; else ``(None, n)``."""
    if n.op == "mul" and n.args[0].shape == () and n.args[1].shape != ():
        return n.args[0], n.args[1]
    return None, n


def _scalar_factors(n, out):
    """Factors of a scalar product; ``p / c`` counts as ``(1/c) p``."""
    if n.op == "mul" and n.shape == () and n.args[0].shape == () and n.args[1].shape == ():
        _scalar_factors(n.args[0], out)
        _scalar_factors(n.args[1], out)
    elif n.op == "div" and n.shape == () and is_const(n.args[1]) and n.args[1].attr("value") != 0:
        out.append(const(1.0 / n.args[1].attr("value")))
        _scalar_factors(n.args[0], out)
    else:
        out.append(n)
    return out


def _mul(a, b):
    """``a * b``: scalars to the front, then constants folded, identities, and
    the rewrites of a scalar times anything or of an element-wise product."""
    if a.shape != () and b.shape == ():
        return make_node("mul", (b, a))  # scalars to the front
    tail = (_scale,) if a.shape == () else (_spread_factor, _hadamard)
    for rewrite in (_fold_constants, _mul_identity, _merge_powers) + tail:
        out = rewrite(a, b)
        if out is not None:
            return out
    return None


def _two_formulas(a: Node, b: Node) -> bool:
    return a.shape == () and b.shape == () and not is_const(a) and not is_const(b)


def _power_of(n: Node) -> tuple:
    """``s^p`` as ``(s, p)``; any other scalar as ``(s, 1)``."""
    if n.op == "pow" and is_const(n.args[1]):
        return n.args[0], n.args[1].attr("value")
    return n, 1.0


def _merge_powers(a, b):
    """A product of scalar formulas as one monomial: the factors flattened, the
    powers of one base added (``‖X‖² ‖X‖ -> ‖X‖³``, ``ln x · x^y · ln x -> (ln x)² x^y``)
    and the bases in one canonical order (``s t`` and ``t s`` are one node)."""
    if not _two_formulas(a, b):
        return None
    factors = _formula_factors(a, []) + _formula_factors(b, [])
    if any(is_const(f) for f in factors):
        return None  # _fold_constants puts the constant in front first
    exponents: dict[int, list] = {}
    for f in factors:
        base, p = _power_of(f)
        exponents.setdefault(id(base), [base, 0.0])[1] += p
    bases = sorted(exponents.values(), key=lambda be: order_key(be[0]))
    if len(bases) == len(factors) and [id(b) for b, _ in bases] == [id(_power_of(f)[0]) for f in factors]:
        return None  # already one monomial in canonical order
    out = None
    for base, p in bases:
        term = base if p == 1.0 else make_node("pow", (base, p))
        out = term if out is None else make_node("mul", (out, term))
    return out


def _formula_factors(n: Node, out: list) -> list:
    if n.op == "mul" and n.shape == () and n.args[0].shape == () and n.args[1].shape == ():
        _formula_factors(n.args[0], out)
        _formula_factors(n.args[1], out)
    else:
        out.append(n)
    return out


def _fold_constants(a, b):
    """A product of scalars with two constants or more: one constant in front."""
    if a.shape != () or b.shape != ():
        return None
    factors = _scalar_factors(a, _scalar_factors(b, []))
    consts = [f for f in factors if is_const(f)]
    if not (len(consts) >= 2 or (consts and len(factors) > 2 and not is_const(a))):
        return None
    c = 1.0
    for f in consts:
        c *= f.attr("value")
    rest = [f for f in factors if not is_const(f)]
    if c == 0.0:
        return const(0.0)
    out = rest[0] if rest else const(c)
    for f in rest[1:]:
        out = make_node("mul", (out, f))
    return make_node("mul", (const(c), out)) if rest and c != 1.0 else out


def _mul_identity(a, b):
    """1 x, -1 x, 0 s, negations, all-ones and broadcast factors."""
    if is_const(a, 1.0) and b.shape == _bshape(a, b):
        return b
    if is_const(b, 1.0) and a.shape == _bshape(a, b):
        return a
    if is_const(a, -1.0):
        return make_node("neg", (b,))
    if is_const(a, 0.0) and b.shape == ():
        return const(0.0)
    if a.op == "neg":
        return make_node("neg", (make_node("mul", (a.args[0], b)),))
    if b.op == "neg":
        return make_node("neg", (make_node("mul", (a, b.args[0])),))
    if a.op == "ones" and a.shape == b.shape:
        return b
    if b.op == "ones" and a.shape == b.shape:
        return a
    if a.op == "broadcast" and a.shape == b.shape:
        return make_node("mul", (a.args[0], b))
    if b.op == "broadcast" and a.shape == b.shape:
        return make_node("mul", (b.args[0], a))
    return None


def _spread_factor(a, b):
    """A vector spread over a matrix times it is a scaling by a diagonal:
    ``spread(d; rows) ⊙ M -> diag(d) M``, ``spread(d; columns) ⊙ M -> M diag(d)``,
    the form the Jacobian rules and the code generator read as a broadcast."""
    if a.ndim != 2 or a.shape != b.shape:
        return None
    for s, m in ((a, b), (b, a)):
        if s.op == "spread" and s.args[0].ndim == 1:
            d = make_node("diag_embed", s.args)
            return make_node("matmul", (d, m) if s.attr("axis") == 1 else (m, d))
    return None


def _scale(a, b):
    """A scalar ``a`` times ``b``: scalings merged, divisions cancelled, ``a a`` as ``a^2``."""
    if is_const(a) and b.op == "mul" and is_const(b.args[0]):
        return make_node("mul", (const(a.attr("value") * b.args[0].attr("value")), b.args[1]))
    if b.op == "mul" and b.args[0].shape == () and b.shape != ():
        return make_node("mul", (make_node("mul", (a, b.args[0])), b.args[1]))
    if b.op == "div" and b.args[1] is a:  # a (x / a) -> x
        return b.args[0]
    if b.shape == () and b.op == "div" and is_const(b.args[0], 1.0):
        return make_node("div", (a, b.args[1]))
    if a.op == "div" and is_const(a.args[0], 1.0) and b.shape == ():
        return make_node("div", (b, a.args[1]))
    if b.shape == () and is_const(b) and not is_const(a):
        return build("mul", (b, a))
    if a is b and not is_const(a):
        return make_node("pow", (a, 2.0))
    return None


def _hadamard(a, b):
    """An element-wise product: scalar factors pulled out, the factors in canonical order."""
    sa, ra = _split_scalar(a)
    sb, rb = _split_scalar(b)
    if sa is not None or sb is not None:  # (s u) ⊙ v -> s (u ⊙ v)
        s = sa if sb is None else (sb if sa is None else make_node("mul", (sa, sb)))
        return make_node("mul", (s, make_node("mul", (ra, rb))))
    if a.shape == b.shape:
        first, second = _canonical(a, b)
        if first is not a:
            return build("mul", (first, second))
    return None


def _div(a, b):
    if is_const(b, 1.0):
        return a
    if a.op == "exp" and a.ndim == 1 and b.op == "sum" and b.args[0] is a:
        return make_node("softmax", a.args, {"axis": 0})  # e^z / Σ e^z, the named function
    if a.op == "exp" and b.op == "add" and is_const(b.args[0], 1.0) and b.args[1] is a:
        return make_node("sigmoid", a.args)  # e^u / (1 + e^u) = σ(u)
    if a is b and a.shape == () and not is_const(a):  # 0/0 is NaN, not 1
        return const(1.0)
    if _two_formulas(a, b) and _power_of(a)[0] is _power_of(b)[0]:  # s^p / s^q -> s^(p-q)
        return make_node("pow", (_power_of(a)[0], _power_of(a)[1] - _power_of(b)[1]))
    if a.op == "neg":
        return make_node("neg", (make_node("div", (a.args[0], b)),))
    if a.op == "div" and a.shape == () and b.shape == ():  # (p / q) / r -> p / (q r)
        return make_node("div", (a.args[0], make_node("mul", (a.args[1], b))))
    if a.op == "mul" and a.args[1] is b and b.shape == () and a.args[0].shape == a.shape:
        return a.args[0]
    if a.op == "mul" and a.args[0] is b and b.shape == ():
        return a.args[1]
    if a.shape != () and b.shape == ():  # u / s -> (1/s) u
        return make_node("mul", (make_node("div", (1.0, b)), a))
    return None


def _neg(a):
    if a.op == "neg":
        return a.args[0]
    if a.op == "div" and is_const(a.args[0]):  # −(c / x) -> (−c) / x
        return make_node("div", (const(-a.args[0].attr("value")), a.args[1]))
    if a.op == "sub" and a.args[0].shape == a.args[1].shape:
        return make_node("sub", (a.args[1], a.args[0]))
    if is_const(a):
        return const(-a.attr("value"))
    if a.op == "mul" and is_const(a.args[0]):
        return make_node("mul", (const(-a.args[0].attr("value")), a.args[1]))
    return None


def _symmetric(n: Node) -> bool:
    """Is the matrix ``n`` symmetric by its form: X + Xᵀ, u uᵀ, P Pᵀ, Pᵀ P,
    diagonals, I, square ones, and inverses, scalings and sums of such."""
    if n.ndim != 2:
        return False
    op, a = n.op, n.args
    if op in ("eye", "diag_embed"):
        return True
    if op == "ones" or (op == "broadcast" and a[0].shape == ()):  # a broadcast vector is not
        return n.shape[0] == n.shape[1]
    if op == "outer":
        return a[0] is a[1]
    if op == "matmul":
        return a[1].op == "transpose" and a[1].args[0] is a[0] or a[0].op == "transpose" and a[0].args[0] is a[1]
    if op == "add":
        mirrored = a[1].op == "transpose" and a[1].args[0] is a[0] or a[0].op == "transpose" and a[0].args[0] is a[1]
        return mirrored or (_symmetric(a[0]) and _symmetric(a[1]))
    if op == "sub":
        return _symmetric(a[0]) and _symmetric(a[1])
    if op == "mul":
        return a[0].shape == () and _symmetric(a[1])
    if op in ("inv", "neg"):
        return _symmetric(a[0])
    return False


def _transpose(a):
    op = a.op
    if op == "transpose":
        return a.args[0]
    if _symmetric(a):  # (X + Xᵀ)⁻ᵀ is (X + Xᵀ)⁻¹
        return a
    if op == "matmul" and a.args[1].ndim == 2:
        return make_node("matmul", (make_node("transpose", (a.args[1],)), make_node("transpose", (a.args[0],))))
    if op in ("add", "sub") and a.args[0].shape == a.args[1].shape:
        t = make_node(op, (make_node("transpose", (a.args[0],)), make_node("transpose", (a.args[1],))))
        return t
    if op == "mul" and a.args[0].shape == ():
        return make_node("mul", (a.args[0], make_node("transpose", (a.args[1],))))
    if op == "neg":
        return make_node("neg", (make_node("transpose", (a.args[0],)),))
    if op == "outer":
        return make_node("outer", (a.args[1], a.args[0]))
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
        return make_node("mul", (sa, make_node("matmul", (ra, b))))
    sb, rb = _split_scalar(b)
    if sb is not None:
        return make_node("mul", (sb, make_node("matmul", (a, rb))))
    if a.op == "neg":
        return make_node("neg", (make_node("matmul", (a.args[0], b)),))
    if b.op == "neg":
        return make_node("neg", (make_node("matmul", (a, b.args[0])),))
    if a.op == "outer" and b.ndim == 1:  # (u vᵀ) w -> ⟨v, w⟩ u
        return make_node("mul", (make_node("inner", (a.args[1], b)), a.args[0]))
    if a.op == "diag_embed" and b.op == "diag_embed":
        return make_node("diag_embed", (make_node("mul", (a.args[0], b.args[0])),))
    if a.op == "diag_embed" and b.ndim == 1:
        return make_node("mul", (a.args[0], b))
    if a.op == "diag_embed":
        return _diag_times(a, b)
    if a.op == "ones" and b.op == "ones":  # 𝟏𝟏ᵀ 𝟏 = k 𝟏, k the inner dimension (an entry count)
        inner_count = make_node("sum", (build("ones", (), {"shape": (a.shape[-1],)}),))
        ones = build("ones", (), {"shape": a.shape[:-1] + b.shape[1:]})
        return make_node("mul", (inner_count, ones))
    return None


def _diag_times(a, b):
    """``diag(u) (p vᵀ) -> (u ⊙ p) vᵀ``, and ``diag(u) (I − p vᵀ) -> diag(u) − (u ⊙ p) vᵀ``,
    so softmax's Jacobian reads as the lectures write it: ``diag(s) − s sᵀ``."""
    if b.op == "outer":
        return make_node("outer", (make_node("mul", (a.args[0], b.args[0])), b.args[1]))
    if b.op in ("add", "sub") and b.args[0].op == "eye" and b.args[1].op == "outer":
        return make_node(b.op, (a, make_node("matmul", (a, b.args[1]))))
    return None


def _inner(a, b):
    sa, ra = _split_scalar(a)
    if sa is not None:
        return make_node("mul", (sa, make_node("inner", (ra, b))))
    sb, rb = _split_scalar(b)
    if sb is not None:
        return make_node("mul", (sb, make_node("inner", (a, rb))))
    if a.op == "neg":
        return make_node("neg", (make_node("inner", (a.args[0], b)),))
    if b.op == "neg":
        return make_node("neg", (make_node("inner", (a, b.args[0])),))
    if a.shape == ():
        return make_node("mul", (a, b))
    first, second = _canonical(a, b)  # ⟨u, v⟩ = ⟨v, u⟩: one way, whichever was written
    if first is not a:
        return build("inner", (first, second))
    return None


def _outer(a, b):
    sa, ra = _split_scalar(a)
    if sa is not None:
        return make_node("mul", (sa, make_node("outer", (ra, b))))
    sb, rb = _split_scalar(b)
    if sb is not None:
        return make_node("mul", (sb, make_node("outer", (a, rb))))
    return None


def _reshape(a, shape=()):
    shape = tuple(shape)
    if a.shape == shape:
        return a
    if a.op == "reshape":
        return make_node("reshape", (a.args[0],), {"shape": shape})
    return None


def _sum_of(a):
    """sum(s * A) -> s * sum(A) for a scalar factor s."""
    if a.op == "broadcast":
        return None
    sa, ra = _split_scalar(a)
    if sa is not None:
        return make_node("mul", (sa, make_node("sum", (ra,))))
    return None


def _tr(a):
    sa, ra = _split_scalar(a)
    if sa is not None:
        return make_node("mul", (sa, make_node("tr", (ra,))))
    if a.op == "transpose":
        return make_node("tr", (a.args[0],))
    return None


def _diag_embed(a):
    if a.op == "ones":
        return build("eye", (), {"shape": (a.shape[0], a.shape[0])})
    if a.op == "broadcast":  # diag(s 1) = s I
        return make_node("mul", (a.args[0], build("eye", (), {"shape": (a.shape[0], a.shape[0])})))
    return None


def _broadcast(a, shape=()):
    if is_const(a, 1.0):
        return build("ones", (), {"shape": tuple(shape)})
    return None


def _diag_part(a):
    if a.op == "diag_embed":
        return a.args[0]
    if a.op == "transpose":
        return make_node("diag_part", (a.args[0],))
    return None


def _solve(a, b):
    """``solve(Aᵀ, I) -> solve(A, I)ᵀ``: one inverse, shared by both (a gradient
    through ``solve`` reads A⁻ᵀ, its Hessian A⁻¹ too)."""
    if b.op == "eye" and a.op == "transpose":
        return make_node("transpose", (make_node("solve", (a.args[0], b)),))
    return None


def _pow(a, b):
    if is_const(b, 1.0):
        return a
    if is_const(b, 2.0) and a.op == "sqrt":  # √u² = u wherever √u is real
        return a.args[0]
    if is_const(b, 0.0) and a.shape == ():
        return const(1.0)
    return None


def _sum_axis(a, axis=0):
    if a.ndim == 1:
        return make_node("sum", (a,))  # a vector's one axis: its sum
    if a.op == "einsum":  # summed inside the product: the unsummed tensor is never built
        ins, out = a.attr("spec").split("->")
        spec = f"{ins}->{out[:axis]}{out[axis + 1:]}"
        return node("einsum", a.args, {"spec": spec}, a.shape[:axis] + a.shape[axis + 1:])
    return None


def _spread(a, axis=0, shape=()):
    return make_node("broadcast", (a,), {"shape": tuple(shape)}) if a.ndim == 0 else None


def _take(a, index=(), shape=None):
    """Rows of an identity (the Jacobian of a slice of a variable) as the rows
    they are, placed into zeros: the whole n x n identity is never built."""
    if a.op != "eye" or len(index) != 1 or index[0][0] == "all":
        return None
    n = a.shape[0]
    if index[0][0] == "at":  # e_k
        return make_node("put", (const(1.0),), {"index": tuple(index), "shape": (n,)})
    rows = TABLE["take"].shape(a.shape, index=index)[0][0]
    block = make_node("put", (build("eye", (), {"shape": (rows, rows)}),), {"index": tuple(index), "shape": (n, rows)})
    return make_node("transpose", (block,))


_RULES = {
    "sum_axis": _sum_axis, "spread": _spread, "take": _take,
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "neg": _neg, "pow": _pow,
    "transpose": _transpose, "matmul": _matmul, "inner": _inner, "outer": _outer,
    "reshape": _reshape, "sum": _sum_of, "tr": _tr, "diag_part": _diag_part,
    "diag_embed": _diag_embed, "broadcast": _broadcast, "solve": _solve,
}
