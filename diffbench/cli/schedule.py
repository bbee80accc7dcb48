"""``diffbench schedule list``: the scheduled jobs and when they run next."""
from __future__ import annotations

from pathlib import Path

import click

from .common import echo_json
from .options import db_option


@click.group("schedule")
def command():
    """Scheduled jobs (job files with schedule = "<cron expression>")."""


@command.command("list")
@click.option("--jobs", default="jobs", show_default=True, help="Folder of job files.")
@db_option
@click.option("--count", default=3, show_default=True, help="How many next run times to show.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def list_(jobs, db, count, as_json):
    """Each scheduled job in JOBS: its schedule, next run times (UTC), last run."""
    from ..service.due import SystemClock
    from ..service.schedules import schedule_table
    from ..jobs.store import ScheduleState

    state = ScheduleState(db) if Path(db).exists() else None  # listing never creates a store
    rows, problems = schedule_table(jobs, state, SystemClock().now(), count)
    if as_json:
        echo_json({"schedules": rows, "problems": problems})
        return
    for row in rows:
        click.echo(f"{row['job']:<20} {row['schedule']:<16} next: {', '.join(t[:16] for t in row['next'])}"
                   + (f"   last run: {row['last_run_id']}" if row["last_run_id"] else ""))
    if not rows:
        click.echo(f"no scheduled jobs in {jobs}")
    for problem in problems:
        click.echo(f"skipped: {problem}", err=True)
