"""The report's plots, as inline SVG strings drawn by :mod:`.chart`.

Each function takes a run's results (or the numbers a section computed)
and returns one ``<svg>``, or None when there is nothing to draw.  Colour
stands for the engine, line style and marker for the quantity, on every
plot of a page.  Drawing is string building: the quickstart's 26 plots
take milliseconds, so they are drawn in the report's own process.
"""
from __future__ import annotations

import math

from ..agreement import APPROXIMATE_ENGINES
from . import summary
from .chart import Axis, Chart

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
_MARKERS = {"value": "o", "gradient": "s", "jacobian": "D", "hvp": "v", "hessian": "^"}
_STYLES = {"value": ":", "gradient": "--", "jacobian": "-.", "hvp": "--", "hessian": "-"}
#: line widths and marker sizes, in the chart's units (its width is 640)
THIN, NORMAL, SMALL, MARK = 1.1, 2.0, 5.0, 6.5


def engine_colours(engines: list[str]) -> dict[str, str]:
    return {e: COLOURS[i % len(COLOURS)] for i, e in enumerate(engines)}


def run_engines(run: dict, results: list[dict]) -> list[str]:
    """The job's engines in its own order, then any others: the colour order
    every plot of a run's page shares."""
    listed = list((run.get("job") or {}).get("engines") or [])
    return list(dict.fromkeys(listed + sorted({r["engine"] for r in results})))


def run_colours(store, run_id: str) -> dict[str, str]:
    """Engine colours of a run's page, for sections that other packages add."""
    return engine_colours(run_engines(store.run(run_id), store.results(run_id)))


def new_chart(xlabel: str, ylabel: str, x: str = "linear", y: str = "linear") -> Chart:
    """An empty chart; ``x`` and ``y`` are the axes' scales ("linear" or "log")."""
    return Chart(Axis(xlabel, x), Axis(ylabel, y))


def quantity_look(quantity: str, colour: str) -> dict:
    """The line style and marker of ``quantity`` in ``colour``: the style of every per-quantity line."""
    return {"style": _STYLES.get(quantity, "-"), "marker": _MARKERS.get(quantity, "o"), "colour": colour,
            "size": MARK, "width": NORMAL}


def log_axes(chart: Chart, sizes, size_ticks: bool = True) -> None:
    """Log-log, with the measured sizes as the x ticks when there are few."""
    chart.x.scale = chart.y.scale = "log"
    sizes = sorted(set(sizes))
    if size_ticks and len(sizes) <= 12:
        chart.x.ticks, chart.x.tick_labels = sizes, [f"{v:g}" for v in sizes]


def _dim_label(dim: str | None) -> str:
    return f"size {dim} (log scale)" if dim else "size"


def time_plot(results: list[dict], dim: str | None, colours: dict) -> str | None:
    """Median time against size, log-log, one line per engine x quantity,
    its fitted exponent k (time ~ size^k) in the legend."""
    fits = [f for f in summary.slopes(results, dim) if f["points"]]
    if not fits:
        return None
    chart = new_chart(_dim_label(dim), "median time per call (s)")
    for f in fits:
        xs, ys = zip(*f["points"])
        k = "one size" if f["slope"] is None else f"k={f['slope']:.2f}"
        label = f"{f['engine']} {f['quantity']} {f['rest']} ({k})".replace("  ", " ")
        chart.line(xs, ys, label=label, **quantity_look(f["quantity"], colours.get(f["engine"], "#000")))
    log_axes(chart, [p[0] for f in fits for p in f["points"]])
    return chart.svg("time against size, log-log")


def ratio_plot(results: list[dict], dim: str | None, colours: dict) -> str | None:
    """Gradient / value and Hessian / value time against size, per engine."""
    lines: dict[tuple, list] = {}
    for row in summary.ratios(results):
        if dim not in row["sizes"]:
            continue
        for q, ratio in row.items():
            if q in _MARKERS and q != "value":
                lines.setdefault((row["engine"], q), []).append((row["sizes"][dim], ratio))
    if not lines:
        return None
    chart = new_chart(_dim_label(dim), "time ÷ time of the value (×)")
    for (engine, q), pts in sorted(lines.items()):
        xs, ys = zip(*sorted(pts))
        chart.line(xs, ys, label=f"{engine} {q} / value", **quantity_look(q, colours.get(engine, "#000")))
    log_axes(chart, [p[0] for pts in lines.values() for p in pts])
    return chart.svg("cost ratios against size")


