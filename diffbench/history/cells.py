"""A scheduled job's history as data, cell by cell: each cell of a run with
its points and what regressed, the runs whose versions changed, and the
lines of the time-over-runs charts (:mod:`diffbench.report.history` draws them)."""
from __future__ import annotations

import re

from .regressions import cell_regressions, is_regression
from .series import history


def history_rows(store, run_id: str) -> tuple[list, list[dict]]:
    """``(runs, rows)``: the runs compared and one row per cell of ``run_id``,
    with its points, regressions and the index of the point a slowdown began at."""
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
                     "watch": [r for r in found if not is_regression(r)], "step": step})
    return runs, rows


def version_changes(runs: list) -> list[tuple]:
    """``[(run, ["numpy 2.0 → 2.1", ...])]`` for each run whose versions differ from the run before."""
    out = []
    for before, now in zip(runs, runs[1:]):
        changed = [f"{k} {before.versions.get(k, '?')} → {now.versions.get(k, '?')}"
                   for k in sorted(set(before.versions) | set(now.versions))
                   if before.versions.get(k) != now.versions.get(k)]
        if changed:
            out.append((now, changed))
    return out


def drawn(rows: list[dict]) -> list[dict]:
    """The cells a chart draws: each engine × quantity at its largest size, and every regressed cell."""
    largest: dict[tuple, dict] = {}
    for r in rows:
        key = (r["engine"], r["quantity"])
        if key not in largest or size_rank(r["sizes"]) > size_rank(largest[key]["sizes"]):
            largest[key] = r
    keep = {id(r) for r in largest.values()} | {id(r) for r in rows if r["regressions"] or r["watch"]}
    return sorted((r for r in rows if id(r) in keep), key=lambda r: (r["engine"], r["quantity"], size_rank(r["sizes"])))


def chart_line(row: dict, order: dict) -> dict:
    """A cell's medians per run of the history (``order``: run id -> index):
    None where it was not ok, NaN where the run did not have it; and the
    indices of its regressed points."""
    ys: list = [float("nan")] * len(order)
    for p in row["points"]:
        ys[order[p.run_id]] = p.median if p.status == "ok" and p.median else None
    regressed = []
    if row["step"] is not None:
        regressed = [order[p.run_id] for p in row["points"][row["step"]:]]
    elif row["regressions"] or row["watch"]:
        regressed = [order[row["points"][-1].run_id]]
    return {"points": ys, "quantity": row["quantity"], "regressed": regressed}


def change(now, then: float | None) -> float | None:
    """The relative change of ``now``'s median against ``then``; None when either is missing."""
    if now.status != "ok" or not now.median or not then:
        return None
    return now.median / then - 1


def size_rank(label: str) -> tuple:
    """Sizes labels ordered by their numbers: 'n=300, m=600' after 'n=30, m=60'."""
    return tuple(int(v) for v in re.findall(r"\d+", label))
