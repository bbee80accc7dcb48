"""Naming a Python function as ``module:function`` (CLI, job files).

The module is imported, which runs its code: that is why the HTTP service
refuses such jobs unless ``serve`` was started naming the modules it may
import.  Expressions and job files stay data; only the module the user
named is ever run.
"""
from __future__ import annotations

import importlib
import os
import re
import sys

from ..function import Function
from .tracer import NeedsSizes, TraceError, trace

REFERENCE = re.compile(r"(?P<module>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
                       r":(?P<function>[A-Za-z_][A-Za-z0-9_]*)\Z")


def is_python_reference(text: str) -> bool:
    """``pkg.module:function``: a Python function, not an expression."""
    return isinstance(text, str) and REFERENCE.match(text.strip()) is not None


def module_of(reference: str) -> str:
    match = REFERENCE.match(reference.strip())
    if match is None:
        raise TraceError(f"{reference!r} is not of the form module:function (e.g. mypackage.losses:loss)")
    return match["module"]


def import_function(reference: str):
    """The function ``reference`` names; the current folder is searched too,
    so ``diffbench compare mymodule:loss`` finds ``./mymodule.py``."""
    module_name = module_of(reference)
    function_name = reference.strip().rsplit(":", 1)[1]
    try:
        module = _import(module_name)
    except ImportError as err:
        raise TraceError(f"{reference}: cannot import {module_name!r} ({err}); install it, run from "
                         "its folder, or (on a remote cluster) see docs/python.md") from None
    except Exception as err:  # the user's module failed while it ran
        raise TraceError(f"{reference}: importing {module_name!r} failed: "
                         f"{type(err).__name__}: {err}") from None
    fn = getattr(module, function_name, None)
    if not callable(fn):
        raise TraceError(f"{reference}: {module_name!r} has no function {function_name!r}")
    return fn


def _import(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        here = os.getcwd()
        if err.name != module_name.split(".")[0] or here in sys.path:
            raise
        sys.path.append(here)
        return importlib.import_module(module_name)


def load(reference: str, shapes: dict, sizes: dict | None = None) -> Function:
    """Import and trace ``module:function`` with the declared ``shapes``:
    with symbolic dims when it can, else (a loop over a dimension, a size
    used as a number) at ``sizes``, when they are given."""
    fn = import_function(reference)
    try:
        return trace(fn, shapes=shapes, name=reference.strip())
    except NeedsSizes:
        if not sizes:
            raise
    return trace(fn, shapes=shapes, sizes=sizes, name=reference.strip())
