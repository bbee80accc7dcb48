"""``diffbench.numpy.linalg``: the linear algebra a trace can carry."""
from __future__ import annotations

import numpy as _np

from ..tracing.tracer import Traced, column, fail, make


def _traced(*args) -> bool:
    return any(isinstance(a, Traced) for a in args)


def inv(a):
    return make("inv", column(a)) if _traced(a) else _np.linalg.inv(a)


def det(a):
    return make("det", column(a)) if _traced(a) else _np.linalg.det(a)


def solve(a, b):
    """``A⁻¹ b`` by the primitive ``solve`` (never through ``inv``)."""
    if not _traced(a, b):
        return _np.linalg.solve(a, b)
    return make("solve", column(a), column(b))


class _UnknownSign:
    """The sign ``slogdet`` returns: a trace cannot know it (it depends on
    the data), so using it is an error rather than a guess."""

    def _refuse(self, *_):
        raise fail("the sign from slogdet depends on data and cannot be traced; "
                   "use only slogdet(A)[1] (log|det A|)")

    __mul__ = __rmul__ = __add__ = __radd__ = __sub__ = __rsub__ = __truediv__ = _refuse
    __bool__ = __float__ = __eq__ = __lt__ = __gt__ = _refuse
    __hash__ = None


def slogdet(a):
    """``(sign, log|det A|)``; the log-determinant is the primitive ``logdet``."""
    if not _traced(a):
        return _np.linalg.slogdet(a)
    return _UnknownSign(), make("logdet", column(a))


def norm(x, ord=None):  # noqa: A002  (NumPy's name)
    """The 2-norm of a vector or the Frobenius norm of a matrix (``norm2``);
    ``ord=1`` of a vector is ``norm1``."""
    if not _traced(x):
        return _np.linalg.norm(x, ord=ord)
    node = column(x)
    if ord is None or ord == "fro" and node.ndim == 2 or ord == 2 and node.ndim == 1:
        return make("norm2", node)
    if ord == 1 and node.ndim == 1:
        return make("norm1", node)
    raise fail(f"norm with ord={ord!r} of a rank-{node.ndim} array cannot be traced")


def svd(a, full_matrices=True, compute_uv=True):
    """``svd(A, compute_uv=False)``: the singular values (primitive ``svdvals``);
    the factors U and V have no derivative rules, so they are refused."""
    if not _traced(a):
        return _np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    if compute_uv:
        raise fail("svd's factors U and V cannot be traced (no derivative rules); use "
                   "svd(A, compute_uv=False) or svdvals(A) for the singular values")
    return make("svdvals", column(a))


def svdvals(a):
    """The singular values, decreasing (NumPy 2's ``linalg.svdvals``)."""
    if not _traced(a):
        return _np.linalg.svd(a, compute_uv=False)
    return make("svdvals", column(a))


__all__ = ["inv", "det", "solve", "slogdet", "norm", "svd", "svdvals"]
