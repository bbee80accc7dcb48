"""The plain pages the server shows: the index of runs at ``/``, and a
run's summary when its full report cannot be written."""
from __future__ import annotations


def served_index(runs: list[dict], jobs: list[dict] = ()) -> str:
    """Each job's latest report and what regressed there, then every run, newest first."""
    from .render import environment

    return environment().get_template("served_index.html.j2").render(
        title="diffbench reports", runs=list(reversed(runs)), jobs=list(jobs))


def summary_page(store, run_id: str) -> str:
    """A run's counts, history and scaling sections, without the full report."""
    from .history import history_html
    from .render import environment
    from .scaling import sizes_html, workers_html

    run, counts = store.run(run_id), store.counts(run_id)
    sections = history_html(store, run_id) + workers_html(store, run_id) + sizes_html(store.results(run_id))
    return environment().get_template("run_summary.html.j2").render(
        title=f"diffbench run {run_id}", run=run, sections=sections,
        counts=", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