def _draw_series(chart: Chart, points: dict, colours: dict) -> None:
    """One line per (engine, quantity, rest) series: the quantity picks the
    line style and marker, the engine the colour."""
    for (engine, q, rest), pts in sorted(points.items()):
        xs, ys = zip(*pts)
        chart.line(xs, ys, label=f"{engine} {q} {rest}".strip(), **quantity_look(q, colours.get(engine, "#000")))


def memory_plot(results: list[dict], dim: str | None, colours: dict) -> str | None:
    """Peak bytes one call allocates above its inputs (``stats.call_peak_bytes``),
    against size, log-log: drawn next to the time plot, as the time is."""
    rows = [dict(r, call_peak_bytes=(r.get("stats") or {}).get("call_peak_bytes")) for r in results]
    points = {k: [(x, max(y, 1)) for x, y in v]
              for k, v in summary.series(rows, dim, field="call_peak_bytes").items()}
    if not points:
        return None
    chart = new_chart(_dim_label(dim), "peak per call above the inputs (bytes)")
    _draw_series(chart, points, colours)
    log_axes(chart, [p[0] for pts in points.values() for p in pts])
    return chart.svg("peak memory per call against size")


#: an exact 0 error is drawn at this floor (a log axis has no 0)
ERROR_FLOOR = 1e-17


def accuracy_plot(results: list[dict], dim: str | None, colours: dict) -> str | None:
    """Relative error against the reference, against size (log-log)."""
    points = summary.series(results, dim, field="accuracy")
    # the metric is at most 1 (|a-b| <= |a|+|b|): inf (shape mismatch) is drawn at 1
    points = {k: [(x, min(max(y, ERROR_FLOOR), 1.0)) for x, y in v] for k, v in points.items()}
    if not points:
        return None
    chart = new_chart(_dim_label(dim), "max relative error (log; 0 drawn at 1e-17)")
    for bar, style in _tolerance_lines(results):
        chart.rule("y", bar, colour="#888", style=style, width=THIN)
    _draw_series(chart, points, colours)
    log_axes(chart, [p[0] for pts in points.values() for p in pts])
    return chart.svg("accuracy against size")


def _tolerance_lines(results: list[dict]) -> list[tuple[float, str]]:
    """The distinct agreement bars of the plotted results: dashed between
    exact engines, dash-dot when fd is one side."""
    bars = {(summary.threshold(r), "-." if APPROXIMATE_ENGINES & {r["engine"], r.get("reference")} else "--")
            for r in results if r["status"] == "ok" and r.get("accuracy") is not None}
    return sorted(bars)


def step_plot(results: list[dict]) -> str | None:
    """fd's error against its step, one line per result that carries
    per-step errors: the U of truncation (large h) against round-off (small h)."""
    lines = [(r, summary.step_errors(r)) for r in results if r["status"] == "ok"]  # a failed cell's are NaN
    lines = [(r, pts) for r, pts in lines if len(pts) >= 2]
    if not lines:
        return None
    chart = new_chart("step h (log scale)", "max relative error (log)")
    for i, (r, pts) in enumerate(lines):
        xs, ys = zip(*[(h, max(e, ERROR_FLOOR)) for h, e in pts])
        chart.line(xs, ys, label=f"{r['engine']} {r['quantity']} {r['size_label']}",
                   **quantity_look(r["quantity"], COLOURS[i % len(COLOURS)]))
    log_axes(chart, [p[0] for _, pts in lines for p in pts], size_ticks=False)
    return chart.svg("finite-difference error against step")


