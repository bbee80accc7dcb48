"""``diffbench run-due``: run every scheduled job that is due, once, and exit
(for a systemd timer or cron instead of ``diffbench serve``)."""
from __future__ import annotations

from datetime import datetime

import click

from .common import echo_json
from .options import cluster_options, print_summary


@click.command("run-due")
@click.option("--jobs", default="jobs", show_default=True, help="Folder of job files.")
@cluster_options
@click.option("--now", "now_text", hidden=True, help="Act as if it were this ISO time (UTC); for tests.")
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
def command(jobs, workers, scheduler, db, reports, connect_timeout, now_text, as_json):
    """Run the jobs in JOBS whose schedule fired since they last ran.

    Several missed ticks make one run.  A job seen for the first time only
    starts its clock.  Holds the store's lock, like a server, while it runs.
    """
    from ..errors import UserError
    from ..jobs.scheduler import Target
    from ..jobs.store import ScheduleState
    from ..service.lock import StoreLock
    from ..service.runner import Runner
    from ..service.schedules import fire_due
    from ..service.server import init_store
    from .common import log_to_stderr
    from .options import run_guarded

    now = _now(now_text)
    log_to_stderr()
    with StoreLock(db, "run-due").acquire():
        init_store(db)
        target = Target(workers, scheduler, db, reports, connect_timeout)
        state = ScheduleState(db)

        def due(progress):  # Ctrl-C or SIGTERM: the running run is marked interrupted
            runner = Runner(target, progress)
            return runner, [runner.run(p) for p in fire_due(jobs, state, runner, now)]

        runner, summaries = run_guarded(due)
    if as_json:
        echo_json(summaries)
    else:
        _print(summaries)
    if None in summaries:
        raise UserError("; ".join(f"run {k}: {v}" for k, v in runner.errors.items()))


def _print(summaries: list) -> None:
    if not summaries:
        click.echo("nothing due")
    for summary in filter(None, summaries):
        print_summary(summary)


def _now(text: str | None) -> datetime:
    from ..errors import UserError
    from ..jobs.cron import utc
    from ..service.due import SystemClock

    if text is None:
        return SystemClock().now()
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        raise UserError(f"--now {text!r}: expected an ISO time such as 2026-01-01T03:00") from None
