"""Univariate Taylor arithmetic: derivatives of order 3 and beyond along one
scalar variable, by running the tape's forward pass on truncated power series.

A :class:`Taylor` value holds the coefficients ``c_0 .. c_K`` of
``v(x0 + t) = sum_k c_k t^k``; seeding the scalar variable with ``[x0, 1,
0, ...]`` makes the output's ``k``-th coefficient ``f^(k)(x0) / k!``.

Primitives are applied in three ways:

* linear ones (``add``, ``transpose``, ``sum`` ...) act on each coefficient;
* bilinear ones (``mul``, ``matmul``, ``inner``, ``outer``) take the Cauchy
  product ``y_k = sum_j op(a_j, b_{k-j})``;
* every other one follows from its own tangent rule, the op table's
  ``symbolic["jvp"]`` (written over ``prims``, so it runs on series too):
  ``y' = J(x)[x']`` is a series of order ``K-1`` built from ``y`` and ``x``
  truncated to order ``K-1``, and ``y_k = y'_{k-1} / k``.  This recursion
  needs no per-primitive Taylor rule; its cost grows with ``K`` like the
  nesting of non-linear calls inside a rule (``sin -> cos -> sin``: ``2^K``),
  which is small for the orders asked (up to about 8).

``div`` has the classic recurrence ``y_k = (a_k - sum_{j>=1} b_j y_{k-j}) / b_0``
instead, so a quotient costs ``O(K^2)`` products rather than ``3^K``.
"""
from __future__ import annotations

import numpy as np

from ..ops import HANDLERS
from ..ops.core import TABLE

LINEAR = {"add", "sub", "neg", "transpose", "tr", "diag_embed", "diag_part", "sum", "reshape", "broadcast"}
BILINEAR = {"mul", "matmul", "inner", "outer"}


class Taylor:
    """Coefficients ``c_0 .. c_K`` of a truncated power series in one scalar."""

    __slots__ = ("coeffs",)
    __array_ufunc__ = None  # array + series reaches Taylor.__radd__

    def __init__(self, coeffs):
        self.coeffs = list(coeffs)

    @property
    def order(self) -> int:
        return len(self.coeffs) - 1

    @property
    def shape(self):
        return np.shape(self.coeffs[0])

    def truncated(self, order: int) -> "Taylor":
        return Taylor(self.coeffs[:order + 1])

    def derivative(self) -> "Taylor":
        """The series of ``dv/dt``: one order lower."""
        return Taylor([k * c for k, c in enumerate(self.coeffs) if k])

    def __add__(self, other):
        return HANDLERS[Taylor](TABLE["add"], (self, other), {})

    __radd__ = __add__

    def __repr__(self) -> str:
        return f"Taylor(order {self.order}, shape {self.shape})"


def _order_of(args) -> int:
    return min(a.order for a in args if type(a) is Taylor)


def _coeff(a, k: int):
    """The k-th coefficient of a series; a constant's are 0 beyond the first."""
    if type(a) is Taylor:
        return a.coeffs[k]
    return a if k == 0 else np.zeros(np.shape(a))


def _truncate(a, order: int):
    return a.truncated(order) if type(a) is Taylor else a


def _linear(prim, args, attrs, order):
    return Taylor([prim.impl(*[_coeff(a, k) for a in args], **attrs) for k in range(order + 1)])


def _bilinear(prim, args, attrs, order):
    a, b = args
    if type(b) is not Taylor:
        return Taylor([prim.impl(a.coeffs[k], b, **attrs) for k in range(order + 1)])
    if type(a) is not Taylor:
        return Taylor([prim.impl(a, b.coeffs[k], **attrs) for k in range(order + 1)])
    return Taylor([sum(prim.impl(a.coeffs[j], b.coeffs[k - j], **attrs) for j in range(k + 1))
                   for k in range(order + 1)])


def _divide(prim, args, attrs, order):
    a, b = args
    if type(b) is not Taylor:
        return Taylor([prim.impl(_coeff(a, k), b) for k in range(order + 1)])
    out = []
    for k in range(order + 1):
        acc = _coeff(a, k)
        for j in range(1, k + 1):
            acc = acc - b.coeffs[j] * out[k - j]
        out.append(acc / b.coeffs[0])
    return Taylor(out)


def _by_tangent_rule(prim, args, attrs, order):
    """``y' = sum_i J_i(x)[x_i']`` over series one order lower, integrated."""
    y0 = prim.impl(*[_coeff(a, 0) for a in args], **attrs)
    if order == 0:
        return Taylor([y0])
    lower = [_truncate(a, order - 1) for a in args]
    y_lower = apply(prim, lower, attrs, order - 1)
    rules = prim.symbolic.get("jvp", ())
    slope = None
    for i, a in enumerate(args):
        if type(a) is not Taylor:
            continue
        if i >= len(rules) or rules[i] is None:
            raise NotImplementedError(f"no tangent rule for argument {i} of {prim.name}")
        part = rules[i](_truncate(a, order).derivative(), y_lower, *lower, **attrs)
        slope = part if slope is None else HANDLERS[Taylor](TABLE["add"], (slope, part), {})
    return Taylor([y0] + [_coeff(slope, k) / (k + 1) for k in range(order)])


def apply(prim, args, attrs, order=None):
    """``prim(*args)`` where some arguments are series; result to ``order``."""
    order = _order_of(args) if order is None else order
    if prim.name in LINEAR:
        return _linear(prim, args, attrs, order)
    if prim.name in BILINEAR:
        return _bilinear(prim, args, attrs, order)
    if prim.name == "div":
        return _divide(prim, args, attrs, order)
    return _by_tangent_rule(prim, args, attrs, order)


def _handler(prim, args, attrs):
    return apply(prim, tuple(args), attrs)


HANDLERS[Taylor] = _handler


def seed(x0: float, order: int) -> Taylor:
    """The series of the variable itself: ``x0 + t``."""
    return Taylor([float(x0), 1.0] + [0.0] * (order - 1))


def derivatives_of(series, order: int) -> list[float]:
    """``[f', f'', ..., f^(order)]`` from the output's coefficients (``k! c_k``)."""
    if type(series) is not Taylor:  # the output does not depend on the variable
        return [0.0] * order
    out, factorial = [], 1.0
    for k in range(1, order + 1):
        factorial *= k
        out.append(float(np.asarray(series.coeffs[k])) * factorial)
    return out
