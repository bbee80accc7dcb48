"""The ``symbolic`` engine: closed-form formulas, compiled once per function.

``prepare`` derives (cached on the function per ``wrt``/order; formulas are
size-independent) and compiles the NumPy module (cached likewise); the
``Prepared`` methods only evaluate the compiled code.
"""
from __future__ import annotations

import time

import numpy as np

from ..engines.base import Engine, Prepared, register
from ..function import Function
from .api import derive_function
from .codegen import SIZE_KEY


def _with_sizes(call, sizes: dict):
    return lambda inputs: call({**inputs, **sizes})


class SymbolicPrepared(Prepared):
    accumulation = "closed form"

    def __init__(self, derivation, wrt: list[str], stats: dict, sizes: dict | None = None):
        self.derivation = derivation
        self.wrt = wrt
        self.stats = stats
        self._code = derivation.compiled()
        fn = derivation.function
        shown = {d for shape in fn.shapes.values() for d in shape}
        hidden = {SIZE_KEY + d: (sizes or {})[d] for d in fn.dims if d not in shown and d in (sizes or {})}
        self.hidden = hidden  # the compiled HVP and trace take them with the inputs too
        if hidden:  # the code is the same at every size: the sizes no input shows go in with the inputs
            self._code = {k: _with_sizes(f, hidden) for k, f in self._code.items()}
            self.evaluate_all = self._code["together"]
        else:
            self.evaluate_all = derivation.evaluate

    def value(self, inputs: dict):
        return self._code["value"](inputs)

    def gradient(self, inputs: dict) -> dict:
        if "gradient" not in self._code:
            return super().gradient(inputs)
        return self._code["gradient"](inputs)

    def hessian(self, inputs: dict) -> dict:
        if "hessian" not in self._code:
            return super().hessian(inputs)
        return self._code["hessian"](inputs)

    def evaluate(self, inputs: dict, order: int = 2, scalar: bool = True) -> dict:
        """Value and derivatives from one generated function sharing its temporaries."""
        if order == self.derivation.order or not scalar:  # "together" holds exactly these
            return self.evaluate_all(inputs)
        return super().evaluate(inputs, order, scalar)

    def one_pass(self, order: int, scalar: bool = True):
        if order == self.derivation.order or not scalar:  # the generated "together" (sizes no input shows bound)
            return self._code["together"]
        return super().one_pass(order, scalar)

    def one_name(self, order: int, scalar: bool, name: str):
        if (order == self.derivation.order or not scalar) and self.derivation.wrt == [name]:
            run = self.derivation.one_name()  # generated in the one-name form
            return _with_sizes(run, self.hidden) if self.hidden else run
        return super().one_name(order, scalar, name)

    def derivatives(self, inputs: dict, order: int) -> list:
        if order > max(self.derivation.order, 2) or (order > 2 and "higher" not in self._code):
            return super().derivatives(inputs, order)
        (x,) = self.wrt
        higher = self._code["higher"](inputs) if order > 2 else {}
        found = {1: self.gradient(inputs)[x], 2: self.hessian(inputs)[(x, x)], **higher}
        return [float(found[k]) for k in range(1, order + 1)]

    def hvp(self, inputs: dict, vectors: dict) -> dict:
        """The closed-form product ``d(∇f)[v]``, compiled: no Hessian formed."""
        from .curvature import compiled_hvp

        call, _, directions = compiled_hvp(self.derivation.function, self.wrt)
        self.note_mode("hvp", "closed form")
        return call({**inputs, **self.hidden, **{directions[b]: vectors[b] for b in self.wrt}})

    def hessian_trace(self, inputs: dict) -> float:
        """The closed-form trace, one contraction of the Hessian's factors."""
        from .curvature import compiled_trace

        call, _ = compiled_trace(self.derivation.function, self.wrt)
        self.note_mode("trace", "closed form")
        return float(call({**inputs, **self.hidden}))

    def jacobian(self, inputs: dict) -> dict:
        if "jacobian" not in self._code:
            g = self.gradient(inputs)  # a scalar's Jacobian is its gradient
            return {k: np.asarray(v) for k, v in g.items()}
        return self._code["jacobian"](inputs)


class SymbolicEngine(Engine):
    name = "symbolic"
    description = "closed-form matrix-calculus formulas (diffbench's own rules), compiled to NumPy"

    def prepare(self, fn: Function, wrt: list[str], sizes: dict[str, int], order: int = 2) -> Prepared:
        start = time.perf_counter()
        derivation = derive_function(fn, list(wrt), order)
        derive_seconds = time.perf_counter() - start
        start = time.perf_counter()
        derivation.compiled()
        compile_seconds = time.perf_counter() - start
        stats = dict(derivation.stats)
        stats.update(prepare_derive_seconds=derive_seconds, prepare_compile_seconds=compile_seconds)
        return SymbolicPrepared(derivation, list(wrt), stats, sizes)


register(SymbolicEngine())
