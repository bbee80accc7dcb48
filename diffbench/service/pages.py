"""The HTML the server itself writes: the index of runs at ``/``, and a
plain summary page for a run when the report writer is not installed."""
from __future__ import annotations

from html import escape
from pathlib import Path

from ..jobs.store import Store

_STYLE = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
          "table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}")


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>")


def index(runs: list[dict], jobs: list[dict] = ()) -> str:
    return page("diffbench reports", _jobs(jobs) + _runs(runs)
                + "<p><a href='/openapi.json'>API description (OpenAPI)</a></p>")


def _jobs(jobs: list[dict]) -> str:
    """Each job's latest report and what regressed there."""
    if not jobs:
        return ""
    rows = "".join(
        f"<tr><td>{escape(j['job'])}</td><td>{j['runs']}</td><td>"
        + (f"<a href='/api/runs/{escape(j['latest'])}/report'>{escape(j['latest'])}</a>" if j["latest"] else "—")
        + f"</td><td>{j['regressions']} regressions, {j['to_watch']} to watch</td></tr>" for j in jobs)
    return ("<h2>Jobs</h2><table id='jobs'><tr><th>job</th><th>finished runs</th><th>latest report</th>"
            f"<th>in its latest run</th></tr>{rows}</table><h2>Runs</h2>")


def _runs(runs: list[dict]) -> str:
    rows = "".join(
        f"<tr><td><a href='/api/runs/{escape(r['run_id'])}/report'>{escape(r['run_id'])}</a></td>"
        f"<td>{escape(r['job_name'] or '')}</td><td>{escape(r['status'])}</td>"
        f"<td>{r['done']}/{r['planned']}</td><td>{escape(r['started'] or '')}</td></tr>"
        for r in reversed(runs))
    return ("<table id='runs'><tr><th>run</th><th>job</th><th>status</th><th>done</th><th>started</th></tr>"
            f"{rows}</table>") if runs else "<p>No runs yet.</p>"


def report_file(service, run_id: str) -> Path | None:
    """The run's report, written now if it is missing; None while it runs."""
    from ..jobs.scheduler import write_report

    if service.runner.state(run_id) is not None:
        return None
    store = Store(service.settings.db)
    try:
        path = write_report(store, run_id, service.settings.reports)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(summary_page(store, run_id), encoding="utf-8")
        return path
    finally:
        store.close()


def summary_page(store: Store, run_id: str) -> str:
    """A run's counts, history and scaling sections, without the full report."""
    from ..history.sections import history_html
    from ..scaling.sections import sizes_html, workers_html

    run, counts = store.run(run_id), store.counts(run_id)
    line = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    body = (f"<p>job <b>{escape(run['job_name'])}</b>: {escape(run['status'])}, "
            f"{run['done']}/{run['planned']} tasks ({escape(line)})</p>")
    extra = history_html(store, run_id) + workers_html(store, run_id) + sizes_html(store.results(run_id))
    return page(f"diffbench run {run_id}", body + extra)
