"""Scheduler benchmark: overhead per task and scaling with workers.

    python benchmarks/bench_scheduler.py [--tasks 1000] [--cpu-tasks 24] [--cpu-ms 50]

1. Overhead: TASKS trivial tasks (the test-only ``noop`` engine, one call
   each) through the whole path: load and plan the job, record the run,
   dask, sandbox child, store.  Target: < 10 ms per task.  Measured on a
   warm 2-worker local cluster, so cluster start-up is not counted.
2. Throughput: CPU-bound tasks (the ``spin`` engine burns CPU_MS per call)
   on 1 worker, then on 2.  Target: 2 workers >= 1.7x the tasks/second.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import fault_engines  # noqa: E402  (the test-only noop and spin engines)

fault_engines.switch_on()  # inherited by the workers and their children

from diffbench.jobs.cluster import connect  # noqa: E402
from diffbench.jobs.plan import plan  # noqa: E402
from diffbench.jobs.scheduler import drive, record_run  # noqa: E402
from diffbench.jobs.checks import load_job  # noqa: E402
from diffbench.jobs.store import Store  # noqa: E402

JOB = """version = 1
name = "{name}"
engines = ["{engine}"]
quantities = ["value"]
repeat = {repeat}
sample_time = "0s"
reference = []
[[functions]]
name = "f"
expr = "sum(x)"
shapes = {{ x = "n" }}
sizes = {{ n = {sizes} }}
"""


def job_file(folder: Path, name: str, engine: str, sizes: list[int], repeat: int) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(JOB.format(name=name, engine=engine, sizes=sizes, repeat=repeat))
    return path


def run_once(client, cluster, store: Store, path: Path) -> tuple[float, int]:
    """Seconds for the whole path (load, plan, record, run, store) and task count."""
    start = time.perf_counter()
    job, text = load_job(path)
    tasks = plan(job, str(path))
    run_id = record_run(store, job, text, tasks, cluster)
    drive(client, store, run_id, tasks)
    elapsed = time.perf_counter() - start
    assert store.run(run_id)["done"] == len(tasks)
    assert all(r["status"] == "ok" for r in store.results(run_id))
    return elapsed, len(tasks)


def overhead(folder: Path, store: Store, count: int) -> float:
    warm = job_file(folder, "warm", "noop", [1, 2, 3, 4], 1)
    path = job_file(folder, "trivial", "noop", list(range(1, count + 1)), 1)
    with connect(workers=2) as (client, cluster):
        run_once(client, cluster, store, warm)  # children started, imports done
        elapsed, tasks = run_once(client, cluster, store, path)
    print(f"overhead: {tasks} trivial tasks on 2 workers in {elapsed:.2f} s "
          f"= {1000 * elapsed / tasks:.2f} ms per task (target < 10 ms)")
    return elapsed / tasks


def throughput(folder: Path, store: Store, workers: int, count: int, ms: int) -> float:
    # spin's knob is n: task i burns ms + i milliseconds per call (distinct sizes, distinct tasks)
    path = job_file(folder, f"cpu{workers}", "spin", list(range(ms, ms + count)), 1)
    with connect(workers=workers) as (client, cluster):
        run_once(client, cluster, store, job_file(folder, "warm", "noop", [1, 2, 3, 4], 1))
        elapsed, tasks = run_once(client, cluster, store, path)
    rate = tasks / elapsed
    print(f"throughput: {tasks} CPU-bound tasks (~{2 * ms + count} ms CPU each) on {workers} worker(s): "
          f"{elapsed:.2f} s, {rate:.2f} tasks/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--cpu-tasks", type=int, default=24)
    parser.add_argument("--cpu-ms", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Store(folder / "bench.sqlite")
        overhead(folder, store, args.tasks)
        one = throughput(folder, store, 1, args.cpu_tasks, args.cpu_ms)
        two = throughput(folder, store, 2, args.cpu_tasks, args.cpu_ms)
        print(f"scaling: 2 workers / 1 worker = {two / one:.2f}x (target >= 1.7x)")


if __name__ == "__main__":
    main()
