"""The README's first command, timed as a whole process: ``diffbench submit jobs/quickstart.toml``.

    python benchmarks/bench_first_run.py [--runs 3] [--job jobs/quickstart.toml]

Each run starts in a fresh empty folder (its own store and reports), so
nothing of an earlier run is reused; the local cluster, the sandbox
children, every cell and the report are part of the time, as a user meets
them.  Prints each run's wall time and the slowest task of the last run
(the critical path), then the median against the issue's target (under 8 s
on 2 cores).  On a shared machine, quote the median and say what the load
was: every phase (cluster start, imports, cells, report) slows with it.
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
    """Wall seconds of one submit, and its summary plus its slowest task."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "submit", job, "--json"],
                              cwd=folder, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"submit failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        summary = json.loads(proc.stdout)
        summary["slowest"] = _slowest(os.path.join(folder, summary["db"]), summary["run_id"])
    return wall, summary


def _slowest(db: str, run_id: str) -> tuple[float, str]:
    """The longest task of the run (started to finished), and its key."""
    rows = sqlite3.connect(db).execute("SELECT record FROM results WHERE run_id = ?", (run_id,)).fetchall()
    spans = []
    for (text,) in rows:
        r = json.loads(text)
        span = datetime.fromisoformat(r["finished"]) - datetime.fromisoformat(r["started"])
        spans.append((span.total_seconds(), r["task_key"]))
    return max(spans)


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
        print(f"  run {k + 1}: {wall:6.1f} s   {summary['ok']}/{summary['planned']} ok   "
              f"slowest task {seconds:.1f} s ({key})", flush=True)
    median = statistics.median(walls)
    verdict = "ok" if median < TARGET_SECONDS else "MISSED"
    print(f"median {median:.1f} s over {len(walls)} runs (target < {TARGET_SECONDS:g} s on 2 cores)  {verdict}; "
          f"load average at end {os.getloadavg()[0]:.1f}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
