"""Canonical forms: equivalent spellings of a function become one IR.

A user writes ``log(1 + exp(X*w))`` or ``softplus(X*w)``, ``ones(m)'*v`` or
``sum(v)``, ``x'*A'*A*x`` or ``norm2(A*x)^2``.  The parser keeps what was
written (its IR is the text's); the engines that interpret the IR (the
tape, finite differences, the symbolic engine) first map it through
:func:`canonical`, so the spelling decides neither the speed nor the
numerics: ``softplus`` is evaluated as ``logaddexp(0, z)`` and stays finite
where ``log(1 + exp(z))`` overflows, and its derivative is ``σ(z)``, not
``exp(z) / (1 + exp(z))`` (``inf / inf`` at ``z = 760``).

Every rewrite is an identity of real numbers (none assumes symmetry or a
domain), and applies to scalars, vectors and matrices alike:

* ``log(1 + exp(z))``, ``log1p(exp(z)) -> softplus(z)`` (either order of the sum);
* ``log(σ(z)) -> -softplus(-z)``, ``log(1 - σ(z)) -> -softplus(z)``;
* ``⟨a, softplus(-z)⟩ ± ⟨b, softplus(z)⟩ -> ⟨a ± b, softplus(z)⟩ - ⟨a, z⟩`` (as
  ``softplus(-z) = softplus(z) - z``), only when both softplus are on the same ``z``:
  one softplus per call, not two (the cross-entropy spelling of logistic regression,
  ``-y'*log(σ(Xw)) - (1-y)'*log(1-σ(Xw))``, is the catalogue's ``sum(softplus(Xw)) -
  y'Xw``, ``y + (1 - y)`` being 1); also for scalar ``a ⋅ softplus(±z)`` and ``sum``
  (``a`` = 1).  The error is then bounded by the terms' magnitudes (about 1e-16
  ``(Σ softplus(z) + |⟨a, z⟩|)``), as in the catalogue spelling, not by the result's;
* ``log(exp(z)) -> z``; ``log(sum(exp(z))) -> logsumexp(z)`` (finite where ``exp``
  overflows); ``logdet(Xᵀ) -> logdet(X)``, ``logdet(X⁻¹) -> -logdet(X)``;
* ``log(det(X)) -> logdet(X) + log(sign(det(X)))`` (the second term is 0, or NaN
  where ``det X < 0`` as ``log(det X)`` is, and has no derivative): its derivatives
  are ``logdet``'s, not the chain rule through ``det`` (90x slower Hessians);
* ``1 / (1 + exp(-z)) -> σ(z)``, ``exp(z) / (1 + exp(z)) -> σ(z)``;
* ``⟨1, v⟩ -> sum(v)``, ``1 ± v`` for an all-ones ``1 ± v`` (no all-ones array);
* ``sum(u ⊙ u)``, ``sum(u.^2)``, ``sum(square(u))``, ``norm2(u)^2``,
  ``norm2(u) norm2(u) -> ⟨u, u⟩`` (non-scalar ``u``); ``sum(u ⊙ v) -> ⟨u, v⟩``;
  ``sum(diag(M)) -> tr(M)``;
* ``⟨M, u vᵀ⟩ -> ⟨u, M v⟩`` (no outer product built); ``⟨u, Aᵀ v⟩ -> ⟨A u, v⟩``
  (vectors): the transpose moves off the product, so ``w'*X'*y`` is ``⟨X w, y⟩`` and
  shares ``X w`` with the rest of the function, and ``⟨x, Aᵀ (A x)⟩`` is
  ``⟨A x, A x⟩``; scalar factors taken out first: ``⟨s u, v⟩ -> s ⟨u, v⟩``;
* ``sqrt(⟨u, u⟩) -> norm2(u)``;
* products applied as a user would by hand: ``diag(d) v -> d ⊙ v``; ``diag(d) M``
  and ``M diag(d)`` are a scaling of M's rows or columns by ``spread(d)`` (never an
  m x m diagonal matrix: ``diag(y)*X*w`` cost the tape 43x ``y.*(X*w)``); ``I M -> M``;
  a chain times a vector is matrix-vector products, ``(A B) v -> A (B v)``,
  ``(diag(d) M) v -> d ⊙ (M v)``, ``(s A) v -> s (A v)``; transposes are pushed
  onto the leaves of a scaling (``(Xᵀ diag(d))ᵀ -> diag(d) X``, ``Aᵀᵀ -> A``,
  ``diag(d)ᵀ -> diag(d)``);
* signs and constants: ``(-A) B``, ``A (-B) -> -(A B)`` and ``(-u) ⊙ v -> -(u ⊙ v)``:
  the sign goes on the product, so ``-X*w`` is ``-(X*w)`` (shared with ``X*w``), not
  a negated copy of ``X`` and a second product; ``sum(-v) -> -sum(v)``,
  ``⟨-u, v⟩ -> -⟨u, v⟩``, ``-(-z) -> z``, ``-(u - v) -> v - u``, ``-1 v -> -v``;
  arithmetic on two constants folded (``1/2 -> 0.5``, when finite), constants in
  front and multiplied together (``(z/2)*2 -> z``), ``z / 2^k -> 2^-k z`` (exact),
  ``c / exp(z) -> c exp(-z)``.

The pass is one bottom-up walk (iterative, each shared node once), linear
in the size of the DAG.
"""
from __future__ import annotations

