"""``diffbench runs``: every run in the store, newest last."""
from __future__ import annotations

import click

from .options import db_option
from .common import echo_json


@click.command("runs")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the runs as JSON.")
def command(db, as_json):
    """List the runs in the results store."""
    from ..jobs.scheduler import open_store

    runs = open_store(db).runs()
    keys = ("run_id", "job_name", "status", "planned", "done", "started", "finished")
    if as_json:
        echo_json([{k: r[k] for k in keys} for r in runs])
        return
    if not runs:
        click.echo("no runs yet")
    for r in runs:
        click.echo(f"{r['run_id']}  {r['job_name']:<20} {r['status']:<11} {r['done']:>5}/{r['planned']:<5} "
                   f"{r['started']}")
