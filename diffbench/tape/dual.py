"""Dual numbers carrying a *batch* of tangents: forward mode, k directions at once.

A :class:`Dual` holds a primal array and a tangent array with one extra
leading axis of length ``k``.  Applying a primitive to duals evaluates the
primal with the NumPy ``impl`` and pushes every tangent forward with the
primitive's (batch-aware) JVP rules.

Because VJP rules are written over ``prims``, the tape's backward pass runs on
duals unchanged; that is how the Hessian is one forward-over-reverse sweep
with ``k = size(wrt)`` directions, not ``k`` separate Python-level passes.
"""
from __future__ import annotations

import numpy as np

from ..errors import Unsupported
from ..ops import HANDLERS, prims
from ..ops.core import IdentityBatch


class Dual:
    __slots__ = ("primal", "tangent")
    # array + dual must reach Dual.__radd__, not broadcast over an object array
    __array_ufunc__ = None

    def __init__(self, primal, tangent):
        self.primal = primal
        self.tangent = tangent

    @property
    def shape(self):
        return np.shape(self.primal)

    # ``+`` is how the backward pass sums adjoints of reused values.
    def __add__(self, other):
        return prims.add(self, other)

    __radd__ = __add__

    def __repr__(self) -> str:
        return f"Dual(primal shape {self.shape}, {np.shape(self.tangent)[0]} tangents)"


def _apply(prim, args, attrs):
    primals = [a.primal if type(a) is Dual else a for a in args]
    ans = prim.impl(*primals, **attrs)
    tangent = None
    for i, a in enumerate(args):
        if type(a) is not Dual:
            continue  # constants have zero tangent
        rule = prim.jvp[i] if i < len(prim.jvp) else None
        if rule is None:  # e.g. svd_u in svdvals' gradient: no second derivative
            raise Unsupported(f"unsupported: {prim.name} has no derivative rule "
                              "(needed here for a second derivative)")
        contribution = rule(a.tangent, ans, *primals, **attrs)
        if type(contribution) is IdentityBatch:  # the marker stays on the seed only
            contribution = contribution.view(np.ndarray)
        tangent = contribution if tangent is None else tangent + contribution
    return Dual(ans, tangent)


HANDLERS[Dual] = _apply


def primal(x):
    return x.primal if type(x) is Dual else x


def tangent_or_zero(x, k: int, shape):
    """The tangent batch of ``x``, or zeros when ``x`` does not depend on the seed."""
    if type(x) is Dual:
        return x.tangent
    return np.zeros((k,) + tuple(shape))
