"""The op table's own SymPy scalar functions, imported only when the scalar
SymPy baseline (or a test) first needs one (see ``elementwise._SymPy``)."""
from __future__ import annotations

import sympy as sp


# SymPy has no named sigmoid; this one differentiates to sigma*(1-sigma),
# which is the form the seed documents print.
class sigmoid_fn(sp.Function):
    def fdiff(self, argindex=1):
        s = sigmoid_fn(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **_):
        return 1 / (1 + sp.exp(-x))


class softplus_fn(sp.Function):
    def fdiff(self, argindex=1):
        return sigmoid_fn(self.args[0])

    def _eval_rewrite_as_exp(self, x, **_):
        return sp.log(1 + sp.exp(x))


# Non-smooth functions: SymPy's own Abs/sign/Max differentiate to expressions
# in re/im that numpy cannot evaluate; these spell the derivative chosen at
# the kink (the same one the op table's rules use, see ``step``).
class step_fn(sp.Function):
    """Heaviside step with step(0) = 0."""

    def fdiff(self, argindex=1):
        return sp.Integer(0)


class sign_fn(sp.Function):
    def fdiff(self, argindex=1):
        return sp.Integer(0)


class abs_fn(sp.Function):
    def fdiff(self, argindex=1):
        return sign_fn(self.args[0])


class relu_fn(sp.Function):
    def fdiff(self, argindex=1):
        return step_fn(self.args[0])


def log1p_of(s):
    return sp.log(1 + s)


def expm1_of(s):
    return sp.exp(s) - 1
