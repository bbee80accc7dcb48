"""Engines as the job system sees them: every real engine, plus those of
the modules ``DIFFBENCH_ENGINE_MODULES`` names (comma-separated, importable
in every process of the run: the submitter, the workers and the sandbox
children inherit the variable).  The tests name their fault-injection
engines there (``tests/fault_engines.py``); no production module imports
them, and a user's job can never name them by accident."""
from __future__ import annotations

import importlib
import os

from ..errors import UserError

ENGINE_MODULES_VAR = "DIFFBENCH_ENGINE_MODULES"


def engine_modules() -> list[str]:
    return [m.strip() for m in os.environ.get(ENGINE_MODULES_VAR, "").split(",") if m.strip()]


def load_engines() -> dict:
    """Every engine; a named module's ``install()`` is called each time (it
    registers its engines again after a test took them out)."""
    from ..engines import load_all

    registry = load_all()
    for name in engine_modules():
        try:
            module = importlib.import_module(name)
        except ImportError as err:
            raise UserError(f"{ENGINE_MODULES_VAR}: cannot import {name!r} ({err}); expected importable "
                            "modules that register engines, comma-separated") from None
        install = getattr(module, "install", None)
        if install is not None:
            install()
    return registry


def get_engine(name: str):
    """The engine called ``name``; ``KeyError`` with a did-you-mean otherwise."""
    from ..engines import get_engine as lookup

    load_engines()
    return lookup(name)