import math

from .ir import Node, const, node, topological
from .ops import TABLE, build


def canonical(root: Node) -> Node:
    """``root`` with every rewrite above applied, bottom-up."""
    done: dict[int, Node] = {}
    for n in topological(root):
        if not n.args:
            done[id(n)] = n
            continue
        args = tuple(done[id(a)] for a in n.args)
        if all(a is b for a, b in zip(args, n.args)):
            rebuilt = n
        elif n.op in TABLE:
            rebuilt = build(n.op, args, dict(n.attrs))
        else:  # a construct outside the op table (a loop): same node, new arguments
            rebuilt = node(n.op, args, n.attrs, n.shape)
        rule = RULES.get(rebuilt.op)
        out = rule(rebuilt) if rule is not None else None
        done[id(n)] = rebuilt if out is None else out
    return done[id(root)]


def canonical_root(fn) -> Node:
    """The canonical IR of a :class:`~diffbench.function.Function`, computed once."""
    cached = fn.cache.get("canonical-root")
    if cached is None:
        cached = fn.cache["canonical-root"] = canonical(fn.root)
    return cached


# ---------------------------------------------------------------- matchers

def _is_const(n: Node, value: float) -> bool:
    """``n`` is the constant ``value``, or that scalar broadcast to an array
    (the parser writes ``1 + v`` as ``broadcast(1) + v``)."""
    if n.op == "broadcast":
        n = n.args[0]
    return n.op == "const" and n.attr("value") == value


def _one_plus(n: Node, op: str) -> Node | None:
    """``t`` when ``n`` is ``1 + t`` or ``t + 1`` with ``t`` an ``op`` node of ``n``'s shape."""
    if n.op != "add":
        return None
    for one, other in (n.args, n.args[::-1]):
        if _is_const(one, 1.0) and other.op == op and other.shape == n.shape:
            return other
    return None


def _neg(z: Node) -> Node:
    return z.args[0] if z.op == "neg" else build("neg", (z,))


# ---------------------------------------------------------------- rules
# Each takes the node (arguments already canonical) and returns its
# replacement, or None to keep it.

def _log(n: Node) -> Node | None:
    (x,) = n.args
    e = _one_plus(x, "exp")
    if e is not None:  # log(1 + exp(z)) = softplus(z)
        return build("softplus", e.args)
    if x.op == "sigmoid":  # log σ(z) = -log(1 + exp(-z))
        return build("neg", (build("softplus", (_neg(x.args[0]),)),))
    if x.op == "sub" and _is_const(x.args[0], 1.0) and x.args[1].op == "sigmoid" and x.args[1].shape == x.shape:
        return build("neg", (build("softplus", x.args[1].args),))  # log(1 - σ(z)) = -softplus(z)
    if x.op == "exp":
        return x.args[0]
    if x.op == "sum" and x.args[0].op == "exp":  # log Σ e^z = logsumexp(z): finite where e^z overflows
        return build("logsumexp", x.args[0].args)
    if x.op == "det":  # log det X = log|det X| + log sign(det X): NaN where det X < 0, as written
        return build("add", (build("logdet", x.args), build("log", (build("sign", (x,)),))))
    return None


