"""The subset of NumPy that diffbench can trace: ``import diffbench.numpy as np``.

Write a function as you would for autograd or JAX, swap the import, and
``diffbench.trace`` turns it into the same IR the expression language builds.
Each function here maps onto one primitive of the op table (or a short
composition of them, named below).  What has no primitive raises a
:class:`~diffbench.tracing.TraceError` naming your line; it never computes a
wrong result.  On plain numbers and arrays (outside a trace) each function
is NumPy's own, so a module written this way still runs as ordinary NumPy.
"""
from __future__ import annotations

import numpy as _np

from ..ir import const as _ir_const
from ..ir import node as _ir_node
from ..lang.lower import reshape as _reshape

from ..tracing.tracer import SymbolicDim, TraceError, Traced, column, fail, make, matmul_values, traced_sum
from ..tracing.tracer import along_axis as _along_axis
from . import linalg  # noqa: F401  (np.linalg.solve, ...)
from .einsum import einsum  # noqa: F401

pi = _np.pi
e = _np.e
float64 = _np.float64


def _traced(*args) -> bool:
    return any(isinstance(a, Traced) for a in args)


def _unary(op: str, numpy_fn):
    def apply(x):
        if not _traced(x):
            return numpy_fn(x)
        return make(op, column(x))

    apply.__name__ = numpy_fn.__name__
    apply.__doc__ = f"``{numpy_fn.__name__}`` element-wise (primitive ``{op}``)."
    return apply


exp = _unary("exp", _np.exp)
log = _unary("log", _np.log)
sin = _unary("sin", _np.sin)
cos = _unary("cos", _np.cos)
tan = _unary("tan", _np.tan)
tanh = _unary("tanh", _np.tanh)
sqrt = _unary("sqrt", _np.sqrt)
arcsin = _unary("arcsin", _np.arcsin)
arccos = _unary("arccos", _np.arccos)
arctan = _unary("arctan", _np.arctan)
log1p = _unary("log1p", _np.log1p)
expm1 = _unary("expm1", _np.expm1)
abs = _unary("abs", _np.abs)  # noqa: A001  (NumPy's name)
absolute = abs
sign = _unary("sign", _np.sign)


square = _unary("square", _np.square)


def maximum(a, b):
    """Element-wise ``max(a, b)`` (non-smooth: see docs/language.md for the kink)."""
    return make("max", column(a), column(b)) if _traced(a, b) else _np.maximum(a, b)


def minimum(a, b):
    return make("min", column(a), column(b)) if _traced(a, b) else _np.minimum(a, b)


def max(x, axis=None):  # noqa: A001  (NumPy's name)
    """The largest entry: not a primitive of diffbench (only the element-wise
    ``maximum``), so refused rather than approximated."""
    if not _traced(x):
        return _np.max(x, axis=axis)
    raise fail("np.max over entries has no primitive in diffbench; use np.maximum(a, b) "
               "element-wise, or logsumexp as a smooth maximum")


def min(x, axis=None):  # noqa: A001  (NumPy's name)
    if not _traced(x):
        return _np.min(x, axis=axis)
    raise fail("np.min over entries has no primitive in diffbench; use np.minimum(a, b) element-wise")


def tril(x, k=0):
    return make("tril", column(x), k=int(k)) if _traced(x) else _np.tril(x, k)


def triu(x, k=0):
    return make("triu", column(x), k=int(k)) if _traced(x) else _np.triu(x, k)


def kron(a, b):
    return make("kron", column(a), column(b)) if _traced(a, b) else _np.kron(a, b)


def concatenate(arrays, axis=0):
    """Vectors end to end, or matrices stacked (``axis=0``) or side by side (``axis=1``)."""
    if not _traced(*arrays):
        return _np.concatenate(arrays, axis=axis)
    nodes = [column(a) for a in arrays]
    ranks = {n.ndim for n in nodes}
    if ranks not in ({1}, {2}) or axis not in (0, 1, -1, -2) or (ranks == {1} and axis % 2):
        raise fail("concatenate takes vectors (axis 0) or matrices (axis 0 or 1) of one rank")
    out = Traced(nodes[0])
    for part in nodes[1:]:
        out = make("concat", out.value, part, axis=axis % nodes[0].ndim)
    return out


def stack(arrays, axis=0):
    """Vectors as the rows (``axis=0``) or columns (``axis=1``) of a matrix."""
    if not _traced(*arrays):
        return _np.stack(arrays, axis=axis)
    nodes = [column(a) for a in arrays]
    if {n.ndim for n in nodes} != {1} or axis not in (0, 1, -1):
        raise fail("stack takes vectors of one length (axis 0: rows, axis 1: columns)")
    shape = (lambda n: (1, n.shape[0])) if axis == 0 else (lambda n: (n.shape[0], 1))
    return concatenate([make("reshape", n, shape=shape(n)) for n in nodes], axis=0 if axis == 0 else 1)


