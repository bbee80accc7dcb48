"""The history section of a scheduled job's report, as data and as HTML:
per cell, its series over runs (a sparkline) and what regressed now."""
from __future__ import annotations

from html import escape

from .regressions import cell_regressions
from .series import history
from .svg import sparkline


def history_rows(store, run_id: str) -> list[dict]:
    """One row per cell of ``run_id``, with its points and regressions."""
    job = store.run(run_id)["job_name"]
    runs, series = history(store, job, until=run_id)
    rows = []
    for key, points in sorted(series.items()):
        if points[-1].run_id != run_id:
            continue
        found = cell_regressions(key, points)
        slow = next((r for r in found if r["kind"] == "slowdown"), None)
        step = next((i for i, p in enumerate(points) if slow and p.run_id == slow["since_run"]), None)
        rows.append({"function": key[0], "engine": key[1], "quantity": key[2], "sizes": key[3],
                     "points": points, "regressions": found, "svg": sparkline(points, step)})
    return rows


def history_html(store, run_id: str) -> str:
    """'' for a job with a single run: there is no history to show yet."""
    rows = history_rows(store, run_id)
    if not rows or max(len(r["points"]) for r in rows) < 2:
        return ""
    flagged = sum(bool(r["regressions"]) for r in rows)
    body = "".join(_row(r) for r in sorted(rows, key=lambda r: not r["regressions"]))
    return (f"<h2>History and regressions</h2><p>{flagged} of {len(rows)} cells regressed in this run "
            "(time steps judged over the whole series, weighted by each run's spread).</p>"
            "<table><tr><th>function</th><th>engine</th><th>quantity</th><th>sizes</th><th>runs</th>"
            f"<th>history</th><th>now</th></tr>{body}</table>")


def _row(r: dict) -> str:
    flags = "<br>".join(f"<b style='color:#c00'>{escape(x['kind'])}</b>: {escape(x['message'])}"
                        for x in r["regressions"])
    return (f"<tr><td>{escape(r['function'])}</td><td>{escape(r['engine'])}</td><td>{escape(r['quantity'])}</td>"
            f"<td>{escape(r['sizes'])}</td><td>{len(r['points'])}</td><td>{r['svg']}</td><td>{flags}</td></tr>")
