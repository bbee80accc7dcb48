"""Options and output shared by the job commands (submit, resume, status...)."""
from __future__ import annotations

import signal

import click

from ..jobs.records import STATUSES
from ..jobs.store import DEFAULT_PATH

db_option = click.option("--db", default=DEFAULT_PATH, show_default=True, help="Results store (SQLite).")


def cluster_options(fn):
    for option in reversed([
        click.option("--workers", type=int, help="Local cluster size (default: one per core)."),
        click.option("--scheduler", metavar="tcp://HOST:PORT", help="Use this running dask scheduler."),
        db_option,
        click.option("--reports", default="reports", show_default=True, help="Folder for the HTML report."),
        click.option("--connect-timeout", default=10.0, show_default=True,
                     help="Seconds to wait for --scheduler."),
    ]):
        fn = option(fn)
    return fn


def run_guarded(body):
    """Run ``body(progress)``; SIGTERM ends it like Ctrl-C (run marked interrupted)."""
    from ..jobs.progress import Progress

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return body(Progress())
    finally:
        signal.signal(signal.SIGTERM, previous)


def with_report(result: dict, reports: str) -> dict:
    """The run's summary with the path of its report, written now."""
    from ..jobs.store import Store
    from ..report import report_after_run

    store = Store(result["db"])
    try:
        return {**result, "report": str(report_after_run(store, result["run_id"], reports))}
    finally:
        store.close()


def print_summary(result: dict) -> None:
    counts = ", ".join(f"{result[s]} {s}" for s in STATUSES)
    click.echo(f"run {result['run_id']} ({result['job']}): {result['status']}, "
               f"{result['done']}/{result['planned']} tasks: {counts}")
    click.echo(f"results: {result['db']}   report: {result['report']}")
