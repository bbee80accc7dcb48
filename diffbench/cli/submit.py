"""``diffbench submit JOBFILE``: run every cell of a job on dask and store it."""
from __future__ import annotations

import click

from .common import echo_json
from ..jobs.limits import CLI
from .options import cluster_options, limit_options, print_summary, run_guarded, with_report


@click.command("submit")
@click.argument("jobfile", type=click.Path(dir_okay=False))
@cluster_options
@limit_options(CLI)
@click.option("--json", "as_json", is_flag=True, help="Print a stable JSON summary on stdout.")
def command(jobfile, workers, scheduler, db, reports, connect_timeout, as_json, limits):
    """Run JOBFILE (a jobs/*.toml file) and store every result.

    Without --scheduler a local cluster is started (one single-threaded
    worker per core); with it, the job runs on that existing dask cluster.
    """
    from ..jobs.scheduler import Target, submit

    _import_in_background("diffbench.report")  # the report's plotting stack loads while the cells run
    target = Target(workers, scheduler, db, reports, connect_timeout)
    result = run_guarded(lambda progress: submit(jobfile, target, progress, limits))
    result = with_report(result, reports)
    echo_json(result) if as_json else print_summary(result)


def _import_in_background(module: str) -> None:
    """Import ``module`` on a daemon thread: the submitter mostly waits on the
    cluster meanwhile, so the seconds matplotlib takes to load leave the
    command's critical path (the report is written after the last cell)."""
    import importlib
    import threading

    def load():
        try:
            importlib.import_module(module)
        except Exception:  # the report's own import, later, says what is wrong
            pass

    threading.Thread(target=load, daemon=True).start()
