"""NumPy source from IR formulas: one temporary per shared DAG node.

The generated module defines one function per quantity (``value``,
``gradient``, ``hessian``, ``jacobian``); each takes the inputs dict and
computes every node it needs exactly once, in topological order.  The
source is produced from diffbench's own IR only (user text never reaches
``exec``), is size-independent (dims are read off the inputs), and can be
shown to the user.

Patterns that matter for speed:

* ``diag(d) M -> d[:, None] * M`` and ``M diag(d) -> M * d``: a diagonal
  matrix is never formed, so ``Xᵀ diag(d) X`` runs as ``(X.T * d) @ X``;
* transposes are views (``A.T``) inlined where used, so BLAS sees the
  transposed operand without a copy;
* products are ``@`` (BLAS), element-wise work is broadcasting, rank-3/4
  coefficients are one ``np.einsum`` with a contraction-order optimiser, or, for
  an outer product, with its operands laid out in the output's order (``_einsum``);
* a matrix that is a linear combination of an identity, outer products and
  dense matrices (``2e (I - 2 x xᵀ)``, ``c a aᵀ``, ``S / q - g gᵀ``) is a
  :class:`_Plan`: scalars are gathered per term and put on a vector
  (``_outer(c * u, v)``: einsum's loop where it is faster), the result is built in one fresh array
  and the other terms are added in place, the identity as an in-place add on
  the diagonal (``t.flat[::n + 1] += α``) -- never a dense ``np.eye``.  In-place
  updates only touch arrays this function created and nothing else reads
  (:meth:`_Emitter.owned`), never an input or a shared temporary;
* a scalar times a product is pushed onto a vector operand of the product
  (``s (Xᵀ diag(d) X) -> (X.T * (s d)) @ X``) when nothing else reads it.

The generated code expects floating-point inputs (every engine supplies
float64): an integer array would make an in-place update raise a casting
error, never give a truncated result.
"""
from __future__ import annotations

import keyword
import re

import numpy as np

from ..dims import is_compound
from ..ir import Node, const, node
from ..ops import TABLE, build
from .simplify import make_node

_BINOP = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
# ops whose generated expression always returns a new array (not a view of an
# argument, not an input): their temporaries may be updated in place
_FRESH = {"add", "sub", "mul", "div", "pow", "neg", "matmul", "outer", "eye", "ones", "broadcast",
          "exp", "log", "sin", "cos", "tanh", "sqrt", "inv", "sigmoid", "softplus", "diag_embed",
          "tan", "arcsin", "arccos", "arctan", "log1p", "expm1", "square", "abs", "sign", "max", "min"}
# element-wise ops that may write into a dying argument's buffer, as ufuncs
_INPLACE = {"add": "np.add", "sub": "np.subtract", "mul": "np.multiply", "div": "np.divide",
            "pow": "np.power", "neg": "np.negative", "exp": "np.exp", "log": "np.log", "sin": "np.sin",
            "cos": "np.cos", "tanh": "np.tanh", "sqrt": "np.sqrt"}
# ops whose result never shares its argument's buffer (anything else may be a view of it,
# e.g. a transpose, reshape, slice or diagonal, so its argument is never overwritten)
_COPYING = _FRESH | {"sum", "inner", "tr", "det", "logdet", "norm2", "logsumexp", "diag_part"}
# ops a _Plan looks through (the rest are dense terms)
_LINEAR = ("add", "sub", "neg", "mul", "outer", "eye", "diag_embed")


class _Plan:
    """A matrix ``Σ ±u vᵀ + Σ ±M + Σ ±𝟏 wᵀ + Σ ±w 𝟏ᵀ + diag(α)``, α a scalar or a vector
    (scalars already folded into ``u``, ``M``, ``w`` and ``α``).  An outer product with an
    all-ones vector is a *spread*: ``w`` repeated down the rows (``"row"``) or along the
    columns (``"col"``), added by broadcasting, so no ``𝟏 wᵀ`` array is ever built."""

    __slots__ = ("alpha", "outers", "dense", "spreads", "deps")

    def __init__(self, alpha, outers, dense, spreads=()):
        self.alpha = alpha      # scalar node or None
        self.outers = outers    # [(sign, u, v)]
        self.dense = dense      # [(sign, M)]
        self.spreads = list(spreads)  # [(sign, w, "row" | "col")]
        self.deps = ([n for _, u, v in outers for n in (u, v)] + [m for _, m in dense]
                     + [w for _, w, _ in self.spreads])
        if alpha is not None:
            self.deps.append(alpha)


