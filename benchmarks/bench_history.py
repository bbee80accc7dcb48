"""History benchmark: what a long-lived service pays to judge regressions
and to write the report of a scheduled job.

    python benchmarks/bench_history.py [--runs 60] [--functions 4] [--sizes 4]

Builds a synthetic history in a fresh SQLite store through the store's own
API: RUNS finished nightly runs of one job, each with FUNCTIONS x SIZES x 6
cells (symbolic and tape; value, gradient, Hessian), medians with a little
noise, and a real slowdown in one cell over the last three runs.  Then times
``find_regressions`` (what ``diffbench regressions`` and the API run) and
``write_report`` of the latest run (history section included), and checks
that exactly the planted slowdown was found.  There is no speed target in
the issue; the figures say how the cost grows with the history kept (at most
60 runs are looked at).
"""
from __future__ import annotations

import _common  # noqa: F401  (one BLAS thread)

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from diffbench.history.regressions import find_regressions, is_regression
from diffbench.jobs.records import make_record
from diffbench.jobs.store import Store
from diffbench.report import write_report

ENV = {"cpu": "Benchmark CPU", "cpu_count": 2, "platform": "Linux-bench-x86_64", "blas": {"library": "openblas"},
       "versions": {"diffbench": "0", "numpy": "2"}}
CELLS = [(e, q) for e in ("symbolic", "tape") for q in ("value", "gradient", "hessian")]


def tasks(functions: int, sizes: int) -> list[dict]:
    return [{"key": f"f{k}|{e}|{q}|n={n}", "function": f"f{k}", "expr": "x'*A*x", "wrt": ["x"], "engine": e,
             "quantity": q, "sizes": {"n": n}, "shapes": {"x": "n", "A": "n,n"}, "catalogue": None}
            for k in range(functions) for n in (10 * 3 ** i for i in range(sizes)) for e, q in CELLS]


def build(path: Path, runs: int, functions: int, sizes: int) -> tuple[Store, str]:
    store, plan, rng = Store(path), tasks(functions, sizes), np.random.default_rng(0)
    for i in range(runs):
        run_id = f"2026{1 + i // 28:02d}{1 + i % 28:02d}-030000-b{i:03d}"
        started = f"2026-{1 + i // 28:02d}-{1 + i % 28:02d}T03:00:00+00:00"
        store.create_run({"run_id": run_id, "job_name": "nightly", "description": "", "job_text": "",
                          "job": {"name": "nightly", "engines": ["symbolic", "tape"]}, "started": started,
                          "cluster": {}, "env": ENV}, plan)
        for t in plan:
            median = 1e-9 * t["sizes"]["n"] ** 2 * float(np.exp(rng.normal(0, 0.03)))
            if t is plan[0] and i >= runs - 3:
                median *= 1.5  # the one real slowdown
            fields = {"status": "ok", "median": median, "spread": 0.04 * median, "times": [median],
                      "accuracy": 1e-12, "reference": "tape" if t["engine"] == "symbolic" else "symbolic"}
            store.put(make_record(t, run_id, fields, ENV, 1, started))
        store.finish(run_id, "finished", started)
    return store, run_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--functions", type=int, default=4)
    parser.add_argument("--sizes", type=int, default=4)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    start = time.perf_counter()
    store, latest = build(folder / "history.sqlite", args.runs, args.functions, args.sizes)
    cells = args.functions * args.sizes * len(CELLS)
    print(f"history: {args.runs} runs x {cells} cells, built in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    found = [r for r in find_regressions(folder / "history.sqlite") if is_regression(r)]
    judged = time.perf_counter() - start
    start = time.perf_counter()
    write_report(store, latest, folder / "reports")
    written = time.perf_counter() - start

    print(f"find_regressions          {judged:8.2f} s   ({1e3 * judged / cells:.2f} ms per cell)")
    print(f"write_report (latest run) {written:8.2f} s")
    planted = [r for r in found if r["function"] == "f0" and r["engine"] == "symbolic" and r["quantity"] == "value"]
    print(f"regressions found: {len(found)} (planted: 1, found: {len(planted)})")


if __name__ == "__main__":
    main()
