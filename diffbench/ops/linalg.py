"""Linear-algebra primitives: products, transpose, trace, det, inverse ...

Identities cited are from the Matrix Cookbook (Petersen & Pedersen, 2012).
Every entry of a matrix argument is independent (no symmetry is assumed),
so d logdet(X)/dX = X^-T even where X is sampled symmetric.
"""
from __future__ import annotations

import numpy as np

from . import prims
from . import shapes as S
from ..dims import combine
from .core import IdentityBatch, Primitive, define, linear, ndim_of, out_of_reach, shape_of


def _matvec_batch(a, t):
    """a @ t for a tangent batch t of shape (k, p) or (k, p, q)."""
    if type(t) is IdentityBatch and t.ndim == 2:
        return a.T  # row i of the batch is a @ e_i: no product needed
    return t @ a.T if t.ndim == 2 else a @ t


def _matmul_vjp_a(g, ans, a, b):
    if len(shape_of(b)) == 1:
        return prims.outer(g, b)  # (A x)' wrt A = g x^T
    return prims.matmul(g, prims.transpose(b))


define(Primitive(
    "matmul", 2, S.matmul, np.matmul, family="linalg", numpy="matmul",
    vjp=(_matmul_vjp_a, lambda g, ans, a, b: prims.matmul(prims.transpose(a), g)),
    jvp=(lambda t, ans, a, b: t @ b,
         lambda t, ans, a, b: _matvec_batch(a, t)),
    domain=("real", "real"), doc="matrix product (matrix @ matrix or matrix @ vector)",
    symbolic={"jvp": (lambda t, ans, a, b: prims.matmul(t, b),
                      lambda t, ans, a, b: prims.matmul(a, t))}))

define(Primitive(
    "outer", 2, S.outer, np.outer, family="linalg", numpy="outer",
    vjp=(lambda g, ans, u, v: prims.matmul(g, v),
         lambda g, ans, u, v: prims.matmul(prims.transpose(g), u)),
    jvp=(lambda t, ans, u, v: t[:, :, None] * v,
         lambda t, ans, u, v: u[:, None] * t[:, None, :]),
    domain=("real", "real"), doc="u v^T",
    symbolic={"jvp": (lambda t, ans, u, v: prims.outer(t, v),
                      lambda t, ans, u, v: prims.outer(u, t))}))

linear("transpose", S.transpose, np.transpose, family="linalg", numpy="transpose",
       adjoint=lambda g, a: prims.transpose(g),
       batched=lambda t: np.swapaxes(t, -1, -2))


def _inner_impl(a, b):
    if type(a) is np.ndarray and a.ndim:  # the common case first: no helper call per product
        return np.vdot(a, b)
    return np.vdot(a, b) if ndim_of(a) else a * b


def _batched_inner(t, b):
    """<t_i, b> for every tangent t_i of the batch."""
    return t.reshape(t.shape[0], -1) @ np.ravel(b)


def _inner_vjp_a(g, ans, a, b):
    return prims.mul(g, b)


def _inner_vjp_b(g, ans, a, b):
    return prims.mul(g, a)


# each rule is g times the other argument: compiled tapes write that product out on plain arrays
_inner_vjp_a.times, _inner_vjp_b.times = 1, 0

define(Primitive(
    "inner", 2, S.equal_shapes, _inner_impl, family="linalg",
    vjp=(_inner_vjp_a, _inner_vjp_b),
    jvp=(lambda t, ans, a, b: _batched_inner(t, b),
         lambda t, ans, a, b: _batched_inner(t, a)),
    domain=("real", "real"), doc="<a, b> = sum of a .* b (Frobenius for matrices)", symmetric=True,
    symbolic={"jvp": (lambda t, ans, a, b: prims.inner(t, b),
                      lambda t, ans, a, b: prims.inner(a, t))}))


linear("tr", S.square_to_scalar, np.trace, family="linalg", numpy="trace", printed=("tr", r"\operatorname{tr}"),
       adjoint=lambda g, a: prims.diag_embed(prims.broadcast(g, shape=shape_of(a)[:1])),
       batched=lambda t: np.trace(t, axis1=-2, axis2=-1))


def _inv_t(a):
    return np.linalg.inv(a).T