# Functions NumPy lacks, written into every module that uses one, so the
# printed source runs on its own.  Each is stable where the naive formula is
# not: σ(z) never forms exp of a large positive number (at z = -40 it is
# 4.2e-18, not 0, and log σ(z) stays -40); logsumexp subtracts the maximum;
# logdet is log|det X| (the one definition every engine follows, see docs/ops.md).
HELPERS = {
    "sigmoid": ("import math",
                "",
                "def _sigmoid(z):",
                "    # a scalar: plain floats, a fraction of the array path's cost (and of np.ndim's)",
                "    if type(z) is float or type(z) is np.float64 or np.ndim(z) == 0:",
                "        z = float(z)",
                "        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))",
                "    e = np.exp(-np.abs(z))",
                "    return np.where(np.greater_equal(z, 0), 1.0, e) / (1.0 + e)"),
    "math": ("import math",),
    "softplus": ("import math",
                 "",
                 "def _softplus(z):",
                 "    # a scalar: max(z, 0) + log1p(e^-|z|), NumPy's logaddexp(0, z) in plain floats",
                 "    z = float(z)",
                 "    return (z if z > 0 else 0.0) + math.log1p(math.exp(-abs(z)))"),
    "logsumexp": ("def _logsumexp(a):",
                  "    top = np.max(a)",
                  "    return top + np.log(np.sum(np.exp(a - top))) if np.isfinite(top) else top"),
    "logdet": ("def _logdet(a):",
               "    return np.linalg.slogdet(a)[1]"),
    "softmax": ("def _softmax(a, axis):",
                "    e = np.subtract(a, np.max(a, axis=axis, keepdims=True), dtype=float)",
                "    np.exp(e, out=e)  # in place, as the division: e is fresh",
                "    e /= np.sum(e, axis=axis, keepdims=True)",
                "    return e"),
    "adj": ("def _adj(a):",
            "    # det(a) inv(a) when well conditioned, else from the SVD (a may be singular)",
            "    if a.shape[-1] == 1:",
            "        return np.ones_like(a, dtype=float)",
            "    try:",
            "        inverse = np.linalg.inv(a)",
            "        if np.max(np.abs(a)) * np.max(np.abs(inverse)) < 1e8:",
            "            return np.linalg.det(a) * inverse",
            "    except np.linalg.LinAlgError:",
            "        pass",
            "    u, s, vt = np.linalg.svd(a)",
            "    before = np.concatenate(([1.0], np.cumprod(s[:-1])))",
            "    after = np.concatenate((np.cumprod(s[::-1][:-1])[::-1], [1.0]))",
            "    return np.linalg.det(u) * np.linalg.det(vt) * ((vt.T * (before * after)) @ u.T)"),
    "norm2": ("def _norm2(a):",
              "    if type(a) is float or type(a) is np.float64 or not np.ndim(a):",
              "        return np.abs(a)",
              "    squares = np.vdot(a, a)  # rescaled when it leaves the float range",
              "    if 1e-280 < squares < 1e280:",
              "        return np.sqrt(squares)",
              "    top = np.max(np.abs(a))",
              "    if top == 0 or not np.isfinite(top):",
              "        return np.sqrt(squares)",
              "    return top * np.sqrt(np.vdot(a / top, a / top))"),
    "outer": ("def _outer(u, v):",
              "    # u vᵀ: einsum's loop writes it at 0.35-0.55 ns an entry, np.multiply.outer's at",
              "    # 0.6-1.1 (n = 500-2000, one core); but einsum zero-fills the result and adds into",
              "    # it, a second pass that costs more once the result is past the cache (n ~ 2500),",
              "    # and its set-up costs more than a small product",
              "    if 4096 <= u.size * v.size <= 1 << 22:",
              "        return np.einsum('i,j->ij', u, v)",
              "    return np.multiply.outer(u, v)"),
    # the einsum runners: importing them keeps one copy of their blocking logic
    "_einsum": ("from diffbench.symbolic.codegen import _einsum",),
    "_einsum_into": ("from diffbench.symbolic.codegen import _einsum_into",),
    # any other primitive: its NumPy evaluation from the op table
    "_impl": ("from diffbench.ops import TABLE as _TABLE",
              "_impl = {name: prim.impl for name, prim in _TABLE.items()}"),
}


def _number(value: float) -> str:
    """A float literal; inf and nan (constants that folded to them) as NumPy names;
    a negative one in parentheses, since ``**`` binds tighter than unary minus."""
    value = float(value)
    if np.isnan(value):
        return "np.nan"
    if np.isinf(value):
        return "np.inf" if value > 0 else "(-np.inf)"
    return f"({value!r})" if value < 0 else repr(value)  # (-2.0) ** a, never -(2.0 ** a)


def _ident(prefix: str, name: str) -> str:
    base = re.sub(r"\W", "_", str(name))
    out = f"{prefix}{base}"
    return out + "_" if keyword.iskeyword(out) else out


