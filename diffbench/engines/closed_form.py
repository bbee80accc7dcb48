"""``closed-form``: hand-written NumPy formulas, the benchmarks' baseline.

What a careful person would write by hand for the catalogue functions that
have a textbook gradient and Hessian (the seeds' own closed forms, e.g.
logistic regression's ``X.T @ (s - y)`` and ``(X.T * (s*(1-s))) @ X``).
It is *not* derived from the IR: it recognises a catalogue function (the
same interned IR root, and the same ``wrt``) and refuses anything else with
:class:`Unsupported`.  Index conventions follow every engine: a Hessian of
a matrix variable ``X`` has entries ``H[i, j, k, l] = d2f / dX_ij dX_kl``
(every entry independent, as in the Matrix Cookbook).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import Unsupported
from .base import Engine, Prepared, register


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


# ------------------------------------------------------------- vector variables

def _quadratic_form(i):
    x, A, b = i["x"], i["A"], i["b"]
    S = A + A.T
    return (lambda: x @ A @ x - b @ x + i["c"],
            lambda: S @ x - b,
            lambda: S)


def _log_quadratic(i):
    x, A = i["x"], i["A"]
    S = A + A.T

    def grad():
        return S @ x / (x @ A @ x)

    def hess():
        g = grad()
        return S / (x @ A @ x) - np.outer(g, g)

    return lambda: np.log(x @ A @ x), grad, hess


def _log_one_plus_exp(i):
    x, a = i["x"], i["a"]

    def hess():
        s = _sigmoid(a @ x)
        return np.outer((s * (1 - s)) * a, a)  # one pass over the n x n result

    return lambda: np.logaddexp(0.0, a @ x), lambda: _sigmoid(a @ x) * a, hess


def _gaussian_bump(i):
    x = i["x"]

    def hess():  # 2e I - 4e x x', written in one pass plus the diagonal
        e = np.exp(-(x @ x))
        H = np.outer((-4 * e) * x, x)
        H.flat[::x.size + 1] += 2 * e
        return H

    return lambda: -np.exp(-(x @ x)), lambda: 2 * np.exp(-(x @ x)) * x, hess


def _least_squares(i):
    x, A, b = i["x"], i["A"], i["b"]

    def value():
        r = A @ x - b
        return 0.5 * (r @ r)

    return value, lambda: A.T @ (A @ x - b), lambda: A.T @ A


def _logistic_regression(i):
    X, w, y = i["X"], i["w"], i["y"]

    def value():
        z = X @ w
        return np.sum(np.logaddexp(0.0, z)) - y @ z

    def hess():
        s = _sigmoid(X @ w)
        return (X.T * (s * (1 - s))) @ X

    return value, lambda: X.T @ (_sigmoid(X @ w) - y), hess


# ------------------------------------------------------------- matrix variables

def _softmax_cross_entropy(i):
    W, x, y = i["W"], i["x"], i["y"]

    def softmax():
        z = W @ x
        e = np.exp(z - z.max())
        return e / e.sum()

    def value():
        z = W @ x
        top = z.max()
        return top + np.log(np.sum(np.exp(z - top))) - y @ z

    def hess():  # H[i,j,k,l] = (diag(p) - p p')_ik x_j x_l
        p = softmax()
        D = np.diag(p) - np.outer(p, p)
        return D[:, None, :, None] * np.outer(x, x)[None, :, None, :]

    return value, lambda: np.outer(softmax() - y, x), hess


def _log_determinant(i):
    X = i["X"]

    def hess():  # Cookbook (57) twice: H[i,j,k,l] = -(X^-1)_jk (X^-1)_li
        Y = np.linalg.inv(X)
        return -np.einsum("jk,li->ijkl", Y, Y)

    return lambda: np.linalg.slogdet(X)[1], lambda: np.linalg.inv(X).T, hess


def _trace_inverse(i):
    X = i["X"]

    def hess():  # H[i,j,k,l] = Y_jk (Y^2)_li + (Y^2)_jk Y_li, Y = X^-1
        Y = np.linalg.inv(X)
        Y2 = Y @ Y
        return np.einsum("jk,li->ijkl", Y, Y2) + np.einsum("jk,li->ijkl", Y2, Y)

    def grad():
        Y = np.linalg.inv(X)
        return -(Y @ Y).T

    return lambda: np.trace(np.linalg.inv(X)), grad, hess


def _bilinear_inverse(i):
    A, b, c = i["A"], i["b"], i["c"]

    def parts():
        Y = np.linalg.inv(A)
        return Y, Y.T @ c, Y @ b

    def grad():  # -A^-T c b' A^-T
        _, u, v = parts()
        return -np.outer(u, v)

    def hess():  # H[i,j,k,l] = u_i Y_jk v_l + u_k Y_li v_j
        Y, u, v = parts()
        return np.einsum("i,jk,l->ijkl", u, Y, v) + np.einsum("k,li,j->ijkl", u, Y, v)

    return lambda: c @ np.linalg.solve(A, b), grad, hess


@dataclass(frozen=True)
class Formula:
    """A catalogue function's hand-written value, gradient and Hessian."""

    entry: str
    make: Callable  # inputs -> (value(), gradient(), hessian())


FORMULAS = {f.entry: f for f in [
    Formula("quadratic_form", _quadratic_form),
    Formula("log_quadratic", _log_quadratic),
    Formula("log_one_plus_exp", _log_one_plus_exp),
    Formula("gaussian_bump", _gaussian_bump),
    Formula("least_squares", _least_squares),
    Formula("logistic_regression", _logistic_regression),
    Formula("softmax_cross_entropy", _softmax_cross_entropy),
    Formula("log_determinant", _log_determinant),
    Formula("trace_inverse", _trace_inverse),
    Formula("bilinear_inverse", _bilinear_inverse),
]}


def formula_for(fn, wrt) -> Formula | None:
    """The hand-written formula of ``fn`` for ``wrt``, if it is one of ours."""
    from ..catalogue import CATALOGUE

    for name, formula in FORMULAS.items():
        entry = CATALOGUE[name]
        if fn.root is entry.function.root and tuple(wrt) == entry.wrt:
            return formula
    return None


class ClosedFormPrepared(Prepared):
    accumulation = "hand-written"
    def __init__(self, formula: Formula, wrt: list[str]):
        self.formula = formula
        self.name = wrt[0]
        self.stats = {"formula": formula.entry}

    def _parts(self, inputs):
        return self.formula.make({k: np.asarray(v, dtype=float) for k, v in inputs.items()})

    def value(self, inputs):
        return float(self._parts(inputs)[0]())

    def gradient(self, inputs):
        return {self.name: np.asarray(self._parts(inputs)[1](), dtype=float)}

    def hessian(self, inputs):
        return {(self.name, self.name): np.asarray(self._parts(inputs)[2](), dtype=float)}

    def jacobian(self, inputs):
        return self.gradient(inputs)


class ClosedFormEngine(Engine):
    name = "closed-form"
    description = "hand-written NumPy gradient and Hessian of catalogue functions that have one (baseline)"

    def prepare(self, fn, wrt, sizes, order=2):
        formula = formula_for(fn, wrt)
        if formula is None:
            raise Unsupported(f"closed-form: no hand-written formula for {fn.expr!r} in {', '.join(wrt)} "
                              f"(it has: {', '.join(FORMULAS)})")
        return ClosedFormPrepared(formula, list(wrt))


register(ClosedFormEngine())
