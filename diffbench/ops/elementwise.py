"""Element-wise primitives: unary functions, and binary arithmetic where one
side may be a scalar (``2*x``, ``x/c``).

Unary functions are defined by three lines: NumPy evaluation, the
derivative ``f'(x)`` written over ``prims`` (so it runs on arrays, dual numbers
and IR nodes alike) and the SymPy scalar function that referees it.
"""
from __future__ import annotations

import math

import numpy as np

from . import prims
from . import shapes as S
from .core import TABLE, Primitive, define, ndim_of, out_of_reach, shape_of

# ----------------------------------------------------------------- helpers


# A scalar beside a tensor is broadcast; the ``broadcast`` primitive owns the
# rules (in the IR the broadcast is an explicit node, see ``Primitive.broadcasts``;
# on arrays and dual numbers NumPy broadcasts, and these helpers apply the
# same primitive's rules).

def unbroadcast(cotangent, arg):
    """A cotangent for an argument that was broadcast: the broadcast's VJP (a sum)."""
    if shape_of(arg) == () and shape_of(cotangent) != ():
        return TABLE["broadcast"].vjp[0](cotangent, None, arg, shape=shape_of(cotangent))
    return cotangent


def expand(t, arg, ans):
    """A tangent batch ``(k,)`` of a scalar argument, as the broadcast's JVP
    gives it: ``(k,) + shape(ans)``, so rules that flatten a tangent see every entry."""
    if np.ndim(arg) == 0 and np.ndim(ans):
        return TABLE["broadcast"].jvp[0](t, ans, arg, shape=np.shape(ans))
    return t


def widen(t, ans):
    """A scalar argument's tangent broadcast to the output's shape (symbolic)."""
    if shape_of(t) == () and shape_of(ans) != ():
        return prims.broadcast(t, shape=shape_of(ans))
    return t


def _sigmoid(x):
    # exp of -|x| only, so it never overflows; a scalar in plain floats (a
    # fraction of the array path's cost, which a scalar's gradient pays per call)
    if ndim_of(x) == 0:
        x = float(x)
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    e = np.exp(-np.abs(x))
    return np.where(np.greater_equal(x, 0), 1.0, e) / (1.0 + e)


def _softplus(x):
    # a scalar in plain floats: max(x, 0) + log1p(e^-|x|), NumPy's own formula for
    # logaddexp(0, x) (never overflows), at a third of the ufunc's cost on a scalar
    if type(x) is float or type(x) is np.float64:
        x = float(x)
        return (x if x > 0 else 0.0) + math.log1p(math.exp(-abs(x)))
    return np.logaddexp(0.0, x)


class _SymPy:
    """The SymPy scalar function ``name`` (of SymPy, or of :mod:`.sympy_functions`),
    looked up when first called: importing SymPy takes about a second, which
    every process loading the op table (the CLI, each worker, each sandbox
    child) would otherwise pay before doing anything."""

    def __init__(self, name: str):
        self.name = name
        self.found = None

    def resolve(self):
        if self.found is None:
            import sympy

            from . import sympy_functions

            self.found = getattr(sympy_functions, self.name, None) or getattr(sympy, self.name)
        return self.found

    def __call__(self, *args):
        return self.resolve()(*args)


def _step(x):
    return np.greater(x, 0.0).astype(float) if ndim_of(x) else float(x > 0)


def _relu(x):
    return np.maximum(x, 0.0)


def scalar_functions() -> dict:
    """The op table's own SymPy function classes (sigmoid_fn, abs_fn ...) by
    name, each evaluated by its primitive's NumPy impl: what ``lambdify``
    needs to turn a scalar derivative back into numbers."""
    from .core import TABLE

    scalars = [(p, p.scalar.resolve() if isinstance(p.scalar, _SymPy) else p.scalar) for p in TABLE.values()]
    return {f.__name__: p.impl for p, f in scalars if isinstance(f, type)}


def unary(name, impl, deriv, scalar, domain="real", doc="", printed=None, numpy=None):
    """Define ``name`` with derivative ``deriv(x, ans)``; the VJP and JVP
    rules follow from it, so a unary function is a single line below.  Its
    NumPy spelling is its name when NumPy has that function."""

    def vjp(g, ans, x):
        return prims.mul(g, deriv(x, ans))
    vjp.deriv = deriv  # the rule is g * deriv(x, ans): compiled tapes call deriv directly on scalars

    def jvp(t, ans, x):
        return t * deriv(x, ans)

    def tangent(t, ans, x):  # symbolic: df = f'(x) .* dx, over prims
        return prims.mul(t, deriv(x, ans))

    return define(Primitive(
        name, 1, S.same, impl, vjp=(vjp,), jvp=(jvp,), domain=(domain,),
        family="elementwise", doc=doc, scalar=scalar, deriv=deriv, printed=printed,
        numpy=numpy or (name if hasattr(np, name) else None), symbolic={"jvp": (tangent,)}))


