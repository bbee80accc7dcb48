"""When two answers agree: the one rule.

The metric is ``|a-b| / max(1, |a|+|b|)``, largest over the entries; the
bar is :func:`tolerance` of the quantity, looser when finite differences
are either side.  The report, the API's ``disagreements``, the regressions
and the agreement helper (:mod:`diffbench.checking`) all judge by it, so
one cell is never judged two ways.
"""
from __future__ import annotations

import math

import numpy as np

# tolerances: exact engines must agree to round-off; fd to its truncation error
TOLERANCE = {"value": 1e-9, "gradient": 1e-8, "hessian": 1e-7, "jacobian": 1e-8, "hvp": 1e-7, "trace": 1e-7,
             "derivatives": 1e-10}
# fd's HVP differences exact gradients (error ~ eps^(2/3)); its trace is its Hessian's
FD_TOLERANCE = {"value": 1e-9, "gradient": 2e-6, "hessian": 2e-4, "jacobian": 2e-6, "hvp": 2e-6, "trace": 2e-4,
                "derivatives": 0.0}
#: engines whose answers carry their own truncation error
APPROXIMATE_ENGINES = frozenset({"fd", "fd-forward", "zo-sphere", "zo-gauss", "zo-sphere-v1", "zo-gauss-v1"})


def tolerance(quantity: str, engine: str, reference: str | None) -> float:
    """The bar ``engine`` is held to against ``reference`` for ``quantity``.

    A quantity without its own entry gets the loosest bar of its table."""
    approximate = engine in APPROXIMATE_ENGINES or reference in APPROXIMATE_ENGINES
    table = FD_TOLERANCE if approximate else TOLERANCE
    return table.get(quantity, max(table.values()))


def disagrees(error: float | None, quantity: str, engine: str, reference: str | None) -> bool:
    """Is a measured error beyond the bar?  An infinite or NaN error (shapes
    differ, a NaN came out) always is; no error measured never is."""
    if error is None:
        return False
    return not math.isfinite(error) or error > tolerance(quantity, engine, reference)


def relative_error(a, b) -> float:
    """max over entries of |a-b| / max(1, |a|+|b|); inf on a shape mismatch or NaN."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    err = np.abs(a - b) / np.maximum(1.0, np.abs(a) + np.abs(b))
    return float("inf") if np.isnan(err).any() else float(err.max())
