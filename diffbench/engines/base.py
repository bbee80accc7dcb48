"""What an engine is, and the registry engines register themselves in
(looked up by name through :func:`diffbench.engines.get_engine`).

An engine turns a parsed function into a :class:`Prepared` computation for
given variables and dim sizes.  ``prepare`` is where derivation, compilation
or tape set-up happens (timed apart by the harness); the ``Prepared`` methods
only evaluate.  Shapes follow one convention in every engine: a gradient has
the shape of its variable, a Hessian block ``(a, b)`` has shape
``shape(a) + shape(b)``, a Jacobian ``out.shape + in.shape``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import TooLarge, Unsupported  # noqa: F401 -- engines raise them from here
from ..function import Function
from ..ir import format_shape


#: the highest derivative order asked of an engine (formulas of order k grow roughly like k!)
MAX_ORDER = 8


def check_higher_order(fn: Function, wrt: list[str], order: int) -> None:
    """Orders above 2 are derivatives along one scalar variable of a scalar function."""
    if order <= 2:
        return
    if len(wrt) != 1:
        raise Unsupported(f"unsupported: derivatives of order {order} need exactly one variable, not "
                          f"{len(wrt)} ({', '.join(wrt)}); mixed partials above order 2 are not derived")
    (x,) = wrt
    if fn.shapes[x] != ():
        raise Unsupported(f"unsupported: derivatives of order {order} need a scalar variable; {x} has shape "
                          f"{format_shape(fn.shapes[x])} (order > 2 would be a tensor of rank {order * len(fn.shapes[x])})")
    if not fn.is_scalar:
        raise Unsupported(f"unsupported: derivatives of order {order} need a scalar function; "
                          f"{fn.expr!r} has shape {format_shape(fn.shape)}")


class Prepared:
    """An engine's set-up computation for one function, variables and sizes."""

    #: figures for reports: derivation/compile seconds, tape nodes, bytes ...
    stats: dict[str, Any]
    #: how derivatives are accumulated when the engine has no modes to choose
    #: from; engines with modes record per quantity in ``stats["mode"]``
    accumulation: str = ""

    def note_mode(self, quantity: str, mode: str) -> None:
        """Record how ``quantity`` was computed (``stats["mode"]``)."""
        if getattr(self, "stats", None) is None:
            self.stats = {}
        self.stats.setdefault("mode", {})[quantity] = mode

    def mode_ran(self, quantity: str) -> str:
        """How ``quantity`` was computed by the last call (forward, reverse ...)."""
        modes = (getattr(self, "stats", None) or {}).get("mode") or {}
        return modes.get(quantity) or self.accumulation

    def value(self, inputs: dict):
        raise NotImplementedError

    def gradient(self, inputs: dict) -> dict:
        """``{name: array shaped like the variable}`` (scalar functions only)."""
        raise Unsupported(f"{type(self).__name__} has no gradient")

    def hessian(self, inputs: dict) -> dict:
        """``{(a, b): array of shape shape(a)+shape(b)}`` for every pair of ``wrt``."""
        raise Unsupported(f"{type(self).__name__} has no Hessian")

    def jacobian(self, inputs: dict) -> dict:
        """``{name: array of shape out.shape + shape(name)}``."""
        raise Unsupported(f"{type(self).__name__} has no Jacobian")

    def evaluate(self, inputs: dict, order: int = 2, scalar: bool = True) -> dict:
        """``{"value", "gradient"[, "hessian"]}`` (or ``{"value", "jacobian"}`` when
        ``scalar`` is false) at ``inputs``.  Engines that share work between the
        quantities (one forward pass for all) override this; here, one call each."""
        out = {"value": self.value(inputs)}
        if not scalar:
            out["jacobian"] = self.jacobian(inputs)
            return out
        out["gradient"] = self.gradient(inputs)
        if order >= 2:
            out["hessian"] = self.hessian(inputs)
        return out

    def one_pass(self, order: int, scalar: bool):
        """``inputs -> evaluate(inputs, order, scalar)``, chosen once: an engine whose one
        pass is a single function hands that out, and a loop calling it skips the dispatch."""
        return lambda inputs: self.evaluate(inputs, order, scalar)

    def one_name(self, order: int, scalar: bool, name: str):
        """:meth:`one_pass` in the form ``diffbench.derivatives`` returns for ``wrt`` one
        name: its gradient, Hessian (or Jacobian) itself, not a dict of one.  An engine
        that can write this form directly overrides it (a loop pays no unwrapping)."""
        run = self.one_pass(order, scalar)
        key = "gradient" if scalar else "jacobian"
        pair = (name, name)

        def one_name(inputs: dict) -> dict:
            result = run(inputs)
            result[key] = result[key][name]
            if "hessian" in result:
                result["hessian"] = result["hessian"][pair]
            return result
        return one_name

    def hvp(self, inputs: dict, vectors: dict) -> dict:
        """``{a: sum_b H[a, b] . v_b}``, shaped like each variable.  This
        default forms the Hessian first; engines that can do without override it."""
        blocks = self.hessian(inputs)
        self.note_mode("hvp", "Hessian times v")
        out = {}
        for (a, b), block in blocks.items():
            v = np.asarray(vectors[b], dtype=float)
            part = np.tensordot(np.asarray(block), v, axes=v.ndim) if v.ndim else np.asarray(block) * v
            out[a] = part if a not in out else out[a] + part
        return out

    def hessian_trace(self, inputs: dict) -> float:
        """``Tr ∇²f`` over every ``wrt`` entry.  This default sums the Hessian's
        diagonal; the symbolic engine overrides it with a closed form."""
        blocks = self.hessian(inputs)
        self.note_mode("trace", "Hessian diagonal")
        total = 0.0
        for (a, b), block in blocks.items():
            if a == b:
                size = int(np.prod(np.shape(inputs[a]), dtype=int))
                total += float(np.trace(np.asarray(block, dtype=float).reshape(size, size)))
        return total

    def derivatives(self, inputs: dict, order: int) -> list:
        """``[f', f'', ..., f^(order)]`` along the one scalar ``wrt`` variable."""
        raise Unsupported(f"unsupported: {type(self).__name__} has no derivatives of order above 2")


class Engine:
    name: str = ""
    description: str = ""
    #: accumulation modes this engine can be asked for as ``name:mode``
    modes: tuple[str, ...] = ()

    def variant(self, mode: str) -> "Engine":
        """This engine computing gradients and Jacobians in ``mode``."""
        raise KeyError(mode)

    def available(self) -> tuple[bool, str]:
        """Whether it can run here, and if not, why (e.g. a missing package)."""
        return True, ""

    def prepare(self, fn: Function, wrt: list[str], sizes: dict[str, int], order: int = 2) -> Prepared:
        raise NotImplementedError


REGISTRY: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    REGISTRY[engine.name] = engine
    return engine