class _Emitter:
    def __init__(self, var_shapes: dict[str, tuple]):
        self.var_shapes = var_shapes
        self.names: dict[int, str] = {}
        self.lines: list[str] = []
        self.count = 0
        self.used_vars: set[str] = set()
        self.used_dims: set[str] = set()
        self.uses: dict[int, int] = {}     # edges into each node of the formulas (and +1 per output)
        self.refs: dict[int, int] = {}     # the same, in the code actually emitted
        self.plans: dict[int, _Plan | Node | None] = {}
        self.viewed: set[int] = set()        # nodes some view (transpose, reshape) reads
        self.remaining: dict[int, int] = {}  # readers not emitted yet
        self.plans_named: set[int] = set()   # nodes emitted as a plan (their name may be shared)
        self.names_held: dict[str, int] = {}  # how many nodes go by each name
        self.helpers: set[str] = set()  # functions the module must define (HELPERS)

    def count_uses(self, roots: list[Node]) -> None:
        seen: set[int] = set()
        stack = list(roots)
        for r in roots:
            self.uses[id(r)] = self.uses.get(id(r), 0) + 1
        while stack:
            cur = stack.pop()
            if id(cur) in seen:
                continue
            seen.add(id(cur))
            for a in cur.args:
                self.uses[id(a)] = self.uses.get(id(a), 0) + 1
                stack.append(a)

    # what an expression reads: diag(d) operands of a product read d, transposes read their argument
    def deps(self, n: Node) -> list[Node]:
        plan = self.plan(n)
        if isinstance(plan, _Plan):
            return plan.deps
        if plan is not None:  # an equivalent node, e.g. a scalar pushed into a product
            return [plan]
        if n.op == "matmul":
            return [a.args[0] if a.op == "diag_embed" else a for a in n.args]
        term = self.fused_einsum(n)
        if term is not None:  # the einsum term is never formed whole: its operands are read
            return [_other(n, term)] + list(_without_identities(term)[1])
        if n.op == "einsum":
            return list(_without_identities(n)[1])
        if n.op in _BINOP and any(a.op != "broadcast" and a.shape == n.shape for a in n.args):
            # a broadcast scalar is left to NumPy's broadcasting, as long as an
            # operand of full shape is left to carry the result's shape
            return [a.args[0] if a.op == "broadcast" else a for a in n.args]
        return list(n.args)

    def fused_einsum(self, n: Node) -> Node | None:
        """For a sum ``a ± einsum(...)`` of rank-3/4 tensors whose einsum term nothing else
        reads, that term: it is accumulated into ``a`` a block at a time (``_einsum_into``),
        so a sum of einsum terms holds one full tensor, not two."""
        if n.op not in ("add", "sub") or n.ndim < 3:
            return None
        a, b = n.args
        # a + einsum, a - einsum, and einsum + a (a sum is accumulated either way round)
        for term, other in ((b, a), (a, b)) if n.op == "add" else ((b, a),):
            if (term.op == "einsum" and len(term.args) > 1 and other.shape == term.shape == n.shape
                    and self.uses.get(id(term), 0) == 1):
                return term
        return None

    # ---------------------------------------------------------------- plans
    def plan(self, n: Node):
        """A :class:`_Plan` for ``n``, a replacement node, or None (emit ``n`` as it is)."""
        if id(n) not in self.plans:
            if n.ndim == 2 and n.op in _LINEAR:
                self.plans[id(n)] = self._make_plan(n)
            elif n.op == "matmul" and n.args[1].ndim == 1 and self._sum_read_once(n.args[0]):
                self.plans[id(n)] = self._distributed(n.args[0], n.args[1])
            elif n.op == "solve" and n.args[1].op != "eye" and n.args[1].ndim <= 2:
                self.plans[id(n)] = self._by_the_inverse(n)
            elif n.op == "tr" and self._product_read_once(n.args[0]):
                # tr(A B) = Σ A_ij B_ji: n² multiplications, not the n³ product
                self.plans[id(n)] = node("einsum", n.args[0].args, {"spec": "ij,ji->"}, ())
            else:
                self.plans[id(n)] = None
        return self.plans[id(n)]

    def _by_the_inverse(self, n: Node) -> Node | None:
        """``solve(A, B)`` as ``A⁻¹ B`` when this function computes ``A⁻¹ = solve(A, I)``
        anyway (``solve(Aᵀ, B)`` as ``A⁻ᵀ B``): one factorisation of A, not one per
        solve, as a closed form written by hand has it (the gradient of
        ``tr(solve(X, A))`` factorised X twice, 1.5-2x the hand-written one)."""
        a, b = n.args
        m = a.args[0] if a.op == "transpose" else a
        inverse = build("solve", (m, build("eye", (), {"shape": (m.shape[0], m.shape[0])})))
        if id(inverse) not in self.uses:
            return None
        return build("matmul", (build("transpose", (inverse,)) if a.op == "transpose" else inverse, b))

    def _product_read_once(self, m: Node) -> bool:
        """A product of two plain matrices that nothing but this node reads (a diagonal
        or identity operand stays with the product, which applies it as a scaling)."""
        return (m.op == "matmul" and self.uses.get(id(m), 0) == 1
                and all(a.ndim == 2 and a.op not in ("diag_embed", "eye", "ones", "broadcast") for a in m.args))

    def _sum_read_once(self, m: Node) -> bool:
        return m.op in ("add", "sub") and m.args[0].shape == m.args[1].shape and self.uses.get(id(m), 0) == 1

    def _distributed(self, m: Node, v: Node) -> Node:
        """``(A ± B) v -> A v ± B v`` (through scalings and negations nothing else reads):
        a sum of matrices that only this product reads is never built, since for a vector
        ``v`` the sum costs as much as the product it would save (the gradient of
        ``x'*A*x`` is ``A x + Aᵀ x``, no ``A + Aᵀ`` per call)."""
        if self._sum_read_once(m):
            return build(m.op, tuple(self._distributed(a, v) for a in m.args))
        if m.op == "neg" and self.uses.get(id(m), 0) == 1:
            return build("neg", (self._distributed(m.args[0], v),))
        if m.op == "mul" and m.args[0].shape == () and self.uses.get(id(m), 0) == 1:
            return build("mul", (m.args[0], self._distributed(m.args[1], v)))
        if m.op == "eye":  # the terms of a plan, applied without being built
            return v
        if m.op == "diag_embed":
            return build("mul", (m.args[0], v))
        if m.op == "outer":
            return build("mul", (build("inner", (m.args[1], v)), m.args[0]))
        if m.op in ("broadcast", "ones"):  # c 𝟏𝟏ᵀ v = (c Σv) 𝟏: no filled matrix
            total = build("sum", (v,))
            scaled = total if m.op == "ones" else build("mul", (m.args[0], total))
            return build("broadcast", (scaled,), {"shape": m.shape[:1]})
        return build("matmul", (m, v))

    def _terms(self, n: Node, c: float, factors: tuple, out: list, top: bool = False) -> None:
        """``n`` scaled by ``c ∏ factors`` as terms ``(kind, c, factors, payload)``; a
        sub-formula is looked through only when nothing else reads it."""
        if n.op == "eye":
            out.append(("eye", c, factors, None))
            return
        if n.op == "diag_embed" and n.args[0].ndim == 1:
            out.append(("diag", c, factors, n.args[0]))
            return
        if top or self.uses.get(id(n), 0) == 1:
            a = n.args
            if n.op in ("add", "sub") and a[0].shape == a[1].shape == n.shape:
                self._terms(a[0], c, factors, out)
                self._terms(a[1], c if n.op == "add" else -c, factors, out)
                return
            if n.op == "neg":
                self._terms(a[0], -c, factors, out)
                return
            if n.op == "mul" and len(a) == 2 and {a[0].shape, a[1].shape} == {(), n.shape}:
                s, m = (a[0], a[1]) if a[0].shape == () else (a[1], a[0])
                if s.op == "const":
                    self._terms(m, c * s.attr("value"), factors, out)
                else:
                    self._terms(m, c, factors + (s,), out)
                return
            if n.op == "outer":
                out.append(("outer", c, factors, (a[0], a[1])))
                return
        out.append(("dense", c, factors, n))

    @staticmethod
    def _scalar(c: float, factors: tuple) -> Node:
        out = None
        for f in factors:
            out = f if out is None else make_node("mul", (out, f))
        if out is None:
            return const(c)
        return out if c == 1.0 else make_node("mul", (const(c), out))

    def _push(self, s: Node, m: Node) -> Node | None:
        """``s m`` with the scalar on a vector operand of the product ``m`` (read by nothing
        else), e.g. ``s (Xᵀ diag(d) X) -> Xᵀ diag(s d) X``; None if there is no such operand."""
        if m.op != "matmul" or self.uses.get(id(m), 0) != 1:
            return None
        for i, a in enumerate(m.args):
            if a.op == "diag_embed":
                new = build("diag_embed", (make_node("mul", (s, a.args[0])),))
            elif a.ndim == 1:
                new = make_node("mul", (s, a))
            elif a.op == "matmul":
                new = self._push(s, a)
            else:
                new = None
            if new is not None:
                args = list(m.args)
                args[i] = new
                return build("matmul", tuple(args))
        return None

    def _scaled(self, c: float, factors: tuple, m: Node) -> Node:
        """The node ``c ∏ factors m``, the scalar pushed onto a vector of a product if it can be."""
        if c == 1.0 and not factors:
            return m
        if c == -1.0 and not factors:
            return make_node("neg", (m,))
        s = self._scalar(c, factors)
        pushed = self._push(s, m) if m.ndim == 2 else None
        return pushed if pushed is not None else make_node("mul", (s, m))

    def _make_plan(self, n: Node):
        terms: list = []
        self._terms(n, 1.0, (), terms, top=True)
        kinds = [t[0] for t in terms]
        if not {"eye", "diag", "outer"} & set(kinds):
            if len(terms) == 1 and n.op == "mul":  # s M: the scalar onto a vector of the product
                _, c, factors, m = terms[0]
                if c == 1.0 and factors:
                    return self._push(self._scalar(1.0, factors), m)
            return None
        if len(terms) == 1 and terms[0][1] == 1.0 and not terms[0][2]:
            return None  # a plain I, diag(d) or u vᵀ
        # the array starts from an outer product if there is one, else from a dense term;
        # that first term takes its sign (and scalar) along, the others are added in place
        # an outer product with 𝟏 is broadcast onto a term that has the full shape, if one does
        spread = [k == "outer" and "ones" in (t[3][0].op, t[3][1].op) for k, t in zip(kinds, terms)]
        if all(spread[i] or k not in ("outer", "dense") for i, k in enumerate(kinds)):
            spread = [False] * len(terms)
        starts = ([i for i, k in enumerate(kinds) if k == "outer" and not spread[i]]
                  or [i for i, k in enumerate(kinds) if k == "dense"])
        # the first term takes a sign along, unless a positive spread can start the sum (w 𝟏ᵀ - M)
        lead = (bool(starts) and kinds[starts[0]] == "dense"
                and any(spread[i] and terms[i][1] > 0 for i in range(len(terms))))
        first = next((i for i in starts if terms[i][1] > 0), None if lead else starts[0] if starts else None)
        alpha, outers, dense, spreads = None, [], [], []
        for i, (kind, c, factors, payload) in enumerate(terms):
            sign = 1 if (c > 0 or i == first or kind in ("eye", "diag")) else -1
            if kind in ("eye", "diag"):
                add = self._scalar(c, factors) if kind == "eye" else self._scaled(c, factors, payload)
                alpha = add if alpha is None else make_node("add", (alpha, add))
            elif spread[i]:
                u, v = payload
                w, where = (v, "row") if u.op == "ones" else (u, "col")
                if c * sign != 1.0 or factors:
                    w = make_node("mul", (self._scalar(c * sign, factors), w))
                spreads.append((sign, w, where))
            elif kind == "outer":
                u, v = payload
                if c * sign != 1.0 or factors:  # scale the vector, not the matrix
                    u = make_node("mul", (self._scalar(c * sign, factors), u))
                outers.insert(0 if i == first else len(outers), (sign, u, v))
            else:
                m = self._scaled(c * sign, factors, payload)
                if m is n:  # (cannot happen for a sum with an I, diag or outer term; be safe)
                    return None
                dense.insert(0 if i == first else len(dense), (sign, m))
        return _Plan(alpha, outers, dense, spreads)

    def owned(self, m: Node) -> bool:
        """May the code update ``m``'s temporary in place? Only a fresh array read once."""
        if m.op not in _FRESH or self.refs.get(id(m), 0) != 1 or id(m) not in self.names:
            return False
        plan = self.plans.get(id(m))
        return plan is None or isinstance(plan, _Plan) or self.owned(plan)

    def order(self, roots: list[Node]) -> list[Node]:
        out, seen = [], set()
        for root in roots:
            if id(root) in seen:
                continue
            seen.add(id(root))
            stack = [(root, 0)]
            while stack:
                cur, i = stack[-1]
                # arguments of lower rank first: a vector or scalar read off a matrix is taken
                # before a same-sized consumer may overwrite that matrix in place
                ds = sorted(self.deps(cur), key=lambda d: d.ndim)
                if i < len(ds):
                    stack[-1] = (cur, i + 1)
                    if id(ds[i]) not in seen:
                        seen.add(id(ds[i]))
                        stack.append((ds[i], 0))
                else:
                    stack.pop()
                    out.append(cur)
        return out

    def dim(self, d) -> str:
        if isinstance(d, int):
            return str(d)
        if is_compound(d):  # n+m, m*n: the same arithmetic over the parts' sizes
            # (a function of dims, min(m,n), stays Python's own)
            return "(" + re.sub(r"\b[A-Za-z_]\w*\b(?!\s*\()", lambda m: self.dim(m.group()), d) + ")"
        self.used_dims.add(d)
        return _ident("_n_", d)

    def shape(self, shape) -> str:
        parts = [self.dim(d) for d in shape]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    def ref(self, n: Node) -> str:
        if n.op == "const":
            return _number(n.attr("value"))
        if n.op == "var":
            self.used_vars.add(n.attr("name"))
            return _ident("v_", n.attr("name"))
        if n.op == "transpose":
            return f"{self.ref(n.args[0])}.T"
        return self.names[id(n)]

    def expr(self, n: Node) -> str:
        op, args = n.op, n.args
        r = [self.ref(a) for a in self.deps(n)] if op != "transpose" else []
        if op == "matmul":
            a, b = args
            if a.op == "diag_embed":
                return f"{r[0]}[:, None] * {r[1]}" if b.ndim == 2 else f"{r[0]} * {r[1]}"
            if b.op == "diag_embed":
                return f"{r[0]} * {r[1]}"
            return f"{r[0]} @ {r[1]}"
        if op in _BINOP:
            return f"{r[0]} {_BINOP[op]} {r[1]}"
        if op == "neg":
            return f"-{r[0]}"
        if op == "inner":
            if args[0].ndim == 1:  # BLAS's dot either way; np.vdot skips matmul's dispatch (~0.2 us)
                return f"np.vdot({r[0]}, {r[1]})"
            return f"np.sum({r[0]} * {r[1]})" if args[0].ndim else f"{r[0]} * {r[1]}"
        if op == "eye":
            return f"np.eye({self.dim(n.shape[0])})"
        if op == "ones":
            return f"np.ones({self.shape(n.shape)})"
        if op == "reshape":
            return f"np.reshape({r[0]}, {self.shape(n.shape)})"
        if op == "broadcast":
            return f"np.full({self.shape(n.shape)}, {r[0]})"
        if op == "diag_part":  # a copy (N entries), not NumPy's view that would pin the N x N matrix
            return f"np.diagonal({r[0]}).copy()"
        if op == "einsum":
            spec, _ = _without_identities(n)
            if spec != n.attr("spec"):  # an identity factor: the term lands on a diagonal of zeros
                self.helpers.add("_einsum_into")
                return f"_einsum_into(np.zeros({self.shape(n.shape)}), 1.0, {spec!r}, {', '.join(r)})"
            self.helpers.add("_einsum")
            return f"_einsum({spec!r}, {', '.join(r)})"
        if op == "exp" and n.ndim == 0 and r[0].isidentifier():
            # a scalar: math.exp (a fifth of np.exp's cost on one number) below where it would
            # raise OverflowError; from there, and at NaN, np.exp's inf and NaN
            self.helpers.add("math")
            return f"(math.exp({r[0]}) if {r[0]} < 709.0 else np.exp({r[0]}))"
        if op == "softplus":
            if n.ndim == 0:  # a scalar: plain floats (HELPERS), a third of the ufunc's cost
                self.helpers.add("softplus")
                return f"_softplus({r[0]})"
            return f"np.logaddexp(0.0, {r[0]})"
        if op == "relu":
            return f"np.maximum({r[0]}, 0.0)"
        if op == "step":
            return f"np.greater({r[0]}, 0.0) * 1.0"
        if op in HELPERS:
            self.helpers.add(op)
            extra = "".join(f", {key}={value!r}" for key, value in n.attrs if key != "shape")
            return f"_{op}({', '.join(r)}{extra})"
        if op in TABLE and TABLE[op].numpy:  # the record's NumPy spelling
            return f"np.{TABLE[op].numpy}({', '.join(r)})"
        if op in TABLE and TABLE[op].impl is not None:
            self.helpers.add("_impl")
            # attributes are diffbench's own (ints and tuples of them): repr is their source
            extra = "".join(f", {key}={value!r}" for key, value in n.attrs if key != "shape")
            if TABLE[op].needs_shape:
                extra += f", shape={self.shape(n.shape)}"
            return f"_impl[{op!r}]({', '.join(r)}{extra})"
        raise ValueError(f"codegen: no code for {op!r}")

    def count_refs(self, ordered: list[Node], roots: list[Node]) -> None:
        for n in roots:
            self.refs[id(n)] = self.refs.get(id(n), 0) + 1
        for n in ordered:
            for a in self.deps(n):
                self.refs[id(a)] = self.refs.get(id(a), 0) + 1
                if n.op not in _COPYING and not (n.op == "einsum" and len(n.args) > 1):  # maybe a view
                    # of its argument's buffer, read later, unseen: that argument is never overwritten
                    self.viewed.add(id(a))
        self.remaining = dict(self.refs)

    def inplace_target(self, n: Node) -> Node | None:
        """An argument of the element-wise ``n`` whose buffer ``n`` may overwrite."""
        if n.ndim < 2 or n.op not in _INPLACE:
            return None
        # only what n's code reads: a broadcast operand left to NumPy (its scalar is
        # read) is no target, even if its full array exists for another reader
        return next((a for a in self.deps(n) if self.overwritable(a, n)), None)

    def overwritable(self, a: Node, n: Node) -> bool:
        """May ``n`` write into ``a``'s buffer?  Only a fresh temporary of ``n``'s shape
        that ``n`` reads last (called after :meth:`read`: no reader is left) and that is
        no output, no view's base and no other node's name."""
        fresh = a.op in _FRESH or (a.op == "einsum" and len(a.args) > 1)  # one operand: maybe a view
        return (a.shape == n.shape and fresh and id(a) in self.names
                and self.remaining.get(id(a), 0) == 0 and id(a) not in self.viewed
                and self.names_held[self.names[id(a)]] == 1)

    def read(self, n: Node) -> None:
        """``n`` is emitted: its arguments have one reader fewer to wait for."""
        for a in self.deps(n):
            self.remaining[id(a)] = self.remaining.get(id(a), 0) - 1

    def new_name(self) -> str:
        name = f"t{self.count}"
        self.count += 1
        return name

    def emit(self, n: Node) -> None:
        if n.op in ("const", "var", "transpose") or id(n) in self.names:
            return
        plan = self.plan(n)
        self.read(n)
        if isinstance(plan, _Plan):
            self._name(n, self.emit_plan(n, plan))
            self.plans_named.add(id(n))
            return
        if plan is not None:
            self._name(n, self.names[id(plan)])
            return
        name = self.new_name()
        term = self.fused_einsum(n)
        if term is not None:
            a = _other(n, term)
            start = self.ref(a) if self.overwritable(a, n) else f"np.array({self.ref(a)}, dtype=float)"
            spec, args = _without_identities(term)
            operands = ", ".join(self.ref(x) for x in args)
            sign = 1.0 if n.op == "add" else -1.0
            self.helpers.add("_einsum_into")
            self.lines.append(f"    {name} = _einsum_into({start}, {sign}, {spec!r}, {operands})")
            self._name(n, name)
            return
        target = self.inplace_target(n)
        if target is not None:  # the result lands in a dying temporary: no new buffer
            self.lines.append(f"    {name} = {self.inplace(n, target)}")
        else:
            self.lines.append(f"    {name} = {self.expr(n)}")
        self._name(n, name)

    def _name(self, n: Node, name: str) -> None:
        self.names[id(n)] = name
        self.names_held[name] = self.names_held.get(name, 0) + 1

    def inplace(self, n: Node, target: Node) -> str:
        """``np.<ufunc>(args, out=target)``; the float guard keeps an integer
        temporary (integer inputs) from a casting error: it then gets a new array."""
        out = self.ref(target)
        args = ", ".join(self.ref(a) for a in self.deps(n))  # a broadcast scalar stays a scalar
        if n.op == "neg":
            return f"np.negative({args}, out={out})"
        return f"{_INPLACE[n.op]}({args}, out={out} if {out}.dtype.kind == 'f' else None)"

    def emit_plan(self, n: Node, plan: _Plan) -> str:
        """One fresh array (or an owned temporary) and in-place updates; returns its name."""
        outers, dense, spreads = list(plan.outers), list(plan.dense), list(plan.spreads)
        lines = []
        plus = [i for i, (sign, _, _) in enumerate(spreads) if sign > 0]
        if not outers and plus and dense and all(sign < 0 for sign, _ in dense):
            # w 𝟏ᵀ - M in one pass: into M's buffer if M is a dying temporary, else a fresh array
            _, m = dense.pop(0)
            _, w, where = spreads.pop(plus[0])
            if self.owned(m):
                name = self.ref(m)
                lines.append(f"{name} = np.subtract({self._spread_ref(w, where)}, {name}, out={name})")
            else:
                name = self.new_name()
                lines.append(f"{name} = np.subtract({self._spread_ref(w, where)}, {self.ref(m)}, dtype=float)")
        elif outers:
            _, u, v = outers.pop(0)
            name = self.new_name()
            self.helpers.add("outer")
            lines.append(f"{name} = _outer({self.ref(u)}, {self.ref(v)})")
        else:
            mine = [i for i, (sign, m) in enumerate(dense) if sign > 0 and self.owned(m)]
            if mine:
                name = self.ref(dense.pop(mine[0])[1])
            elif dense:
                name = self.new_name()
                sign, m = dense.pop(0)
                if sign > 0 and dense:
                    sign2, m2 = dense.pop(0)
                    # dtype=float: the sums below land in this array, so it must not be an int array
                    op = "add" if sign2 > 0 else "subtract"
                    lines.append(f"{name} = np.{op}({self.ref(m)}, {self.ref(m2)}, dtype=float)")
                else:
                    lines.append(f"{name} = {'-' if sign < 0 else ''}np.array({self.ref(m)}, dtype=float)")
            else:
                name = self.new_name()
                lines.append(f"{name} = np.zeros({self.shape(n.shape)})")
        for sign, u, v in outers:
            self.helpers.add("outer")
            lines.append(f"{name} {'+' if sign > 0 else '-'}= _outer({self.ref(u)}, {self.ref(v)})")
        for sign, m in dense:
            lines.append(f"{name} {'+' if sign > 0 else '-'}= {self.ref(m)}")
        for sign, w, where in spreads:
            lines.append(f"{name} {'+' if sign > 0 else '-'}= {self._spread_ref(w, where)}")
        if plan.alpha is not None:
            cols = n.shape[1]
            step = str(cols + 1) if isinstance(cols, int) else f"{self.dim(cols)} + 1"
            lines.append(f"{name}.flat[::{step}] += {self.ref(plan.alpha)}")
        self.lines += [f"    {line}" for line in lines]
        return name


    def _spread_ref(self, w: Node, where: str) -> str:
        """``w`` as NumPy broadcasts it down the rows, or along the columns."""
        return self.ref(w) if where == "row" else f"{self.ref(w)}[:, None]"


