"""Reductions to a scalar: sum, Euclidean/Frobenius norm, log-sum-exp."""
from __future__ import annotations

import numpy as np

from . import prims
from . import shapes as S
from .core import Primitive, define, linear, ndim_of, out_of_reach, shape_of


def _batch_sum(t):
    return t.reshape(t.shape[0], -1).sum(axis=1)


linear("sum", S.scalar_out, np.sum, family="reduction", doc="sum of all entries", numpy="sum",
       printed=("sum", r"\operatorname{sum}"),
       adjoint=lambda g, a: prims.broadcast(g, shape=shape_of(a)), batched=_batch_sum)


# Squared sums in this range cannot have lost precision to underflow or overflowed
_SAFE_SQUARES = (1e-280, 1e280)


def _norm2(a):
    """sqrt(<a, a>), rescaled by the largest entry when <a, a> leaves the float
    range (entries below 1e-154 or above 1e154): then ‖a‖ is still representable."""
    if not ndim_of(a):
        return np.abs(a)
    squares = np.vdot(a, a)
    if _SAFE_SQUARES[0] < squares < _SAFE_SQUARES[1]:
        return np.sqrt(squares)
    top = np.max(np.abs(a))
    if top == 0 or not np.isfinite(top):  # all zeros, or an inf/nan entry
        return np.sqrt(squares)
    return top * np.sqrt(np.vdot(a / top, a / top))


define(Primitive(
    "norm2", 1, S.scalar_out, _norm2, family="reduction",
    # g (a / ‖a‖): the unit vector first, so the tape's Hessian never forms ‖a‖² (scale-invariant)
    vjp=(lambda g, ans, a: prims.mul(g, prims.div(a, ans)),),
    jvp=(lambda t, ans, a: (t.reshape(t.shape[0], -1) @ np.ravel(a)) / ans,),
    domain=("nonzero",), doc="Euclidean norm of a vector, Frobenius norm of a matrix",
    symbolic={"jvp": (lambda t, ans, a: prims.div(prims.inner(a, t), ans),)}))


def _logsumexp(a):
    top = np.max(a)
    return top + np.log(np.sum(np.exp(a - top)))


define(Primitive(
    "logsumexp", 1, S.scalar_out, _logsumexp, family="reduction",
    printed=("logsumexp", r"\operatorname{logsumexp}"),
    # the gradient is softmax(a) = exp(a - logsumexp(a))
    vjp=(lambda g, ans, a: prims.mul(g, _lse_gradient(a, ans)),),
    jvp=(lambda t, ans, a: t.reshape(t.shape[0], -1) @ np.ravel(np.exp(a - ans)),),
    domain=("real",), doc="log of the sum of exp of all entries",
    symbolic={"jvp": (lambda t, ans, a: prims.inner(_lse_gradient(a, ans), t),)}))


def _lse_gradient(a, ans):
    """softmax(a) for a vector: the named function prints as what it is, and its
    code takes one exp of ``a`` (exp(a - lse(a)) would take a second one)."""
    if len(shape_of(a)) == 1:
        return prims.softmax(a, axis=0)
    return prims.exp(prims.sub(a, ans))


def _norm1(a):
    return np.sum(np.abs(a))


define(Primitive(
    "norm1", 1, S.scalar_out, _norm1, family="reduction", printed=("norm1", r"\operatorname{norm1}"),
    # non-smooth where an entry is 0; the rules use sign(0) = 0 there
    vjp=(lambda g, ans, a: prims.mul(g, prims.sign(a)),),
    jvp=(lambda t, ans, a: t.reshape(t.shape[0], -1) @ np.ravel(np.sign(a)),),
    domain=("nonzero",), doc="sum of absolute values of the entries",
    symbolic={"jvp": (lambda t, ans, a: prims.inner(prims.sign(a), t),)}))


# the scalar SymPy baseline has no rule for these (it reports them unsupported)
out_of_reach("sympy-scalar", "norm1")
