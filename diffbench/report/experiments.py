"""The lectures' experiments, drawn from a run's results.

* **Forward against reverse mode**: Jacobian (or gradient) time of
  ``tape:forward`` and ``tape:reverse`` against the size that varies, on one
  log-log plot, with the measured crossover marked; and how often the
  ``auto`` choice (``tape`` or ``tape:auto``, which record the mode they
  ran) picked the faster mode.
* **Hutchinson's estimator**: the relative error of the estimate against
  the exact trace as the number of probes V grows (log-log, fitted slope,
  expected −½, with the standard-error band), and the cost of V probes
  against the full Hessian and the exact trace.
* **The evaluation trace**: the Wengert table of an all-scalar function.

Each builder returns plain data (figures as SVG strings, rows as dicts)
for ``macros.html.j2``; nothing here writes HTML by hand.
"""
from __future__ import annotations

import math
from collections import defaultdict

from . import plots, summary

MODES = ("tape:forward", "tape:reverse")
AUTO = ("tape", "tape:auto")
#: a choice within this factor of the faster mode counts as a tie
TIE = 1.10


def is_estimate(r: dict) -> bool:
    """A Hutchinson estimate (shown in its own section, not the generic tables)."""
    return r.get("quantity") == "trace" and bool((r.get("stats") or {}).get("probes"))


def _ok(r: dict) -> bool:
    return r["status"] == "ok" and r.get("median") is not None


def _x(r: dict, dim: str | None):
    return r["sizes"].get(dim) if dim else None


def _rest(r: dict, dim: str | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in r["sizes"].items() if k != dim)


# ---------------------------------------------------------------- modes

def crossover(points: dict[str, list[tuple[float, float]]]) -> float | None:
    """Where forward and reverse times cross for good: between the last size
    at which the faster mode differs from the faster mode at the largest size
    and the next one, interpolated in log-log (a noisy early flip is not a
    crossover); None when one mode is faster throughout."""
    fwd, rev = dict(points.get("tape:forward", [])), dict(points.get("tape:reverse", []))
    xs = sorted(set(fwd) & set(rev))
    ratios = [(x, math.log(fwd[x] / rev[x])) for x in xs]
    if len(ratios) < 2:
        return None
    final = ratios[-1][1] > 0
    last = max((i for i, (_, r) in enumerate(ratios) if (r > 0) != final), default=None)
    if last is None:
        return None
    (x1, r1), (x2, r2) = ratios[last], ratios[last + 1]
    t = r1 / (r1 - r2) if r1 != r2 else 0.5
    return float(math.exp(math.log(x1) + t * (math.log(x2) - math.log(x1))))


def auto_choices(results: list[dict]) -> list[dict]:
    """Per cell with both modes and an auto result: the mode auto ran, the
    faster measured mode, and whether the choice was right (or a tie)."""
    cells: dict[tuple, dict] = defaultdict(dict)
    for r in results:
        if _ok(r) and r["quantity"] in ("jacobian", "gradient"):
            cells[(r["quantity"], r["size_label"])][r["engine"]] = r
    out = []
    for (quantity, label), by_engine in cells.items():
        auto = next((by_engine[e] for e in AUTO if e in by_engine), None)
        if auto is None or not all(m in by_engine for m in MODES):
            continue
        times = {m.split(":")[1]: by_engine[m]["median"] for m in MODES}
        chosen = (auto.get("stats") or {}).get("mode")
        faster = min(times, key=times.get)
        ratio = times.get(chosen, math.inf) / times[faster] if chosen in times else math.inf
        out.append({"quantity": quantity, "sizes": label, "chosen": chosen, "faster": faster,
                    "forward": times["forward"], "reverse": times["reverse"],
                    "right": chosen == faster, "tie": ratio <= TIE,
                    "noise": _samples_overlap(*(by_engine[m] for m in MODES))})
    return out


def _samples_overlap(a: dict, b: dict) -> bool:
    """Whether two results' timed samples overlap: which is faster is then
    within this run's measurement noise (a loaded machine widens them)."""
    ta, tb = a.get("times") or [], b.get("times") or []
    return bool(ta and tb) and min(ta) <= max(tb) and min(tb) <= max(ta)


