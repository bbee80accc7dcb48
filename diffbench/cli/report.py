"""``diffbench report [RUN]``: (re)write a run's HTML report from the store."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import UserError
from .options import db_option


@click.command("report")
@click.argument("run", required=False)
@click.option("--out", default="reports", show_default=True, metavar="PATH",
              help="Folder for <run>.html and index.html, or a file name ending in .html.")
@db_option
def command(run, out, db):
    """Write the HTML report of RUN (a run id or a unique prefix; default: the latest run).

    The page is self-contained (no network); index.html beside it lists every run.
    """
    from ..jobs.scheduler import open_store
    from ..report import write_report, write_report_file

    store = open_store(db)
    try:
        run_id = store.resolve(run)
    except KeyError as err:
        raise UserError(f"{err.args[0]} in {db}") from None
    out_path = Path(out)
    try:
        if out_path.suffix.lower() == ".html":
            path = write_report_file(store, run_id, out_path)
        else:
            path = write_report(store, run_id, out_path)
    except OSError as err:
        raise UserError(f"cannot write the report to {out}: {err.strerror or err}") from None
    finally:
        store.close()
    click.echo(str(path))
