"""Index-calculus products (einsums) and their lowering back to matrix algebra.

A derivative of a matrix-shaped node with respect to a matrix variable is a
4th-order tensor; no matrix product writes it.  Such coefficients are kept
as *einsum nodes* (op ``"einsum"``, attribute ``spec`` such as
``"ab,bc->ac"``) -- the normal form of Laue, Mitterreiter and Giesen's
tensor calculus: one product of factors with named indices, summed over
the indices missing from the output.

:func:`einsum_form` builds one, *flattening* nested einsums, negations, scalar
multiples and transposes into a single product and *eliminating identity
factors* (``δ_ik A_kj = A_ij``), which is what keeps the 4th-order
identity of a matrix variable from ever being materialised.  When the
result has at most two indices and every factor at most two, :func:`lower`
turns it back into matrix algebra -- ``Σ_k X_ki d_k X_kj`` becomes
``Xᵀ diag(d) X`` -- so gradients and vector Hessians read (and compile) as
matrix formulas, and only genuinely higher-order objects stay einsums.
"""
from __future__ import annotations

import itertools

from ..ir import Node, const, node
from ..ops import build
from .simplify import is_const, make_node

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_spec(spec: str) -> tuple[list[str], str]:
    ins, out = spec.split("->")
    return ins.split(","), out


def ones(shape) -> Node:
    shape = tuple(shape)
    return build("ones", (), {"shape": shape})


def eye(dim) -> Node:
    return build("eye", (), {"shape": (dim, dim)})


def einsum_form(factors: list[tuple[Node, str]], out: str, scale: float = 1.0) -> Node:
    """The product of ``factors`` (node, index letters) summed to ``out``.

    Letters are local to this call.  Returns a matrix-algebra node when the
    product lowers to one, else an ``einsum`` node.  In phases: a single
    factor is handled as a linear map; the others are flattened into
    (node, integer labels) with their scalars pulled out; a tensor sum is
    distributed; identity and all-ones factors are contracted away; what is
    left lowers to matrix algebra or becomes one ``einsum``.
    """
    if len(factors) == 1:
        done, result, factors, scale = _single_factor(factors, out, scale)
        if done:
            return result
    labels = _Labels()
    outl = [labels(c) for c in out]
    flat, dims, scale = _flatten(factors, labels, scale)
    if scale == 0.0:
        return None
    sums = [q for q, (n, ix) in enumerate(flat) if n.op in ("add", "sub") and n.ndim >= 3]
    if sums and len(sums) <= 3 and len(flat) > 1:  # a product of a tensor sum: distribute
        return _distribute(flat, sums[0], outl, scale)
    flat = _drop_ones(_rename_deltas(flat, outl), outl, dims)
    return _assemble(flat, outl, dims, scale)


class _Labels:
    """Letters to integer labels, local to one ``einsum_form`` call; fresh ones on demand."""

    def __init__(self):
        self.counter = itertools.count()
        self.local: dict[str, int] = {}

    def __call__(self, c: str) -> int:
        if c not in self.local:
            self.local[c] = next(self.counter)
        return self.local[c]

    def fresh(self) -> int:
        return next(self.counter)


def _single_factor(factors, out: str, scale: float):
    """``(done, result, factors, scale)``: a linear map of one factor
    distributes over its sums and pulls out its scalars."""
    (n, idx), = factors
    while n.op == "neg" or n.op == "mul" and is_const(n.args[0]):
        scale, n = (-scale, n.args[0]) if n.op == "neg" else (scale * n.args[0].attr("value"), n.args[1])
    if n.op in ("add", "sub"):
        parts = [einsum_form([(arg, idx)], out, scale) for arg in n.args]
        return True, _combine(n.op, parts), factors, scale
    if idx == out and len(set(out)) == len(out):
        return True, make_node("mul", (const(scale), n)), factors, scale
    return False, None, [(n, idx)], scale


def _combine(op: str, parts: list) -> Node | None:
    """``parts[0] op parts[1]``, where a part that vanished (None) is left out."""
    if parts[1] is None:
        return parts[0]
    if parts[0] is None:
        return make_node("neg", (parts[1],)) if op == "sub" else parts[1]
    return make_node(op, parts)