def _softplus_term(t: Node) -> tuple[int, Node | None, Node] | None:
    """``(sign, a, softplus(z))`` when ``t`` is ``±⟨a, softplus(z)⟩``, ``±a softplus(z)``
    (scalars), ``±sum(softplus(z))`` or ``±softplus(z)`` (``a`` None: all ones)."""
    sign = 1
    while t.op == "neg":
        sign, t = -sign, t.args[0]
    if t.op == "softplus" and t.shape == ():
        return sign, None, t
    if t.op == "sum" and t.args[0].op == "softplus" and not t.attrs:
        return sign, None, t.args[0]
    if t.op in ("inner", "mul") and t.shape == ():
        for a, p in (t.args, t.args[::-1]):
            if p.op == "softplus" and a.shape == p.shape:
                return sign, a, p
    return None


def _applied(a: Node | None, v: Node) -> Node:
    """``⟨a, v⟩`` in the term's own form: ``sum(v)`` for all ones, ``a v`` for scalars."""
    if a is None or (_is_const(a, 1.0) and a.shape in ((), v.shape)):
        return _rewritten("sum", (v,)) if v.shape != () else v
    if a.shape == () and v.shape != ():  # 2 ⟨1, v⟩ = 2 sum(v)
        return _rewritten("mul", (a, _rewritten("sum", (v,))))
    return _rewritten("inner" if v.shape != () else "mul", (a, v))


def _coefficient(a: Node | None, b: Node | None, sign: int) -> Node | None:
    """``a + b`` (``a - b`` for ``sign`` -1), all ones as None; ``a + (c - a)`` is ``c``."""
    if sign == 1 and a is not None and b is not None:
        for u, v in ((a, b), (b, a)):
            if v.op == "sub" and v.args[1] is u:  # y + (1 - y) = 1
                return v.args[0]
    one = const(1.0)
    return _rewritten("add" if sign == 1 else "sub", (one if a is None else a, one if b is None else b))


def _softplus_pair(n: Node) -> Node | None:
    """``s⟨a, softplus(-z)⟩ + t⟨b, softplus(z)⟩ = ⟨s a + t b, softplus(z)⟩ - s⟨a, z⟩``:
    one softplus of ``z`` where the spelling had two (``log σ(z)`` beside ``log(1 - σ(z))``)."""
    terms = [_softplus_term(x) for x in n.args]
    if None in terms or n.shape != ():
        return None
    (s, a, p), (t, b, q) = terms
    t = -t if n.op == "sub" else t
    if q.args[0].op == "neg" and q.args[0].args[0] is p.args[0]:  # softplus(-z) second
        (s, a, p), (t, b, q) = (t, b, q), (s, a, p)
    z = q.args[0]
    if p.args[0].op != "neg" or p.args[0].args[0] is not z:
        return None
    if s == t:  # s (⟨a + b, softplus(z)⟩ - ⟨a, z⟩)
        merged = _rewritten("sub", (_applied(_coefficient(a, b, 1), q), _applied(a, z)))
        return merged if s == 1 else _rewritten("neg", (merged,))
    if s == 1:  # ⟨a - b, softplus(z)⟩ - ⟨a, z⟩
        return _rewritten("sub", (_applied(_coefficient(a, b, -1), q), _applied(a, z)))
    return _rewritten("add", (_applied(_coefficient(b, a, -1), q), _applied(a, z)))  # ⟨b - a, sp⟩ + ⟨a, z⟩


