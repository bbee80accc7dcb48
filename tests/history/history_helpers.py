"""A synthetic history: a store holding many finished runs of one job,
each cell's median and status chosen by the test."""
from __future__ import annotations

from diffbench.jobs.records import make_record
from diffbench.jobs.store import Store

ENV = {"cpu": "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "cpu_count": 2, "hostname": "a",
       "platform": "Linux-6.1.0-x86_64-with-glibc2.36", "blas": {"library": "openblas"},
       "versions": {"diffbench": "0.1.0", "numpy": "2.0"}}


def task(n=10, engine="tape", quantity="gradient", function="f") -> dict:
    return {"key": f"{function}|{engine}|{quantity}|n={n}", "function": function, "expr": "sum(x)", "wrt": ["x"],
            "engine": engine, "quantity": quantity, "sizes": {"n": n}, "job_version": 1}


def add_run(store: Store, index: int, cells: dict, job="nightly", env=None) -> str:
    """``cells``: task -> (status, median, spread, accuracy); one finished run."""
    run_id = f"2026010{index // 10}-{index % 10:02d}0000-r{index:03d}"
    started = f"2026-01-{1 + index // 24:02d}T{index % 24:02d}:00:00+00:00"
    tasks = [t for t in cells]
    store.create_run({"run_id": run_id, "job_name": job, "description": "", "job": {"version": 1},
                      "job_text": "", "started": started, "cluster": {}, "env": {}}, [dict(t) for t in tasks])
    for t, (status, median, spread, accuracy) in cells.items():
        fields = {"status": status, "median": median, "spread": spread, "times": [median] if median else [],
                  "accuracy": accuracy, "reference": "fd" if accuracy is not None else None,
                  "message": "" if status == "ok" else "boom"}
        store.put(make_record(dict(t), run_id, fields, dict(env or ENV), 1, started))
    store.finish(run_id, "finished", started)
    return run_id


class Key(dict):
    """A task usable as a dict key (tests only)."""

    def __hash__(self):
        return hash(self["key"])


def make_history(path, series: list[tuple], **task_kw) -> list[str]:
    """One run per item of ``series`` (status, median, spread, accuracy)."""
    store, key = Store(path), Key(task(**task_kw))
    ids = [add_run(store, i, {key: point}) for i, point in enumerate(series)]
    store.close()
    return ids