def _flatten(factors, labels: _Labels, scale: float):
    """``(flat, dims, scale)``: the factors as (node, labels) with nested
    einsums, negations, transposes, constant scalings, diagonal matrices and
    spreads (a repeated tensor is never built to be contracted) looked through; ``dims`` is each label's dim."""
    stack = [(n, [labels(c) for c in idx]) for n, idx in reversed(factors)]
    flat: list[tuple[Node, list[int]]] = []
    dims: dict[int, object] = {}
    while stack:
        n, idx = stack.pop()
        if n.op == "einsum":
            ins, o = parse_spec(n.attr("spec"))
            m = dict(zip(o, idx))
            for c in "".join(ins):
                if c not in m:
                    m[c] = labels.fresh()
            for arg, s in reversed(list(zip(n.args, ins))):
                stack.append((arg, [m[c] for c in s]))
        elif n.op == "neg":
            scale = -scale
            stack.append((n.args[0], idx))
        elif n.op == "transpose":
            stack.append((n.args[0], idx[::-1]))
        elif n.op == "mul" and n.args[0].shape == () and is_const(n.args[0]):
            scale *= n.args[0].attr("value")
            stack.append((n.args[1], idx))
        elif is_const(n):
            scale *= n.attr("value")
        elif n.op == "spread":  # x repeated along an axis: x without that index, times ones
            axis = n.attr("axis")
            stack.append((ones([n.shape[axis]]), idx[axis:axis + 1]))  # dropped if another factor has it
            stack.append((n.args[0], idx[:axis] + idx[axis + 1:]))
        elif n.op == "matmul" and n.args[0].op == "diag_embed":  # diag(d) M: d_i M_i..
            stack.append((n.args[1], idx))
            stack.append((n.args[0].args[0], idx[:1]))
        elif n.op == "matmul" and n.args[1].op == "diag_embed" and n.ndim == 2:  # M diag(d)
            stack.append((n.args[1].args[0], idx[1:]))
            stack.append((n.args[0], idx))
        else:
            for l, d in zip(idx, n.shape):
                dims[l] = d
            flat.append((n, idx))
    return flat, dims, scale


def _distribute(flat, q: int, outl: list[int], scale: float) -> Node | None:
    """The product with the tensor sum ``flat[q]`` distributed over its two terms."""
    n, ix = flat[q]
    name = {l: LETTERS[i] for i, l in enumerate(dict.fromkeys(outl + [l for _, x in flat for l in x]))}
    rest = [(m, "".join(name[l] for l in x)) for p, (m, x) in enumerate(flat) if p != q]
    o = "".join(name[l] for l in outl)
    return _combine(n.op, [einsum_form(rest + [(arg, "".join(name[l] for l in ix))], o, scale) for arg in n.args])


def _rename_deltas(flat, outl: list[int]):
    """Identity factors: δ_ik with k summed renames k to i."""
    changed = True
    while changed:
        changed = False
        for pos, (n, idx) in enumerate(flat):
            if n.op != "eye" or idx[0] == idx[1]:
                continue
            i, k = idx
            if k in outl and i in outl:
                continue
            old, new = (k, i) if k not in outl else (i, k)
            others = [f for f in flat[:pos] + flat[pos + 1:]]
            if new not in outl and not any(new in ix for _, ix in others) \
                    and not any(old in ix for _, ix in others):
                continue  # a bare Σ δ: the dim itself, kept as a factor
            flat = [(m, [new if l == old else l for l in ix]) for m, ix in others]
            changed = True
            break
    return flat


def _drop_ones(flat, outl: list[int], dims: dict):
    """All-ones factors over indices another factor carries add nothing; an
    output index no factor carries gets a ones vector."""
    kept = []
    for pos, (n, idx) in enumerate(flat):
        if n.op == "ones":
            elsewhere = {l for q, (m, ix) in enumerate(flat) if q != pos and m.op != "ones" for l in ix}
            rest = [l for l in idx if l not in elsewhere]
            if len(rest) < len(idx):
                if rest:
                    kept.append((ones([dims[l] for l in rest]), rest))
                continue
        kept.append((n, idx))
    present = {l for _, ix in kept for l in ix}
    kept += [(ones([dims[l]]), [l]) for l in outl if l not in present]
    return kept