def _logdet(n: Node) -> Node | None:
    (x,) = n.args
    if x.op == "transpose":  # det Xᵀ = det X
        return _rewritten("logdet", x.args)
    if x.op == "inv":  # log|det X⁻¹| = -log|det X|
        return build("neg", (_rewritten("logdet", x.args),))
    return None


def _log1p(n: Node) -> Node | None:
    (x,) = n.args
    return build("softplus", x.args) if x.op == "exp" else None  # log1p(e^z) = softplus(z)


def _div(n: Node) -> Node | None:
    top, bottom = n.args
    c = top.args[0] if top.op == "broadcast" else top
    if bottom.op == "exp" and c.op == "const" and bottom.shape == n.shape:  # c / e^z = c e^-z
        return _rewritten("mul", (c, build("exp", (_neg(bottom.args[0]),))))
    if bottom.op == "const" and _power_of_two(bottom.attr("value")):  # z / 2 = 0.5 z, exactly
        return _rewritten("mul", (const(1.0 / bottom.attr("value")), top))
    e = _one_plus(bottom, "exp")
    if e is None:
        return None
    if _is_const(top, 1.0) and e.args[0].op == "neg" and e.shape == n.shape:  # 1 / (1 + e^-z)
        return build("sigmoid", (e.args[0].args[0],))
    if top is e:  # e^z / (1 + e^z)
        return build("sigmoid", e.args)
    return None


def _power_of_two(c: float) -> bool:
    """``1/c`` is exact (and finite) for ``c = ±2^k``."""
    mantissa, _ = math.frexp(c) if math.isfinite(c) and c != 0 else (0.0, 0)
    return abs(mantissa) == 0.5 and math.isfinite(1.0 / c)


def _scaled(n: Node) -> tuple[Node | None, Node]:
    """``(s, u)`` when ``n`` is ``s u`` or ``u s`` with ``s`` scalar and ``u`` not."""
    if n.op == "mul" and n.shape != ():
        s, u = n.args
        if s.shape == () and u.shape == n.shape:
            return s, u
        if u.shape == () and s.shape == n.shape:
            return u, s
    return None, n


def _inner(n: Node) -> Node | None:
    a, b = n.args
    if a.op == b.op == "neg":  # ⟨-u, -v⟩ = ⟨u, v⟩
        return _rewritten("inner", (a.args[0], b.args[0]))
    for i, arg in enumerate((a, b)):  # ⟨-u, v⟩ = -⟨u, v⟩: the sign on the scalar
        if arg.op == "neg":
            rest = build("inner", (arg.args[0], b) if i == 0 else (a, arg.args[0]))
            return build("neg", (_inner(rest) or rest,))
    for i, arg in enumerate((a, b)):  # ⟨s u, v⟩ = s ⟨u, v⟩: the rules below see u
        s, u = _scaled(arg)
        if s is not None:
            rest = build("inner", (u, b) if i == 0 else (a, u))
            return build("mul", (s, _inner(rest) or rest))
    if a.op == "ones" and a.shape == b.shape:
        return _rewritten("sum", (b,))
    if b.op == "ones" and a.shape == b.shape:
        return _rewritten("sum", (a,))
    for m, o in ((a, b), (b, a)):  # ⟨M, u vᵀ⟩ = ⟨u, M v⟩: no outer product built
        if o.op == "outer" and m.ndim == 2:
            return _rewritten("inner", (o.args[0], _rewritten("matmul", (m, o.args[1]))))
    for u, m in ((a, b), (b, a)):  # ⟨u, Aᵀ v⟩ = ⟨A u, v⟩, so ⟨x, Aᵀ (A x)⟩ = ⟨A x, A x⟩
        if u.ndim == 1 and m.op == "matmul" and m.args[0].op == "transpose" and m.args[1].ndim == 1:
            return _rewritten("inner", (_rewritten("matmul", (m.args[0].args[0], u)), m.args[1]))
    return None