def _function(fname: str, outputs: dict, var_shapes: dict[str, tuple], zero_shapes: dict,
              scalar_out: bool = False, helpers: set | None = None) -> str:
    em = _Emitter(var_shapes)
    if helpers is not None:
        em.helpers = helpers
    roots = [n for n in outputs.values() if n is not None]
    em.count_uses(roots)
    ordered = em.order(roots)
    em.count_refs(ordered, roots)
    for n in ordered:
        em.emit(n)
    results = []
    for key, n in outputs.items():
        if n is None:
            results.append((key, f"np.zeros({em.shape(zero_shapes[key])})"))
        elif n.op in ("var", "eye", "ones", "transpose", "const"):
            results.append((key, f"np.array({em.ref(n)}, dtype=float)"))
        else:
            results.append((key, em.ref(n)))
    head = [f"def {fname}(inputs):"]
    for name in sorted(em.used_vars):
        head.append(f"    {_ident('v_', name)} = inputs[{name!r}]")
    for d in sorted(em.used_dims):
        for vname, shape in var_shapes.items():
            if d in shape:
                head.append(f"    {_ident('_n_', d)} = np.shape(inputs[{vname!r}])[{list(shape).index(d)}]")
                break
        else:  # a dim no input shows (``b*ones(n)``, b scalar): its size comes with the inputs
            head.append(f"    {_ident('_n_', d)} = inputs[{SIZE_KEY + d!r}]")
    if scalar_out:
        tail = [f"    return {results[0][1]}"]
    elif fname in ("together", "one_name"):  # ("gradient", "x") keys: nested, as the API returns it
        tail = ["    return " + _nested_literal(results)]
    else:
        tail = ["    return {" + ", ".join(f"{k!r}: {v}" for k, v in results) + "}"]
    return "\n".join(head + _release(em.lines, tail) + tail)