# ------------------------------------------------------------ unary table
# name       numpy            f'(x) given x and ans=f(x)                         sympy
unary("neg", np.negative, lambda x, ans: -1.0, lambda s: -s, doc="-x", numpy="negative")
unary("exp", np.exp, lambda x, ans: ans, _SymPy("exp"), printed=("exp", r"\exp"))
unary("log", np.log, lambda x, ans: prims.div(1.0, x), _SymPy("log"), domain="positive", printed=("ln", r"\ln"))
unary("sin", np.sin, lambda x, ans: prims.cos(x), _SymPy("sin"), printed=("sin", r"\sin"))
unary("cos", np.cos, lambda x, ans: prims.neg(prims.sin(x)), _SymPy("cos"), printed=("cos", r"\cos"))
unary("tanh", np.tanh, lambda x, ans: prims.sub(1.0, prims.mul(ans, ans)), _SymPy("tanh"), printed=("tanh", r"\tanh"))
unary("sqrt", np.sqrt, lambda x, ans: prims.div(0.5, ans), _SymPy("sqrt"), domain="positive")
unary("sigmoid", _sigmoid, lambda x, ans: prims.mul(ans, prims.sub(1.0, ans)), _SymPy("sigmoid_fn"),
      printed=("σ", r"\sigma"))
unary("softplus", _softplus, lambda x, ans: prims.sigmoid(x), _SymPy("softplus_fn"), doc="log(1+exp(x))",
      printed=("softplus", r"\operatorname{softplus}"))
unary("tan", np.tan, lambda x, ans: prims.add(1.0, prims.square(ans)), _SymPy("tan"), printed=("tan", r"\tan"))
unary("arcsin", np.arcsin, lambda x, ans: prims.div(1.0, prims.sqrt(prims.sub(1.0, prims.square(x)))),
      _SymPy("asin"), domain="unit", doc="inverse sine, |x| < 1", printed=("arcsin", r"\arcsin"))
unary("arccos", np.arccos, lambda x, ans: prims.neg(prims.div(1.0, prims.sqrt(prims.sub(1.0, prims.square(x))))),
      _SymPy("acos"), domain="unit", doc="inverse cosine, |x| < 1", printed=("arccos", r"\arccos"))
unary("arctan", np.arctan, lambda x, ans: prims.div(1.0, prims.add(1.0, prims.square(x))), _SymPy("atan"),
      printed=("arctan", r"\arctan"))
unary("log1p", np.log1p, lambda x, ans: prims.div(1.0, prims.add(1.0, x)), _SymPy("log1p_of"),
      domain="positive", doc="log(1+x), accurate for small x (x > -1)", printed=("log1p", r"\operatorname{log1p}"))
unary("expm1", np.expm1, lambda x, ans: prims.add(ans, 1.0), _SymPy("expm1_of"),
      doc="exp(x)-1, accurate for small x", printed=("expm1", r"\operatorname{expm1}"))
unary("square", np.square, lambda x, ans: prims.mul(2.0, x), lambda s: s ** 2, doc="x.^2")

# Non-smooth: the derivative at a kink is the one-sided value written here
# (abs'(0) = sign(0) = 0, relu'(0) = step(0) = 0, sign' = step' = 0).  Their
# domain is "nonzero" so sampled inputs (and central differences' stencils)
# stay off the kink at 0.
unary("step", _step, lambda x, ans: prims.mul(0.0, x), _SymPy("step_fn"), domain="nonzero",
      doc="Heaviside step, step(0) = 0 (the derivative of relu)", printed=("step", r"\operatorname{step}"))
unary("sign", np.sign, lambda x, ans: prims.mul(0.0, x), _SymPy("sign_fn"), domain="nonzero",
      doc="-1, 0 or 1 (derivative 0 everywhere it exists)", printed=("sign", r"\operatorname{sign}"))
unary("abs", np.abs, lambda x, ans: prims.sign(x), _SymPy("abs_fn"), domain="nonzero",
      doc="|x|, derivative sign(x) (0 at 0)")
unary("relu", _relu, lambda x, ans: prims.step(x), _SymPy("relu_fn"), domain="nonzero",
      doc="max(x, 0), derivative step(x) (0 at 0)", printed=("relu", r"\operatorname{relu}"))


# ------------------------------------------------------------ binary table
# Cotangents of a broadcast scalar are summed (unbroadcast); its tangents are
# given the output's rank (expand) so batched NumPy broadcasting lines up.

define(Primitive(
    "add", 2, S.broadcast_scalar, np.add, family="elementwise", broadcasts=True, numpy="add",
    vjp=(lambda g, ans, a, b: unbroadcast(g, a),
         lambda g, ans, a, b: unbroadcast(g, b)),
    jvp=(lambda t, ans, a, b: expand(t, a, ans),
         lambda t, ans, a, b: expand(t, b, ans)),
    domain=("real", "real"),
    symbolic={"jvp": (lambda t, ans, a, b: widen(t, ans),
                      lambda t, ans, a, b: widen(t, ans))}))

