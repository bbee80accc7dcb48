"""``diffbench regressions [JOB]``: what got slower, broke or started to
disagree in the latest run of each job.  Exit code 1 when there is
something, 0 when nothing (slowdowns of the latest run alone are listed
to watch, but are not yet regressions), 2 on an error, so a timer can
alert on it."""
from __future__ import annotations

import sys

import click

from .common import Finite, echo_json
from .options import db_option


@click.command("regressions")
@click.argument("job", required=False)
@db_option
@click.option("--threshold", type=Finite(0.0, strict=False, what="a fraction"), default=0.10, show_default=True, help="Smallest slowdown reported (0.10 = 10%).")
@click.option("--json", "as_json", is_flag=True, help="Print the regressions as JSON.")
def command(job, db, threshold, as_json):
    """Regressions of JOB's latest run (default: every job) against its history."""
    from ..history.regressions import find_regressions, is_regression

    found = find_regressions(db, job, threshold)
    regressions = [r for r in found if is_regression(r)]
    if as_json:
        echo_json(found)
    else:
        _print(regressions, [r for r in found if not is_regression(r)])
    sys.exit(1 if regressions else 0)


def _print(regressions: list[dict], watch: list[dict]) -> None:
    if not regressions:
        click.echo("no regressions")
    for r in regressions:
        click.echo(_line(r))
    if watch:
        click.echo(f"to watch ({len(watch)}: slower in the latest run only, not yet a regression):")
        for r in watch:
            click.echo("  " + _line(r))


def _line(r: dict) -> str:
    return f"{r['job']}: {r['kind']:<17} {r['function']} {r['engine']} {r['quantity']} {r['sizes']}: {r['message']}"