def modes_section(fn: dict, dim: str | None) -> dict | None:
    """The forward-against-reverse figure(s) and the auto tally, or None."""
    results = [r for r in fn["results"] if _ok(r) and r["engine"] in MODES + AUTO
               and r["quantity"] in ("jacobian", "gradient")]
    if not any(r["engine"] in MODES for r in results):
        return None
    figures = []
    groups: dict[tuple, dict] = defaultdict(lambda: defaultdict(list))
    for r in results:
        if _x(r, dim) is not None:
            groups[(r["quantity"], _rest(r, dim))][r["engine"]].append((_x(r, dim), r["median"]))
    for (quantity, rest), points in sorted(groups.items()):
        points = {e: sorted(p) for e, p in points.items()}
        cross = crossover(points)
        figures.append({"quantity": quantity, "rest": rest, "crossover": cross,
                        "svg": plots.modes_plot(points, dim, quantity, cross)})
    choices = auto_choices(fn["results"])
    return {"figures": figures, "choices": choices,
            "right": sum(c["right"] for c in choices), "ties": sum(c["tie"] and not c["right"] for c in choices),
            "noise": sum(c["noise"] and not c["right"] for c in choices)}


# ---------------------------------------------------------------- Hutchinson

def hutchinson_section(fn: dict, estimates: list[dict]) -> dict | None:
    """Error against V (with the fitted slope) and cost against V, per engine,
    distribution and size; None without estimates."""
    if not estimates:
        return None
    series: dict[tuple, list] = defaultdict(list)
    for r in estimates:
        st = r.get("stats") or {}
        if not _ok(r) or not st.get("exact"):
            continue
        exact = abs(st["exact"])
        series[(r["engine"], st.get("distribution", "rademacher"), r["size_label"])].append(
            {"probes": st["probes"], "error": abs(st["estimate"] - st["exact"]) / exact,
             "band": (st.get("stderr") or 0.0) / exact, "seconds": r["median"]})
    lines = []
    for (engine, distribution, label), pts in sorted(series.items()):
        pts.sort(key=lambda p: p["probes"])
        usable = [p for p in pts if p["error"] > 0]
        slope = summary.fit_slope([p["probes"] for p in usable], [p["error"] for p in usable]) \
            if len(usable) >= 2 else None
        band = [p for p in pts if p["band"] > 0]
        band_slope = summary.fit_slope([p["probes"] for p in band], [p["band"] for p in band]) \
            if len(band) >= 2 else None
        lines.append({"engine": engine, "distribution": distribution, "sizes": label, "points": pts,
                      "slope": slope, "band_slope": band_slope})
    if not lines:
        return None
    costs = _reference_costs(fn["results"])
    return {"lines": lines, "error_svg": plots.hutchinson_error_plot(lines),
            "cost_svg": plots.hutchinson_cost_plot(lines, costs), "costs": costs}


def _reference_costs(results: list[dict]) -> list[dict]:
    """What V probes compete with: each engine's full Hessian and exact trace."""
    out = []
    for r in results:
        if _ok(r) and r["quantity"] in ("hessian", "trace") and not is_estimate(r):
            what = "Hessian" if r["quantity"] == "hessian" else \
                f"exact trace ({(r.get('stats') or {}).get('mode') or 'exact'})"
            out.append({"engine": r["engine"], "what": what, "sizes": r["size_label"], "seconds": r["median"]})
    return out


# ---------------------------------------------------------------- the trace

def wengert_section(fn: dict) -> dict | None:
    """The evaluation trace of an all-scalar function at inputs drawn with
    seed 0 (its catalogue sampler, or the generic one)."""
    shapes = fn.get("shapes") or {}
    if not shapes or any(tuple(s) for s in shapes.values()) or fn.get("python"):
        return None
    from ..api import parse
    from ..tape.wengert import shown, wengert

    try:
        if fn.get("catalogue"):
            from ..catalogue import get_entry

            entry = get_entry(fn["catalogue"])
            function, inputs = entry.function, entry.sample({}, 0)
        else:
            from ..sampling import sample_inputs

            function = parse(fn["expr"], {k: "" for k in shapes})
            inputs = sample_inputs(function, {}, 0, {})
        trace = wengert(function, inputs)
    except Exception as err:  # noqa: BLE001 -- a table that cannot be drawn is a note, not a failed report
        return {"note": f"{type(err).__name__}: {err}", "rows": [], "direction": ""}
    rows = [{"name": r["name"], "operation": r["operation"], "output": r["output"],
             "value": shown(r["value"], r["shape"]), "tangent": shown(r["tangent"], r["shape"]),
             "adjoint": shown(r["adjoint"], r["shape"])} for r in trace["rows"]]
    along = ", ".join(f"{n} = {shown(v, ())}" for n, v in trace["direction"].items())
    return {"rows": rows, "direction": along, "note": ""}


def sections(fn: dict, estimates: list[dict]) -> dict:
    return {"modes": modes_section(fn, fn.get("dim")), "hutchinson": hutchinson_section(fn, estimates),
            "wengert": wengert_section(fn)}
