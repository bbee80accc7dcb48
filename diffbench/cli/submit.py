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

    target = Target(workers, scheduler, db, reports, connect_timeout)
    result = run_guarded(lambda progress: submit(jobfile, target, progress, limits))
    result = with_report(result, reports)
    echo_json(result) if as_json else print_summary(result)
