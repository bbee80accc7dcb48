"""``diffbench status [RUN]``: how far a run has got, by status and engine."""
from __future__ import annotations

import click

from .options import db_option
from ..jobs.records import STATUSES
from .common import echo_json


@click.command("status")
@click.argument("run", required=False)
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def command(run, db, as_json):
    """Progress and outcome of RUN (default: the latest run)."""
    from ..jobs.scheduler import find_run, open_store

    store = open_store(db)
    run_id = find_run(store, run)
    info, counts = store.run(run_id), store.counts(run_id)
    data = {"run_id": run_id, "job": info["job_name"], "status": info["status"], "planned": info["planned"],
            "done": info["done"], "missing": info["planned"] - info["done"], "started": info["started"],
            "finished": info["finished"], "cluster": info["cluster"],
            **{s: counts.get(s, 0) for s in STATUSES}}
    if as_json:
        echo_json(data)
        return
    click.echo(f"run {run_id} ({info['job_name']}): {info['status']}, {info['done']}/{info['planned']} done, "
               + ", ".join(f"{data[s]} {s}" for s in STATUSES))
    for line in _by_engine(store.results(run_id)):
        click.echo(line)
    if data["missing"] and info["status"] == "interrupted":
        click.echo(f"{data['missing']} task(s) missing: diffbench resume {run_id}")


def _by_engine(results: list[dict]) -> list[str]:
    table: dict[tuple, dict[str, int]] = {}
    for r in results:
        row = table.setdefault((r["engine"], r["quantity"]), {})
        row[r["status"]] = row.get(r["status"], 0) + 1
    return [f"  {engine:<14} {quantity:<9} " + " ".join(f"{n} {s}" for s, n in sorted(row.items()))
            for (engine, quantity), row in sorted(table.items())]
