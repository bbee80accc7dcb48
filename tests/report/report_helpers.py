"""Test fixtures: runs fabricated through the real Store API.

The numbers are made up (clearly: engine names are real, times follow
chosen power laws) so the summary's verdicts and slopes are known in
advance.  User text deliberately carries HTML and ``</script>``.
"""
from __future__ import annotations

import json
from pathlib import Path

from diffbench.jobs.store import Store

XSS_DESCRIPTION = "<script>window.pwned=1</script> quadratic & friends"
XSS_MESSAGE = 'TypeError: bad input "<img src=x onerror=window.pwned2=1>" </script><script>window.pwned3=1</script>'
JOB_TEXT = 'version = 1\nname = "fixture"\ndescription = "</script><script>window.pwned4=1</script>"\n'
ENV = {"versions": {"python": "3.11", "numpy": "2.0"}, "hostname": "fixture-host", "cpu": "Test CPU",
       "cpu_count": 2, "platform": "Linux-test"}

# time ~ scale * n^power: symbolic beats tape everywhere; the tape Hessian grows like n^3
POWER_LAWS = {("symbolic", "value"): (1e-7, 2), ("symbolic", "gradient"): (2e-7, 2),
              ("symbolic", "hessian"): (3e-7, 2), ("tape", "value"): (2e-7, 2),
              ("tape", "gradient"): (6e-7, 2), ("tape", "hessian"): (1e-8, 3)}
SIZES = (10, 30, 100)


def task(function: str, engine: str, quantity: str, n: int, expr: str = "x'*A*x") -> dict:
    return {"key": f"{function}|{engine}|{quantity}|n={n}", "function": function, "catalogue": None,
            "expr": expr, "shapes": {"x": "n", "A": "n,n"}, "wrt": ["x"], "engine": engine,
            "quantity": quantity, "sizes": {"n": n}}


def record(run_id: str, t: dict, status: str = "ok", median: float | None = None, accuracy: float | None = 1e-12,
           reference: str | None = "fd", message: str = "", stats: dict | None = None) -> dict:
    ok = status == "ok"
    times = [median * f for f in (0.98, 1.0, 1.03)] if ok and median else []
    return {"run_id": run_id, "task_key": t["key"], "function": t["function"], "expr": t["expr"],
            "wrt": t["wrt"], "engine": t["engine"], "quantity": t["quantity"], "sizes": t["sizes"],
            "status": status, "message": message, "times": times, "median": median if ok else None,
            "spread": 0.05 * median if ok and median else None, "inner_loops": 10 if ok else None,
            "prepare_seconds": 1e-3 if ok else None, "peak_bytes": 8 * t["sizes"]["n"] ** 2 if ok else None,
            "accuracy": accuracy if ok else None, "reference": reference if ok else None,
            "stats": stats or {}, "env": ENV, "attempts": 1,
            "started": "2026-01-02T03:04:05.000+00:00", "finished": "2026-01-02T03:04:06.000+00:00"}


def new_run(store: Store, run_id: str, tasks: list[dict], description: str = XSS_DESCRIPTION) -> None:
    store.create_run({"run_id": run_id, "job_name": "fixture", "description": description,
                      "job": {"name": "fixture", "engines": ["symbolic", "tape", "fd"]}, "job_text": JOB_TEXT,
                      "started": "2026-01-02T03:04:00.000+00:00",
                      "cluster": {"kind": "local", "workers": 2, "threads": 2}, "env": ENV}, tasks)


