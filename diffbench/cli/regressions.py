"""``diffbench regressions [JOB]``: what got slower, broke or started to
disagree in the latest run of each job.  Exit code 1 when there is
something, 0 when nothing, 2 on an error, so a timer can alert on it."""
from __future__ import annotations

import sys

import click

from .common import echo_json
from ..jobs.cli_options import db_option


@click.command("regressions")
@click.argument("job", required=False)
@db_option
@click.option("--threshold", default=0.10, show_default=True, help="Smallest slowdown reported (0.10 = 10%).")
@click.option("--json", "as_json", is_flag=True, help="Print the regressions as JSON.")
def command(job, db, threshold, as_json):
    """Regressions of JOB's latest run (default: every job) against its history."""
    from ..history.regressions import find_regressions

    found = find_regressions(db, job, threshold)
    if as_json:
        echo_json(found)
    elif not found:
        click.echo("no regressions")
    for r in found if not as_json else []:
        click.echo(f"{r['job']}: {r['kind']:<12} {r['function']} {r['engine']} {r['quantity']} {r['sizes']}: "
                   f"{r['message']}")
    sys.exit(1 if found else 0)