def _nested_literal(results: list) -> str:
    """``{("value",): v, ("gradient", "x"): g, ("hessian", "x", "x"): h}`` written as
    ``{"value": v, "gradient": {"x": g}, "hessian": {("x", "x"): h}}``."""
    groups: dict = {}
    for (group, *key), ref in results:
        groups.setdefault(group, []).append((key, ref))
    parts = []
    for group, entries in groups.items():
        if entries == [([], entries[0][1])]:
            parts.append(f"{group!r}: {entries[0][1]}")
        else:
            inner = ", ".join(f"{(key[0] if len(key) == 1 else tuple(key))!r}: {ref}" for key, ref in entries)
            parts.append(f"{group!r}: {{{inner}}}")
    return "{" + ", ".join(parts) + "}"


_TEMP = re.compile(r"\bt\d+\b")


def _release(lines: list[str], tail: list[str]) -> list[str]:
    """``lines`` with ``del tK`` after the last line that reads ``tK``: a temporary
    no later line needs is freed at once, so the function's peak memory is the
    largest set of temporaries alive together, not all of them (outputs stay)."""
    kept = set(_TEMP.findall("\n".join(tail)))
    last: dict[str, int] = {}
    for i, line in enumerate(lines):
        for name in _TEMP.findall(line):
            last[name] = i
    done: dict[int, list[str]] = {}
    for name, i in last.items():
        if name not in kept:
            done.setdefault(i, []).append(name)
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        if i in done:
            out.append(f"    del {', '.join(sorted(done[i], key=lambda t: int(t[1:])))}")
    return out


