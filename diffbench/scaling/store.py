"""Sweep points, in one more table of the results store (keyed by run)."""
from __future__ import annotations

_SCHEMA = """CREATE TABLE IF NOT EXISTS scaling (
    run_id TEXT, mode TEXT, workers INTEGER, tasks INTEGER, failed INTEGER, seconds REAL, kind TEXT,
    PRIMARY KEY (run_id, workers))"""
FIELDS = ("run_id", "mode", "workers", "tasks", "failed", "seconds", "kind")


def put_point(store, point: dict) -> None:
    store.db.execute(_SCHEMA)
    store.db.execute("INSERT OR REPLACE INTO scaling VALUES (?,?,?,?,?,?,?)", tuple(point[k] for k in FIELDS))


def points(store, run_id: str) -> list[dict]:
    """A run's sweep, by worker count, with throughput (tasks per second)."""
    store.db.execute(_SCHEMA)
    rows = store.db.execute(f"SELECT {', '.join(FIELDS)} FROM scaling WHERE run_id=? ORDER BY workers", (run_id,))
    out = [dict(zip(FIELDS, row)) for row in rows]
    for p in out:
        p["throughput"] = p["tasks"] / p["seconds"] if p["seconds"] else None
    return out
