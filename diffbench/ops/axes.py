"""Reductions along one axis, and the softmax.

``sum_axis(X; axis)`` sums a matrix along ``axis`` (0: down the columns,
giving one entry per column; 1: along the rows) and ``spread(v; axis)`` is
its adjoint, repeating ``v`` along that axis.  Both act on the *leading*
axes and carry any further axes along, so the symbolic engine pushes a
Jacobian (which has the variable's axes trailing) through them with the
same primitive (see :func:`linear`).

The language counts axes from 1, as MATLAB does: ``sum(X, 1)`` is
``sum_axis(X; axis=0)``, the column sums; ``sum(X, 2)`` the row sums.
"""
from __future__ import annotations

import numpy as np

from . import prims
from .core import Primitive, ShapeError, define, out_of_reach, shape_of
from .core import linear as core_linear


def linear(name, shape, impl, adjoint, doc, **options):
    """A primitive linear in its one argument, acting on its leading axes:
    :func:`.core.linear` with ``leading=True``, so its JVP is ``impl`` on the
    tangent batch (moved to the last axis) and the symbolic engine pushes a
    Jacobian through it with the primitive itself."""
    return core_linear(name, shape, impl, adjoint, doc, leading=True, **options)


# ---------------------------------------------------------------- shapes

def _axis_shape(a, axis=0, **_):
    if len(a) < 1 or axis >= max(len(a), 1) or axis not in (0, 1):
        raise ShapeError(f"no axis {axis + 1} in a shape of rank {len(a)}")
    return a[:axis] + a[axis + 1:], []


def _spread_shape(a, axis=0, shape=(), **_):
    shape = tuple(shape)
    return shape, [(x, y) for x, y in zip(a, shape[:axis] + shape[axis + 1:])]


def _same_shape(a, **_):
    return a, []


# ---------------------------------------------------------------- sums

def _spread(g, axis, shape):
    return np.broadcast_to(np.expand_dims(g, axis), tuple(shape)).copy()


linear("sum_axis", _axis_shape, lambda a, axis: np.sum(a, axis=axis),
       lambda g, a, axis: prims.spread(g, axis=axis, shape=shape_of(a)),
       "sum along one axis: axis 0 gives the column sums, axis 1 the row sums",
       family="reduction")
linear("spread", _spread_shape, _spread,
       lambda g, a, axis, shape: prims.sum_axis(g, axis=axis),
       "a vector repeated along a new axis (the adjoint of sum_axis)", needs_shape=True)


# ---------------------------------------------------------------- log-sum-exp and softmax

def _softmax(a, axis):
    e = a - np.max(a, axis=axis, keepdims=True)  # a fresh array: the rest works in place
    if not np.issubdtype(e.dtype, np.floating):
        e = e.astype(float)
    np.exp(e, out=e)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _logsumexp_axis(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def _spread_like(v, a, axis):
    return prims.spread(v, axis=axis, shape=shape_of(a))


define(Primitive(
    "logsumexp_axis", 1, _axis_shape, _logsumexp_axis, family="reduction",
    # d lse(a) = <softmax(a), da> along the axis
    vjp=(lambda g, ans, a, axis: prims.mul(_spread_like(g, a, axis), prims.softmax(a, axis=axis)),),
    jvp=(lambda t, ans, a, axis: np.sum(t * _softmax(a, axis), axis=axis + 1),),
    domain=("real",), doc="log-sum-exp along one axis (axis 1: of each row)",
    symbolic={"jvp": (lambda t, ans, a, axis: prims.sum_axis(prims.mul(t, prims.softmax(a, axis=axis)), axis=axis),)}))


def _softmax_vjp(g, ans, a, axis):
    # J^T g = s ⊙ (g − Σ_axis g ⊙ s); J = diag(s) − s sᵀ is symmetric, so this is J g too
    if len(shape_of(ans)) == 1:
        return prims.mul(ans, prims.sub(g, prims.inner(g, ans)))
    inner = prims.sum_axis(prims.mul(g, ans), axis=axis)
    return prims.mul(ans, prims.sub(g, _spread_like(inner, a, axis)))


def _softmax_jvp(t, ans, a, axis):
    return ans * (t - np.sum(t * ans, axis=axis + 1, keepdims=True))


define(Primitive(
    "softmax", 1, _same_shape, _softmax, family="reduction",
    vjp=(_softmax_vjp,), jvp=(_softmax_jvp,), domain=("real",),
    doc="exp(a) / sum(exp(a)) along one axis (a vector: axis 0; axis 1: each row)",
    symbolic={"jvp": (lambda t, ans, a, axis: _softmax_vjp(t, ans, a, axis),)}))


# the scalar SymPy baseline has no rule for these (it reports them unsupported)
out_of_reach("sympy-scalar", "logsumexp_axis", "softmax", "spread", "sum_axis")