#: ``inputs[SIZE_KEY + "n"]``: the size of a dim no input's shape shows (no variable's name has ':')
SIZE_KEY = "size:"


def generate(groups: dict[str, dict], var_shapes: dict[str, tuple], zero_shapes: dict) -> str:
    """Source of a module with one function per group ``{fname: {key: node}}``.

    ``zero_shapes[key]`` is the shape of an output that is identically zero.
    """
    head = ['"""Generated by diffbench.symbolic from its IR; sizes are read off the inputs."""',
            "import numpy as np", ""]
    helpers: set[str] = set()
    parts = []
    for fname, outputs in groups.items():
        parts.append(_function(fname, outputs, var_shapes, zero_shapes, scalar_out=(fname == "value"),
                               helpers=helpers))
        parts.append("")
    for op in sorted(helpers):
        head += list(HELPERS[op]) + [""]
    return "\n".join(head + parts)


def _other(n: Node, term: Node) -> Node:
    """The argument of the sum ``n`` that is not its fused einsum ``term``."""
    return n.args[1] if term is n.args[0] else n.args[0]


def _without_identities(n: Node) -> tuple[str, tuple]:
    """An einsum's spec and operands with each identity factor ``δ_ac`` applied:
    ``c`` becomes ``a`` everywhere else, so ``ac,bd->abcd`` over ``(I, B)`` is
    ``bd->abad`` over ``(B,)`` -- a repeated output letter is a diagonal of the
    result, which :func:`_einsum_into` writes through a strided view.  No N x N
    identity is formed, and the term costs N times fewer products."""
    spec, args = n.attr("spec"), n.args
    if n.op != "einsum" or len(args) < 2 or not any(a.op == "eye" for a in args):
        return spec, args
    subscripts, result = spec.split("->")
    subs = subscripts.split(",")
    for i in reversed(range(len(args))):
        sub = subs[i]
        others = [j for j in range(len(subs)) if j != i]
        if args[i].op != "eye" or len(sub) != 2 or sub[0] == sub[1] or not others:
            continue
        keep, gone = sub
        subs = [subs[j].replace(gone, keep) for j in others]
        result = result.replace(gone, keep)
        args = tuple(args[j] for j in others)
    return ",".join(subs) + "->" + result, args


