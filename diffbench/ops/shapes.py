"""Shape rules shared by several primitives.

A rule returns ``(out_shape, constraints)``; constraints are dim pairs that
must be equal, checked by the caller (IR building, or the parser's
unification when shapes are still being inferred).
"""
from __future__ import annotations


def same(a):
    return a, []


def scalar_out(*shapes, **_):
    return (), []


def broadcast_scalar(a, b, **_):
    """Element-wise binary: equal shapes, or one side a scalar."""
    if a == ():
        return b, []
    if b == ():
        return a, []
    if len(a) != len(b):
        return a, [(format_rank(a), format_rank(b))]
    return a, list(zip(a, b))


def format_rank(shape) -> str:
    return f"rank {len(shape)}"


def equal_shapes(a, b, **_):
    if len(a) != len(b):
        return (), [(format_rank(a), format_rank(b))]
    return (), list(zip(a, b))


def square(a, **_):
    if len(a) != 2:
        return (), [(format_rank(a), "rank 2")]
    return a, [(a[0], a[1])]


def square_to_scalar(a, **_):
    out, constraints = square(a)
    return (), constraints


def matmul(a, b, **_):
    """Matrix times matrix, or matrix times (column) vector."""
    if len(a) != 2 or len(b) not in (1, 2):
        return (), [(format_rank(a) + " @ " + format_rank(b), "matrix @ matrix or vector")]
    return (a[0],) + tuple(b[1:]), [(a[1], b[0])]


def transpose(a, **_):
    if len(a) != 2:
        return a, [(format_rank(a), "rank 2")]
    return (a[1], a[0]), []


def outer(a, b, **_):
    if len(a) != 1 or len(b) != 1:
        return (), [(format_rank(a) + " outer " + format_rank(b), "vectors")]
    return (a[0], b[0]), []


def vector_to_diag(a, **_):
    if len(a) != 1:
        return (), [(format_rank(a), "rank 1")]
    return (a[0], a[0]), []


def diag_to_vector(a, **_):
    out, constraints = square(a)
    return (a[0],) if len(a) == 2 else (), constraints


def given(shape=(), **_):
    """Leaves and reshapes: the output shape is an attribute."""
    return tuple(shape), []


def reshape(a, shape=(), **_):
    return tuple(shape), []


def broadcast(a, shape=(), **_):
    if a != ():
        return tuple(shape), [(format_rank(a), "rank 0")]
    return tuple(shape), []


def solve(a, b, **_):
    """A square A and a right-hand side with A's rows (trailing axes ride along)."""
    if len(a) != 2 or len(b) < 1:
        return b, [(format_rank(a) + " \\ " + format_rank(b), "square matrix \\ vector or matrix")]
    return b, [(a[0], a[1]), (a[1], b[0])]
