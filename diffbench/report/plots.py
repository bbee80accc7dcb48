"""Plots as inline SVG strings (matplotlib, no GUI backend, no files).

Text stays text in the SVG (``svg.fonttype = none``): smaller, selectable,
sharp when printed.  Every id matplotlib writes is prefixed per plot,
because many SVGs share one HTML document and ids must not collide.
"""
from __future__ import annotations

import io
import itertools
import math
import re

import matplotlib

matplotlib.use("Agg")  # never a GUI backend, even if pyplot is imported later
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator  # noqa: E402

from ..agreement import APPROXIMATE_ENGINES  # noqa: E402
from . import summary  # noqa: E402

_RC = {"svg.fonttype": "none", "svg.hashsalt": "diffbench", "font.size": 9.5,
       "font.family": ["DejaVu Sans", "sans-serif"], "axes.grid": True, "grid.alpha": 0.3,
       "axes.spines.top": False, "axes.spines.right": False}
_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
_MARKERS = {"value": "o", "gradient": "s", "jacobian": "D", "hvp": "v", "hessian": "^"}
_STYLES = {"value": ":", "gradient": "--", "jacobian": "-.", "hvp": "--", "hessian": "-"}
_ids = itertools.count()
_scope = ""  # set while drawing one job of :func:`draw_all`, so ids stay unique across processes


def engine_colours(engines: list[str]) -> dict[str, str]:
    return {e: _COLOURS[i % len(_COLOURS)] for i, e in enumerate(engines)}


def run_engines(run: dict, results: list[dict]) -> list[str]:
    """The job's engines in its own order, then any others: the colour order
    every plot of a run's page shares."""
    listed = list((run.get("job") or {}).get("engines") or [])
    return list(dict.fromkeys(listed + sorted({r["engine"] for r in results})))


def run_colours(store, run_id: str) -> dict[str, str]:
    """Engine colours of a run's page, for sections that other packages add."""
    return engine_colours(run_engines(store.run(run_id), store.results(run_id)))


def to_svg(fig: Figure, label: str) -> str:
    """``fig`` as an ``<svg>`` element that scales with its container."""
    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    prefix = f"{_scope}p{next(_ids)}-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'(href="#|url\(#)([^")]+)', lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"',
                  lambda m: f'<svg{m.group(1)} class="plot" role="img" aria-label="{_attr(label)}"', text, count=1)
    return text


def _attr(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _figure(width: float = 6.4, height: float = 3.4) -> Figure:
    # fixed margins, not constrained layout: that lays the text out four
    # times over and made each plot four times slower; the right third
    # holds the legend
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=0.12, right=0.62, bottom=0.15, top=0.95)
    return fig


def _axes(fig: Figure, xlabel: str, ylabel: str):
    with matplotlib.rc_context(_RC):
        ax = fig.add_subplot()
    # the title is the HTML figure's caption: a matplotlib title makes
    # every draw measure all tick labels once more
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def _legend(ax) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _tick(v: float, _pos=None) -> str:
    """``10⁻⁵`` for a power of ten, ``0.03`` otherwise: plain text, because
    matplotlib's mathtext labels cost ~30 ms each to lay out."""
    if v <= 0:
        return ""
    k = math.log10(v)
    if abs(k - round(k)) < 1e-9:
        return "1" if round(k) == 0 else ("10" if round(k) == 1 else "10" + str(round(k)).translate(_SUPERSCRIPT))
    return f"{v:.3g}"