def _adjugate(a):
    """adj(A) = det(A) A⁻¹, also where A is singular (its entries are cofactors:
    polynomials, defined everywhere).  Well conditioned: det(A) A⁻¹ (LU);
    otherwise from the SVD A = U S Vᵀ: adj(A) = det(U) det(V) V diag(∏_{j≠i} s_j) Uᵀ,
    the products taken without dividing by an s_i that may be 0."""
    a = np.asarray(a, dtype=float)
    if a.shape[-1] == 1:
        return np.ones_like(a)
    try:
        inverse = np.linalg.inv(a)
        if np.max(np.abs(a)) * np.max(np.abs(inverse)) < ADJUGATE_BY_INVERSE:
            return np.linalg.det(a) * inverse
    except np.linalg.LinAlgError:
        pass
    u, s, vt = np.linalg.svd(a)
    before = np.concatenate(([1.0], np.cumprod(s[:-1])))
    after = np.concatenate((np.cumprod(s[::-1][:-1])[::-1], [1.0]))
    return np.linalg.det(u) * np.linalg.det(vt) * ((vt.T * (before * after)) @ u.T)


# ‖A‖ ‖A⁻¹‖ (entry-wise max norms) below this: det(A) A⁻¹ is accurate; above, the SVD
ADJUGATE_BY_INVERSE = 1e8


def _adjugate_hessian(a):
    """H[i, j, k, l] = ∂adj(A)_ij / ∂A_kl (the Hessian of det), also at a singular A.
    Well conditioned: det(A) (A⁻¹_ij A⁻¹_lk − A⁻¹_ik A⁻¹_lj) (Cookbook (49) and (59));
    otherwise from cofactors: adj(A)_ij = (−1)^(i+j) det(M_ji), M_ji being A without
    row j and column i, whose gradient is the minor's own adjugate (no division)."""
    a = np.asarray(a, dtype=float)
    n = a.shape[-1]
    if n == 1:
        return np.zeros((1, 1, 1, 1))
    try:
        inverse = np.linalg.inv(a)
        if np.max(np.abs(a)) * np.max(np.abs(inverse)) < ADJUGATE_BY_INVERSE:
            return np.linalg.det(a) * (np.einsum("ij,lk->ijkl", inverse, inverse)
                                       - np.einsum("ik,lj->ijkl", inverse, inverse))
    except np.linalg.LinAlgError:
        pass
    return _adjugate_hessian_by_minors(a)


def _adjugate_hessian_by_minors(a):
    n = a.shape[-1]
    hessian = np.zeros((n, n, n, n))
    for i in range(n):
        for j in range(n):
            rows, cols = [r for r in range(n) if r != j], [c for c in range(n) if c != i]
            minor_gradient = _adjugate(a[np.ix_(rows, cols)]).T
            hessian[i, j][np.ix_(rows, cols)] = (-1) ** (i + j) * minor_gradient
    return hessian


def _adjugate_derivative(a, t):
    """d adj(A)[T]; T may carry trailing axes (a Jacobian's), which ride along."""
    return np.tensordot(_adjugate_hessian(a), t, axes=([2, 3], [0, 1]))


def _adjugate_jvp(t, ans, a):
    """d adj(A)[T] for a batch of tangents T (leading axis): the Hessian of det,
    finite at a singular A too."""
    return np.einsum("ijkl,bkl->bij", _adjugate_hessian(a), t)


def _adjugate_vjp(g, ans, a):
    inv_t = prims.transpose(prims.inv(a))
    return prims.mul(prims.det(a), prims.sub(prims.mul(prims.inner(g, prims.inv(a)), inv_t),
                                             prims.matmul(inv_t, prims.matmul(g, inv_t))))


def _adjugate_tangent(t, ans, a):
    return prims.adj_derivative(a, t)


def _adjugate_derivative_in_a(s, ans, a, t):
    """d/dA of d adj(A)[T] along S (the third derivative of det), where A is
    invertible: with B = A⁻¹, F = det(A) (tr(BT) B − BTB) and
    dF = tr(BS) F + det(A) (−tr(BSBT) B − tr(BT) BSB + BSBTB + BTBSB)."""
    b = prims.inv(a)
    bs, bt = prims.matmul(b, s), prims.matmul(b, t)
    bsb, btb = prims.matmul(bs, b), prims.matmul(bt, b)
    inner = prims.sub(prims.add(prims.matmul(bs, btb), prims.matmul(bt, bsb)),
                      prims.add(prims.mul(prims.tr(prims.matmul(bsb, t)), b), prims.mul(prims.tr(bt), bsb)))
    return prims.add(prims.mul(prims.tr(bs), ans), prims.mul(prims.det(a), inner))


