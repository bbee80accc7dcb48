"""Sweep passes, in one more table of the results store (keyed by run,
worker count and engine)."""
from __future__ import annotations

_SCHEMA = """CREATE TABLE IF NOT EXISTS sweep_passes (
    run_id TEXT, mode TEXT, workers INTEGER, engine TEXT, tasks INTEGER, failed INTEGER, seconds REAL,
    kind TEXT, PRIMARY KEY (run_id, workers, engine))"""
FIELDS = ("run_id", "mode", "workers", "engine", "tasks", "failed", "seconds", "kind")

#: the engine name of a pass over every task of the run at once
ALL = "all engines"


def put_point(store, point: dict) -> None:
    store.db.execute(_SCHEMA)
    store.db.execute(f"INSERT OR REPLACE INTO sweep_passes VALUES ({', '.join('?' * len(FIELDS))})",
                     tuple(point[k] for k in FIELDS))


def points(store, run_id: str) -> list[dict]:
    """A run's sweep passes by engine, then worker count, with throughput (tasks per second)."""
    store.db.execute(_SCHEMA)
    rows = store.db.execute(f"SELECT {', '.join(FIELDS)} FROM sweep_passes WHERE run_id=? "
                            "ORDER BY engine, workers", (run_id,)).fetchall()
    out = [dict(zip(FIELDS, row)) for row in rows] or _first_format(store, run_id)
    for p in out:
        p["throughput"] = p["tasks"] / p["seconds"] if p["seconds"] else None
    return out


def _first_format(store, run_id: str) -> list[dict]:
    """Sweeps stored by diffbench 0.1 (table ``scaling``: one pass of all engines)."""
    if not store.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='scaling'").fetchone():
        return []
    rows = store.db.execute("SELECT run_id, mode, workers, tasks, failed, seconds, kind FROM scaling "
                            "WHERE run_id=? ORDER BY workers", (run_id,))
    return [dict(zip(FIELDS, (r[0], r[1], r[2], ALL, *r[3:]))) for r in rows]