def _log_axes(ax, sizes, size_ticks: bool = True) -> None:
    """Log-log with the measured sizes as x ticks and plain-text y labels."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    sizes = sorted(set(sizes))
    if size_ticks and len(sizes) <= 12:
        ax.xaxis.set_major_locator(FixedLocator(sizes))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: f"{v:g}"))
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(_tick))
        ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    low, high = ax.get_ylim()
    # minor ticks are most of the drawing time: only a few, and only on a short axis
    if high / max(low, 1e-300) < 30:
        ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        ax.yaxis.set_minor_formatter(FuncFormatter(_tick))
    else:
        ax.yaxis.set_minor_locator(NullLocator())


def _dim_label(dim: str | None) -> str:
    return f"size {dim} (log scale)" if dim else "size"


def time_plot(results: list[dict], dim: str | None, colours: dict) -> str | None:
    """Median time against size, log-log, one line per engine x quantity,
    its fitted exponent k (time ~ size^k) in the legend."""
    fits = [f for f in summary.slopes(results, dim) if f["points"]]
    if not fits:
        return None
    fig = _figure()
    ax = _axes(fig, _dim_label(dim), "median time per call (s)")
    for f in fits:
        xs, ys = zip(*f["points"])
        k = "one size" if f["slope"] is None else f"k={f['slope']:.2f}"
        label = f"{f['engine']} {f['quantity']} {f['rest']} ({k})".replace("  ", " ")
        ax.plot(xs, ys, _STYLES.get(f["quantity"], "-"), marker=_MARKERS.get(f["quantity"], "o"),
                color=colours.get(f["engine"], "k"), label=label, markersize=4)
    _log_axes(ax, [p[0] for f in fits for p in f["points"]])
    _legend(ax)
    return to_svg(fig, "time against size, log-log")


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
    fig = _figure()
    ax = _axes(fig, _dim_label(dim), "time ÷ time of the value (×)")
    for (engine, q), pts in sorted(lines.items()):
        xs, ys = zip(*sorted(pts))
        ax.plot(xs, ys, _STYLES[q], marker=_MARKERS[q], color=colours.get(engine, "k"),
                label=f"{engine} {q} / value", markersize=4)
    _log_axes(ax, [p[0] for pts in lines.values() for p in pts])
    _legend(ax)
    return to_svg(fig, "cost ratios against size")


def _draw_series(ax, points: dict, colours: dict) -> None:
    """One line per (engine, quantity, rest) series: the quantity picks the
    line style and marker, the engine the colour."""
    for (engine, q, rest), pts in sorted(points.items()):
        xs, ys = zip(*pts)
        ax.plot(xs, ys, _STYLES.get(q, "-"), marker=_MARKERS.get(q, "o"), color=colours.get(engine, "k"),
                label=f"{engine} {q} {rest}".strip(), markersize=4)


def memory_plot(results: list[dict], dim: str | None, colours: dict) -> str | None:
    """Peak bytes one call allocates above its inputs (``stats.call_peak_bytes``),
    against size, log-log: drawn next to the time plot, as the time is."""
    rows = [dict(r, call_peak_bytes=(r.get("stats") or {}).get("call_peak_bytes")) for r in results]
    points = {k: [(x, max(y, 1)) for x, y in v]
              for k, v in summary.series(rows, dim, field="call_peak_bytes").items()}
    if not points:
        return None
    fig = _figure()
    ax = _axes(fig, _dim_label(dim), "peak per call above the inputs (bytes)")
    _draw_series(ax, points, colours)
    _log_axes(ax, [p[0] for pts in points.values() for p in pts])
    _legend(ax)
    return to_svg(fig, "peak memory per call against size")


#: an exact 0 error is drawn at this floor (a log axis has no 0)
ERROR_FLOOR = 1e-17


def accuracy_plot(results: list[dict], dim: str | None, colours: dict) -> str | None:
    """Relative error against the reference, against size (log-log)."""
    points = summary.series(results, dim, field="accuracy")
    # the metric is at most 1 (|a-b| <= |a|+|b|): inf (shape mismatch) is drawn at 1
    points = {k: [(x, min(max(y, ERROR_FLOOR), 1.0)) for x, y in v] for k, v in points.items()}
    if not points:
        return None
    fig = _figure()
    ax = _axes(fig, _dim_label(dim), "max relative error (log; 0 drawn at 1e-17)")
    _draw_series(ax, points, colours)
    for bar, style in _tolerance_lines(results):
        ax.axhline(bar, color="#888", lw=0.8, ls=style)
    _log_axes(ax, [p[0] for pts in points.values() for p in pts])
    _legend(ax)
    return to_svg(fig, "accuracy against size")


def _tolerance_lines(results: list[dict]) -> list[tuple[float, str]]:
    """The distinct agreement bars of the plotted results: dashed between
    exact engines, dash-dot when fd is one side."""
    bars = {(summary.threshold(r), "-." if APPROXIMATE_ENGINES & {r["engine"], r.get("reference")} else "--")
            for r in results if r["status"] == "ok" and r.get("accuracy") is not None}
    return sorted(bars)


def step_plot(results: list[dict]) -> str | None:
    """fd's error against its step, one line per result that carries
    per-step errors: the U of truncation (large h) against round-off (small h)."""
    lines = [(r, summary.step_errors(r)) for r in results]
    lines = [(r, pts) for r, pts in lines if len(pts) >= 2]
    if not lines:
        return None
    fig = _figure()
    ax = _axes(fig, "step h (log scale)", "max relative error (log)")
    for r, pts in lines:
        xs, ys = zip(*[(h, max(e, ERROR_FLOOR)) for h, e in pts])
        ax.plot(xs, ys, _STYLES.get(r["quantity"], "-"), marker=_MARKERS.get(r["quantity"], "o"), markersize=4,
                label=f"{r['engine']} {r['quantity']} {r['size_label']}")
    _log_axes(ax, [p[0] for _, pts in lines for p in pts], size_ticks=False)
    _legend(ax)
    return to_svg(fig, "finite-difference error against step")


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
    fig = _figure()
    ax = _axes(fig, "directions V (log scale)", "relative error (log)")
    for (engine, size, eps), pts in lines.items():
        xs, ys = zip(*pts)
        ax.plot(xs, ys, "-", marker="o", markersize=3, label=f"{engine} {size} eps={eps:g}")
    counts = sorted({c for pts in lines.values() for c, _ in pts})
    if len(counts) > 1:
        top = max(pts[0][1] for pts in lines.values() if pts[0][0] == counts[0])
        ax.plot(counts, [top * (c / counts[0]) ** -0.5 for c in counts], "k:", lw=1, label="V^(-1/2)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _legend(ax)
    return to_svg(fig, "zero-order estimator error against directions")


_PLOTS = (("time", "Time against size", "time_plot"),
          ("memory", "Peak memory per call against size", "memory_plot"),
          ("cost", "Cost relative to the value", "ratio_plot"),
          ("accuracy", "Accuracy against the reference", "accuracy_plot"),
          ("finite-difference", "Finite differences: error against step", "step_plot"),
          ("zero-order", "Zero-order estimators: error against directions V and step eps", "zero_order_plot"))
_SIZED = {"time_plot", "memory_plot", "ratio_plot", "accuracy_plot"}  # these also take the size axis and colours


def function_plots(fn: dict, colours: dict) -> list[dict]:
    """Every plot of one function that has data: ``[{"kind", "title", "svg"}]``."""
    return draw_all([plot_jobs(fn, colours)])[0]


def plot_jobs(fn: dict, colours: dict) -> list[tuple]:
    """One function's plots as ``(kind, title, plot function name, args)``:
    plain data, so :func:`draw_all` can draw them in other processes."""
    rs, dim = fn["results"], fn["dim"]
    return [(kind, title, name, (rs, dim, colours) if name in _SIZED else (rs,)) for kind, title, name in _PLOTS]


def draw_all(jobs: list[list[tuple]], processes: int = 1) -> list[list[dict]]:
    """Each function's plots that have data, from :func:`plot_jobs` lists.
    With ``processes`` > 1 the plots are drawn by that many forked processes
    (matplotlib holds the GIL: threads would not help), each plot a job."""
    flat = [(i, job) for i, jobs_of_fn in enumerate(jobs) for job in jobs_of_fn]
    numbered = [(n, name, args) for n, (_, (_, _, name, args)) in enumerate(flat)]
    svgs = _draw_in_processes(numbered, processes) if processes > 1 and len(numbered) > 1 else None
    if svgs is None:
        svgs = [_draw(job) for job in numbered]
    out: list[list[dict]] = [[] for _ in jobs]
    for (i, (kind, title, _, _)), svg in zip(flat, svgs):
        if svg:
            out[i].append({"kind": kind, "title": title, "svg": svg})
    return out


def _draw(job: tuple) -> str | None:
    """One plot; its SVG ids are scoped by the job's number, so they are unique
    in the page and the same whichever process draws it."""
    global _scope, _ids
    number, name, args = job
    saved, _scope, _ids = _ids, f"d{number}", itertools.count()
    try:
        return globals()[name](*args)
    finally:
        _scope, _ids = "", saved


def _draw_in_processes(jobs: list[tuple], processes: int) -> list[str | None] | None:
    """The plots drawn by forked processes (they inherit the loaded matplotlib,
    so they start in milliseconds); None where fork is not available."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    # the functions with the most results first, so no lone big plot is left at the end
    order = sorted(range(len(jobs)), key=lambda k: -len(jobs[k][2][0]))
    with ProcessPoolExecutor(min(processes, len(jobs)), mp_context=multiprocessing.get_context("fork")) as pool:
        drawn = list(pool.map(_draw, [jobs[k] for k in order]))
    svgs: list[str | None] = [None] * len(jobs)
    for k, svg in zip(order, drawn):
        svgs[k] = svg
    return svgs


