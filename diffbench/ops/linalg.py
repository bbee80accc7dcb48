"""Linear-algebra primitives: products, transpose, trace, det, inverse ...

Identities cited are from the Matrix Cookbook (Petersen & Pedersen, 2012).
Every entry of a matrix argument is independent (no symmetry is assumed),
so d logdet(X)/dX = X^-T even where X is sampled symmetric.
"""
from __future__ import annotations

import numpy as np

from . import prims
from . import shapes as S
from .core import IdentityBatch, Primitive, define, shape_of


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
    "matmul", 2, S.matmul, np.matmul, family="linalg",
    vjp=(_matmul_vjp_a, lambda g, ans, a, b: prims.matmul(prims.transpose(a), g)),
    jvp=(lambda t, ans, a, b: t @ b,
         lambda t, ans, a, b: _matvec_batch(a, t)),
    domain=("real", "real"), doc="matrix product (matrix @ matrix or matrix @ vector)",
    symbolic={"jvp": (lambda t, ans, a, b: prims.matmul(t, b),
                      lambda t, ans, a, b: prims.matmul(a, t))}))

define(Primitive(
    "outer", 2, S.outer, np.outer, family="linalg",
    vjp=(lambda g, ans, u, v: prims.matmul(g, v),
         lambda g, ans, u, v: prims.matmul(prims.transpose(g), u)),
    jvp=(lambda t, ans, u, v: t[:, :, None] * v,
         lambda t, ans, u, v: u[:, None] * t[:, None, :]),
    domain=("real", "real"), doc="u v^T",
    symbolic={"jvp": (lambda t, ans, u, v: prims.outer(t, v),
                      lambda t, ans, u, v: prims.outer(u, t))}))

define(Primitive(
    "transpose", 1, S.transpose, np.transpose, family="linalg",
    vjp=(lambda g, ans, a: prims.transpose(g),),
    jvp=(lambda t, ans, a: np.swapaxes(t, -1, -2),),
    domain=("real",),
    symbolic={"jvp": (lambda t, ans, a: prims.transpose(t),)}))


def _inner_impl(a, b):
    return np.vdot(a, b) if np.ndim(a) else a * b


def _batched_inner(t, b):
    """<t_i, b> for every tangent t_i of the batch."""
    return t.reshape(t.shape[0], -1) @ np.ravel(b)


define(Primitive(
    "inner", 2, S.equal_shapes, _inner_impl, family="linalg",
    vjp=(lambda g, ans, a, b: prims.mul(g, b), lambda g, ans, a, b: prims.mul(g, a)),
    jvp=(lambda t, ans, a, b: _batched_inner(t, b),
         lambda t, ans, a, b: _batched_inner(t, a)),
    domain=("real", "real"), doc="<a, b> = sum of a .* b (Frobenius for matrices)",
    symbolic={"jvp": (lambda t, ans, a, b: prims.inner(t, b),
                      lambda t, ans, a, b: prims.inner(a, t))}))


define(Primitive(
    "tr", 1, S.square_to_scalar, np.trace, family="linalg",
    vjp=(lambda g, ans, a: prims.diag_embed(prims.broadcast(g, shape=shape_of(a)[:1])),),
    jvp=(lambda t, ans, a: np.trace(t, axis1=-2, axis2=-1),),
    domain=("real",),
    symbolic={"jvp": (lambda t, ans, a: prims.tr(t),)}))


def _inv_t(a):
    return np.linalg.inv(a).T


define(Primitive(
    "det", 1, S.square_to_scalar, np.linalg.det, family="linalg",
    # Cookbook (49): d det(X) = det(X) tr(X^-1 dX)
    vjp=(lambda g, ans, a: prims.mul(prims.mul(g, ans), prims.transpose(prims.inv(a))),),
    jvp=(lambda t, ans, a: ans * _batched_inner(t, _inv_t(a)),),
    domain=("invertible",),
    symbolic={"jvp": (lambda t, ans, a: prims.mul(ans, prims.inner(prims.transpose(prims.inv(a)), t)),)}))


def _logdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return logabs if sign > 0 else np.nan  # outside the domain: say so, never guess


define(Primitive(
    "logdet", 1, S.square_to_scalar, _logdet, family="linalg",
    # Cookbook (57): d log det(X) = tr(X^-1 dX)
    vjp=(lambda g, ans, a: prims.mul(g, prims.transpose(prims.inv(a))),),
    jvp=(lambda t, ans, a: _batched_inner(t, _inv_t(a)),),
    domain=("spd",), doc="log det X (X with positive determinant)",
    symbolic={"jvp": (lambda t, ans, a: prims.inner(prims.transpose(prims.inv(a)), t),)}))

define(Primitive(
    "inv", 1, S.square, np.linalg.inv, family="linalg",
    # Cookbook (59): d X^-1 = -X^-1 dX X^-1
    vjp=(lambda g, ans, a: prims.neg(prims.matmul(prims.transpose(ans), prims.matmul(g, prims.transpose(ans)))),),
    jvp=(lambda t, ans, a: -(ans @ t @ ans),),
    domain=("invertible",),
    symbolic={"jvp": (lambda t, ans, a: prims.neg(prims.matmul(ans, prims.matmul(t, ans))),)}))


def _diag_embed_jvp(t, ans, v):
    return t[..., None] * np.eye(v.shape[0])


define(Primitive(
    "diag_embed", 1, S.vector_to_diag, np.diag, family="linalg",
    vjp=(lambda g, ans, v: prims.diag_part(g),),
    jvp=(_diag_embed_jvp,),
    domain=("real",), doc="diag(v): the diagonal matrix of a vector",
    symbolic={"jvp": (lambda t, ans, v: prims.diag_embed(t),)}))

define(Primitive(
    "diag_part", 1, S.diag_to_vector, np.diag, family="linalg",
    vjp=(lambda g, ans, a: prims.diag_embed(g),),
    jvp=(lambda t, ans, a: np.diagonal(t, axis1=-2, axis2=-1),),
    domain=("real",), doc="diag(X): the diagonal of a matrix as a vector",
    symbolic={"jvp": (lambda t, ans, a: prims.diag_part(t),)}))


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