def full_run(db: Path, run_id: str = "20260102-030400-aaaa") -> Store:
    """A finished run: one healthy function, one with every kind of failure,
    one disagreement, and fd errors at several steps."""
    store = Store(db)
    tasks = [task("quad", e, q, n) for n in SIZES for (e, q) in POWER_LAWS]
    tasks += [task("quad", "fd", "gradient", n) for n in SIZES]
    broken = [task("broken</script>", e, "hessian", 10, expr="x'*A*x <script>") for e in ("symbolic", "tape")]
    broken += [task("broken</script>", e, "gradient", 10, expr="x'*A*x <script>") for e in ("symbolic", "tape")]
    new_run(store, run_id, tasks + broken)
    for t in tasks:
        store.put(_fabricate(run_id, t))
    store.put(record(run_id, broken[0], "timeout", message="exceeded the task's time limit (60 s)"))
    store.put(record(run_id, broken[1], "oom", message="MemoryError: exceeded the task's memory limit (2048 MiB)"))
    store.put(record(run_id, broken[2], "unsupported", message="unsupported: no rule for <script>"))
    store.put(record(run_id, broken[3], "failed", message=XSS_MESSAGE))
    store.finish(run_id, "finished", "2026-01-02T03:09:30.000+00:00")
    return store


def _fabricate(run_id: str, t: dict) -> dict:
    n, key = t["sizes"]["n"], (t["engine"], t["quantity"])
    if t["engine"] == "fd":
        steps = {"step_errors": [[h, 1e-9 * h * h / 1e-8 + 1e-16 / h] for h in (1e-2, 1e-4, 1e-6, 1e-8, 1e-10)]}
        return record(run_id, t, median=1e-6 * n ** 2, accuracy=3e-9, reference="tape", stats=steps)
    scale, power = POWER_LAWS[key]
    # the tape Hessian at n=100 disagrees with fd (error above the fd threshold)
    accuracy = 5e-3 if key == ("tape", "hessian") and n == 100 else 1e-11
    memory = {"call_peak_bytes": 8 * n * n, "call_peak_measure": "tracemalloc"}
    return record(run_id, t, median=scale * n ** power, accuracy=accuracy, stats=memory)


def partial_run(db: Path, run_id: str = "20260103-000000-bbbb") -> Store:
    """A run still in progress (this process owns it): half its tasks done."""
    store = Store(db)
    tasks = [task("quad", e, q, n) for n in SIZES for (e, q) in POWER_LAWS]
    new_run(store, run_id, tasks, description="in progress")
    for t in tasks[: len(tasks) // 2]:
        store.put(_fabricate(run_id, t))
    return store


def embedded_data(html: str) -> dict:
    start = html.index('<script type="application/json" id="run-data">') + len(
        '<script type="application/json" id="run-data">')
    return json.loads(html[start: html.index("</script>", start)])


def scheduled_history(db: Path, runs: int = 6) -> Store:
    """A scheduled job's history: ``runs`` nightly runs of the same cells,
    the tape Hessian 60 % slower from the last two on, and a worker sweep
    stored with the last run."""
    from diffbench.scaling.passes import ALL, put_point

    store = Store(db)
    tasks = [task("quad", e, q, n) for n in SIZES for (e, q) in POWER_LAWS]
    for i in range(runs):
        run_id = f"2026010{i + 1}-030000-h{i:03d}"
        store.create_run({"run_id": run_id, "job_name": "nightly", "description": "", "job_text": JOB_TEXT,
                          "job": {"name": "nightly", "engines": ["symbolic", "tape"]},
                          "started": f"2026-01-0{i + 1}T03:00:00.000+00:00", "cluster": {}, "env": ENV}, tasks)
        for t in tasks:
            rec = _fabricate(run_id, t)
            if (t["engine"], t["quantity"]) == ("tape", "hessian") and i >= runs - 2:
                rec = {**rec, "median": rec["median"] * 1.6, "spread": rec["spread"] * 1.6}
            store.put({**rec, "started": f"2026-01-0{i + 1}T03:00:00.000+00:00"})
        store.finish(run_id, "finished", f"2026-01-0{i + 1}T03:10:00.000+00:00")
    for engine, share in (("symbolic", 0.4), ("tape", 0.6), (ALL, 1.0)):
        for workers, seconds in ((1, 10.0), (2, 5.6)):
            put_point(store, {"run_id": run_id, "mode": "strong", "workers": workers, "engine": engine,
                              "tasks": int(18 * share) if engine != ALL else 18, "failed": 0,
                              "seconds": seconds * share, "kind": "local"})
    return store
