"""Linear-map rules: the coefficient tensor of a formula that is linear in a
tangent.

A primitive's symbolic derivative rule (``TABLE[op].symbolic["jvp"]``,
written over ``prims`` beside its VJP rule) gives the differential ``dy`` of
its output as a formula in a tangent placeholder ``t``.  That formula is
linear in ``t`` and is built only from *linear* primitives (``+``, scaling,
``A t``, ``tᵀ``, ``⟨a, t⟩``, ``tr t`` ...).  If the Jacobian of ``t``
with respect to the variable is the tensor ``J_t`` (shape
``t.shape + var.shape``), the Jacobian of the differential is obtained by
pushing ``J_t`` through those linear primitives -- one index-calculus rule
per linear primitive, below.  ``~`` in a spec stands for the variable's
indices, which every Jacobian carries last.
"""
from __future__ import annotations

from ..errors import Unsupported
from ..ir import Node, const, node
from ..ops import TABLE
from .einsum import einsum_form, eye, ones
from .simplify import make_node

_L = "abcdefgh"


def _add_terms(terms):
    """The sum of the terms that are there (None: no term, e.g. a constant's tangent)."""
    out = None
    for t in terms:
        if t is None:
            continue
        out = t if out is None else make_node("add", (out, t))
    return out


def leading(n: Node, js: list) -> Node | None:
    """A linear primitive that acts on its argument's leading axes (sums along
    an axis, triangles, slices ...) applied to the argument's Jacobian, whose
    trailing axes (the variable's) it carries along."""
    tangents = [i for i, j in enumerate(js) if j is not None]
    if not tangents:
        return None
    if len(tangents) > 1:
        raise Unsupported(f"unsupported: {n.op} of two tangents (not a linear map)")
    j = js[tangents[0]]
    trailing = tuple(j.shape[n.args[tangents[0]].ndim:])
    attrs = dict(n.attrs)
    if "shape" in attrs:
        attrs["shape"] = tuple(attrs["shape"]) + trailing
    args = tuple(j if j is not None else a for a, j in zip(n.args, js))
    return node(n.op, args, attrs, tuple(n.shape) + trailing)


