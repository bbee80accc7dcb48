"""The README's first command, timed as a whole process: ``diffbench submit jobs/quickstart.toml``.

    python benchmarks/bench_first_run.py [--runs 3] [--job jobs/quickstart.toml]

Each run starts in a fresh empty folder (its own store and reports), so
nothing of an earlier run is reused; the local cluster, the sandbox
children, every cell and the report are part of the time, as a user meets
them.  Prints each run's wall time split into phases read off the store's
timestamps (start-up: import, job check, cluster start, up to the run's
record; first cell: until the first cell starts; cells: first start to last
finish; end: the report, closing and exit), the cells' time in timed samples
against what the job asks (repeat x sample_time a cell) and the slowest task
(the critical path), then the median against the issue's target (under 8 s
on 2 cores).  On a shared machine, quote the median and say what the load
was: every phase slows with it.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

TARGET_SECONDS = 8.0
HERE = os.path.dirname(os.path.abspath(__file__))


def one_run(job: str) -> tuple[float, dict]:
    """Wall seconds of one submit, and its summary plus what the store says of it."""
    with tempfile.TemporaryDirectory() as folder:
        begun = time.time()
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "submit", job, "--json"],
                              cwd=folder, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"submit failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        summary = json.loads(proc.stdout)
        summary.update(_from_store(os.path.join(folder, summary["db"]), summary["run_id"], begun, begun + wall))
    return wall, summary


def _from_store(db: str, run_id: str, begun: float, ended: float) -> dict:
    """Phases of the run (seconds), its cells' sampling and its longest task."""
    connection = sqlite3.connect(db)
    recorded, job = connection.execute("SELECT started, job FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    records = [json.loads(text) for (text,) in
               connection.execute("SELECT record FROM results WHERE run_id = ?", (run_id,))]
    connection.close()
    job = json.loads(job)
    at = lambda text: datetime.fromisoformat(text).timestamp()  # noqa: E731
    first = min(at(r["started"]) for r in records)
    last = max(at(r["finished"]) for r in records)
    phases = {"start-up": at(recorded) - begun, "first cell": first - at(recorded), "cells": last - first,
              "end": ended - last}
    sampled = sum(sum(r["times"]) * r["inner_loops"] for r in records if r["times"])
    asked = len(records) * job.get("repeat", 7) * _seconds(job.get("sample_time", "10ms"))
    calibration = sum(r["stats"].get("calibration_seconds", 0.0) for r in records)
    spans = [(at(r["finished"]) - at(r["started"]), r["task_key"]) for r in records]
    return {"phases": phases, "sampled": sampled, "asked": asked, "calibration": calibration,
            "slowest": max(spans)}


def _seconds(duration: str) -> float:
    from diffbench.jobs.units import parse_duration

    return parse_duration(duration)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--job", default=os.path.join(HERE, "..", "jobs", "quickstart.toml"))
    args = parser.parse_args(argv)
    job = os.path.abspath(args.job)
    print(f"job {os.path.relpath(job)}; load average at start {os.getloadavg()[0]:.1f}; "
          f"{os.cpu_count()} cores", flush=True)
    walls = []
    for k in range(args.runs):
        wall, summary = one_run(job)
        walls.append(wall)
        seconds, key = summary["slowest"]
        phases = "  ".join(f"{name} {value:.1f}" for name, value in summary["phases"].items())
        print(f"  run {k + 1}: {wall:6.1f} s   {summary['ok']}/{summary['planned']} ok   ({phases} s)\n"
              f"          timed samples {summary['sampled']:.1f} s of cell time (the job asks "
              f"{summary['asked']:.2f} s), calibration beyond them {summary['calibration']:.2f} s;  "
              f"slowest task {seconds:.1f} s ({key})", flush=True)
    median = statistics.median(walls)
    verdict = "ok" if median < TARGET_SECONDS else "MISSED"
    print(f"median {median:.1f} s over {len(walls)} runs (target < {TARGET_SECONDS:g} s on 2 cores)  {verdict}; "
          f"load average at end {os.getloadavg()[0]:.1f}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
