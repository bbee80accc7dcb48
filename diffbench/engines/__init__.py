"""Engines, looked up by name: ``tape`` (reverse-mode AD over a Wengert tape),
``fd`` (central differences, the referee), ``symbolic`` (closed-form matrix
calculus) and ``sympy-scalar`` (the naive entry-wise SymPy baseline)."""
from __future__ import annotations

import importlib

from .base import REGISTRY, Engine, Prepared, TooLarge, Unsupported, get_engine, register

_MODULES = ("diffbench.tape.engine", "diffbench.engines.fd", "diffbench.symbolic.engine",
            "diffbench.engines.sympy_scalar")


def load_all() -> dict[str, Engine]:
    """Import every engine module that exists; each registers itself."""
    for module in _MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:  # a real missing dependency inside it: surface it
                raise
    return REGISTRY


__all__ = ["Engine", "Prepared", "Unsupported", "TooLarge", "REGISTRY", "register",
           "get_engine", "load_all"]
