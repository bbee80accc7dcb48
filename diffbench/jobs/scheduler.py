"""Fanning a run's tasks out over dask and streaming results into the store.

``submit`` plans a validated job, records the run with its whole plan, then
``drive``s it: one dask task per planned task, results stored one
transaction each as they complete.  ``resume`` drives only the tasks of a
run that have no result yet.  A worker that dies mid-task makes dask re-run
its tasks elsewhere; after dask's ``allowed-failures`` (default 3) the task
is stored as ``failed`` (``KilledWorker``) so the run still completes, as is
a task that raised inside dask itself.
"""
from __future__ import annotations

import contextlib
import itertools
import secrets
import time
from concurrent.futures import CancelledError
from dataclasses import dataclass
from pathlib import Path

from .. import dims
from ..errors import UserError
from .cluster import connect, start_forkserver
from .env import versions
from .harness import ORDERS
from .plan import plan
from .records import STATUSES, lost_record, now
from .checks import load_job
from .frontier import Frontier
from .narrow import narrow
from .store import DEFAULT_PATH, Store
from .worker import prewarm, run_task



@dataclass
class Target:
    """Where and how to run: a cluster, a store, and the reports folder the
    submitter will ask :mod:`diffbench.report` to write into (the scheduler
    itself writes no report)."""

    workers: int | None = None
    address: str | None = None
    db: str = DEFAULT_PATH
    reports: str = "reports"
    connect_timeout: float = 10.0


def new_run_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def submit(job_path: str, target: Target, progress=None, limits=None, checked=None, before_cells=None,
           only: list[str] | None = None, engines: list[str] | None = None) -> dict:
    """Validate, plan, run and summarise a job file.  Errors in the file or
    the cluster address surface before the store is touched.  The caller
    asks for the report (:func:`diffbench.report.write_report`).
    ``checked()``, if given, is called once the job file has passed its
    checks; ``before_cells()`` once the cluster is up and before any task is
    sent (the submitter's own start-up work ends there, so it never shares a
    core with a timed cell).  ``only`` and ``engines`` narrow the job to some
    of its functions and engines (:mod:`.narrow`)."""
    if target.address is None:
        start_forkserver()  # the workers' imports, on another core while the job is checked
    job, text = load_job(job_path, limits)
    job = narrow(job, only, engines, str(job_path))
    tasks = plan(job, str(job_path))
    if checked is not None:
        checked()
    with contextlib.ExitStack() as stack:  # left in reverse: the store, then the cluster
        client, cluster = stack.enter_context(connect(target.address, target.workers, target.connect_timeout))
        if cluster["kind"] != "local":  # a local cluster's workers started theirs as they started
            prewarm_children(client)  # they import numpy and the engines while the run is recorded
        # closed on the way out, not whenever the collector finds it (see diffbench.cli.main)
        store = stack.enter_context(contextlib.closing(Store(target.db)))
        run_id = record_run(store, job, text, tasks, cluster)
        if before_cells is not None:
            before_cells()
        drive_or_stop(client, store, run_id, tasks, progress)
        return summary(store, run_id)


def record_run(store: Store, job, text: str, tasks: list[dict], cluster: dict) -> str:
    """A new run with its whole plan, in one transaction; its id."""
    run_id = new_run_id()
    run = {"run_id": run_id, "job_name": job.name, "description": job.description,
           "job": job.model_dump(mode="json"), "job_text": text, "started": now(),
           "cluster": cluster, "env": _submitter_env()}
    store.create_run(run, tasks)
    return run_id