def _adjugate_derivative_vjp_a(g, ans, a, t):
    g_t = prims.transpose(g)
    return prims.transpose(_adjugate_derivative_in_a(t, prims.adj_derivative(a, g_t), a, g_t))


def _adjugate_derivative_jvp_a(s, ans, a, t):
    """The batch of d/dA (d adj(A)[T]) along each S (invertible A, as above)."""
    b = np.linalg.inv(a)
    bt = b @ t
    out = []
    for direction in s:
        bs = b @ direction
        bsb, btb = bs @ b, bt @ b
        inner = bs @ btb + bt @ bsb - np.trace(bsb @ t) * b - np.trace(bt) * bsb
        out.append(np.trace(bs) * ans + np.linalg.det(a) * inner)
    return np.stack(out)


def _adjugate_derivative_shape(a, t, **_):
    return tuple(t), []


define(Primitive(
    "adj_derivative", 2, _adjugate_derivative_shape, _adjugate_derivative, family="linalg",
    printed=("dadj", r"\operatorname{d\,adj}"),
    # the third derivative of det is symmetric in its three directions, so both
    # adjoints are d adj applied to Gᵀ, transposed
    vjp=(_adjugate_derivative_vjp_a,
         lambda g, ans, a, t: prims.transpose(prims.adj_derivative(a, prims.transpose(g)))),
    jvp=(_adjugate_derivative_jvp_a, lambda s, ans, a, t: _adjugate_jvp(s, ans, a)),
    domain=("real", "real"), doc="d adj(A)[T]: the Hessian of det applied to T (defined for singular A)",
    symbolic={"jvp": (_adjugate_derivative_in_a, lambda s, ans, a, t: prims.adj_derivative(a, s)),
              "leading": True}))


define(Primitive(
    "adj", 1, S.square, _adjugate, family="linalg", printed=("adj", r"\operatorname{adj}"),
    vjp=(_adjugate_vjp,), jvp=(_adjugate_jvp,), symbolic={"jvp": (_adjugate_tangent,)},
    domain=("invertible",), doc="the adjugate det(X) X⁻¹ (the derivative of det; defined for singular X too)"))

define(Primitive(
    "det", 1, S.square_to_scalar, np.linalg.det, family="linalg", numpy="linalg.det", printed=("det", r"\det"),
    # Cookbook (49): d det(X) = det(X) tr(X^-1 dX) = tr(adj(X) dX); the adjugate
    # form holds at a singular X too (the gradient is its cofactor matrix)
    vjp=(lambda g, ans, a: prims.mul(g, prims.transpose(prims.adj(a))),),
    jvp=(lambda t, ans, a: _batched_inner(t, _adjugate(a).T),),
    domain=("invertible",),  # the Hessian (adj's derivative) divides by det X
    symbolic={"jvp": (lambda t, ans, a: prims.inner(prims.transpose(prims.adj(a)), t),)}))


def _logdet(a):
    # log|det X|: one definition for every engine (NumPy's slogdet, autograd,
    # JAX and torch's slogdet agree); its gradient X^-T holds wherever det X != 0,
    # so value and gradient never part ways at a negative determinant.
    return np.linalg.slogdet(a)[1]


define(Primitive(
    "logdet", 1, S.square_to_scalar, _logdet, family="linalg", printed=("ln det", r"\ln\det"),
    # Cookbook (57): d log|det(X)| = tr(X^-1 dX)
    vjp=(lambda g, ans, a: prims.mul(g, prims.transpose(prims.inv(a))),),
    jvp=(lambda t, ans, a: _batched_inner(t, _inv_t(a)),),
    domain=("invertible",), doc="log|det X| (the log of the absolute determinant; log det X when det X > 0)",
    symbolic={"jvp": (lambda t, ans, a: prims.inner(prims.transpose(prims.inv(a)), t),)}))

define(Primitive(
    "inv", 1, S.square, np.linalg.inv, family="linalg", numpy="linalg.inv",
    # Cookbook (59): d X^-1 = -X^-1 dX X^-1
    vjp=(lambda g, ans, a: prims.neg(prims.matmul(prims.transpose(ans), prims.matmul(g, prims.transpose(ans)))),),
    jvp=(lambda t, ans, a: -(ans @ t @ ans),),
    domain=("invertible",),
    symbolic={"jvp": (lambda t, ans, a: prims.neg(prims.matmul(ans, prims.matmul(t, ans))),)}))


linear("diag_embed", S.vector_to_diag, np.diag, family="linalg", doc="diag(v): the diagonal matrix of a vector",
       numpy="diag", printed=("diag", r"\operatorname{diag}"),
       adjoint=lambda g, v: prims.diag_part(g),
       batched=lambda t: t[..., None] * np.eye(t.shape[-1]))