class Linear:
    """Push Jacobians (trailing indices ``dirs``) through linear primitives."""

    def __init__(self, dirs: str):
        self.dirs = dirs

    def contract(self, factors, out, scale=1.0):
        """``einsum_form`` of ``factors`` with ``~`` standing for the tangent's trailing directions."""
        factors = [(n, ix.replace("~", self.dirs)) for n, ix in factors]
        return einsum_form(factors, out.replace("~", self.dirs), scale)

    def apply(self, n: Node, js: list, consts: list) -> Node | None:
        rule = getattr(self, "op_" + n.op, None)
        if rule is None and TABLE[n.op].symbolic.get("leading"):
            return leading(n, js)
        if rule is None:
            raise Unsupported(f"unsupported: {n.op} of a tangent (no linear-map rule)")
        return rule(n, js, consts)

    # ------------------------------------------------------------ sums
    def _widen(self, n, a, j):
        if j is None or a.shape == n.shape:
            return j
        L = _L[:n.ndim]
        return self.contract([(j, "~"), (ones(n.shape), L)], L + "~")

    def op_add(self, n, js, cs):
        return _add_terms(self._widen(n, a, j) for a, j in zip(n.args, js))

    def op_sub(self, n, js, cs):
        a, b = (self._widen(n, x, j) for x, j in zip(n.args, js))
        if b is None:
            return a
        return make_node("sub", (a, b)) if a is not None else self.op_neg(n, [b], cs)

    def op_neg(self, n, js, cs):
        L = _L[:n.ndim]
        return self.contract([(js[0], L + "~")], L + "~", -1.0)

    # ------------------------------------------------------------ products
    def op_mul(self, n, js, cs):
        if js[0] is not None and js[1] is not None:
            raise Unsupported("unsupported: product of two tangents (not a linear map)")
        j, k, a = (js[0], cs[1], n.args[0]) if js[0] is not None else (js[1], cs[0], n.args[1])
        return self._scale(n, j, a, k)

    def op_div(self, n, js, cs):
        if js[1] is not None:
            raise Unsupported("unsupported: division by a tangent (not a linear map)")
        return self._scale(n, js[0], n.args[0], make_node("div", (const(1.0), cs[1])))

    def _scale(self, n, j, a, k):
        """Jacobian of ``a ⊙ k`` (broadcast as ``mul`` does) from ``j = J(a)``."""
        L = _L[:n.ndim]
        if k.shape == () and a.shape == n.shape:
            return self.contract([(k, ""), (j, L + "~")], L + "~")
        if a.shape == ():
            return self.contract([(k, L), (j, "~")], L + "~")
        return self.contract([(k, L), (j, L + "~")], L + "~")

    def op_matmul(self, n, js, cs):
        A, B = n.args
        terms = []
        vec = B.ndim == 1
        if js[0] is not None:
            terms.append(self.contract([(js[0], "ab~"), (cs[1], "b" if vec else "bc")], ("a" if vec else "ac") + "~"))
        if js[1] is not None:
            terms.append(self.contract([(cs[0], "ab"), (js[1], ("b" if vec else "bc") + "~")], ("a" if vec else "ac") + "~"))
        return _add_terms(terms)

    def op_outer(self, n, js, cs):
        terms = []
        if js[0] is not None:
            terms.append(self.contract([(js[0], "a~"), (cs[1], "b")], "ab~"))
        if js[1] is not None:
            terms.append(self.contract([(cs[0], "a"), (js[1], "b~")], "ab~"))
        return _add_terms(terms)

    def op_inner(self, n, js, cs):
        L = _L[:n.args[0].ndim]
        terms = []
        if js[0] is not None:
            terms.append(self.contract([(cs[1], L), (js[0], L + "~")], "~"))
        if js[1] is not None:
            terms.append(self.contract([(cs[0], L), (js[1], L + "~")], "~"))
        return _add_terms(terms)

    def op_solve(self, n, js, cs):
        if js[0] is not None:
            raise Unsupported("unsupported: solve with a tangent matrix (not a linear map)")
        j = js[1]
        if j.ndim <= 2:
            return leading(n, js)
        # A⁻¹ J for a Jacobian of rank 3 or 4 (a matrix variable's): J is mostly an
        # identity's structure (dX's entries), so solving against the dense J would
        # be n² solves of an n⁴ right-hand side; as the product (A⁻¹)_ab J_b.. with
        # A⁻¹ = solve(A, I), the identity factors contract away and the result is
        # the outer products of n x n matrices the closed form is.
        a = n.args[0]
        inverse = make_node("solve", (a, eye(a.shape[0])))
        rest = _L[2:1 + n.ndim]
        return self.contract([(inverse, "ab"), (j, "b" + rest + "~")], "a" + rest + "~")

    # ------------------------------------------------------------ index plumbing
    def op_transpose(self, n, js, cs):
        return self.contract([(js[0], "ab~")], "ba~")

    def op_tr(self, n, js, cs):
        return self.contract([(js[0], "aa~")], "~")

    def op_diag_part(self, n, js, cs):
        return self.contract([(js[0], "aa~")], "a~")

    def op_diag_embed(self, n, js, cs):
        return self.contract([(js[0], "a~"), (eye(n.shape[0]), "ab")], "ab~")

    def op_sum(self, n, js, cs):
        L = _L[:n.args[0].ndim]
        return self.contract([(js[0], L + "~")], "~")

    def op_broadcast(self, n, js, cs):
        L = _L[:n.ndim]
        return self.contract([(js[0], "~"), (ones(n.shape), L)], L + "~")

    def op_reshape(self, n, js, cs):
        src, dst = n.args[0].shape, n.shape
        core_src = [d for d in src if d != 1]
        core_dst = [d for d in dst if d != 1]
        if core_src != core_dst:  # a genuine reshape: row-major, so the trailing indices ride along
            return make_node("reshape", (js[0],), {"shape": tuple(dst) + tuple(js[0].shape[len(src):])})
        letters = iter(_L)
        core = [next(letters) for _ in core_src]
        it = iter(core)
        src_ix = "".join(next(it) if d != 1 else next(letters) for d in src)
        factors = [(js[0], src_ix + "~")]
        it = iter(core)
        dst_ix = ""
        for d in dst:
            if d != 1:
                dst_ix += next(it)
            else:
                c = next(letters)
                factors.append((ones((1,)), c))
                dst_ix += c
        return self.contract(factors, dst_ix + "~")
