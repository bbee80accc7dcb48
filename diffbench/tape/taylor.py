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
instead, so a quotient costs ``O(K^2)`` products rather than ``3^K``.  The
sums over ``j`` of an element-wise product or quotient are one NumPy call
per order on the stacked coefficients (a convolution for scalars): at the
orders asked the interpreter's calls, not the arithmetic, are the cost.
"""
from __future__ import annotations

import numpy as np

from ..ops import HANDLERS
from ..ops.core import TABLE

LINEAR = {"add", "sub", "neg", "transpose", "tr", "diag_embed", "diag_part", "sum", "reshape", "broadcast"}
BILINEAR = {"mul", "matmul", "inner", "outer"}
RECURRENCES = {"exp", "log", "sqrt", "pow", "sin", "cos", "tanh", "sigmoid"}  # see _by_recurrence


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


def _stacked(series: "Taylor", order: int, ndim: int) -> np.ndarray:
    """Coefficients ``0 .. order`` as one array ``(order + 1, ...)``, with
    axes of length 1 in front of the value's so two stacks broadcast like
    their values do."""
    stack = np.asarray(series.coeffs[:order + 1], dtype=float)
    return stack.reshape((order + 1,) + (1,) * (ndim - stack.ndim + 1) + stack.shape[1:])


def _cauchy(a: "Taylor", b: "Taylor", order: int) -> "Taylor":
    """``y_k = sum_j a_j b_{k-j}`` for element-wise products, one NumPy call per
    order (a convolution for scalars) instead of one per pair of coefficients."""
    ndim = max(np.ndim(a.coeffs[0]), np.ndim(b.coeffs[0]))
    A, B = _stacked(a, order, ndim), _stacked(b, order, ndim)
    if ndim == 0:
        return Taylor(list(np.convolve(A, B)[:order + 1]))
    return Taylor([np.sum(A[:k + 1] * B[k::-1], axis=0) for k in range(order + 1)])


def _bilinear(prim, args, attrs, order):
    a, b = args
    if prim.name == "mul" and type(a) is Taylor and type(b) is Taylor:
        return _cauchy(a, b, order)
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
    ndim = max(np.ndim(b.coeffs[0]), np.ndim(_coeff(a, 0)))
    B, out = _stacked(b, order, ndim), []
    for k in range(order + 1):
        acc = _coeff(a, k)
        if k:  # sum_{j>=1} b_j y_{k-j}, in one call
            acc = acc - np.sum(B[1:k + 1] * np.asarray(out[::-1]), axis=0)
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


# ---------------------------------------------------------------- recurrences
# The tangent-rule recursion re-evaluates a rule's own non-linear calls at every
# order: pow's rule calls pow again, so a^b costs 2^K.  The textbook recurrences
# (Griewank and Walther, *Evaluating Derivatives*, 2nd ed., table 13.2) cost
# O(K^2) instead; each is ``y' = (something) y a'`` written coefficient-wise.

def _weighted(a: "Taylor", y: list, k: int, weights) -> np.ndarray:
    """``sum_{j=1..k} w_j a_j y_{k-j}`` in one NumPy call."""
    A = np.asarray(a.coeffs[1:k + 1], dtype=float)
    Y = np.asarray(y[::-1], dtype=float)
    w = np.asarray(weights, dtype=float).reshape((k,) + (1,) * (max(A.ndim, Y.ndim) - 1))
    return np.sum(w * A * Y, axis=0)


def _exp_series(a: "Taylor", order: int) -> "Taylor":
    y = [np.exp(a.coeffs[0])]  # y' = y a'
    for k in range(1, order + 1):
        y.append(_weighted(a, y, k, np.arange(1, k + 1)) / k)
    return Taylor(y)


def _log_series(a: "Taylor", order: int) -> "Taylor":
    y = [np.log(a.coeffs[0])]  # a y' = a'
    for k in range(1, order + 1):
        j = np.arange(1, k + 1)
        y.append((a.coeffs[k] - _weighted(a, y, k, k - j) / k) / a.coeffs[0])
    return Taylor(y)


def _pow_series(a: "Taylor", b: float, order: int) -> "Taylor":
    y = [np.power(a.coeffs[0], b)]  # a y' = b y a'
    for k in range(1, order + 1):
        j = np.arange(1, k + 1)
        y.append(_weighted(a, y, k, b * j - (k - j)) / (k * a.coeffs[0]))
    return Taylor(y)


def _integer_power(a: "Taylor", n: int, order: int) -> "Taylor":
    """a^n by repeated squaring of series: exact, and no division by a_0
    (the recurrence below would divide by zero at a_0 = 0, e.g. x^3 at 0)."""
    result, base = None, a.truncated(order)
    while n:
        if n & 1:
            result = base if result is None else _cauchy(result, base, order)
        n >>= 1
        if n:
            base = _cauchy(base, base, order)
    return result


def _sin_cos_series(a: "Taylor", order: int, want: str) -> "Taylor":
    s, c = [np.sin(a.coeffs[0])], [np.cos(a.coeffs[0])]  # s' = c a', c' = -s a'
    for k in range(1, order + 1):
        j = np.arange(1, k + 1)
        s_k, c_k = _weighted(a, c, k, j) / k, -_weighted(a, s, k, j) / k
        s.append(s_k)
        c.append(c_k)
    return Taylor(s if want == "sin" else c)


def _square_of(y: list, i: int):
    """The i-th coefficient of y², from y_0 .. y_i."""
    Y = np.asarray(y[:i + 1], dtype=float)
    return np.sum(Y * Y[::-1], axis=0)


def _logistic_series(a: "Taylor", order: int, name: str) -> "Taylor":
    """tanh: y' = (1 - y²) a';  sigmoid: y' = (y - y²) a'  (g(y) built as y grows)."""
    y = [TABLE[name].impl(a.coeffs[0])]
    g = []
    for k in range(1, order + 1):
        i = k - 1
        square = _square_of(y, i)
        g.append((1.0 if i == 0 else 0.0) - square if name == "tanh" else y[i] - square)
        j = np.arange(1, k + 1)
        y.append(_weighted(a, g, k, j) / k)
    return Taylor(y)


def _by_recurrence(prim, args, order) -> "Taylor | None":
    """exp, sin, cos, tanh, sigmoid; log, sqrt and a^b with b constant where
    a_0 is nonzero everywhere; else None (the tangent rule then)."""
    a = args[0]
    if type(a) is not Taylor or any(type(x) is Taylor for x in args[1:]):
        return None
    if prim.name == "exp":
        return _exp_series(a, order)
    if prim.name in ("sin", "cos"):
        return _sin_cos_series(a, order, prim.name)
    if prim.name in ("tanh", "sigmoid"):
        return _logistic_series(a, order, prim.name)
    if prim.name == "pow" and np.ndim(args[1]) == 0 and float(args[1]).is_integer() and 0 < args[1] <= 64:
        return _integer_power(a, int(args[1]), order)
    nonzero = bool(np.all(np.asarray(a.coeffs[0]) != 0))
    if prim.name == "log" and nonzero:
        return _log_series(a, order)
    if prim.name in ("sqrt", "pow") and nonzero and (prim.name == "sqrt" or np.ndim(args[1]) == 0):
        return _pow_series(a, 0.5 if prim.name == "sqrt" else float(args[1]), order)
    return None


def apply(prim, args, attrs, order=None):
    """``prim(*args)`` where some arguments are series; result to ``order``."""
    order = _order_of(args) if order is None else order
    if prim.name in LINEAR:
        return _linear(prim, args, attrs, order)
    if prim.name in BILINEAR:
        return _bilinear(prim, args, attrs, order)
    if prim.name == "div":
        return _divide(prim, args, attrs, order)
    found = _by_recurrence(prim, args, order) if prim.name in RECURRENCES else None
    return found if found is not None else _by_tangent_rule(prim, args, attrs, order)


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
