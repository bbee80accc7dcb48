"""Every job at a glance: its runs, its latest finished run, and what
regressed there (the index pages list this above the runs)."""
from __future__ import annotations

from .regressions import is_regression, run_regressions
from .series import job_runs


def job_overview(store) -> list[dict]:
    """One row per job name, most recently run first."""
    names = list(dict.fromkeys(r["job_name"] for r in reversed(store.runs()) if r["job_name"]))
    rows = []
    for name in names:
        finished = job_runs(store, name)
        latest = finished[-1]["run_id"] if finished else None
        found = run_regressions(store, name, latest) if latest else []
        rows.append({"job": name, "runs": len(finished), "latest": latest,
                     "regressions": sum(map(is_regression, found)),
                     "to_watch": sum(not is_regression(r) for r in found)})
    return rows
