"""The ``sympy-scalar`` engine: the naive baseline the symbolic engine is measured against.

Every variable is expanded into scalar SymPy symbols (``x_0 … x_{n-1}``,
``A_0_0 …``), the function is evaluated entry by entry over object arrays,
each partial derivative is taken with plain ``sympy.diff``, and all of them
are compiled with ``lambdify(cse=True)``.  The cost grows with the number
of entries times the size of the expanded expression, so two guards keep it
honest rather than hanging: an *estimate* of the scalar operation count
before any work (``max_ops``), and a wall-clock limit checked while
differentiating (``time_limit``).  Both raise :class:`TooLarge` saying
which limit was hit and how to raise it.
"""
from __future__ import annotations

import math
import os
import time
from fractions import Fraction

import numpy as np

from ..errors import TooLarge, Unsupported
from ..function import Function
from ..ir import resolve_shape, topological
from ..lowering import lower, run
from ..ops import TABLE
from ..ops.elementwise import scalar_functions
from .base import Engine, Prepared, register


class _SymPyModule:
    """``sympy``, imported at the first use: loading the engine registry (every
    CLI command, every sandbox child) then costs no second for SymPy."""

    def __getattr__(self, name: str):
        import sympy

        return getattr(sympy, name)


sp = _SymPyModule()

MAX_OPS = int(os.environ.get("DIFFBENCH_SYMPY_MAX_OPS", 300_000))
TIME_LIMIT = float(os.environ.get("DIFFBENCH_SYMPY_TIME_LIMIT", 30.0))
MAX_DET = 6  # symbolic det/inverse of an n x n matrix of symbols has ~n! terms


def _number(v: float):
    if float(v).is_integer():
        return sp.Integer(int(v))
    f = Fraction(v).limit_denominator(1000)
    return sp.Rational(f.numerator, f.denominator) if float(f) == v else sp.Float(v)


def _ones(shape):
    out = np.empty(shape, dtype=object)
    out.fill(sp.Integer(1))
    return out


def _add_entries(a):
    """The sum of every entry (one SymPy ``Add``)."""
    return sp.Add(*np.ravel(a)) if np.ndim(a) else a


def _det(a):
    if a.shape[0] > MAX_DET:
        raise TooLarge(f"sympy-scalar: symbolic det/inverse of a {a.shape[0]}x{a.shape[0]} matrix "
                       f"(limit {MAX_DET}: the expansion has ~n! terms)")
    return sp.Matrix(a).det(method="berkowitz")


def _adj(a):
    _det(a)
    return np.array(sp.Matrix(a).adjugate(), dtype=object)


def _inv(a):
    _det(a)
    m = sp.Matrix(a)
    return np.array(m.adjugate() / m.det(method="berkowitz"), dtype=object)


def _dirac_delta(x, *order):
    """SymPy's second derivative of |t| is 2 δ(t); as every other engine does,
    the derivative of a kink is taken from either side: 0 (docs/ops.md)."""
    return np.zeros_like(np.asarray(x, dtype=float))


def _elementwise(prim):
    f = np.frompyfunc(prim.scalar, 1, 1)
    return lambda a: f(a) if np.ndim(a) else prim.scalar(a)


_SCALAR_RULES = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b,
    "matmul": lambda a, b: np.dot(a, b), "outer": lambda a, b: np.multiply.outer(a, b),
    "transpose": lambda a: a.T, "inner": lambda a, b: _add_entries(np.multiply(a, b)),
    "tr": lambda a: _add_entries(np.diagonal(a)), "det": _det, 
    "logdet": lambda a: sp.log(_det(a) ** 2) / 2,  # log|det X|, as every engine; its derivative is d'/d
    "inv": _inv, "adj": _adj, "diag_part": lambda a: np.array(np.diagonal(a)),
    "diag_embed": lambda v: np.array([[v[i] if i == j else sp.Integer(0) for j in range(len(v))]
                                      for i in range(len(v))], dtype=object),
    "sum": _add_entries, "norm2": lambda a: sp.sqrt(_add_entries(np.multiply(a, a))),
    "logsumexp": lambda a: sp.log(_add_entries(np.frompyfunc(sp.exp, 1, 1)(a) if np.ndim(a) else sp.exp(a))),
}


def _eye(shape):
    k = shape[0]
    return np.array([[sp.Integer(int(i == j)) for j in range(k)] for i in range(k)], dtype=object)


def _reshape(a, shape):
    out = np.reshape(np.asarray(a, dtype=object), shape)
    return out.item() if out.shape == () else out


def _broadcast(a, shape):
    out = np.empty(shape, dtype=object)
    out.fill(a)
    return out


