"""Which page the server answers with: a run's report (written once, on
the first request if the runner has not written it), or the plain summary
when the full report cannot be written.  The HTML itself is
:mod:`diffbench.report`'s."""
from __future__ import annotations

from pathlib import Path

from ..jobs.store import Store
from ..report import report_after_run
from ..report.served import served_index, summary_page


def index(runs: list[dict], jobs: list[dict] = ()) -> str:
    return served_index(runs, jobs)


def report_file(service, run_id: str) -> Path | None:
    """The run's report, written now if it is missing; None while it runs.
    A report on disk is served as it is (the runner writes it as each run
    ends, ``diffbench report`` rewrites it on demand)."""
    if service.runner.state(run_id) is not None:
        return None
    written = Path(service.settings.reports) / f"{run_id}.html"
    if written.exists():
        return written
    store = Store(service.settings.db)
    try:
        path = report_after_run(store, run_id, service.settings.reports)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(summary_page(store, run_id), encoding="utf-8")
        return path
    finally:
        store.close()