def workers_plot(lines: dict[str, list[tuple[int, float]]], colours: dict) -> str | None:
    """Throughput against workers, one line per engine (and one for all),
    each with its ideal dashed: its smallest count's throughput, scaled
    in proportion to the workers."""
    lines = {k: sorted(v) for k, v in lines.items() if v}
    if not lines:
        return None
    fig = _figure()
    ax = _axes(fig, "workers", "throughput (tasks / s)")
    for name, pts in lines.items():
        xs, ys = zip(*pts)
        colour = colours.get(name, "#333")
        ax.plot(xs, ys, "-", marker="o", color=colour, label=name, markersize=4)
        if len(xs) > 1:
            ax.plot(xs, [ys[0] * x / xs[0] for x in xs], "--", color=colour, lw=0.8, alpha=0.6,
                    label=f"{name}: ideal")
    counts = sorted({x for pts in lines.values() for x, _ in pts})
    ax.xaxis.set_major_locator(FixedLocator(counts))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: f"{v:g}"))
    ax.set_xlim(0, counts[-1] * 1.08)
    ax.set_ylim(bottom=0)
    _legend(ax)
    return to_svg(fig, "throughput against workers")


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
    fig = _figure()
    fig.subplots_adjust(bottom=0.22)  # room for two-line date ticks
    ax = _axes(fig, "run (UTC)", "median time per call (s)")
    ax.set_yscale("log")
    floor = min(timed) / 1.5
    for label, line in lines.items():
        q, ys = line["quantity"], line["points"]
        ok = [(i, y) for i, y in enumerate(ys) if _timed(y)]
        if ok:
            ax.plot(*zip(*ok), _STYLES.get(q, "-"), marker=_MARKERS.get(q, "o"), color=line["colour"],
                    label=label, markersize=4)
        failed = [i for i, y in enumerate(ys) if y is None]
        if failed:
            ax.plot(failed, [floor] * len(failed), "x", color="#c00", markersize=7)
        rings = [(i, ys[i]) for i in line.get("regressed", ()) if _timed(ys[i])]
        if rings:
            ax.plot(*zip(*rings), "o", mfc="none", mec="#c00", markersize=10, mew=1.5)
    for i in changes:
        ax.axvline(i - 0.5, color="#888", lw=0.8, ls=":")
    ticks = sorted({round(k * (len(runs) - 1) / 4) for k in range(5)})
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p=None: _run_tick(runs, v)))
    ax.set_xlim(-0.5, len(runs) - 0.5)
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.yaxis.set_minor_locator(NullLocator())
    _legend(ax)
    return to_svg(fig, "median time over runs")


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
    fig = _figure()
    ax = _axes(fig, _dim_label(dim), f"{quantity} time per call (s)")
    for engine, pts in points.items():
        colour, marker, style = _MODE_STYLE.get(engine, ("k", "o", "-"))
        xs, ys = zip(*pts)
        k = summary.fit_slope(list(xs), list(ys)) if len(xs) > 1 else None
        ax.plot(xs, ys, style, marker=marker, color=colour, markersize=4,
                label=f"{engine} ({'one size' if k is None else f'k={k:.2f}'})")
    if cross is not None:
        ax.axvline(cross, color="#2ca02c", linestyle="--", linewidth=1, label=f"crossover ≈ {cross:.3g}")
    _log_axes(ax, [x for pts in points.values() for x, _ in pts])
    _legend(ax)
    return to_svg(fig, f"{quantity} time of forward and reverse mode against {dim}")


