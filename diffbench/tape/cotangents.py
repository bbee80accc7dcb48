"""A batch of cotangents: reverse mode over ``k`` output directions at once.

The reverse-mode Jacobian seeds the backward pass with every unit
cotangent of the output together.  A :class:`Cotangents` value holds that
batch (one leading axis of length ``k``) and the backward pass runs on it
unchanged, because VJP rules are written over ``prims``.

Why a primitive applied to a batch is its JVP rule: a VJP rule is *linear*
in its cotangent ``g``, so every primitive it applies to something derived
from ``g`` is linear in that argument (``A^T g``, ``g .* s'``, ``sum(g)``).
For a map linear in an argument, applying it to each item of a batch is
exactly what the op table's batch-aware JVP rule computes.  So no new rule
is written per primitive: this interpreter is the op table's JVP rules
used as batching rules (the transpose-free half of JAX's ``vmap``).

The seed is the identity, and the first steps of a backward pass usually
scale it element-wise (``g .* sigmoid'``), so a batch may be held as a
*diagonal*: item ``i`` is ``d_i e_i``.  Element-wise scaling keeps it
diagonal and a matrix product turns it into a dense ``(k, p)`` batch in
``O(kp)`` -- without it the Jacobian of ``sigmoid(A x)`` would build and
multiply a ``k x k`` identity.  Anything else densifies it first.
"""
from __future__ import annotations

import numpy as np

from ..ops import HANDLERS, prims
from ..ops.core import IdentityBatch


class Cotangents:
    """``k`` cotangents of one value of per-item shape ``shape``: either a
    dense ``(k, *shape)`` array, or (for vectors) a diagonal ``d`` meaning
    item ``i`` is ``d[i] * e_i``."""

    __slots__ = ("dense", "diag", "shape")
    __array_ufunc__ = None  # array + batch must reach __radd__

    def __init__(self, shape, dense=None, diag=None):
        self.shape = tuple(shape)
        self.dense = dense
        self.diag = diag

    @classmethod
    def identity(cls, shape) -> "Cotangents":
        """Every unit cotangent of a value of ``shape`` (the reverse seed)."""
        size = int(np.prod(shape, dtype=int))
        if len(shape) == 1:
            return cls(shape, diag=np.ones(size))
        return cls(shape, dense=np.eye(size).reshape((size,) + tuple(shape)))

    @property
    def size(self) -> int:
        return len(self.diag) if self.diag is not None else self.dense.shape[0]

    def as_dense(self) -> np.ndarray:
        if self.dense is None:
            self.dense = np.diag(self.diag)
        return self.dense

    def __add__(self, other):
        return prims.add(self, other)

    __radd__ = __add__

    def __repr__(self) -> str:
        kind = "diagonal" if self.diag is not None else "dense"
        return f"Cotangents({self.size} {kind}, item shape {self.shape})"


def _diagonal_rule(prim, args):
    """The diagonal result of ``prim`` on a diagonal batch, when it stays
    cheap (element-wise scaling), or a dense result in O(kp) (matrix
    products); None when the batch has to be densified."""
    batched = [i for i, a in enumerate(args) if type(a) is Cotangents]
    if len(batched) != 1 or args[batched[0]].diag is None:
        return None
    i = batched[0]
    d, other = args[i].diag, args[1 - i] if len(args) == 2 else None
    shape = args[i].shape
    if prim.name == "neg":
        return Cotangents(shape, diag=-d)
    same = other is not None and np.shape(other) in ((), shape)
    if prim.name == "mul" and same:
        return Cotangents(shape, diag=d * other)
    if prim.name == "div" and i == 0 and same:
        return Cotangents(shape, diag=d / other)
    if prim.name == "matmul" and np.ndim(other) == 2:
        # item j: A (d_j e_j) = d_j A[:, j]   or   (d_j e_j)^T B = d_j B[j, :]
        rows = (other * d).T if i == 1 else d[:, None] * other
        return Cotangents(rows.shape[1:], dense=rows)
    return None


def _apply(prim, args, attrs):
    fast = _diagonal_rule(prim, args)
    if fast is not None:
        return fast
    # stand-ins for the batched arguments' primals: the rules of a linear map
    # do not depend on where it is linearised
    primals = [np.zeros(a.shape) if type(a) is Cotangents else a for a in args]
    ans = prim.impl(*primals, **attrs)
    total = None
    for i, a in enumerate(args):
        if type(a) is not Cotangents:
            continue
        rule = prim.jvp[i] if i < len(prim.jvp) else None
        if rule is None:
            raise NotImplementedError(f"no batch (JVP) rule for argument {i} of {prim.name}")
        part = rule(a.as_dense(), ans, *primals, **attrs)
        if type(part) is IdentityBatch:
            part = part.view(np.ndarray)
        total = part if total is None else total + part
    k = next(a.size for a in args if type(a) is Cotangents)
    return Cotangents(np.shape(ans), dense=np.broadcast_to(total, (k,) + np.shape(ans)))


HANDLERS[Cotangents] = _apply


def dense_batch(adjoint, k: int, shape) -> np.ndarray:
    """A variable's adjoint batch as a ``(k, *shape)`` array (zeros when the
    output does not depend on it)."""
    if adjoint is None:
        return np.zeros((k,) + tuple(shape))
    if type(adjoint) is Cotangents:
        return np.asarray(adjoint.as_dense()).reshape((k,) + tuple(shape))
    return np.broadcast_to(np.asarray(adjoint, dtype=float), (k,) + tuple(shape))
