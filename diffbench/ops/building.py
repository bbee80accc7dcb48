"""Building matrices and taking them apart: triangles (more to come: slices,
concatenation, vec).

Each is linear and acts on the leading axes of its argument, carrying
further axes along, so :func:`~diffbench.ops.axes.linear` derives every rule
from the evaluation and the adjoint map.
"""
from __future__ import annotations

import numpy as np

from . import prims
from .axes import linear
from .core import ShapeError


def _matrix_shape(a, k=0, **_):
    if len(a) < 2:
        raise ShapeError(f"a triangle of a matrix, not of a shape of rank {len(a)}")
    return a, []


def _mask(a, k, lower):
    """The triangle's 0/1 mask for the leading two axes of ``a``."""
    m, n = np.shape(a)[:2]
    mask = np.tri(m, n, k, dtype=bool) if lower else ~np.tri(m, n, k - 1, dtype=bool)
    return mask.reshape((m, n) + (1,) * (np.ndim(a) - 2))


def _tril(a, k):
    return np.where(_mask(a, k, True), a, 0.0)


def _triu(a, k):
    return np.where(_mask(a, k, False), a, 0.0)


# the adjoint of keeping a triangle is keeping the same triangle
linear("tril", _matrix_shape, _tril, lambda g, a, k: prims.tril(g, k=k),
       "the lower triangle: entries (i, j) with j - i <= k, the rest 0")
linear("triu", _matrix_shape, _triu, lambda g, a, k: prims.triu(g, k=k),
       "the upper triangle: entries (i, j) with j - i >= k, the rest 0")
