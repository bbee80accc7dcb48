"""The result record: one dict per task, with the keys the report writer
codes against (keep them stable)."""
from __future__ import annotations

from datetime import datetime, timezone

# skipped: never sent, a smaller size of the same series gave out (diffbench.jobs.frontier)
STATUSES = ("ok", "failed", "timeout", "oom", "unsupported", "skipped")
KEYS = ("run_id", "task_key", "function", "expr", "wrt", "engine", "quantity", "sizes", "status",
        "message", "times", "median", "spread", "inner_loops", "prepare_seconds", "peak_bytes",
        "accuracy", "reference", "stats", "env", "attempts", "started", "finished")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def make_record(task: dict, run_id: str, fields: dict, env: dict, attempts: int, started: str) -> dict:
    """A full record from the task, what the sandbox measured and where."""
    stats = dict(fields.get("stats") or {})
    ok = fields["status"] == "ok"
    for key in ("reference_note", "step_note", "reference_warnings",  # from the reference phase
                *(("step_errors", "zo_errors") if ok else ())):
        if fields.get(key):
            stats[key] = fields[key]
    # a cell failed after it was timed (its output or accuracy not finite: the inputs are
    # outside the function's domain) keeps no timings: they would be read as a valid cell's
    timed = {key: fields.get(key) for key in ("median", "spread", "inner_loops", "peak_bytes")} if ok else {}
    return {
        "run_id": run_id, "task_key": task["key"], "function": task["function"], "expr": task["expr"],
        "wrt": list(task["wrt"]), "engine": task["engine"], "quantity": task["quantity"],
        "sizes": dict(task["sizes"]), "status": fields["status"], "message": fields.get("message", ""),
        "times": fields.get("times", []) if ok else [], "median": timed.get("median"),
        "spread": timed.get("spread"), "inner_loops": timed.get("inner_loops"),
        "prepare_seconds": fields.get("prepare_seconds"), "peak_bytes": timed.get("peak_bytes"),
        "accuracy": fields.get("accuracy"),
        "reference": fields.get("reference"), "stats": stats, "env": env, "attempts": attempts,
        "started": started, "finished": now(),
    }


def lost_record(task: dict, run_id: str, message: str, attempts: int) -> dict:
    """For a task dask gave up on (its workers kept dying): status failed."""
    return make_record(task, run_id, {"status": "failed", "message": message}, {}, attempts, now())