def zero_order_plot(results: list[dict]) -> str | None:
    """A zero-order estimator's error against its number of directions V,
    one line per engine and step eps (``stats["zo_errors"]``), beside the
    V^(-1/2) a mean of V independent estimates should follow."""
    lines = {}
    for r in results:
        for count, eps, err in (r.get("stats") or {}).get("zo_errors") or []:
            lines.setdefault((r["engine"], r["size_label"], eps), []).append((count, max(err, ERROR_FLOOR)))
    lines = {k: sorted(pts) for k, pts in lines.items()}
    if not lines:
        return None
    chart = new_chart("directions V (log scale)", "relative error (log)", "log", "log")
    for i, ((engine, size, eps), pts) in enumerate(lines.items()):
        xs, ys = zip(*pts)
        chart.line(xs, ys, marker="o", size=SMALL, colour=COLOURS[i % len(COLOURS)], width=NORMAL,
                   label=f"{engine} {size} eps={eps:g}")
    counts = sorted({c for pts in lines.values() for c, _ in pts})
    if len(counts) > 1:
        top = max(pts[0][1] for pts in lines.values() if pts[0][0] == counts[0])
        chart.line(counts, [top * (c / counts[0]) ** -0.5 for c in counts], style=":", colour="#000",
                   width=1.4, label="V^(-1/2)")
    return chart.svg("zero-order estimator error against directions")


_PLOTS = (("time", "Time against size", time_plot),
          ("memory", "Peak memory per call against size", memory_plot),
          ("cost", "Cost relative to the value", ratio_plot),
          ("accuracy", "Accuracy against the reference", accuracy_plot),
          ("finite-difference", "Finite differences: error against step", step_plot),
          ("zero-order", "Zero-order estimators: error against directions V and step eps", zero_order_plot))
_SIZED = {time_plot, memory_plot, ratio_plot, accuracy_plot}  # these also take the size axis and colours


def function_plots(fn: dict, colours: dict) -> list[dict]:
    """Every plot of one function that has data: ``[{"kind", "title", "svg"}]``."""
    rs, dim = fn["results"], fn["dim"]
    drawn = [(kind, title, draw(rs, dim, colours) if draw in _SIZED else draw(rs)) for kind, title, draw in _PLOTS]
    return [{"kind": kind, "title": title, "svg": svg} for kind, title, svg in drawn if svg]


def workers_plot(lines: dict[str, list[tuple[int, float]]], colours: dict) -> str | None:
    """Throughput against workers, one line per engine (and one for all),
    each with its ideal dashed: its smallest count's throughput, scaled
    in proportion to the workers."""
    lines = {k: sorted(v) for k, v in lines.items() if v}
    if not lines:
        return None
    chart = new_chart("workers", "throughput (tasks / s)")
    for name, pts in lines.items():
        xs, ys = zip(*pts)
        colour = colours.get(name, "#333")
        chart.line(xs, ys, marker="o", size=MARK, colour=colour, label=name)
        if len(xs) > 1:
            chart.line(xs, [ys[0] * x / xs[0] for x in xs], style="--", colour=colour, width=THIN, opacity=0.6,
                       label=f"{name}: ideal")
    counts = sorted({x for pts in lines.values() for x, _ in pts})
    chart.x.ticks, chart.x.limits = counts, (0, counts[-1] * 1.08)
    chart.y.limits = (0, None)
    return chart.svg("throughput against workers")


def history_plot(lines: dict[str, dict], runs: list, changes: list[int]) -> str | None:
    """Median time per run (log), runs evenly spaced oldest to newest and
    labelled by date (``runs``: datetimes), one line per ``{label:
    {"points": [seconds | None per run], "colour", "quantity", "regressed":
    [run indices]}}``.  A failed run (None) is a red cross at the bottom, a
    regressed point a red ring, NaN (the run had no such cell) a gap, a
    grey dotted line where versions changed
    (``changes``: run indices)."""
    timed = [y for line in lines.values() for y in line["points"] if _timed(y)]
    if len(timed) < 2:
        return None
    chart = new_chart("run (UTC)", "median time per call (s)", y="log")
    floor = min(timed) / 1.5
    for i in changes:
        chart.rule("x", i - 0.5, colour="#888", style=":", width=THIN)
    for label, line in lines.items():
        ys = line["points"]
        # a NaN stays in the list: the line has a gap there
        chart.line(range(len(ys)), [y if y is not None else math.nan for y in ys], label=label,
                   **quantity_look(line["quantity"], line["colour"]))
        failed = [i for i, y in enumerate(ys) if y is None]
        if failed:
            chart.line(failed, [floor] * len(failed), style="", marker="x", colour="#c00", size=9.5)
        rings = [(i, ys[i]) for i in line.get("regressed", ()) if _timed(ys[i])]
        if rings:
            chart.line(*zip(*rings), style="", marker="o", hollow=True, colour="#c00", size=14)
    ticks = sorted({round(k * (len(runs) - 1) / 4) for k in range(5)})
    chart.x.ticks, chart.x.tick_labels = ticks, [_run_tick(runs, v) for v in ticks]
    chart.x.limits = (-0.5, len(runs) - 0.5)
    return chart.svg("median time over runs")


