"""A sparkline of a cell's history (inline SVG: no plotting library, no
scripts): the geometry here, the markup in ``templates/sparkline.svg.j2``."""
from __future__ import annotations

import math

W, H, PAD = 180, 36, 4


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def _timed(p) -> bool:
    return p.status == "ok" and bool(p.median) and p.median > 0


def sparkline(points: list, step_index: int | None = None) -> str:
    """Median time per run on a log axis, bars for the spread, a red cross
    for a run that failed, a red line where a slowdown began."""
    from .render import environment

    logs = [math.log(p.median) for p in points if _timed(p)]
    if not logs:
        return ""
    x = _scale(0, max(len(points) - 1, 1), PAD, W - PAD)
    y = _scale(min(logs), max(logs), H - PAD, PAD)
    line = " ".join(f"{x(i):.1f},{y(math.log(p.median)):.1f}" for i, p in enumerate(points) if _timed(p))
    step = None if step_index is None else f"{x(step_index - 0.5):.1f}"
    return environment().get_template("sparkline.svg.j2").render(
        width=W, height=H, line=line, step=step, marks=[_mark(p, x(i), y) for i, p in enumerate(points)])


def _mark(p, cx: float, y) -> dict:
    title = f"{p.run_id}: {p.status}" + (f" {p.median:.3g} s" if p.median else "")
    if not _timed(p):
        return {"failed": True, "title": title, "left": f"{cx - 3:.1f}", "right": f"{cx + 3:.1f}"}
    half = (p.spread or 0) / 2
    return {"failed": False, "title": title, "x": f"{cx:.1f}", "y": f"{y(math.log(p.median)):.1f}",
            "low": f"{y(math.log(max(p.median - half, p.median * 0.5))):.1f}",
            "high": f"{y(math.log(p.median + half)):.1f}"}
