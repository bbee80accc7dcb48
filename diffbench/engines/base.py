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

from ..errors import TooLarge, Unsupported  # noqa: F401 -- engines raise them from here
from ..function import Function


class Prepared:
    """An engine's set-up computation for one function, variables and sizes."""

    #: figures for reports: derivation/compile seconds, tape nodes, bytes ...
    stats: dict[str, Any]

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


class Engine:
    name: str = ""
    description: str = ""

    def available(self) -> tuple[bool, str]:
        """Whether it can run here, and if not, why (e.g. a missing package)."""
        return True, ""

    def prepare(self, fn: Function, wrt: list[str], sizes: dict[str, int], order: int = 2) -> Prepared:
        raise NotImplementedError


REGISTRY: dict[str, Engine] = {}


def register(engine: Engine) -> Engine:
    REGISTRY[engine.name] = engine
    return engine
