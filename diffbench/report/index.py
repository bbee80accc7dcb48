"""``index.html``: every run in the store, newest first, linked to its page."""
from __future__ import annotations

from pathlib import Path


def index_rows(store, out_dir: Path) -> list[dict]:
    """One row per run; ``href`` only when its report is in ``out_dir``."""
    from .model import run_record, seconds_between

    rows = []
    for run in map(run_record, reversed(store.runs())):
        counts = store.counts(run["run_id"]) if hasattr(store, "counts") else {}
        page = out_dir / f"{run['run_id']}.html"
        rows.append({**run, "counts": counts, "duration": seconds_between(run.get("started"), run.get("finished")),
                     "href": page.name if page.exists() else None})
    return rows


def job_rows(store, out_dir: Path) -> list[dict]:
    """Each job with its latest finished run and what regressed there;
    [] if the history cannot be read (the list of runs still is)."""
    from ..history.overview import job_overview

    try:
        jobs = job_overview(store)
    except Exception:  # noqa: BLE001 -- an index without the overview beats no index
        return []
    for job in jobs:
        page = out_dir / f"{job['latest']}.html"
        job["href"] = page.name if job["latest"] and page.exists() else None
    return jobs


def write_index(store, out_dir: Path) -> Path:
    from .files import write_atomically
    from .render import environment

    out_dir = Path(out_dir)
    html = environment().get_template("index.html.j2").render(runs=index_rows(store, out_dir),
                                                               jobs=job_rows(store, out_dir))
    path = out_dir / "index.html"
    write_atomically(path, html)
    return path
