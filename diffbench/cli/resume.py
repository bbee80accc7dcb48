"""``diffbench resume RUN``: run only the tasks of RUN that have no result."""
from __future__ import annotations

import click

from .options import cluster_options, run_and_report


@click.command("resume")
@click.argument("run", required=False)
@cluster_options
@click.option("--force", is_flag=True, help="Resume even if the run looks still running elsewhere.")
@click.option("--json", "as_json", is_flag=True, help="Print a stable JSON summary on stdout.")
def command(run, workers, scheduler, db, reports, connect_timeout, force, as_json):
    """Complete RUN (default: the latest run) after an interruption."""
    from ..jobs.scheduler import Target, resume

    target = Target(workers, scheduler, db, reports, connect_timeout)
    run_and_report(lambda progress: resume(run, target, progress, force), reports, as_json)
