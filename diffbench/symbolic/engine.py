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


class SymbolicPrepared(Prepared):
    def __init__(self, derivation, wrt: list[str], stats: dict):
        self.derivation = derivation
        self.wrt = wrt
        self.stats = stats
        self._code = derivation.compiled()

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
            return self.derivation.evaluate(inputs)
        return super().evaluate(inputs, order, scalar)

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
        return SymbolicPrepared(derivation, list(wrt), stats)


register(SymbolicEngine())