def _timed(y) -> bool:
    return y is not None and math.isfinite(y) and y > 0


def _run_tick(runs: list, v: float) -> str:
    i = int(round(v))
    return runs[i].strftime("%m-%d\n%H:%M") if 0 <= i < len(runs) else ""


# ---------------------------------------------------------------- experiments

_MODE_STYLE = {"tape:forward": ("#1f77b4", "o", "-"), "tape:reverse": ("#d62728", "s", "-"),
               "tape": ("#555555", "x", ":"), "tape:auto": ("#555555", "x", ":")}


def modes_plot(points: dict[str, list], dim: str | None, quantity: str, cross: float | None) -> str:
    """Forward and reverse mode (and auto) time against the varying size,
    log-log, with the measured crossover as a vertical line."""
    chart = new_chart(_dim_label(dim), f"{quantity} time per call (s)")
    for engine, pts in points.items():
        colour, marker, style = _MODE_STYLE.get(engine, ("#000", "o", "-"))
        xs, ys = zip(*pts)
        k = summary.fit_slope(list(xs), list(ys)) if len(xs) > 1 else None
        chart.line(xs, ys, style=style, marker=marker, colour=colour, size=MARK,
                   label=f"{engine} ({'one size' if k is None else f'k={k:.2f}'})")
    if cross is not None:
        chart.rule("x", cross, colour="#2ca02c", style="--", width=1.4, label=f"crossover ≈ {cross:.3g}")
    log_axes(chart, [x for pts in points.values() for x, _ in pts])
    return chart.svg(f"{quantity} time of forward and reverse mode against {dim}")


def hutchinson_error_plot(lines: list[dict]) -> str:
    """Relative error of the estimate against V, log-log, with the
    standard-error band and the V^-1/2 reference line."""
    chart = new_chart("probes V (log scale)", "|estimate − exact| / |exact|")
    xs_all = []
    for i, line in enumerate(lines):
        colour = COLOURS[i % len(COLOURS)]
        xs = [p["probes"] for p in line["points"]]
        errors = [max(p["error"], ERROR_FLOOR) for p in line["points"]]
        band = [p["band"] for p in line["points"]]
        xs_all += xs
        k = "" if line["slope"] is None else f", slope {line['slope']:.2f}"
        chart.line(xs, errors, marker="o", size=MARK, colour=colour,
                   label=f"{line['engine']} {line['distribution']} {line['sizes']}{k}")
        if any(band):
            chart.band(xs, band, colour)
    first = next((line for line in lines if line["points"]), None)
    if first is not None:  # the V^-1/2 law through the first line's stderr at V = 1
        p0 = next((p for p in first["points"] if p["band"] > 0), first["points"][0])
        scale = (p0["band"] or p0["error"]) * math.sqrt(p0["probes"])
        vs = sorted(set(xs_all))
        chart.line(vs, [scale / math.sqrt(v) for v in vs], style=":", colour="#777777", width=1.4, label="∝ V^-1/2")
    log_axes(chart, xs_all)
    return chart.svg("Hutchinson estimate error against the number of probes")


def hutchinson_cost_plot(lines: list[dict], costs: list[dict]) -> str:
    """Time of V probes against V, with each engine's full Hessian and exact
    trace as horizontal lines."""
    chart = new_chart("probes V (log scale)", "time per call (s)")
    xs_all = []
    for i, line in enumerate(lines):
        xs = [p["probes"] for p in line["points"]]
        xs_all += xs
        chart.line(xs, [p["seconds"] for p in line["points"]], marker="o", size=MARK,
                   colour=COLOURS[i % len(COLOURS)], label=f"{line['engine']} {line['distribution']} {line['sizes']}")
    for j, c in enumerate(costs):
        chart.rule("y", c["seconds"], style=["--", "-.", ":"][j % 3], width=1.4,
                   colour=COLOURS[(len(lines) + j) % len(COLOURS)], label=f"{c['engine']} {c['what']} {c['sizes']}")
    log_axes(chart, xs_all)
    return chart.svg("cost of Hutchinson probes against the Hessian and the exact trace")