def vstack(arrays):
    nodes = [column(a) for a in arrays] if _traced(*arrays) else None
    if nodes is None:
        return _np.vstack(arrays)
    return stack(arrays, 0) if nodes[0].ndim == 1 else concatenate(arrays, 0)


def hstack(arrays):
    if not _traced(*arrays):
        return _np.hstack(arrays)
    return concatenate(arrays, 0 if column(arrays[0]).ndim == 1 else 1)


def power(x, p):
    if not _traced(x, p):
        return _np.power(x, p)
    return Traced(column(x)) ** p


def add(a, b): return a + b if _traced(a, b) else _np.add(a, b)
def subtract(a, b): return a - b if _traced(a, b) else _np.subtract(a, b)
def multiply(a, b): return a * b if _traced(a, b) else _np.multiply(a, b)
def divide(a, b): return a / b if _traced(a, b) else _np.divide(a, b)
def negative(a): return -a if _traced(a) else _np.negative(a)


true_divide = divide


def matmul(a, b):
    return matmul_values(a, b) if _traced(a, b) else _np.matmul(a, b)


def dot(a, b):
    """``dot`` of vectors and matrices (rank <= 2): a matrix product, or a
    scaling when one side is a scalar."""
    if not _traced(a, b):
        return _np.dot(a, b)
    if _np.ndim(a) == 0 or _np.ndim(b) == 0 or getattr(a, "ndim", 1) == 0 or getattr(b, "ndim", 1) == 0:
        return a * b
    return matmul_values(a, b)


def inner(a, b):
    if not _traced(a, b):
        return _np.inner(a, b)
    if getattr(a, "ndim", 0) != 1 or getattr(b, "ndim", 0) != 1:
        raise fail("inner: only vectors (rank 1) can be traced")
    return matmul_values(a, b)


vdot = inner


def outer(a, b):
    if not _traced(a, b):
        return _np.outer(a, b)
    return make("outer", column(a), column(b))


def transpose(a):
    if not _traced(a):
        return _np.transpose(a)
    return a.T


def trace(a):
    if not _traced(a):
        return _np.trace(a)
    return make("tr", column(a))


def diag(a):
    """A vector to its diagonal matrix, or a square matrix to its diagonal."""
    if not _traced(a):
        return _np.diag(a)
    node = column(a)
    if node.ndim == 1:
        return make("diag_embed", node)
    if node.ndim == 2:
        return make("diag_part", node)
    raise fail("diag of a scalar")


def sum(x, axis=None):  # noqa: A001  (NumPy's name)
    if not _traced(x):
        return _np.sum(x, axis=axis)
    return traced_sum(x, axis)


def mean(x, axis=None):
    if not _traced(x):
        return _np.mean(x, axis=axis)
    if axis is not None:
        raise fail("mean along an axis cannot be traced; use sum(x, axis) / size")
    shape = column(x).shape
    if all(isinstance(d, int) for d in shape):
        return sum(x) / float(_np.prod(shape))
    return sum(x) / sum(_ones(shape))  # the count, while the dims are symbolic


def logsumexp(x, axis=None):
    """``scipy.special.logsumexp`` of all entries (primitive ``logsumexp``)."""
    if not _traced(x):
        x = _np.asarray(x)
        top = _np.max(x, axis=axis, keepdims=True)
        out = top + _np.log(_np.sum(_np.exp(x - top), axis=axis, keepdims=True))
        return out.reshape(()) if axis is None else _np.squeeze(out, axis=axis)
    if axis is None:
        return make("logsumexp", column(x))
    return _along_axis("logsumexp_axis", x, axis)


def softmax(x, axis=None):
    """``scipy.special.softmax``: of a vector, or of each row (``axis=1``) or
    column (``axis=0``) of a matrix (primitive ``softmax``)."""
    if not _traced(x):
        shifted = _np.exp(x - _np.max(x, axis=axis, keepdims=True))
        return shifted / _np.sum(shifted, axis=axis, keepdims=True)
    node = column(x)
    if node.ndim == 1 and axis in (None, 0, -1):
        return make("softmax", node, axis=0)
    if node.ndim == 2 and axis in (0, 1, -1, -2):
        return make("softmax", node, axis=axis % 2)
    raise fail(f"softmax over axis {axis} of a rank-{node.ndim} array cannot be traced")


def _is_zero(x) -> bool:
    return not isinstance(x, Traced) and _np.ndim(x) == 0 and float(x) == 0.0


