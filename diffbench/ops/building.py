"""Building matrices and taking them apart: triangles, slices (``take``
and its adjoint ``put``), concatenation, ``vec``.

Each is linear and acts on the leading axes of its argument, carrying
further axes along, so :func:`~diffbench.ops.axes.linear` derives every rule
from the evaluation and the adjoint map.
"""
from __future__ import annotations

import numpy as np

from . import prims
from ..dims import combine
from ..function import InputError
from ..ir import resolve_shape, topological
from .axes import linear
from .core import Primitive, ShapeError, define, out_of_reach, shape_of


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


# ---------------------------------------------------------------- slices
# ``index`` holds one entry per leading axis, 0-based:
#   ("at", i)           one entry, the axis is dropped
#   ("range", a, b)     entries a .. b-1
#   ("all",)            the whole axis
#   ("head", d)/("tail", d)  the first/last d entries (d a dim: sized at run time)

def _take_shape(a, index=(), **_):
    if len(index) > len(a):
        raise ShapeError(f"{len(index)} indices into a shape of rank {len(a)}")
    out = []
    for spec, dim in zip(index, a):
        if spec[0] == "range":
            out.append(spec[2] - spec[1])
        elif spec[0] == "all":
            out.append(dim)
        elif spec[0] in ("head", "tail"):
            out.append(spec[1])
    return tuple(out) + tuple(a[len(index):]), []


def _put_shape(g, index=(), shape=(), **_):
    return tuple(shape), []


def slices(index, full, part):
    """NumPy slices for ``index``, given the full and the taken shapes."""
    out, k = [], 0
    for axis, spec in enumerate(index):
        kind = spec[0]
        if kind == "at":
            out.append(spec[1])
            continue
        if kind == "range":
            if spec[2] > full[axis]:
                raise InputError(f"index {spec[2]} is out of range for a dimension of size {full[axis]}")
            out.append(slice(spec[1], spec[2]))
        elif kind == "all":
            out.append(slice(None))
        elif kind == "head":
            out.append(slice(0, part[k]))
        else:
            out.append(slice(full[axis] - part[k], full[axis]))
        k += 1
    for axis, spec in enumerate(index):
        if spec[0] == "at" and spec[1] >= full[axis]:
            # the sizes came after the text: an index past them is the user's to fix, in one line
            raise InputError(f"index {spec[1] + 1} is out of range for a dimension of size {full[axis]}")
    return tuple(out)


def check_indices(root, combos: list[dict]) -> None:
    """Every index of ``root`` within its dimension at each sizes of ``combos``:
    a job knows its sizes before anything runs, so ``x[4]`` with n = 3 is refused
    there, not found out cell by cell (``InputError``)."""
    takes = [n for n in topological(root) if n.op == "take"]
    for sizes in combos:
        for n in takes:
            slices(n.attr("index"), resolve_shape(n.args[0].shape, sizes), resolve_shape(n.shape, sizes))


def _take(a, index, shape=None):
    if shape is None:  # only head/tail need the taken shape; the rest know their bounds
        shape = _take_shape(np.shape(a), index)[0]
    return a[slices(index, np.shape(a), shape)]


def _put(g, index, shape):
    out = np.zeros(shape)
    out[slices(index, shape, np.shape(g))] = g
    return out


linear("take", _take_shape, _take, lambda g, a, index, shape=None: prims.put(g, index=index, shape=shape_of(a)),
       "entries, rows, columns or blocks of a vector or matrix", needs_shape=True)
linear("put", _put_shape, _put, lambda g, a, index, shape: prims.take(g, index=index),
       "a slice placed into zeros of a given shape (the adjoint of take)", needs_shape=True)


# ---------------------------------------------------------------- concatenation

def _concat_shape(a, b, axis=0, **_):
    if len(a) != len(b) or axis >= len(a):
        return a, [(f"rank {len(a)}", f"rank {len(b)}")]
    out = list(a)
    out[axis] = combine("+", a[axis], b[axis])
    return tuple(out), [(x, y) for i, (x, y) in enumerate(zip(a, b)) if i != axis]


def _part(axis, which, dim):
    return tuple(("all",) for _ in range(axis)) + ((which, dim),)


def _concat_vjp(which):
    def rule(g, ans, a, b, axis):
        mine = a if which == "head" else b
        return prims.take(g, index=_part(axis, which, shape_of(mine)[axis]))
    return rule


def _concat_jvp(which):
    def rule(t, ans, a, b, axis):
        mine = a if which == "head" else b
        index = _part(axis, which, np.shape(mine)[axis])
        out = np.zeros((t.shape[0],) + np.shape(ans))
        out[(slice(None),) + slices(index, np.shape(ans), np.shape(mine))] = t
        return out
    return rule


def _concat_tangent(which):
    def rule(t, ans, a, b, axis):
        mine = a if which == "head" else b
        return prims.put(t, index=_part(axis, which, shape_of(mine)[axis]), shape=shape_of(ans))
    return rule


define(Primitive(
    "concat", 2, _concat_shape, lambda a, b, axis: np.concatenate((a, b), axis=axis),
    family="structural", doc="[a; b] (axis 0) or [A, B] (axis 1)",
    vjp=(_concat_vjp("head"), _concat_vjp("tail")),
    jvp=(_concat_jvp("head"), _concat_jvp("tail")), domain=("real", "real"),
    symbolic={"jvp": (_concat_tangent("head"), _concat_tangent("tail"))}))


# ---------------------------------------------------------------- vec

def _vec_shape(a, **_):
    if len(a) < 2:
        raise ShapeError(f"vec of a matrix, not of a shape of rank {len(a)}")
    return (combine("*", a[0], a[1]),) + tuple(a[2:]), []


def _vec(a):
    """Columns stacked: vec(X)[j*m + i] = X[i, j]."""
    return np.reshape(np.swapaxes(a, 0, 1), (-1,) + np.shape(a)[2:])


def _unvec_shape(g, shape=(), **_):
    return tuple(shape), [(g[0], combine("*", shape[0], shape[1]))]


def _unvec(g, shape):
    m, n = shape[0], shape[1]
    return np.swapaxes(np.reshape(g, (n, m) + tuple(shape[2:])), 0, 1)


linear("vec", _vec_shape, _vec, lambda g, a: prims.unvec(g, shape=shape_of(a)),
       "the columns of a matrix stacked into one vector")
linear("unvec", _unvec_shape, _unvec, lambda g, a, shape: prims.vec(g),
       "a vector cut into the columns of a matrix (the adjoint of vec)", needs_shape=True)


# the scalar SymPy baseline has no rule for these (it reports them unsupported)
out_of_reach("sympy-scalar", "concat", "put", "take", "tril", "triu", "unvec", "vec")
