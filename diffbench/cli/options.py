"""Options and output shared by the job commands (submit, resume, status...)."""
from __future__ import annotations

import functools
import shlex
import signal

import click

from ..jobs.records import STATUSES
from .common import SECONDS, echo_json
from ..jobs.store import DEFAULT_PATH

db_option = click.option("--db", default=DEFAULT_PATH, show_default=True, help="Results store (SQLite).")


def cluster_options(fn):
    for option in reversed([
        click.option("--workers", type=click.IntRange(1), help="Local cluster size (default: one per core)."),
        click.option("--scheduler", metavar="tcp://HOST:PORT", help="Use this running dask scheduler."),
        db_option,
        click.option("--reports", default="reports", show_default=True, help="Folder for the HTML report."),
        click.option("--connect-timeout", type=SECONDS, default=10.0, show_default=True,
                     help="Seconds to wait for --scheduler."),
    ]):
        fn = option(fn)
    return fn


def limit_options(defaults):
    """--max-tasks, --max-expression, --max-validation, with ``defaults`` (a
    :class:`.limits.Limits`); the command receives them as ``limits``."""
    def decorate(fn):
        def command(*args, max_tasks, max_expression, max_validation, **kwargs):
            from ..jobs.limits import Limits

            limits = Limits(max_tasks, max_expression, max_validation, defaults.how)
            return fn(*args, limits=limits, **kwargs)

        functools.update_wrapper(command, fn)
        for option in reversed([
            click.option("--max-tasks", type=click.IntRange(1), default=defaults.max_tasks, show_default=True,
                         help="Most tasks one job file may plan."),
            click.option("--max-expression", type=click.IntRange(1), default=defaults.max_expression,
                         show_default=True, help="Most characters in one expression of a job file."),
            click.option("--max-validation", type=click.FloatRange(0, min_open=True),
                         default=defaults.validation_seconds, show_default=True,
                         help="Most seconds validating one job file may take."),
        ]):
            command = option(command)
        return command
    return decorate


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


def run_and_report(body, reports: str, as_json: bool) -> None:
    """``body(progress)`` run guarded (:func:`run_guarded`), then its run's
    report written and its summary printed.  Cut short by Ctrl-C or SIGTERM,
    the report of what finished is written all the same, a line on stderr
    says how to run the rest, and the exit status is 130."""
    import sys

    from ..jobs.scheduler import Stopped

    try:
        result, stopped = run_guarded(body), False
    except Stopped as stop:
        result, stopped = stop.summary, True
    result = with_report(result, reports)
    echo_json(result) if as_json else print_summary(result)
    if stopped:
        db = "" if result["db"] == DEFAULT_PATH else f" --db {shlex.quote(result['db'])}"
        click.echo(f"interrupted: {result['done']} of {result['planned']} tasks have results (in the report); "
                   f"`diffbench resume {result['run_id']}{db}` runs the other "
                   f"{result['planned'] - result['done']}", err=True)
        sys.exit(130)


def with_report(result: dict, reports: str) -> dict:
    """The run's summary with the path of its report, written now."""
    from ..jobs.store import Store
    from ..report import report_after_run

    store = Store(result["db"])
    try:
        path = report_after_run(store, result["run_id"], reports)
        return {**result, "report": str(path)}
    finally:
        store.close()


def print_summary(result: dict) -> None:
    counts = ", ".join(f"{result[s]} {s}" for s in STATUSES)
    click.echo(f"run {result['run_id']} ({result['job']}): {result['status']}, "
               f"{result['done']}/{result['planned']} tasks: {counts}")
    click.echo(f"results: {result['db']}   report: {result['report']}")
