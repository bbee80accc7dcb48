"""Leaves and shape plumbing: variables, constants, eye, ones, reshape,
and broadcasting a scalar to a shape.

``reshape`` is how the language's row vectors work: ``x'`` of a vector is
``reshape(x, (1,n))``, and ``(1,n) * (n,)`` ends in ``reshape(..., ())``.
"""
from __future__ import annotations

import numpy as np

from . import prims
from . import shapes as S
from .core import Primitive, define, linear, shape_of


def _leaf(name, impl, doc, needs_shape=False):
    define(Primitive(name, 0, S.given, impl, family="structural", doc=doc,
                     needs_shape=needs_shape))


_leaf("var", None, "a variable, bound to an input")
_leaf("const", lambda value: value, "a numeric literal")
_leaf("eye", lambda shape: np.eye(shape[0]), "identity matrix", needs_shape=True)
_leaf("ones", lambda shape: np.ones(shape), "all-ones vector or matrix", needs_shape=True)


def _batched_reshape(t, shape):
    return t.reshape((t.shape[0],) + tuple(shape))


linear("reshape", S.reshape, lambda a, shape: np.reshape(a, shape), family="structural", needs_shape=True,
       doc="same entries, another shape (row vectors, 1x1 to scalar)",
       adjoint=lambda g, a, shape: prims.reshape(g, shape=shape_of(a)),
       batched=_batched_reshape)


def _broadcast_impl(a, shape):
    return np.full(shape, a, dtype=float)


linear("broadcast", S.broadcast, _broadcast_impl, family="structural", needs_shape=True,
       doc="a scalar repeated to fill a shape",
       adjoint=lambda g, a, shape: prims.sum(g),
       batched=lambda t, shape: np.broadcast_to(t.reshape(t.shape + (1,) * len(shape)), t.shape + tuple(shape)))