def _square_of(n: Node) -> Node | None:
    """``u`` when ``n`` is ``u ⊙ u``, ``u.^2`` or ``square(u)`` (non-scalar)."""
    if n.shape == ():
        return None
    if n.op == "mul" and n.args[0] is n.args[1]:
        return n.args[0]
    if n.op == "pow" and _is_const(n.args[1], 2.0) and n.args[0].shape == n.shape:
        return n.args[0]
    if n.op == "square":
        return n.args[0]
    return None


def _sum(n: Node) -> Node | None:
    (v,) = n.args
    if v.op == "neg":  # sum(-v) = -sum(v): the sign on the scalar
        return build("neg", (_rewritten("sum", v.args, dict(n.attrs)),))
    u = _square_of(v)
    if u is not None:
        return _rewritten("inner", (u, u))
    if v.op == "mul" and v.args[0].shape == v.args[1].shape == v.shape != ():  # sum(u ⊙ w) = ⟨u, w⟩
        return _rewritten("inner", v.args)
    if v.op == "diag_part":  # sum(diag(M)) = tr(M)
        return build("tr", v.args)
    return None


def _mul(n: Node) -> Node | None:
    """``(-u) ⊙ v``, ``u ⊙ (-v) -> -(u ⊙ v)``: the sign outside, as on products;
    ``-1 v -> -v``; ``‖u‖ ‖u‖ -> ⟨u, u⟩``."""
    a, b = n.args
    if a.op == "neg" or b.op == "neg":
        product = _rewritten("mul", (_neg(a) if a.op == "neg" else a, _neg(b) if b.op == "neg" else b))
        return product if a.op == b.op == "neg" else build("neg", (product,))
    if a.op == "const" and b.op == "mul" and b.args[0].op == "const":  # c (d v) = (c d) v
        return _rewritten("mul", (const(a.attr("value") * b.args[0].attr("value")), b.args[1]))
    if b.op == "const" and a.op != "const":  # v c = c v: the constant in front
        return _rewritten("mul", (b, a))
    if _is_const(a, 1.0) and b.shape == n.shape:
        return b
    if _is_const(a, -1.0) and b.shape == n.shape:
        return build("neg", (b,))
    if a is b and a.op == "norm2" and a.args[0].shape != ():
        return _rewritten("inner", (a.args[0], a.args[0]))
    return None


_ARITHMETIC = {"add": float.__add__, "sub": float.__sub__, "mul": float.__mul__, "div": float.__truediv__}


def _folded(n: Node) -> Node | None:
    """Arithmetic on two constants (``1/2``), done once here, not at every call; only
    a finite result (an overflow is left to the engines, which say so)."""
    a, b = n.args
    if a.op == b.op == "const" and not (n.op == "div" and b.attr("value") == 0.0):
        value = _ARITHMETIC[n.op](a.attr("value"), b.attr("value"))
        return const(value) if math.isfinite(value) else None
    return None


def _double_neg(n: Node) -> Node | None:
    (a,) = n.args
    if a.op == "const":  # -c, a constant
        return const(-a.attr("value"))
    if a.op == "sub" and a.args[0].shape == a.args[1].shape:  # -(u - v) = v - u
        return _rewritten("sub", a.args[::-1])
    return a.args[0] if a.op == "neg" else None


def _pow(n: Node) -> Node | None:
    base, exponent = n.args
    if base.op == "norm2" and _is_const(exponent, 2.0) and base.args[0].shape != ():
        u = base.args[0]
        return _rewritten("inner", (u, u))
    return None


def _sqrt(n: Node) -> Node | None:
    (x,) = n.args
    if x.op == "inner" and x.args[0] is x.args[1] and x.args[0].shape != ():
        return build("norm2", (x.args[0],))
    return None


def _ones_operand(n: Node) -> Node | None:
    """``ones ± v -> 1 ± v``: the scalar broadcasts, no all-ones array is built."""
    a, b = n.args
    if a.op == "ones" and b.shape == n.shape:
        return build(n.op, (const(1.0), b))
    if b.op == "ones" and a.shape == n.shape:
        return build(n.op, (a, const(1.0)))
    return None


