"""``diffbench export RUN --format csv|parquet``: a run's results as a table."""
from __future__ import annotations

import click

from ..errors import UserError
from .options import db_option


@click.command("export")
@click.argument("run", required=False)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("-o", "--output", help="File to write (default: RUN.csv or RUN.parquet here).")
@db_option
def command(run, fmt, output, db):
    """Write every result of RUN (default: the latest run), one row per task."""
    from ..jobs.export import write
    from ..jobs.scheduler import find_run, open_store

    store = open_store(db)
    run_id = find_run(store, run)
    target = output or f"{run_id}.{fmt}"
    try:
        path = write(store.results(run_id), fmt, target)
    except OSError as err:  # a folder, a missing folder, no permission: one line, as for report
        raise UserError(f"cannot write the export to {target}: {err.strerror or err}") from None
    click.echo(str(path))
