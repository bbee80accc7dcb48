"""Jinja filters: numbers and times as a reader wants to see them."""
from __future__ import annotations

import math
from datetime import datetime

from ..jobs.units import seconds


def size_bytes(v) -> str:
    if v is None or not isinstance(v, (int, float)):
        return ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(v) < 1024 or unit == "GiB":
            return f"{v:.0f} {unit}" if unit == "B" else f"{v:.3g} {unit}"
        v /= 1024
    return ""


def sci(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not math.isfinite(v):
        return "∞" if v > 0 else str(v)
    return "0" if v == 0 else f"{v:.1e}"


def times(v) -> str:
    """A speed-up factor: ``3.2×``."""
    if v is None:
        return ""
    return f"{v:.3g}×" if v < 100 else f"{v:,.0f}×"


def duration(v) -> str:
    if v is None:
        return ""
    if v < 120:
        return f"{v:.1f} s"
    minutes, secs = divmod(int(round(v)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def when(v) -> str:
    """An ISO timestamp as ``2026-11-22 08:08:28 UTC``."""
    if not v:
        return ""
    try:
        t = datetime.fromisoformat(str(v))
    except ValueError:
        return str(v)
    zone = t.strftime("%Z") or ""
    return t.strftime("%Y-%m-%d %H:%M:%S") + (f" {zone}" if zone else "")


def sizes(v: dict) -> str:
    return ", ".join(f"{k}={n}" for k, n in (v or {}).items()) or "-"


def groupby_winner(winners: list) -> list[tuple[str, list[str]]]:
    """``[(sizes, engine), ...]`` -> ``[(engine, ["n=10", "n=30"]), ...]``,
    consecutive sizes with the same winner run together."""
    out: list[tuple[str, list[str]]] = []
    for size, engine in winners:
        if out and out[-1][0] == engine:
            out[-1][1].append(sizes(size))
        else:
            out.append((engine, [sizes(size)]))
    return out


FILTERS = {"groupby_winner": groupby_winner, "seconds": seconds, "bytes": size_bytes, "sci": sci, "times": times,
           "duration": duration, "when": when, "sizes": sizes}
