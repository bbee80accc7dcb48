"""The history section of a scheduled job's report: what regressed now,
how each engine's time moved over the runs (a chart per function at its
largest size), and every cell's series with its numbers and a sparkline.
The numbers come from :mod:`diffbench.history`; this module only draws."""
from __future__ import annotations

from datetime import datetime

from ..history.cells import change, chart_line, drawn, history_rows, version_changes
from ..history.regressions import THRESHOLD, is_regression
from ..history.series import job_runs
from .format import seconds
from .plots import history_plot, run_colours
from .sparkline import sparkline

#: the cell table starts folded beyond this many rows
OPEN_ROWS = 12


def history_html(store, run_id: str) -> str:
    """'' for a job with a single run: there is no history to show yet."""
    from .render import environment

    runs, rows = history_rows(store, run_id)
    if not rows or len(runs) < 2:
        return ""
    left_out = len(job_runs(store, store.run(run_id)["job_name"], until=run_id)) - len(runs)
    found = [(r, _flag(x)) for r in rows for x in r["regressions"]]
    watch = [(r, _flag(x)) for r in rows for x in r["watch"]]
    ordered = sorted(rows, key=lambda r: (not r["regressions"], not r["watch"]))
    return environment().get_template("history.html.j2").render(
        runs=runs, first_started=_when(runs[0].started), last_started=_when(runs[-1].started),
        machine=runs[-1].machine.label() if runs[-1].machine else "this machine", left_out=left_out,
        changes=[(_when(r.started), r.run_id, changed) for r, changed in version_changes(runs)],
        found=found, watch=watch, threshold_percent=f"{100 * THRESHOLD:.0f}",
        figures=_charts(rows, runs, run_colours(store, run_id)), open=len(rows) <= OPEN_ROWS,
        cells=[_cell(r) for r in ordered], flagged=sum(bool(r["regressions"]) for r in rows))


def _flag(found: dict) -> dict:
    return {**found, "style": "regression" if is_regression(found) else "watch"}


def _charts(rows: list[dict], runs: list, colours: dict) -> list[tuple[str, str]]:
    """``[(function, svg)]``: one chart per function, each engine × quantity at its largest size."""
    order = {r.run_id: i for i, r in enumerate(runs)}
    changes = [order[r.run_id] for r, _ in version_changes(runs)]
    dates = [_date(r.started) for r in runs]
    figures = []
    for function in sorted({r["function"] for r in rows}):
        lines = {f"{r['engine']} {r['quantity']} {r['sizes']}": {**chart_line(r, order),
                                                                  "colour": colours.get(r["engine"], "#333")}
                 for r in drawn([r for r in rows if r["function"] == function])}
        svg = history_plot(lines, dates, changes)
        if svg:
            figures.append((function, svg))
    return figures


def _cell(r: dict) -> dict:
    timed = [p.median for p in r["points"] if p.status == "ok" and p.median]
    now = r["points"][-1]
    return {"function": r["function"], "engine": r["engine"], "quantity": r["quantity"], "sizes": r["sizes"],
            "runs": len(r["points"]), "now": seconds(now.median) if now.status == "ok" and now.median else now.status,
            "before": _percent(change(now, r["points"][-2].median if len(r["points"]) > 1 else None)),
            "first": _percent(change(now, timed[0] if len(timed) > 1 else None)),
            "svg": sparkline(r["points"], r["step"]), "flags": [_flag(x) for x in r["regressions"] + r["watch"]]}


def _percent(relative: float | None) -> str:
    return "—" if relative is None else f"{100 * relative:+.0f}%"


def _date(started: str) -> datetime:
    return datetime.fromisoformat(started)


def _when(started: str) -> str:
    return _date(started).strftime("%Y-%m-%d %H:%M UTC")