def _diagonal(out, result: str):
    """``out`` seen through the distinct letters of ``result`` (a view on its
    diagonal where a letter repeats: ``abad`` -> the entries with ``c == a``)."""
    letters = "".join(dict.fromkeys(result))
    if len(letters) == len(result):
        return out, letters
    shape = [out.shape[result.index(c)] for c in letters]
    strides = [sum(st for st, c2 in zip(out.strides, result) if c2 == c) for c in letters]
    return np.lib.stride_tricks.as_strided(out, shape, strides), letters


def _outer(subscripts: str, letters: str, operands):
    """A product with no summed and no repeated letter (the outer products of n x n
    matrices a matrix variable's Hessian is made of), or None for any other: each
    operand's axes put in the output's order and made contiguous (copies of the
    operands, not of the result), then einsum's plain loop.  ``'da,cb->abcd'`` read
    its operands across their rows and took 6x ``'bc,ad->abcd'``; ``optimize=True``
    adds a transposed copy of the result."""
    subs = subscripts.split(",")
    joined = "".join(subs)
    if len(subs) < 2 or len(set(joined)) != len(joined) or set(joined) != set(letters):
        return None
    pairs = list(zip(subs, operands))
    while len(pairs) > 2:  # the two smallest first: einsum's loop over three operands is 6x slower
        pairs.sort(key=lambda p: np.size(p[1]))
        (s1, o1), (s2, o2) = pairs[:2]
        joined = "".join(sorted(s1 + s2, key=letters.index))
        pairs[:2] = [(joined, np.einsum(f"{s1},{s2}->{joined}", o1, o2))]
    ordered, orders = [], []
    for sub, op in pairs:
        axes = sorted(range(len(sub)), key=lambda i: letters.index(sub[i]))
        # (ascontiguousarray would make a scalar a length-1 vector: vectors and scalars as they are)
        ordered.append(np.ascontiguousarray(np.transpose(op, axes)) if len(sub) > 1 else op)
        orders.append("".join(sub[i] for i in axes))
    return np.einsum(",".join(orders) + "->" + letters, *ordered)


