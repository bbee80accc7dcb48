"""What runs on a dask worker: hand the task to a warm sandbox child and
wrap its answer in a full result record (with where it ran)."""
from __future__ import annotations

from . import sandbox
from .records import make_record, now


def run_task(task: dict, run_id: str, attempts: int) -> dict:
    started = now()
    box = sandbox.acquire()
    try:
        box.ready()
        env = dict(box.env)  # read first: a timeout kills the child and its env with it
        fields = box.run(task)
    finally:
        sandbox.release(box)
    env.update(worker=_worker_address(), job_version=task["job_version"])
    return make_record(task, run_id, fields, env, attempts, started)


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return None


def prewarm() -> int:
    """Run on every worker before tasks arrive (``client.run``)."""
    return sandbox.prewarm(1)


def dask_setup(worker) -> None:
    """dask's hook for a worker ``preload`` module: a local cluster's workers
    load this one (see :mod:`.cluster`), so each starts its sandbox child as
    it starts, and the child imports numpy and the engines while the rest of
    the cluster comes up, not after."""
    sandbox.prewarm(1)