def logaddexp(a, b):
    """``log(exp(a) + exp(b))``: ``softplus`` when one side is 0, else
    ``a + softplus(b - a)`` (stable, the same function)."""
    if not _traced(a, b):
        return _np.logaddexp(a, b)
    if _is_zero(a):
        return make("softplus", column(b))
    if _is_zero(b):
        return make("softplus", column(a))
    return a + make("softplus", column(b - a))


def where(condition, a, b):
    """``where`` on a constant Python boolean; a mask that varies by entry
    needs array constants, which a trace cannot carry."""
    if not _traced(condition, a, b):
        return _np.where(condition, a, b)
    if isinstance(condition, (bool, _np.bool_)):
        return a if condition else b
    raise fail("where() with an array mask cannot be traced: pass the mask as an input "
               "and write mask * a + (1 - mask) * b")


def sigmoid(x):
    """The logistic function (SciPy's ``expit``; primitive ``sigmoid``)."""
    if not _traced(x):
        return 0.5 * (1.0 + _np.tanh(0.5 * _np.asarray(x, dtype=float)))
    return make("sigmoid", column(x))


expit = sigmoid


def softplus(x):
    """``log(1 + exp(x))`` computed stably (primitive ``softplus``)."""
    if not _traced(x):
        return _np.logaddexp(0.0, x)
    return make("softplus", column(x))


def _dims(shape) -> tuple:
    shape = shape if isinstance(shape, tuple) else (shape,)
    return tuple(d.name if isinstance(d, SymbolicDim) else int(d) for d in shape)


def _symbolic(shape) -> bool:
    shape = shape if isinstance(shape, tuple) else (shape,)
    return any(isinstance(d, SymbolicDim) for d in shape)


def ones(shape):
    """All ones; with a traced dimension (``np.ones(x.shape[0])``) the
    language's ``ones(n)``."""
    if not _symbolic(shape):
        return _np.ones(shape)
    return _ones(_dims(shape))


def eye(n):
    """The identity; with a traced dimension the language's ``eye(n)``."""
    if not _symbolic(n):
        return _np.eye(n)
    (dim,) = _dims(n)
    return Traced(_ir_node("eye", (), {}, (dim, dim)))


def zeros(shape):
    """All zeros; with a traced dimension the language's ``vector(0)``/``matrix(0)``.
    (A concrete ``np.zeros(3)`` is a NumPy array, which a trace carries as that constant.)"""
    if not _symbolic(shape):
        return _np.zeros(shape)
    return make("broadcast", _ir_const(0.0), shape=_dims(shape))


def zeros_like(x):
    if not _traced(x):
        return _np.zeros_like(x)
    return make("broadcast", _ir_const(0.0), shape=column(x).shape)


def array(items, dtype=None):
    """``np.array`` of traced scalars (a vector) or of traced vectors of one
    length (a matrix, one per row), as the language's ``[a; b; c]``."""
    if not isinstance(items, (list, tuple)) or not _traced(*items):
        return _np.array(items, dtype=dtype)
    nodes = [column(item) for item in items]
    ranks = {n.ndim for n in nodes}
    if ranks == {0}:
        out = Traced(_reshape(nodes[0], (1,)))
        for part in nodes[1:]:
            out = make("concat", out.value, _reshape(part, (1,)), axis=0)
        return out
    if ranks == {1}:
        return stack(items, axis=0)
    raise fail("array() of traced values takes scalars (a vector) or vectors (the rows of a matrix)")


def cross(a, b):
    """The cross product of two 3-vectors, entry by entry."""
    if not _traced(a, b):
        return _np.cross(a, b)
    if column(a).shape != (3,) or column(b).shape != (3,):
        raise fail("cross of traced values takes two vectors of length 3 (trace with sizes= "
                   "when their length is a named dimension)")
    return array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def ones_like(x):
    if not _traced(x):
        return _np.ones_like(x)
    return _ones(column(x).shape)


def _ones(shape) -> Traced:
    # a leaf, built as the language builds ``ones(n)``
    return Traced(_ir_node("ones", (), {}, tuple(shape)))


__all__ = [name for name in dir() if not name.startswith("_")]


def __getattr__(name: str):
    """A NumPy function diffbench cannot carry: named at the user's line,
    at trace time (never a silently different function)."""
    if name.startswith("_"):
        raise AttributeError(name)
    error = fail(f"numpy.{name} is not supported by diffbench.numpy (see docs/python.md "
                 "for what is)")
    raise NotInDiffbenchNumpy(str(error))


class NotInDiffbenchNumpy(TraceError, AttributeError):
    """A trace error that is also an AttributeError, so ``hasattr`` probes
    (by tools, not users) still get a plain False."""