#: the leaves and shape steps, as SymPy object arrays
_STRUCTURAL = {"const": lambda value: _number(value), "eye": _eye, "ones": lambda shape: _ones(shape),
               "reshape": _reshape, "broadcast": _broadcast}


def scalar_impls() -> dict:
    """Primitive -> its rule over SymPy scalars (object arrays): the table
    the scalar baseline interprets the steps with."""
    elementwise = {name: _elementwise(prim) for name, prim in TABLE.items() if prim.scalar is not None}
    return {**elementwise, **_SCALAR_RULES, **_STRUCTURAL}


# scalar operations per output entry, to estimate the expanded size up front
_COST = {"matmul": lambda s, a: 2 * s[0][-1] if len(s[0]) == 2 else 1, "inner": lambda s, a: 2 * a,
         "tr": lambda s, a: 1, "sum": lambda s, a: a, "norm2": lambda s, a: 2 * a, "logsumexp": lambda s, a: 2 * a}


def estimate_ops(fn: Function, wrt: list[str], sizes: dict[str, int], order: int) -> int:
    """Scalar operations of the expanded function times the number of derivatives asked."""
    value = 0
    for n in topological(fn.root):
        if not n.args:
            continue
        out = math.prod(resolve_shape(n.shape, sizes))
        arg_shapes = [resolve_shape(a.shape, sizes) for a in n.args]
        arg_size = max((math.prod(s) for s in arg_shapes), default=1)
        if n.op in ("det", "logdet", "inv", "adj"):
            k = arg_shapes[0][0]
            value += math.factorial(min(k, 20)) * k * (out if n.op in ("inv", "adj") else 1) * 8
        else:
            value += out * _COST.get(n.op, lambda s, a: 1)(arg_shapes, arg_size)
    entries = sum(math.prod(resolve_shape(fn.shapes[w], sizes)) for w in wrt)
    outputs = math.prod(resolve_shape(fn.shape, sizes))
    return value * outputs * (entries if order == 1 or not fn.is_scalar else entries * (entries + 1) // 2 + entries)


class SympyScalarPrepared(Prepared):
    accumulation = "closed form (scalar entries)"
    def __init__(self, fn, wrt, sizes, order, compiled, layout, stats):
        self.fn, self.wrt, self.sizes, self.order = fn, wrt, sizes, order
        self._compiled, self._layout, self.stats = compiled, layout, stats

    def _run(self, inputs):
        args = []
        for name in self.fn.variables:
            args.extend(np.ravel(np.asarray(inputs[name], dtype=float)).tolist())
        return self._compiled(*args)

    def _shape(self, name):
        return resolve_shape(self.fn.shapes[name], self.sizes)

    def value(self, inputs):
        out = self._run(inputs)[0]
        return float(out) if self.fn.is_scalar else np.asarray(out, dtype=float).reshape(
            resolve_shape(self.fn.shape, self.sizes))

    def gradient(self, inputs):
        if not self.fn.is_scalar:
            raise Unsupported("sympy-scalar: a gradient needs a scalar function (use the Jacobian)")
        res = self._run(inputs)
        return {name: np.asarray(res[i], dtype=float).reshape(self._shape(name))
                for name, i in self._layout["gradient"].items()}

    def hessian(self, inputs):
        if self.order < 2 or not self.fn.is_scalar:
            raise Unsupported("sympy-scalar: Hessian not prepared (order < 2 or non-scalar function)")
        res = self._run(inputs)
        return {(a, b): np.asarray(res[i], dtype=float).reshape(self._shape(a) + self._shape(b))
                for (a, b), i in self._layout["hessian"].items()}

    def jacobian(self, inputs):
        res = self._run(inputs)
        if self.fn.is_scalar:
            return {name: np.asarray(res[i], dtype=float).reshape(self._shape(name))
                    for name, i in self._layout["gradient"].items()}
        out_shape = resolve_shape(self.fn.shape, self.sizes)
        return {name: np.asarray(res[i], dtype=float).reshape(out_shape + self._shape(name))
                for name, i in self._layout["jacobian"].items()}


class SympyScalarEngine(Engine):
    name = "sympy-scalar"
    requires = ("sympy",)  # imported before a measurement's clock starts
    description = "naive baseline: expand into scalar entries, sympy.diff each, lambdify with CSE"

    def __init__(self, max_ops: int = MAX_OPS, time_limit: float = TIME_LIMIT):
        self.max_ops = max_ops
        self.time_limit = time_limit

    def prepare(self, fn: Function, wrt: list[str], sizes: dict[str, int], order: int = 2) -> Prepared:
        """Expand, differentiate entry by entry, compile: each phase under the guards."""
        from ..iterate import contains_iterate

        if contains_iterate(fn.root):
            raise Unsupported("unsupported: sympy-scalar does not expand iterate loops (the tape engines do)")
        estimate = estimate_ops(fn, wrt, sizes, order)
        if estimate > self.max_ops:
            raise TooLarge(f"sympy-scalar: about {estimate:,} scalar operations at sizes {sizes} "
                           f"exceed the limit of {self.max_ops:,} (set DIFFBENCH_SYMPY_MAX_OPS to raise it)")
        start = time.perf_counter()
        check_time = self._clock(start, sizes)
        symbols, values = entry_symbols(fn, sizes)
        expr = self._evaluate(fn, values, sizes, check_time)
        outputs, layout = differentiate(expr, fn.is_scalar, wrt, symbols, order, check_time)
        derived = time.perf_counter()
        ops = sum(sp.count_ops(e) for e in _leaves(outputs))
        if any(isinstance(e, sp.Derivative) or (hasattr(e, "has") and e.has(sp.Derivative))
               for e in _leaves(outputs)):
            raise Unsupported("unsupported: sympy left an unevaluated derivative")
        check_time()
        args = [s for name in fn.variables for s in symbols[name]]
        modules = [{**scalar_functions(), "DiracDelta": _dirac_delta}, "numpy"]
        compiled = sp.lambdify(args, outputs, modules=modules, cse=True)
        done = time.perf_counter()
        stats = {"derive_seconds": derived - start, "compile_seconds": done - derived,
                 "operations": int(ops), "estimated_operations": estimate}
        return SympyScalarPrepared(fn, list(wrt), sizes, order, compiled, layout, stats)

    def _clock(self, start: float, sizes: dict):
        """``check_time()``: raises TooLarge once the time limit has passed."""
        deadline = start + self.time_limit

        def check_time():
            if time.perf_counter() > deadline:
                raise TooLarge(f"sympy-scalar: derivation exceeded the {self.time_limit:g} s limit at sizes "
                               f"{sizes} (set DIFFBENCH_SYMPY_TIME_LIMIT to raise it)")
        return check_time

    @staticmethod
    def _evaluate(fn, values, sizes, check_time):
        lowered = lower(fn, sizes)
        impls = scalar_impls()
        missing = sorted(lowered.ops() - set(impls))
        if missing:
            raise Unsupported(f"unsupported: {missing[0]} (sympy-scalar has no scalar rule)")
        return run(lowered, impls, values, check_time)

def entry_symbols(fn: Function, sizes: dict) -> tuple[dict, dict]:
    """Per variable: its entries as real SymPy symbols (flat, ``x_0_1`` ...)
    and its value built from them (a symbol, or an object array of its shape)."""
    symbols, values = {}, {}
    for name, shape in fn.shapes.items():
        concrete = resolve_shape(shape, sizes)
        if concrete == ():
            s = sp.Symbol(name, real=True)
            symbols[name], values[name] = [s], s
        else:
            flat = [sp.Symbol(f"{name}_{'_'.join(map(str, idx))}", real=True) for idx in np.ndindex(*concrete)]
            symbols[name] = flat
            values[name] = np.array(flat, dtype=object).reshape(concrete)
    return symbols, values


def differentiate(expr, is_scalar: bool, wrt: list[str], symbols: dict, order: int, check_time):
    """``(outputs, layout)``: the value, then every derivative entry by entry
    (gradient and Hessian of a scalar, else the Jacobian); ``layout`` says
    where each quantity's block sits in ``outputs``."""
    outputs, layout = [expr if is_scalar else np.asarray(expr).ravel().tolist()], {}

    def block(rows) -> int:
        outputs.append(rows)
        return len(outputs) - 1

    if not is_scalar:
        layout["jacobian"] = {name: block(_jacobian_rows(outputs[0], symbols[name], check_time)) for name in wrt}
        return outputs, layout
    layout["gradient"] = {name: block(_gradient(expr, symbols[name], check_time)) for name in wrt}
    if order >= 2:
        layout["hessian"] = {(a, b): block(_jacobian_rows(outputs[layout["gradient"][a]], symbols[b], check_time))
                             for a in wrt for b in wrt}
    return outputs, layout


def _gradient(expr, symbols: list, check_time) -> list:
    grads = []
    for s in symbols:
        grads.append(sp.diff(expr, s))
        check_time()
    return grads


def _jacobian_rows(entries: list, symbols: list, check_time) -> list[list]:
    """``[[d e / d s for s in symbols] for e in entries]``, minding the clock after each row."""
    rows = []
    for e in entries:
        rows.append([sp.diff(e, s) for s in symbols])
        check_time()
    return rows


def _leaves(nested):
    stack = [nested]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            yield x


register(SympyScalarEngine())
