"""Time against problem size: the fitted exponent of each cell series.

For each function × engine × quantity whose sizes vary in one dim, a
least-squares line through (log n, log median time) gives the exponent:
time ~ n^k.  Only the largest points are fitted (up to four, and at least
three) because small sizes are dominated by fixed per-call overhead,
which would flatten the slope.
"""
from __future__ import annotations

import math

import numpy as np

FIT_POINTS = 4


def varying_dim(sizes: list[dict]) -> str | None:
    """The first dim whose value changes across ``sizes``."""
    if not sizes:
        return None
    return next((d for d in sizes[0] if len({s.get(d) for s in sizes}) > 1), None)


def size_fits(results: list[dict]) -> list[dict]:
    """One fit per function × engine × quantity with three or more ok sizes."""
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        if r["status"] == "ok" and r.get("median") and r["median"] > 0:
            groups.setdefault((r["function"], r["engine"], r["quantity"]), []).append(r)
    out = []
    for (function, engine, quantity), rows in sorted(groups.items()):
        dim = varying_dim([r["sizes"] for r in rows])
        if dim is None:
            continue
        points = sorted((r["sizes"][dim], r["median"]) for r in rows)
        if len(points) >= 3:
            out.append({"function": function, "engine": engine, "quantity": quantity, "dim": dim,
                        "points": points, "exponent": exponent(points[-FIT_POINTS:])})
    return out


def exponent(points: list[tuple[float, float]]) -> float:
    """Slope of log time against log size."""
    x = np.log([p[0] for p in points])
    y = np.log([p[1] for p in points])
    slope = np.polyfit(x, y, 1)[0]
    return float(slope) if math.isfinite(slope) else float("nan")