def _rewritten(op: str, args: tuple, attrs: dict | None = None) -> Node:
    """``op(args)`` built, with its own rule applied: a rule that builds a new
    product hands it on in canonical form (``(-D) X`` becomes ``-(D X)``, and
    ``D X`` then a row scaling)."""
    built = build(op, args, attrs)
    rule = RULES.get(op)
    out = rule(built) if rule is not None else None
    return built if out is None else out


def _row_scaling(n: Node) -> tuple[Node | None, Node]:
    """``(d, M)`` when ``n`` is ``diag(d) M`` written as ``spread(d) ⊙ M`` (d down
    the rows); else ``(None, n)``."""
    if n.op == "mul" and n.ndim == 2:
        for s, m in (n.args, n.args[::-1]):
            if s.op == "spread" and s.attr("axis") == 1:
                return s.args[0], m
    return None, n


def _matmul(n: Node) -> Node | None:
    a, b = n.args
    if a.op == "neg" or b.op == "neg":
        product = _rewritten("matmul", (_neg(a) if a.op == "neg" else a, _neg(b) if b.op == "neg" else b))
        return product if a.op == b.op == "neg" else build("neg", (product,))
    if a.op == "eye":  # I M = M, M I = M: no identity built
        return b
    if b.op == "eye":
        return a
    if a.op == "diag_embed":  # diag(d) M: d down M's rows, never an m x m matrix
        d = a.args[0]
        if b.ndim == 1:
            return build("mul", (d, b))
        return build("mul", (build("spread", (d,), {"axis": 1, "shape": b.shape}), b))
    if b.op == "diag_embed":  # M diag(d): d along M's columns
        return build("mul", (a, build("spread", (b.args[0],), {"axis": 0, "shape": a.shape})))
    if b.ndim == 1:  # (A B) v = A (B v): matrix-vector products only
        s, m = _scaled(a)
        if s is not None:  # (s A) v = s (A v): the vector scaled, not the matrix
            return build("mul", (s, _rewritten("matmul", (m, b))))
        d, m = _row_scaling(a)
        if d is not None:  # (diag(d) M) v = d ⊙ (M v)
            return build("mul", (d, _rewritten("matmul", (m, b))))
        if a.op == "matmul":
            return _rewritten("matmul", (a.args[0], _rewritten("matmul", (a.args[1], b))))
    return None


def _transpose(n: Node) -> Node | None:
    """Transposes pushed onto the leaves of a scaling, so ``(Xᵀ diag(d))ᵀ w`` meets the
    row-scaling rule of :func:`_matmul` as ``(diag(d) X) w`` does."""
    (a,) = n.args
    if a.op == "transpose":  # Aᵀᵀ = A
        return a.args[0]
    if a.op == "diag_embed":  # diag(d)ᵀ = diag(d)
        return a
    if a.op in ("spread", "broadcast", "ones"):  # the same entries on the transposed shape
        attrs = dict(a.attrs, shape=a.shape[::-1])
        if a.op == "spread":  # d along the other axis
            attrs["axis"] = 1 - a.attr("axis")
        return build(a.op, a.args, attrs)
    if a.op in ("mul", "neg"):  # (A ⊙ B)ᵀ = Aᵀ ⊙ Bᵀ, (s A)ᵀ = s Aᵀ
        return build(a.op, tuple(x if x.ndim == 0 else _rewritten("transpose", (x,)) for x in a.args))
    return None


def _first(*rules):
    """The rule that tries ``rules`` in order and returns the first rewrite."""
    def rule(n: Node) -> Node | None:
        for r in rules:
            out = r(n)
            if out is not None:
                return out
        return None
    return rule


RULES = {"matmul": _matmul, "transpose": _transpose, "neg": _double_neg, "log": _log, "log1p": _log1p,
         "logdet": _logdet,
         "add": _first(_folded, _ones_operand, _softplus_pair), "sub": _first(_folded, _ones_operand, _softplus_pair),
         "mul": _first(_folded, _mul), "div": _first(_folded, _div), "inner": _inner,
         "sum": _sum, "pow": _pow, "sqrt": _sqrt}