def _assemble(flat, outl: list[int], dims: dict, scale: float) -> Node:
    """The remaining product as matrix algebra when it lowers to it, else one ``einsum``."""
    if not flat:
        return const(scale)
    if len(flat) == 1:
        n, ix = flat[0]
        if ix == outl and len(set(ix)) == len(ix):
            return make_node("mul", (const(scale), n))
        if n.op in ("add", "sub", "neg"):
            name = {l: LETTERS[i] for i, l in enumerate(dict.fromkeys(outl + ix))}
            return einsum_form([(n, "".join(name[l] for l in ix))], "".join(name[l] for l in outl), scale)
    lowered = lower(flat, outl) if len(outl) <= 2 and all(len(ix) <= 2 for _, ix in flat) else None
    if lowered is not None:
        return make_node("mul", (const(scale), lowered))
    flat = _contract_matrix_parts(flat, outl)
    if len(flat) == 1 and flat[0][1] == outl:
        return make_node("mul", (const(scale), flat[0][0]))
    letter = {}
    for l in outl + [l for _, ix in flat for l in ix]:
        letter.setdefault(l, LETTERS[len(letter)])
    spec = ",".join("".join(letter[l] for l in ix) for _, ix in flat) + "->" + "".join(letter[l] for l in outl)
    shape = tuple(dims[l] for l in outl)
    made = node("einsum", tuple(n for n, _ in flat), {"spec": spec}, shape)
    return make_node("mul", (const(scale), made)) if scale != 1.0 else made


def _contract_matrix_parts(flat, outl):
    """Inside a higher-order product, contract each summed index whose factors
    are all matrices/vectors into a matrix product first:
    ``Σ_p (A⁻¹)_pk B_pj C_li -> (A⁻ᵀ B)_kj C_li``.  Fewer, smaller factors
    read better and evaluate faster."""
    changed = True
    while changed and len(flat) > 1:
        changed = False
        summed = [l for l in dict.fromkeys(l for _, ix in flat for l in ix) if l not in outl]
        for k in summed:
            carriers = [q for q, (_, ix) in enumerate(flat) if k in ix]
            if not carriers or any(len(flat[q][1]) > 2 for q in carriers):
                continue
            outside = {l for q, (_, ix) in enumerate(flat) if q not in carriers for l in ix} | set(outl)
            sub_out = [l for l in dict.fromkeys(l for q in carriers for l in flat[q][1]) if l in outside]
            if len(sub_out) > 2:
                continue
            res = lower([flat[q] for q in carriers], sub_out)
            if res is None:
                continue
            flat = [f for q, f in enumerate(flat) if q not in carriers] + [(res, sub_out)]
            changed = True
            break
    return flat


def _orient(n: Node, idx: list[int], want: list[int]) -> Node:
    return n if idx == want else make_node("transpose", (n,))


def lower(flat: list[tuple[Node, list[int]]], outl: list[int]) -> Node | None:
    """Matrix algebra for a product of factors of rank <= 2, or None: the
    rewriting steps below, each tried in order until none applies."""
    scalars = [n for n, ix in flat if not ix]
    mats: list[tuple[Node, list[int]]] = []
    for n, ix in flat:
        if len(ix) == 2 and ix[0] == ix[1]:
            n, ix = make_node("diag_part", (n,)), [ix[0]]
        if ix:
            mats.append((n, list(ix)))
    product = _Product(mats, scalars, outl)
    while any(rewrite(product) for rewrite in _REWRITES):
        pass
    return product.result()