def hutchinson_error_plot(lines: list[dict]) -> str:
    """Relative error of the estimate against V, log-log, with the
    standard-error band and the V^-1/2 reference line."""
    fig = _figure()
    ax = _axes(fig, "probes V (log scale)", "|estimate − exact| / |exact|")
    xs_all = []
    for i, line in enumerate(lines):
        colour = _COLOURS[i % len(_COLOURS)]
        xs = [p["probes"] for p in line["points"]]
        errors = [max(p["error"], 1e-17) for p in line["points"]]
        band = [p["band"] for p in line["points"]]
        xs_all += xs
        k = "" if line["slope"] is None else f", slope {line['slope']:.2f}"
        ax.plot(xs, errors, "-", marker="o", markersize=4, color=colour,
                label=f"{line['engine']} {line['distribution']} {line['sizes']}{k}")
        if any(band):
            ax.fill_between(xs, [1e-17] * len(xs), band, color=colour, alpha=0.15, linewidth=0)
    first = next((line for line in lines if line["points"]), None)
    if first is not None:  # the V^-1/2 law through the first line's stderr at V = 1
        p0 = next((p for p in first["points"] if p["band"] > 0), first["points"][0])
        scale = (p0["band"] or p0["error"]) * math.sqrt(p0["probes"])
        vs = sorted(set(xs_all))
        ax.plot(vs, [scale / math.sqrt(v) for v in vs], ":", color="#777777", label="∝ V^-1/2")
    _log_axes(ax, xs_all)
    _legend(ax)
    return to_svg(fig, "Hutchinson estimate error against the number of probes")


def hutchinson_cost_plot(lines: list[dict], costs: list[dict]) -> str:
    """Time of V probes against V, with each engine's full Hessian and exact
    trace as horizontal lines."""
    fig = _figure()
    ax = _axes(fig, "probes V (log scale)", "time per call (s)")
    xs_all = []
    for i, line in enumerate(lines):
        xs = [p["probes"] for p in line["points"]]
        xs_all += xs
        ax.plot(xs, [p["seconds"] for p in line["points"]], "-", marker="o", markersize=4,
                color=_COLOURS[i % len(_COLOURS)], label=f"{line['engine']} {line['distribution']} {line['sizes']}")
    for j, c in enumerate(costs):
        ax.axhline(c["seconds"], linestyle=["--", "-.", ":"][j % 3], linewidth=1,
                   color=_COLOURS[(len(lines) + j) % len(_COLOURS)], label=f"{c['engine']} {c['what']} {c['sizes']}")
    _log_axes(ax, xs_all)
    _legend(ax)
    return to_svg(fig, "cost of Hutchinson probes against the Hessian and the exact trace")
