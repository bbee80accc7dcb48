"""Running a worker-count sweep after a run.

Each worker count times each engine's tasks as one pass, wall clock from
the first submission to the last result: that is what a user of the
cluster waits for, and it counts scheduling and transfer overheads that
per-task timings leave out.  Engines go one pass each, so the report can
say how each one's throughput grows with workers; the whole run's figure
is the sum of its engines' passes.

On a cluster address the sweep pins tasks to the first N of its workers
(up to as many as it has); locally it starts a local cluster of N workers
for each count (capped at the cores here: more would measure time-sharing).  Sweep results are not
stored as task results, only the timings of each pass.
"""
from __future__ import annotations

import secrets
import time

from .passes import ALL, put_point


def run_sweep(spec, store, run_id: str, target, client=None, progress=None) -> list[dict]:
    """Time the run's tasks at each worker count of ``spec``; the passes."""
    from ..jobs.cluster import connect, usable_cores

    tasks, out = store.tasks(run_id), []
    # no more workers than there are: a count beyond them would be mislabelled
    # (a cluster's), or would only time-share the cores (a local one)
    limit = len(client.scheduler_info()["workers"]) if client is not None else usable_cores()
    counts = sorted({min(c, limit) for c in spec.workers})
    for count in counts:
        if progress:
            progress(f"scaling sweep ({spec.mode}): {count} worker{'s' * (count > 1)}")
        work = tasks if spec.mode == "strong" else _replicate(tasks, count)
        if client is not None:
            passes = _time_engines(client, work, run_id, _first_workers(client, count))
        else:
            with connect(None, count, target.connect_timeout) as (local, _):
                passes = _time_engines(local, work, run_id, None)
        for point in passes:
            point.update(run_id=run_id, mode=spec.mode, workers=count, kind="remote" if client else "local")
            put_point(store, point)
        out += passes
    return out


def _replicate(tasks: list[dict], count: int) -> list[dict]:
    return [{**t, "key": f"{t['key']}#{i}"} for i in range(count) for t in tasks]


def _first_workers(client, count: int) -> list[str]:
    addresses = sorted(client.scheduler_info()["workers"])
    return addresses[:count]


def _time_engines(client, tasks: list[dict], run_id: str, workers) -> list[dict]:
    """One timed pass per engine, and their sum as the pass of all engines."""
    client.run(warm, workers=workers)  # children ready before the clock starts
    engines = sorted({t["engine"] for t in tasks})
    passes = [{"engine": e, **_time_pass(client, [t for t in tasks if t["engine"] == e], run_id, workers)}
              for e in engines]
    total = {"engine": ALL, **{k: sum(p[k] for p in passes) for k in ("tasks", "failed", "seconds")}}
    return passes + [total]


def _time_pass(client, tasks: list[dict], run_id: str, workers) -> dict:
    from ..jobs.worker import run_task

    token = secrets.token_hex(3)
    keys = [f"diffbench-sweep-{run_id}-{token}-{i}" for i in range(len(tasks))]
    start = time.perf_counter()
    futures = client.map(run_task, tasks, [run_id] * len(tasks), [1] * len(tasks), key=keys, pure=False,
                         workers=workers, allow_other_workers=False)
    records = client.gather(futures, errors="skip")
    seconds = time.perf_counter() - start
    failed = len(tasks) - sum(r["status"] == "ok" for r in records)
    client.cancel(futures)
    return {"tasks": len(tasks), "failed": failed, "seconds": seconds}


def warm() -> None:
    """On a worker: wait until a sandbox child has loaded numpy and the engines."""
    from ..jobs import sandbox

    box = sandbox.acquire()
    try:
        box.ready()
    finally:
        sandbox.release(box)