define(Primitive(
    "sub", 2, S.broadcast_scalar, np.subtract, family="elementwise", broadcasts=True, numpy="subtract",
    vjp=(lambda g, ans, a, b: unbroadcast(g, a),
         lambda g, ans, a, b: unbroadcast(prims.neg(g), b)),
    jvp=(lambda t, ans, a, b: expand(t, a, ans),
         lambda t, ans, a, b: -expand(t, b, ans)),
    domain=("real", "real"),
    symbolic={"jvp": (lambda t, ans, a, b: widen(t, ans),
                      lambda t, ans, a, b: prims.neg(widen(t, ans)))}))

define(Primitive(
    "mul", 2, S.broadcast_scalar, np.multiply, family="elementwise", numpy="multiply",
    vjp=(lambda g, ans, a, b: unbroadcast(prims.mul(g, b), a),
         lambda g, ans, a, b: unbroadcast(prims.mul(g, a), b)),
    jvp=(lambda t, ans, a, b: expand(t, a, ans) * b,
         lambda t, ans, a, b: expand(t, b, ans) * a),
    domain=("real", "real"), doc="Hadamard product, or scaling by a scalar", symmetric=True,
    symbolic={"jvp": (lambda t, ans, a, b: prims.mul(t, b),
                      lambda t, ans, a, b: prims.mul(a, t))}))

define(Primitive(
    "div", 2, S.broadcast_scalar, np.divide, family="elementwise", numpy="divide",
    vjp=(lambda g, ans, a, b: unbroadcast(prims.div(g, b), a),
         lambda g, ans, a, b: unbroadcast(prims.neg(prims.div(prims.mul(g, ans), b)), b)),
    jvp=(lambda t, ans, a, b: expand(t, a, ans) / b,
         lambda t, ans, a, b: -expand(t, b, ans) * (ans / b)),
    domain=("real", "nonzero"),
    symbolic={"jvp": (lambda t, ans, a, b: widen(prims.div(t, b), ans),
                      lambda t, ans, a, b: prims.neg(prims.mul(t, prims.div(ans, b))))}))

def _lowered(b):
    """The exponent b - 1 of d a^b / da = b a^(b-1), where b = 0 gives 1 instead:
    there the coefficient b is 0, and 0 * a^1 is 0 even at a = 0 (0 * a^-1 is nan).
    A constant exponent is a number or an array; one that is a formula (an IR
    node, a dual number) keeps b - 1 and the simplifier folds b = 0 itself."""
    if isinstance(b, (int, float, np.ndarray, np.generic)):
        return np.where(np.equal(b, 0), 1.0, np.subtract(b, 1.0))
    return prims.sub(b, 1.0)


# a^b: the exponent is usually a constant; its rule is only run when it
# depends on the variable, so log(a) is never taken of a negative base then.
define(Primitive(
    "pow", 2, S.broadcast_scalar, np.power, family="elementwise", numpy="power",
    vjp=(lambda g, ans, a, b: unbroadcast(prims.mul(g, prims.mul(b, prims.pow(a, _lowered(b)))), a),
         lambda g, ans, a, b: unbroadcast(prims.mul(g, prims.mul(ans, prims.log(a))), b)),
    jvp=(lambda t, ans, a, b: expand(t, a, ans) * (b * np.power(a, _lowered(b))),
         lambda t, ans, a, b: expand(t, b, ans) * (ans * np.log(a))),
    domain=("positive", "real"), doc="a^b element-wise",
    symbolic={"jvp": (lambda t, ans, a, b: prims.mul(t, prims.mul(b, prims.pow(a, prims.sub(b, 1.0)))),
                      lambda t, ans, a, b: prims.mul(t, prims.mul(ans, prims.log(a))))}))


# max(a, b) and min(a, b) element-wise (either side may be a scalar).  At a
# tie the whole derivative goes to the second argument: d max/da = step(a - b).
def _pick_first(a, b, larger):
    return prims.step(prims.sub(a, b) if larger else prims.sub(b, a))


def _extremum(name, impl, larger):
    def first(a, b):
        return _pick_first(a, b, larger)

    def second(a, b):
        return prims.sub(1.0, first(a, b))

    define(Primitive(
        name, 2, S.broadcast_scalar, impl, family="elementwise", numpy=impl.__name__,
        vjp=(lambda g, ans, a, b: unbroadcast(prims.mul(g, first(a, b)), a),
             lambda g, ans, a, b: unbroadcast(prims.mul(g, second(a, b)), b)),
        jvp=(lambda t, ans, a, b: expand(t, a, ans) * first(a, b),
             lambda t, ans, a, b: expand(t, b, ans) * second(a, b)),
        domain=("real", "real"),
        doc=f"element-wise {name}; at a tie the derivative goes to the second argument",
        symbolic={"jvp": (lambda t, ans, a, b: prims.mul(widen(t, ans), first(a, b)),
                          lambda t, ans, a, b: prims.mul(widen(t, ans), second(a, b)))}))


_extremum("max", np.maximum, True)
_extremum("min", np.minimum, False)


# the scalar SymPy baseline has no rule for these (it reports them unsupported)
out_of_reach("sympy-scalar", "max", "min")
