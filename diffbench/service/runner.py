"""Runs, one after another, on one thread.

Every run the service starts (submitted over HTTP or fired by a schedule)
is recorded in the store at once, so it has an id to poll, then queued.
Runs go one at a time: two runs at once would share the cores and time
each other, not the engines.  That also gives "one instance of a job at a
time" for free; a schedule that fires while its job is still queued or
running is left due and caught up once afterwards.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

from ..jobs.scheduler import Target, drive, record_run, summary
from ..jobs.store import Store
from ..report import report_after_run

log = logging.getLogger("diffbench.service")


@dataclass
class Pending:
    run_id: str
    job_name: str
    origin: str          # "api", "schedule" or "run-due"
    job: object


class Runner:
    def __init__(self, target: Target, progress=None):
        self.target = target
        self.progress = progress  # a jobs.progress.Progress for a terminal (run-due); the log otherwise
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._active: dict[str, str] = {}   # job name -> run id, queued or running
        self._running: str | None = None
        self.errors: dict[str, str] = {}    # run id -> why it stopped early
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._client = None                 # the running run's dask client, to cut it short on stop

    # ------------------------------------------------------------ queueing

    def record(self, job, text: str, tasks: list[dict], origin: str) -> Pending:
        """A new run in the store (not started yet)."""
        store = Store(self.target.db)
        try:
            run_id = record_run(store, job, text, tasks, {"kind": "queued", "origin": origin})
        finally:
            store.close()
        return Pending(run_id, job.name, origin, job)

    def enqueue(self, pending: Pending) -> str:
        with self._lock:
            self._active[pending.job_name] = pending.run_id
        self._queue.put(pending)
        return pending.run_id

    def busy(self, job_name: str) -> bool:
        with self._lock:
            return job_name in self._active

    def state(self, run_id: str) -> str | None:
        """"queued" or "running" for a run this service holds, else None."""
        with self._lock:
            if run_id == self._running:
                return "running"
            return "queued" if run_id in self._active.values() else None

    # ------------------------------------------------------------ running

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="diffbench-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after cutting the running run short: its results so far stay
        stored, it is marked interrupted, and ``diffbench resume`` completes it."""
        self._stopping.set()
        self._queue.put(None)
        client = self._client
        if client is not None:
            try:
                client.close()  # the run's as_completed loop ends with an error, handled in run()
            except Exception:  # noqa: BLE001 -- already closing: nothing more to do
                pass
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while (pending := self._queue.get()) is not None:
            self.run(pending)

    def run(self, pending: Pending) -> dict | None:
        """Drive one recorded run to its end; its summary (None if it broke)."""
        with self._lock:
            self._running = pending.run_id
        store = Store(self.target.db)
        log.info("run %s (%s, %s): started", pending.run_id, pending.job_name, pending.origin)
        try:
            self._drive(pending, store)
            result = summary(store, pending.run_id)
            result["report"] = str(report_after_run(store, pending.run_id, self.target.reports))
            log.info("run %s (%s): %s, %d ok of %d; report %s%s", pending.run_id, pending.job_name,
                     result["status"], result["ok"], result["planned"], result["report"], _regressed(store, pending))
            return result
        except Exception as err:  # a broken run must not stop the service
            if self._stopping.is_set():
                log.info("run %s (%s): interrupted, the service is stopping; `diffbench resume %s` "
                         "completes it", pending.run_id, pending.job_name, pending.run_id)
                self.errors[pending.run_id] = "interrupted: the service stopped"
            else:
                log.exception("run %s (%s) stopped", pending.run_id, pending.job_name)
                self.errors[pending.run_id] = f"{type(err).__name__}: {err}"
            store.finish(pending.run_id, "interrupted", None)
            return None
        finally:
            store.close()
            with self._lock:
                self._running = None
                if self._active.get(pending.job_name) == pending.run_id:
                    del self._active[pending.job_name]

    def _drive(self, pending: Pending, store: Store) -> None:
        from ..jobs.cluster import connect

        target = self.target
        if self._stopping.is_set():
            raise RuntimeError("the service is stopping")
        with connect(target.address, target.workers, target.connect_timeout) as (client, info):
            self._client = client
            try:
                store.claim(pending.run_id, {**info, "origin": pending.origin})
                drive(client, store, pending.run_id, store.tasks(pending.run_id), self.progress)
                if info["kind"] == "remote":
                    self._sweep(pending, store, client)
            finally:
                self._client = None
        if target.address is None:  # local clusters of each size, once the run's own is gone
            self._sweep(pending, store, None)

    def _sweep(self, pending: Pending, store: Store, client) -> None:
        """The worker-count sweep, for a job that asks for one.  A sweep that
        breaks leaves the run itself finished: its results are all there."""
        if getattr(pending.job, "scaling", None) is None or self._stopping.is_set():
            return
        from ..scaling.sweep import run_sweep

        try:
            run_sweep(pending.job.scaling, store, pending.run_id, self.target, client,
                      progress=lambda line: log.info("run %s: %s", pending.run_id, line))
        except Exception as err:
            log.exception("sweep of run %s stopped", pending.run_id)
            self.errors[pending.run_id] = f"scaling sweep: {type(err).__name__}: {err}"


def _regressed(store: Store, pending: Pending) -> str:
    """'; 2 regressions (diffbench regressions JOB)' for the log, '' when none."""
    from ..history.regressions import is_regression, run_regressions

    try:
        found = run_regressions(store, pending.job_name, pending.run_id)
    except Exception:  # noqa: BLE001 -- the log line must not cost the run
        log.exception("regressions of run %s", pending.run_id)
        return ""
    confirmed = sum(map(is_regression, found))
    parts = [f"{confirmed} regression{'s' * (confirmed != 1)}" if confirmed else "",
             f"{len(found) - confirmed} to watch" if len(found) > confirmed else ""]
    text = ", ".join(p for p in parts if p)
    return f"; {text} (diffbench regressions {pending.job_name})" if text else ""
