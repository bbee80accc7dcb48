"""Sweep passes (kept by the results store, keyed by run, worker count and
engine), with their throughput."""
from __future__ import annotations

from ..jobs.store import ALL_ENGINES as ALL  # noqa: F401 -- the pass over every engine at once
from ..jobs.store import SWEEP_FIELDS as FIELDS  # noqa: F401


def put_point(store, point: dict) -> None:
    store.put_sweep_pass(point)


def points(store, run_id: str) -> list[dict]:
    """A run's sweep passes by engine, then worker count, with throughput (tasks per second)."""
    out = store.sweep_passes(run_id)
    for p in out:
        p["throughput"] = p["tasks"] / p["seconds"] if p["seconds"] else None
    return out
