"""The report's plots, drawn in one process: this tree (A) against the last tree that drew them with matplotlib (B).

    python benchmarks/bench_plots.py [--rounds 3] [--against REF] [--db STORE --run RUN_ID]

Without ``--db`` the README's first command (``diffbench submit
jobs/quickstart.toml``) runs once in a temporary folder, and its run is the
one drawn.  Both trees then read the same store, in turns A B A B ..., each
turn a fresh process, and time:

* ``import``: importing the report's modules (render, sections), as
  ``submit`` does while the cluster starts;
* ``report``: writing the whole page once, as ``submit`` writes it (B drew
  its plots in one forked process per core, A in its own process);
* ``plots cold``: every plot of the page (each function's and the memory
  section's) drawn once, right after the report, in one process;
* ``plots warm``: the same, median of five more draws.

B defaults to the parent of the commit that took matplotlib out of
``diffbench/report/plots.py`` (or this checkout's HEAD if that has not
happened yet); it is checked out with ``git archive`` into a temporary
folder and needs matplotlib installed.  Prints the medians and B / A.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
METRICS = ("import", "report", "plots cold", "plots warm")


def measure(db: str, run_id: str, out_dir: str) -> dict:
    """The figures of one tree, in this process (the tree is whatever ``diffbench`` imports)."""
    start = time.perf_counter()
    import diffbench.report.render  # noqa: F401
    import diffbench.report.sections  # noqa: F401
    figures = {"import": time.perf_counter() - start}
    import inspect

    from diffbench.jobs.store import Store
    from diffbench.report import memory, plots, write_report
    from diffbench.report.model import load

    store = Store(db)
    # as submit writes it: B took the number of processes to draw in, A has no such choice
    extra = {"processes": os.cpu_count() or 1} if "processes" in inspect.signature(write_report).parameters else {}
    start = time.perf_counter()
    write_report(store, run_id, out_dir, **extra)
    figures["report"] = time.perf_counter() - start
    data = load(store, run_id)
    colours = plots.engine_colours(plots.run_engines(data["run"], data["results"]))

    def draw() -> tuple[float, int]:
        begin = time.perf_counter()
        count = sum(len(plots.function_plots(fn, colours)) for fn in data["functions"])
        count += memory.memory_html(store, run_id).count("<figure")
        return time.perf_counter() - begin, count

    figures["plots cold"], figures["count"] = draw()
    figures["plots warm"] = statistics.median(draw()[0] for _ in range(5))
    store.close()
    return figures


def before_tree(ref: str | None, into: str) -> str:
    """The tree B as files in ``into``; its commit."""
    if ref is None:
        removed = _git("log", "-1", "--format=%H", "-Smatplotlib.use", "--", "diffbench/report/plots.py")
        still_there = "matplotlib" in _git("show", "HEAD:diffbench/report/plots.py")
        ref = "HEAD" if still_there or not removed else f"{removed}^"
    commit = _git("rev-parse", "--short", ref)
    archive = subprocess.run(["git", "-C", ROOT, "archive", commit], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return commit


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True, check=True).stdout.strip()


def quickstart_run(folder: str) -> tuple[str, str]:
    """The README's first command run once in ``folder``: its store and run id."""
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "submit",
                           os.path.join(ROOT, "jobs", "quickstart.toml"), "--json"],
                          cwd=folder, capture_output=True, text=True, env=_env(ROOT))
    if proc.returncode != 0:
        raise SystemExit(f"submit failed: {proc.stderr.strip()[-500:]}")
    summary = json.loads(proc.stdout)
    return os.path.join(folder, summary["db"]), summary["run_id"]


def _env(tree: str) -> dict:
    return {**os.environ, "PYTHONPATH": tree}


def one_turn(tree: str, db: str, run_id: str, folder: str) -> dict:
    """One tree's figures, measured in a fresh process that writes its report into ``folder``."""
    os.makedirs(folder, exist_ok=True)
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--measure", "--db", db, "--run", run_id,
                           "--out", folder], capture_output=True, text=True, env=_env(tree), cwd=folder)
    if proc.returncode != 0:
        raise SystemExit(f"measuring {tree} failed: {proc.stderr.strip()[-800:]}")
    return json.loads(proc.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", help="git ref of tree B (default: the last tree drawing with matplotlib)")
    parser.add_argument("--db")
    parser.add_argument("--run")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.db, args.run, args.out)))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        b_tree = os.path.join(folder, "before")
        os.mkdir(b_tree)
        b_commit = before_tree(args.against, b_tree)
        print(f"load average at start {os.getloadavg()[0]:.1f}; {os.cpu_count()} cores; B = {b_commit}", flush=True)
        db, run_id = (args.db, args.run) if args.db else quickstart_run(folder)
        turns: dict[str, list[dict]] = {"A": [], "B": []}
        for _ in range(args.rounds):
            for side, tree in (("A", ROOT), ("B", b_tree)):
                out = os.path.join(folder, f"reports-{side}")
                turns[side].append(one_turn(tree, os.path.abspath(db), run_id, out))
    _print(turns)
    return 0


def _print(turns: dict) -> None:
    counts = {side: {t["count"] for t in ts} for side, ts in turns.items()}
    print(f"plots drawn per page: A {sorted(counts['A'])}, B {sorted(counts['B'])}; "
          f"medians over {len(turns['A'])} rounds, seconds")
    print(f"{'':12} {'A (this tree)':>14} {'B (matplotlib)':>15} {'B / A':>8}")
    for metric in METRICS:
        a = statistics.median(t[metric] for t in turns["A"])
        b = statistics.median(t[metric] for t in turns["B"])
        print(f"{metric:12} {a:14.4f} {b:15.4f} {b / a:7.1f}x")
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.exit(main())