linear("diag_part", S.diag_to_vector, np.diag, family="linalg", doc="diag(X): the diagonal of a matrix as a vector",
       numpy="diag", printed=("diag", r"\operatorname{diag}"),
       adjoint=lambda g, a: prims.diag_embed(g),
       batched=lambda t: np.diagonal(t, axis1=-2, axis2=-1))


# ---------------------------------------------------------------- solve

def _solve(a, b):
    """A⁻¹ b by LU (never forming the inverse); b may carry trailing axes."""
    if np.ndim(b) <= 2:
        return np.linalg.solve(a, b)
    return np.linalg.solve(a, b.reshape(b.shape[0], -1)).reshape(b.shape)


def _solve_batch(a, t):
    """A⁻¹ t_i for every tangent t_i of a batch (k, n) or (k, n, p)."""
    if t.ndim == 2:
        return np.linalg.solve(a, t.T).T
    return np.linalg.solve(a, t)


def _solve_vjp_b(g, ans, a, b):
    return prims.solve(prims.transpose(a), g)  # A⁻ᵀ g


def _solve_vjp_a(g, ans, a, b):
    # x = A⁻¹ b, dx = -A⁻¹ dA x, so the A-cotangent is -(A⁻ᵀ g) xᵀ
    gb = _solve_vjp_b(g, ans, a, b)
    if len(shape_of(ans)) == 1:
        return prims.neg(prims.outer(gb, ans))
    return prims.neg(prims.matmul(gb, prims.transpose(ans)))


define(Primitive(
    "solve", 2, S.solve, _solve, family="linalg",
    vjp=(_solve_vjp_a, _solve_vjp_b),
    jvp=(lambda t, ans, a, b: -_solve_batch(a, t @ ans),
         lambda t, ans, a, b: _solve_batch(a, t)),
    domain=("invertible", "real"), doc="A⁻¹ B by LU factorisation (never the inverse)",
    symbolic={"jvp": (lambda t, ans, a, b: prims.neg(prims.solve(a, prims.matmul(t, ans))),
                      lambda t, ans, a, b: prims.solve(a, t))}))


# ---------------------------------------------------------------- Kronecker product
# kron(A, B)[i p + k, j q + l] = A[i, j] B[k, l].  Bilinear; its adjoints
# contract the cotangent, cut into blocks, with the other factor (unkron).
# Either factor may carry trailing axes (a Jacobian's), which ride along.

def _kron(a, b):
    (m, n), (p, q) = np.shape(a)[:2], np.shape(b)[:2]
    spec = "ij...,kl->ikjl..." if np.ndim(a) > 2 else "ij,kl...->ikjl..."
    out = np.einsum(spec, a, b)
    return out.reshape((m * p, n * q) + out.shape[4:])


def _unkron(g, other, side, shape):
    """The factor ``side`` ("left": A, "right": B) of the adjoint of kron,
    given the other factor; ``shape`` is the result's."""
    if side == "left":
        (m, n), (p, q) = shape[:2], np.shape(other)[:2]
    else:
        (m, n), (p, q) = np.shape(other)[:2], shape[:2]
    blocks = np.reshape(g, (m, p, n, q) + np.shape(g)[2:])
    pick = "kl" if side == "left" else "ij"
    out = "ij" if side == "left" else "kl"
    spec = f"ikjl...,{pick}->{out}..." if np.ndim(g) > 2 else f"ikjl,{pick}...->{out}..."
    return np.einsum(spec, blocks, other)


def _kron_shape(a, b, **_):
    if len(a) < 2 or len(b) < 2:
        return (), [(format_rank_pair(a, b), "matrices")]
    trailing = tuple(a[2:]) + tuple(b[2:])
    return (combine("*", a[0], b[0]), combine("*", a[1], b[1])) + trailing, []


def _unkron_shape(g, other, side="left", shape=(), **_):
    return tuple(shape), []


def format_rank_pair(a, b):
    return f"rank {len(a)} and rank {len(b)}"


def _moved(t):
    return np.moveaxis(t, 0, -1)