def resume(run_id: str | None, target: Target, progress=None, force: bool = False) -> dict:
    with contextlib.closing(open_store(target.db)) as store:
        run_id = find_run(store, run_id)
        run = store.run(run_id)
        if run["status"] == "running" and not force:
            raise UserError(f"run {run_id} is still being run by another process; "
                            "expected a finished or interrupted run (use --force if that process is gone)")
        missing = store.tasks(run_id, missing_only=True)
        if missing:
            with connect(target.address, target.workers, target.connect_timeout) as (client, cluster):
                store.claim(run_id, cluster)
                drive_or_stop(client, store, run_id, missing, progress)
        elif run["status"] != "finished":
            store.finish(run_id, "finished", now())
        return summary(store, run_id)


class Interrupted(RuntimeError):
    """The run was cut short (its client closed); what ran is stored."""


class Stopped(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, made one by the command line) cut the run short:
    what finished is stored and the run is marked interrupted.  ``summary``
    is the run's summary then, so the caller can still report it and say how
    to resume; a caller that does not look is interrupted as before."""

    def __init__(self, summary: dict):
        super().__init__(f"run {summary['run_id']} interrupted")
        self.summary = summary


def drive_or_stop(client, store: Store, run_id: str, tasks: list[dict], progress=None) -> None:
    """:func:`drive`, turning an interruption into :class:`Stopped`."""
    try:
        drive(client, store, run_id, tasks, progress)
    except KeyboardInterrupt:
        raise Stopped(summary(store, run_id)) from None


def drive(client, store: Store, run_id: str, tasks: list[dict], progress=None) -> None:
    """Run ``tasks`` on ``client``, storing each result as it completes."""
    from distributed import as_completed

    planned = store.run(run_id)["planned"]
    if progress is not None:
        progress.start(planned, planned - len(tasks), sum(client.nthreads().values()))
    try:
        _run_all(client, store, run_id, tasks, progress, as_completed)
    except BaseException:
        store.finish(run_id, "interrupted", None)
        raise
    finally:
        if progress is not None:
            progress.close()
    done = store.run(run_id)["done"]
    store.finish(run_id, "finished" if done == planned else "interrupted", now() if done == planned else None)


def _cost(task: dict) -> float:
    """A rough size of a task, to send big ones first (longest first evens out
    the end of a run: no lone large Hessian after everything else).  Input
    entries times wrt entries to the derivative order, as fd would cost."""
    entries = {name: _entries(shape, task["sizes"]) for name, shape in task["shapes"].items()}
    wrt = sum(entries.get(name, 1) for name in task["wrt"])
    return sum(entries.values()) * max(wrt, 1.0) ** ORDERS[task["quantity"]]


def _entries(shape: str, sizes: dict) -> float:
    """Entries of one input, as a float capped at 2**62 (a run recorded with
    absurd sizes must still sort: its tasks then fail on their own)."""
    count = 1
    for dim in filter(None, (d.strip() for d in str(shape).split(","))):
        try:
            count = min(count * dims.evaluate(dim, sizes), dims.MAX_VALUE)
        except (ValueError, TypeError):
            pass  # an unusual declaration only makes the estimate rougher
    return float(count)


def _run_all(client, store, run_id, tasks, progress, as_completed) -> None:
    if any(t.get("skip_larger_after_give_out") for t in tasks):
        return _run_frontier(client, store, run_id, tasks, progress, as_completed)
    tasks = sorted(tasks, key=_cost, reverse=True)
    attempts = store.submitted(run_id, [t["key"] for t in tasks])
    token = secrets.token_hex(3)  # fresh dask keys: never collide with a dead submitter's
    prewarm_children(client)  # children start importing while tasks are being sent
    futures = client.map(run_task, tasks, [run_id] * len(tasks), [attempts[t["key"]] for t in tasks],
                         key=[f"diffbench-{run_id}-{token}-{i}" for i in range(len(tasks))], pure=False)
    by_key = {f.key: t for f, t in zip(futures, tasks)}
    for future, result in as_completed(futures, loop=client.loop, with_results=True, raise_errors=False):
        task = by_key[future.key]
        _store(store, _checked(run_id, task, result, attempts), progress)
        future.release()


def _run_frontier(client, store, run_id, tasks, progress, as_completed) -> None:
    """Small sizes first, and nothing sent past a give-out (:mod:`.frontier`).
    A few tasks more than there are worker threads are in flight, so no
    worker waits for the submitter between two tasks."""
    frontier = Frontier(tasks, store.results(run_id), order=_cost)
    window = 2 * max(1, sum(client.nthreads().values()))
    token = secrets.token_hex(3)
    prewarm_children(client)
    pending = as_completed([], loop=client.loop, with_results=True, raise_errors=False)
    by_key: dict[str, tuple[dict, int]] = {}  # in flight
    numbers = itertools.count()

    def send() -> None:
        for record in frontier.skips(run_id):
            _store(store, record, progress)
        batch = frontier.take(window - len(by_key))
        attempts = store.submitted(run_id, [t["key"] for t in batch]) if batch else {}
        for task in batch:
            key = f"diffbench-{run_id}-{token}-{next(numbers)}"
            pending.add(client.submit(run_task, task, run_id, attempts[task["key"]], key=key, pure=False))
            by_key[key] = (task, attempts[task["key"]])

    send()
    for future, result in pending:
        task, attempt = by_key.pop(future.key)
        record = _checked(run_id, task, result, {task["key"]: attempt})
        _store(store, record, progress)
        future.release()
        frontier.finished(task, record)
        send()


def _checked(run_id: str, task: dict, result, attempts: dict) -> dict:
    """The result record of a finished future (``failed`` if dask lost the task)."""
    error = task_error(result)
    if isinstance(error, CancelledError):
        # only a closing client cancels our futures (a service stopping):
        # the task did not run, so it has no result, not a failed one
        raise Interrupted(f"run {run_id}: its dask client closed before every task ran")
    if error is not None:
        return lost_record(task, run_id, f"{type(error).__name__}: {error}", attempts[task["key"]])
    return result


def _store(store: Store, record: dict, progress) -> None:
    store.put(record)
    if progress is not None:
        progress.update(record)


def prewarm_children(client) -> None:
    """Every worker starts its sandbox child now, if it has none idle."""
    try:
        client.run(prewarm)
    except Exception:  # only an optimisation: tasks start their own child anyway
        pass


def task_error(result) -> BaseException | None:
    """The exception a finished future holds, or None for a result record.
    With ``raise_errors=False`` dask hands back an errored task as the tuple
    ``(type, exception, traceback)`` and a cancelled one as the exception."""
    if isinstance(result, BaseException):
        return result
    if isinstance(result, tuple) and len(result) == 3 and isinstance(result[1], BaseException):
        return result[1]
    if not isinstance(result, dict):
        return TypeError(f"a task returned {type(result).__name__}, expected a result record")
    return None


def summary(store: Store, run_id: str) -> dict:
    """A run's state and its count of results per status."""
    run, counts = store.run(run_id), store.counts(run_id)
    out = {"run_id": run_id, "job": run["job_name"], "status": run["status"], "planned": run["planned"],
           "done": run["done"], "db": str(store.path)}
    out.update({s: counts.get(s, 0) for s in STATUSES})
    return out


def open_store(db: str) -> Store:
    """An existing store (read commands never create one)."""
    if not Path(db).exists():
        raise UserError(f"no results store at {db} (run `diffbench submit` first, or pass --db)")
    if Path(db).is_file() and Path(db).stat().st_size == 0:
        raise UserError(f"{db}: an empty file, not a results store; expected a store written by "
                        "`diffbench submit` (delete the empty file, or pass --db)")
    return Store(db)


def find_run(store: Store, run_id: str | None) -> str:
    try:
        return store.resolve(run_id)
    except KeyError as err:
        raise UserError(f"{err.args[0]} in {store.path}") from None


def _submitter_env() -> dict:
    import platform
    import socket

    return {"versions": versions(), "hostname": socket.gethostname(), "platform": platform.platform()}
