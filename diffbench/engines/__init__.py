"""Engines, looked up by name: ``tape`` (reverse-mode AD over a Wengert tape),
``fd`` (central differences, the referee), ``symbolic`` (closed-form matrix
calculus), ``sympy-scalar`` (the naive entry-wise SymPy baseline),
``closed-form`` (hand-written NumPy formulas for catalogue functions) and the
optional frameworks ``autograd``, ``jax``, ``jax-jit``, ``torch`` (unavailable,
never an import error, when their package is missing)."""
from __future__ import annotations

import difflib
import importlib

from ..errors import TooLarge, Unsupported
from .base import REGISTRY, Engine, Prepared, register

_MODULES = ("diffbench.tape.engine", "diffbench.engines.fd", "diffbench.engines.zeroth", "diffbench.symbolic.engine",
            "diffbench.engines.sympy_scalar", "diffbench.engines.closed_form",
            "diffbench.engines.frameworks.autograd_engine", "diffbench.engines.frameworks.jax_engine",
            "diffbench.engines.frameworks.torch_engine")


def load_all() -> dict[str, Engine]:
    """Import every engine module that exists; each registers itself."""
    for module in _MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:  # a real missing dependency inside it: surface it
                raise
    return REGISTRY


def get_engine(name: str) -> Engine:
    """The engine called ``name``; ``KeyError`` with a did-you-mean otherwise."""
    load_all()  # engines register themselves on import
    base, _, mode = name.partition(":")
    if mode and base in REGISTRY:  # tape:forward, tape:reverse ...
        if mode not in REGISTRY[base].modes:
            known = ", ".join(f"{base}:{m}" for m in REGISTRY[base].modes) or f"none: {base} has one mode"
            raise KeyError(f"unknown mode {mode!r} of engine {base!r} (known: {known})")
        return REGISTRY[base].variant(mode)
    if name not in REGISTRY:
        near = difflib.get_close_matches(name, list(REGISTRY), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise KeyError(f"unknown engine {name!r}{hint} (known: {', '.join(sorted(REGISTRY))})")
    return REGISTRY[name]


__all__ = ["Engine", "Prepared", "Unsupported", "TooLarge", "REGISTRY", "register",
           "get_engine", "load_all"]