define(Primitive(
    "kron", 2, _kron_shape, _kron, family="linalg",
    vjp=(lambda g, ans, a, b: prims.unkron(g, b, side="left", shape=shape_of(a)),
         lambda g, ans, a, b: prims.unkron(g, a, side="right", shape=shape_of(b))),
    jvp=(lambda t, ans, a, b: np.moveaxis(_kron(_moved(t), b), -1, 0),
         lambda t, ans, a, b: np.moveaxis(_kron(a, _moved(t)), -1, 0)),
    domain=("real", "real"), doc="the Kronecker product A ⊗ B",
    symbolic={"jvp": (lambda t, ans, a, b: prims.kron(t, b), lambda t, ans, a, b: prims.kron(a, t)),
              "leading": True}))


def _unkron_batch_g(t, ans, g, other, side, shape):
    return np.moveaxis(_unkron(_moved(t), other, side, tuple(shape) + (t.shape[0],)), -1, 0)


def _unkron_batch_other(t, ans, g, other, side, shape):
    return np.moveaxis(_unkron(g, _moved(t), side, shape), -1, 0)


def _flip(side):
    return "right" if side == "left" else "left"


define(Primitive(
    "unkron", 2, _unkron_shape, _unkron, family="linalg", needs_shape=True,
    vjp=(lambda h, ans, g, other, side, shape:
         prims.kron(h, other) if side == "left" else prims.kron(other, h),
         lambda h, ans, g, other, side, shape:
         prims.unkron(g, h, side=_flip(side), shape=shape_of(other))),
    jvp=(_unkron_batch_g, _unkron_batch_other), domain=("real", "real"),
    doc="the adjoint of kron in one factor: blocks of G contracted with the other factor",
    symbolic={"jvp": (lambda t, ans, g, other, side, shape: prims.unkron(t, other, side=side, shape=shape),
                      lambda t, ans, g, other, side, shape: prims.unkron(g, t, side=side, shape=shape)),
              "leading": True}))


# ---------------------------------------------------------------- singular values
# svdvals(X) = σ(X), decreasing.  dσ_i = u_iᵀ dX v_i (thin SVD X = U diag(σ) Vᵀ),
# so the cotangent is U diag(ḡ) Vᵀ.  Where singular values repeat, U and V are
# not unique and σ is not differentiable; the rule then returns the value for
# the factors NumPy happens to compute, which is a valid gradient only when ḡ
# is equal over the repeated block (e.g. for sum(svdvals(X)), the nuclear norm).
# U and V are primitives without derivative rules: second derivatives through
# svdvals are reported as unsupported, never computed with U, V held fixed.

def _svd_factor(which):
    def impl(a):
        u, _, vt = np.linalg.svd(a, full_matrices=False)
        return u if which == "u" else vt.T
    return impl


def _svd_factor_shape(which):
    """Thin SVD of an m x n matrix, k = min(m, n): U is m x k, V is n x k."""
    def shape(a, **_):
        if len(a) != 2:
            return (), [(f"rank {len(a)}", "rank 2")]
        return (a[0] if which == "u" else a[1], combine("min", a[0], a[1])), []
    return shape


def _svdvals_shape(a, **_):
    if len(a) != 2:
        return (), [(f"rank {len(a)}", "rank 2")]
    return (combine("min", a[0], a[1]),), []  # min(m, n) values; n of a square matrix


for _which in ("u", "v"):
    define(Primitive(f"svd_{_which}", 1, _svd_factor_shape(_which), _svd_factor(_which), family="linalg",
                     differentiable=False, domain=("real",),
                     doc=f"the {_which.upper()} factor of the thin SVD (no derivative rule)"))


def _svdvals_jvp(t, ans, a):
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    return np.einsum("mi,kmn,in->ki", u, t, vt)


define(Primitive(
    "svdvals", 1, _svdvals_shape, lambda a: np.linalg.svd(a, compute_uv=False), family="linalg",
    vjp=(lambda g, ans, a: prims.matmul(prims.matmul(prims.svd_u(a), prims.diag_embed(g)),
                                         prims.transpose(prims.svd_v(a))),),
    jvp=(_svdvals_jvp,), domain=("real",),
    doc="the singular values, decreasing (distinct ones: see the note on repeated values)",
    symbolic={"jvp": (lambda t, ans, a: prims.diag_part(
        prims.matmul(prims.transpose(prims.svd_u(a)), prims.matmul(t, prims.svd_v(a)))),)}))


# the scalar SymPy baseline has no rule for these (it reports them unsupported)
out_of_reach("sympy-scalar", "kron", "solve", "svd_u", "svd_v", "svdvals", "unkron")
# adj_derivative only appears in derived programs (the Hessian of det), which the
# scalar baseline never runs: it differentiates the user's function itself
out_of_reach("sympy-scalar", "adj_derivative")
