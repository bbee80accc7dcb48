"""The history section of a scheduled job's report: what regressed now,
how each engine's time moved over the runs (a chart per function at its
largest size), and every cell's series with its numbers and a sparkline."""
from __future__ import annotations

import re
from datetime import datetime
from html import escape

from .regressions import THRESHOLD, cell_regressions, is_regression
from .series import history, job_runs
from .svg import sparkline

#: the cell table starts folded beyond this many rows
OPEN_ROWS = 12


def history_rows(store, run_id: str) -> tuple[list, list[dict]]:
    """``(runs, rows)``: the runs compared and one row per cell of ``run_id``,
    with its points and regressions."""
    job = store.run(run_id)["job_name"]
    runs, series = history(store, job, until=run_id)
    rows = []
    for key, points in sorted(series.items()):
        if points[-1].run_id != run_id:
            continue
        found = cell_regressions(key, points)
        slow = next((r for r in found if r["kind"] == "slowdown"), None)
        step = next((i for i, p in enumerate(points) if slow and p.run_id == slow["since_run"]), None)
        rows.append({"function": key[0], "engine": key[1], "quantity": key[2], "sizes": key[3], "points": points,
                     "regressions": [r for r in found if is_regression(r)],
                     "watch": [r for r in found if not is_regression(r)], "step": step,
                     "svg": sparkline(points, step)})
    return runs, rows


def history_html(store, run_id: str) -> str:
    """'' for a job with a single run: there is no history to show yet."""
    from ..report.plots import run_colours

    runs, rows = history_rows(store, run_id)
    if not rows or len(runs) < 2:
        return ""
    colours = run_colours(store, run_id)
    left_out = len(job_runs(store, store.run(run_id)["job_name"], until=run_id)) - len(runs)
    return ("<section id='history'><h2>History and regressions</h2>" + _span(runs, left_out)
            + _regressions(rows) + _charts(rows, runs, colours) + _cells(rows) + "</section>")


def _span(runs: list, left_out: int) -> str:
    machine = runs[-1].machine.label() if runs[-1].machine else "this machine"
    other = ("" if not left_out else " 1 run on another machine is left out: its times are not comparable."
             if left_out == 1 else f" {left_out} runs on other machines are left out: their times are not comparable.")
    changes = "".join(f"<li>{escape(_when(r.started))}, run <span class='mono'>{escape(r.run_id)}</span>: "
                      f"{escape(', '.join(c))}</li>" for r, c in version_changes(runs))
    return (f"<p>{len(runs)} runs from {escape(_when(runs[0].started))} to {escape(_when(runs[-1].started))}, "
            f"on {escape(machine)}.{other}</p>"
            + (f"<p>Versions changed (dotted lines in the charts):</p><ul>{changes}</ul>" if changes else ""))


def version_changes(runs: list) -> list[tuple]:
    """``[(run, ["numpy 2.0 -> 2.1", ...])]`` for each run whose versions differ from the run before."""
    out = []
    for before, now in zip(runs, runs[1:]):
        changed = [f"{k} {before.versions.get(k, '?')} → {now.versions.get(k, '?')}"
                   for k in sorted(set(before.versions) | set(now.versions))
                   if before.versions.get(k) != now.versions.get(k)]
        if changed:
            out.append((now, changed))
    return out


def _regressions(rows: list[dict]) -> str:
    found = [(r, x) for r in rows for x in r["regressions"]]
    watch = [(r, x) for r in rows for x in r["watch"]]
    if found:
        out = (f"<h3>Regressions in this run ({len(found)})</h3><p class='muted'>Slowdown: the series of median "
               f"times stepped up by more than {100 * THRESHOLD:.0f}% and stayed there for two runs or more (a step "
               "fitted over every run, each weighted by its spread; a lone slow run is not a step). Failure, "
               "disagreement: fine in the run before, not now.</p>" + _table("regressions-table", found))
    else:
        out = (f"<p id='no-regressions'>No regressions in this run: no time stepped up by more than "
               f"{100 * THRESHOLD:.0f}% for two runs, nothing newly failed, nothing newly disagrees.</p>")
    if watch:
        out += (f"<h3>To watch ({len(watch)})</h3><p class='muted'>Slower in this run only. One slow run is as "
                "likely a busy machine as slower code; if the next run is as slow, it is a slowdown dated from "
                "this run.</p>" + _table("watch-table", watch))
    return out


def _table(table_id: str, found: list[tuple]) -> str:
    body = "".join(f"<tr><td class='{_style(x)}'>{escape(x['kind'])}</td><td>{escape(r['function'])}</td>"
                   f"<td>{escape(r['engine'])}</td><td>{escape(r['quantity'])}</td><td>{escape(r['sizes'])}</td>"
                   f"<td class='message'>{escape(x['message'])}</td></tr>" for r, x in found)
    return (f"<div class='table-wrap'><table id='{table_id}'><thead><tr><th>kind</th><th>function</th>"
            f"<th>engine</th><th>quantity</th><th>sizes</th><th>what</th></tr></thead><tbody>{body}</tbody>"
            "</table></div>")