class _Product:
    """The factors of rank 1 and 2 still to combine (``mats``), the scalar
    factors found on the way, and the output labels."""

    def __init__(self, mats, scalars, outl):
        self.mats, self.scalars, self.outl = mats, scalars, outl

    def count(self, label) -> int:
        """Factors carrying ``label``, the output counting as one."""
        return sum(label in ix for _, ix in self.mats) + (label in self.outl)

    def result(self) -> Node | None:
        mats, outl = self.mats, self.outl
        if any(l not in outl for _, ix in mats for l in ix):
            return None
        if len(mats) == 0:
            result = None
        elif len(mats) == 1 and sorted(mats[0][1]) == sorted(outl):
            result = _orient(mats[0][0], mats[0][1], outl)
        elif len(mats) == 2 and all(len(ix) == 1 for _, ix in mats) and len(outl) == 2:
            (u, ui), (v, vi) = mats
            if ui == outl[1:]:
                (u, ui), (v, vi) = (v, vi), (u, ui)
            result = make_node("outer", (u, v))
        else:
            return None
        s = None
        for x in self.scalars:
            s = x if s is None else make_node("mul", (s, x))
        if result is None:
            return s if s is not None and not outl else None
        return result if s is None else make_node("mul", (s, result))


def _hadamard(p: _Product) -> bool:
    """Equal index sets: an element-wise product."""
    mats = p.mats
    for i, j in itertools.combinations(range(len(mats)), 2):
        (a, ai), (b, bi) = mats[i], mats[j]
        if sorted(ai) == sorted(bi):
            mats[i] = (make_node("mul", (a, _orient(b, bi, ai))), ai)
            del mats[j]
            return True
    return False


def _matvec(p: _Product) -> bool:
    """A summed index shared by a vector and one other factor: a matrix-vector product, or an inner product."""
    mats = p.mats
    for i, j in itertools.permutations(range(len(mats)), 2):
        (v, vi), (m, mi) = mats[i], mats[j]
        if len(vi) != 1 or vi[0] not in mi or p.count(vi[0]) != 2:
            continue
        k = vi[0]
        if len(mi) == 1:
            p.scalars.append(make_node("inner", (m, v)))
            for q in sorted((i, j), reverse=True):
                del mats[q]
            return True
        other = mi[0] if mi[1] == k else mi[1]
        mats[j] = (make_node("matmul", (_orient(m, mi, [other, k]), v)), [other])
        del mats[i]
        return True
    return False


def _diag_scaling(p: _Product) -> bool:
    """A vector whose index is also carried by matrices: scaling by diag(v)."""
    mats = p.mats
    for i, j in itertools.permutations(range(len(mats)), 2):
        (v, vi), (m, mi) = mats[i], mats[j]
        if len(vi) == 1 and len(mi) == 2 and vi[0] in mi and p.count(vi[0]) >= 3:
            d = make_node("diag_embed", (v,))
            mats[j] = (make_node("matmul", (d, m)) if mi[0] == vi[0] else make_node("matmul", (m, d)), mi)
            del mats[i]
            return True
    return False


def _matmul(p: _Product) -> bool:
    """A summed index between two matrices: a matrix product."""
    mats = p.mats
    for i, j in itertools.combinations(range(len(mats)), 2):
        (a, ai), (b, bi) = mats[i], mats[j]
        shared = [l for l in ai if l in bi and l not in p.outl]
        if len(ai) == 2 and len(bi) == 2 and len(shared) == 1 and p.count(shared[0]) == 2:
            k = shared[0]
            r = ai[0] if ai[1] == k else ai[1]
            q = bi[0] if bi[1] == k else bi[1]
            mats[i] = (make_node("matmul", (_orient(a, ai, [r, k]), _orient(b, bi, [k, q]))), [r, q])
            del mats[j]
            return True
    return False


def _index_sum(p: _Product) -> bool:
    """A summed index only one factor carries: a sum (of a vector, or of a matrix's rows)."""
    mats = p.mats
    for i, (m, mi) in enumerate(mats):
        for k in mi:
            if p.count(k) == 1 and k not in p.outl:
                if len(mi) == 1:
                    p.scalars.append(make_node("sum", (m,)))
                    del mats[i]
                else:
                    other = mi[0] if mi[1] == k else mi[1]
                    mats[i] = (make_node("matmul", (_orient(m, mi, [other, k]), ones([m.shape[mi.index(k)]]))),
                               [other])
                return True
    return False


#: the rewriting steps of :func:`lower`, in the order they are tried
_REWRITES = (_hadamard, _matvec, _diag_scaling, _matmul, _index_sum)
