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
* ``log(exp(z)) -> z``;
* ``log(det(X)) -> logdet(X) + log(sign(det(X)))`` (the second term is 0, or NaN
  where ``det X < 0`` as ``log(det X)`` is, and has no derivative): its derivatives
  are ``logdet``'s, not the chain rule through ``det`` (90x slower Hessians);
* ``1 / (1 + exp(-z)) -> σ(z)``, ``exp(z) / (1 + exp(z)) -> σ(z)``;
* ``⟨1, v⟩ -> sum(v)``, ``1 ± v`` for an all-ones ``1 ± v`` (no all-ones array);
* ``sum(u ⊙ u)``, ``sum(u.^2)``, ``norm2(u)^2 -> ⟨u, u⟩`` (non-scalar ``u``);
* ``⟨x, Aᵀ (A x)⟩ -> ⟨A x, A x⟩`` (the product ``A x`` is then shared), scalar
  factors taken out first: ``⟨s u, v⟩ -> s ⟨u, v⟩``;
* ``sqrt(⟨u, u⟩) -> norm2(u)``;
* ``(-A) B``, ``A (-B) -> -(A B)``: the sign goes on the product, so ``-X*w`` is
  ``-(X*w)`` (shared with ``X*w``), not a negated copy of ``X`` and a second product;
  ``sum(-v) -> -sum(v)``, ``⟨-u, v⟩ -> -⟨u, v⟩``, ``-(-z) -> z``.

The pass is one bottom-up walk (iterative, each shared node once), linear
in the size of the DAG.
"""
from __future__ import annotations

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
    if x.op == "det":  # log det X = log|det X| + log sign(det X): NaN where det X < 0, as written
        return build("add", (build("logdet", x.args), build("log", (build("sign", (x,)),))))
    return None


def _log1p(n: Node) -> Node | None:
    (x,) = n.args
    return build("softplus", x.args) if x.op == "exp" else None  # log1p(e^z) = softplus(z)


def _div(n: Node) -> Node | None:
    top, bottom = n.args
    e = _one_plus(bottom, "exp")
    if e is None:
        return None
    if _is_const(top, 1.0) and e.args[0].op == "neg" and e.shape == n.shape:  # 1 / (1 + e^-z)
        return build("sigmoid", (e.args[0].args[0],))
    if top is e:  # e^z / (1 + e^z)
        return build("sigmoid", e.args)
    return None


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
        return build("sum", (b,))
    if b.op == "ones" and a.shape == b.shape:
        return build("sum", (a,))
    for u, m in ((a, b), (b, a)):  # ⟨x, Aᵀ (A x)⟩ = ⟨A x, A x⟩
        if (m.op == "matmul" and m.args[0].op == "transpose" and m.args[1].op == "matmul"
                and m.args[1].args[0] is m.args[0].args[0] and m.args[1].args[1] is u):
            return build("inner", (m.args[1], m.args[1]))
    return None


def _square_of(n: Node) -> Node | None:
    """``u`` when ``n`` is ``u ⊙ u`` or ``u.^2`` (non-scalar)."""
    if n.shape == ():
        return None
    if n.op == "mul" and n.args[0] is n.args[1]:
        return n.args[0]
    if n.op == "pow" and _is_const(n.args[1], 2.0) and n.args[0].shape == n.shape:
        return n.args[0]
    return None


def _sum(n: Node) -> Node | None:
    if n.args[0].op == "neg":  # sum(-v) = -sum(v): the sign on the scalar
        return build("neg", (build("sum", n.args[0].args, dict(n.attrs)),))
    u = _square_of(n.args[0])
    return build("inner", (u, u)) if u is not None else None


def _double_neg(n: Node) -> Node | None:
    return n.args[0].args[0] if n.args[0].op == "neg" else None


def _pow(n: Node) -> Node | None:
    base, exponent = n.args
    if base.op == "norm2" and _is_const(exponent, 2.0) and base.args[0].shape != ():
        u = base.args[0]
        return build("inner", (u, u))
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


def _matmul(n: Node) -> Node | None:
    a, b = n.args
    if a.op == "neg" or b.op == "neg":
        product = build("matmul", (_neg(a) if a.op == "neg" else a, _neg(b) if b.op == "neg" else b))
        return product if a.op == b.op == "neg" else build("neg", (product,))
    return None


RULES = {"matmul": _matmul, "neg": _double_neg, "add": _ones_operand, "sub": _ones_operand, "log": _log, "log1p": _log1p, "div": _div, "inner": _inner,
         "sum": _sum, "pow": _pow, "sqrt": _sqrt}
