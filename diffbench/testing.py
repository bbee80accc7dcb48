"""Helpers for tests and benchmarks (production code never imports this).

The agreement rule lives in :mod:`diffbench.agreement` and ``check_agree``
in :mod:`diffbench.checking` (``diffbench compare`` uses it too); both are
re-exported here, so a test reads ``from diffbench.testing import check_agree``.  ``wrong_rule`` swaps a
primitive's rule for a wrong one, to show the helper catches it.
"""
from __future__ import annotations

import contextlib

from .agreement import FD_TOLERANCE, TOLERANCE, disagrees, relative_error, tolerance
from .checking import FULL_LIMIT, Agreement, Disagreement, check_agree
from .ops import TABLE
from .ops.core import GENERATION

__all__ = ["FD_TOLERANCE", "FULL_LIMIT", "TOLERANCE", "Agreement", "Disagreement", "check_agree",
           "disagrees", "relative_error", "tolerance", "wrong_rule"]


@contextlib.contextmanager
def wrong_rule(name: str, **replacement):
    """Temporarily replace fields of a primitive (e.g. ``vjp=(bad,)``): the
    test that the agreement helper catches a wrong rule uses this."""
    prim = TABLE[name]
    saved = {k: getattr(prim, k) for k in replacement}
    try:
        for k, v in replacement.items():
            setattr(prim, k, v)
        GENERATION[0] += 1
        yield prim
    finally:
        for k, v in saved.items():
            setattr(prim, k, v)
        GENERATION[0] += 1
