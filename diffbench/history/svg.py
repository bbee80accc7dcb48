"""Small inline SVG charts (no plotting library, no scripts): a sparkline
of a cell's history.  The report embeds them."""
from __future__ import annotations

import math
from html import escape

W, H, PAD = 180, 36, 4


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def sparkline(points: list, step_index: int | None = None) -> str:
    """Median time per run on a log axis, bars for the spread, a red cross
    for a run that failed, a red line where a slowdown began."""
    times = [p.median for p in points if p.status == "ok" and p.median and p.median > 0]
    if not times:
        return ""
    logs = [math.log(t) for t in times]
    x = _scale(0, max(len(points) - 1, 1), PAD, W - PAD)
    y = _scale(min(logs), max(logs), H - PAD, PAD)
    parts = []
    if step_index is not None:
        parts.append(f"<line x1='{x(step_index - 0.5):.1f}' x2='{x(step_index - 0.5):.1f}' y1='0' y2='{H}' "
                     "stroke='#c00' stroke-dasharray='2,2'/>")
    for i, p in enumerate(points):
        parts.append(_mark(p, x(i), y))
    line = " ".join(f"{x(i):.1f},{y(math.log(p.median)):.1f}" for i, p in enumerate(points)
                    if p.status == "ok" and p.median and p.median > 0)
    parts.insert(0, f"<polyline points='{line}' fill='none' stroke='#999'/>")
    return f"<svg width='{W}' height='{H}' xmlns='http://www.w3.org/2000/svg'>{''.join(parts)}</svg>"


def _mark(p, cx: float, y) -> str:
    title = f"<title>{escape(p.run_id)}: {escape(p.status)}" + (f" {p.median:.3g} s" if p.median else "") + "</title>"
    if p.status != "ok" or not p.median or p.median <= 0:
        return (f"<g stroke='#c00'>{title}<line x1='{cx - 3:.1f}' y1='2' x2='{cx + 3:.1f}' y2='8'/>"
                f"<line x1='{cx - 3:.1f}' y1='8' x2='{cx + 3:.1f}' y2='2'/></g>")
    half = (p.spread or 0) / 2
    lo, hi = y(math.log(max(p.median - half, p.median * 0.5))), y(math.log(p.median + half))
    return (f"<g>{title}<line x1='{cx:.1f}' x2='{cx:.1f}' y1='{lo:.1f}' y2='{hi:.1f}' stroke='#69c'/>"
            f"<circle cx='{cx:.1f}' cy='{y(math.log(p.median)):.1f}' r='2' fill='#036'/></g>")