def _style(found: dict) -> str:
    return "regression" if is_regression(found) else "watch"


def _charts(rows: list[dict], runs: list, colours: dict) -> str:
    """One chart per function: each engine × quantity at its largest size."""
    from ..report.plots import history_plot

    order = {r.run_id: i for i, r in enumerate(runs)}
    changes = [order[r.run_id] for r, _ in version_changes(runs)]
    dates = [_date(r.started) for r in runs]
    figures = []
    for function in sorted({r["function"] for r in rows}):
        drawn = _drawn([r for r in rows if r["function"] == function])
        lines = {f"{r['engine']} {r['quantity']} {r['sizes']}": _line(r, order, colours.get(r["engine"], "#333"))
                 for r in drawn}
        svg = history_plot(lines, dates, changes)
        if svg:
            figures.append(f"<figure class='plot-history'><h4>{escape(function)}</h4>{svg}</figure>")
    if not figures:
        return ""
    return ("<h3>Time over runs: the largest size, and every regressed cell</h3><div class='plots'>" + "".join(figures) + "</div>"
            "<p class='muted'>Red ring: a regressed point (or one to watch). Red cross at the bottom: a run where the cell was not ok."
            "</p>")


def _drawn(rows: list[dict]) -> list[dict]:
    """Each engine × quantity at its largest size, and every regressed cell."""
    largest: dict[tuple, dict] = {}
    for r in rows:
        key = (r["engine"], r["quantity"])
        if key not in largest or _rank(r["sizes"]) > _rank(largest[key]["sizes"]):
            largest[key] = r
    keep = {id(r) for r in largest.values()} | {id(r) for r in rows if r["regressions"] or r["watch"]}
    return sorted((r for r in rows if id(r) in keep), key=lambda r: (r["engine"], r["quantity"], _rank(r["sizes"])))


def _line(row: dict, order: dict, colour: str) -> dict:
    """A cell's medians per run of the history: None where it was not ok,
    NaN where the run did not have it."""
    ys: list = [float("nan")] * len(order)
    for p in row["points"]:
        ys[order[p.run_id]] = p.median if p.status == "ok" and p.median else None
    regressed = []
    if row["step"] is not None:
        regressed = [order[p.run_id] for p in row["points"][row["step"]:]]
    elif row["regressions"] or row["watch"]:
        regressed = [order[row["points"][-1].run_id]]
    return {"points": ys, "colour": colour, "quantity": row["quantity"], "regressed": regressed}


def _cells(rows: list[dict]) -> str:
    flagged = sum(bool(r["regressions"]) for r in rows)
    body = "".join(_cell(r) for r in sorted(rows, key=lambda r: (not r["regressions"], not r["watch"])))
    opened = " open" if len(rows) <= OPEN_ROWS else ""
    return (f"<details{opened}><summary>every cell: {len(rows)} ({flagged} regressed)</summary>"
            "<div class='table-wrap'><table id='history-table'><thead><tr><th>function</th><th>engine</th>"
            "<th>quantity</th><th>sizes</th><th class='num'>runs</th><th class='num'>now</th>"
            "<th class='num'>vs run before</th><th class='num'>vs first run</th><th>history</th><th>regressed</th>"
            f"</tr></thead><tbody>{body}</tbody></table></div></details>")


def _cell(r: dict) -> str:
    from ..report.format import seconds

    timed = [p.median for p in r["points"] if p.status == "ok" and p.median]
    now = r["points"][-1]
    now_text = seconds(now.median) if now.status == "ok" and now.median else escape(now.status)
    before = _change(now, r["points"][-2].median if len(r["points"]) > 1 else None)
    first = _change(now, timed[0] if len(timed) > 1 else None)
    flags = "<br>".join(f"<b class='{_style(x)}'>{escape(x['kind'])}</b>: {escape(x['message'])}"
                        for x in r["regressions"] + r["watch"])
    return (f"<tr><td>{escape(r['function'])}</td><td>{escape(r['engine'])}</td><td>{escape(r['quantity'])}</td>"
            f"<td>{escape(r['sizes'])}</td><td class='num'>{len(r['points'])}</td><td class='num'>{now_text}</td>"
            f"<td class='num'>{before}</td><td class='num'>{first}</td><td>{r['svg']}</td><td>{flags}</td></tr>")


def _change(now, then: float | None) -> str:
    if now.status != "ok" or not now.median or not then:
        return "—"
    return f"{100 * (now.median / then - 1):+.0f}%"


def _rank(label: str) -> tuple:
    """Sizes labels ordered by their numbers: 'n=300, m=600' after 'n=30, m=60'."""
    return tuple(int(v) for v in re.findall(r"\d+", label))


def _date(started: str) -> datetime:
    return datetime.fromisoformat(started)


def _when(started: str) -> str:
    return _date(started).strftime("%Y-%m-%d %H:%M UTC")