def _einsum(spec: str, *operands):
    """``np.einsum(spec, ...)`` as generated code calls it: an outer product by
    :func:`_outer`, any other product with the contraction-order optimiser."""
    subscripts, letters = spec.split("->")
    block = _outer(subscripts, letters, operands)
    return block if block is not None else np.einsum(spec, *operands, optimize=True)


def _term(subscripts: str, letters: str, operands):
    """``einsum(subscripts -> letters)`` with a length-1 axis for each letter no
    operand carries (the sum broadcasts along it)."""
    subs = subscripts.split(",")
    present = "".join(c for c in letters if any(c in sub for sub in subs))
    block = _einsum(f"{subscripts}->{present}", *operands)
    if present == letters:
        return block
    return block.reshape([block.shape[present.index(c)] if c in present else 1 for c in letters])


def _einsum_into(out, sign: float, spec: str, *operands):
    """``out += sign * einsum(spec, *operands)``, an eighth of the first output axis at a
    time, so the term never exists whole (the operands are sliced along that axis).
    A repeated output letter adds onto that diagonal of ``out``."""
    if out.dtype.kind != "f":
        out = out.astype(float)
    subscripts, result = spec.split("->")
    subs = subscripts.split(",")
    target, letters = _diagonal(out, result)
    lead = letters[0]
    if not any(lead in sub for sub in subs) or any(sub.count(lead) > 1 for sub in subs):
        # the term is constant along it, or a diagonal along it: one piece
        block = _term(subscripts, letters, operands)
        if sign > 0:
            target += block
        else:
            target -= block
        return out
    size = target.shape[0]
    step = max(1, -(-size // 8))
    for start in range(0, size, step):
        piece = slice(start, min(size, start + step))
        sliced = [op[(slice(None),) * sub.index(lead) + (piece,)] if lead in sub else op
                  for sub, op in zip(subs, operands)]
        block = _term(subscripts, letters, sliced)
        if sign > 0:
            target[piece] += block
        else:
            target[piece] -= block
    return out


def load(source: str) -> dict:
    """Execute generated source (diffbench's own, never user text)."""
    namespace = {"np": np, "_einsum_into": _einsum_into, "_einsum": _einsum}
    exec(compile(source, "<diffbench.symbolic generated>", "exec"), namespace)  # noqa: S102
    return namespace
