"""The results store: idempotent keys, the read API the report codes against."""
from __future__ import annotations

import subprocess
import sys

from diffbench.jobs.records import KEYS, lost_record, make_record, now
from diffbench.jobs.store import Store

TASKS = [{"key": f"f|tape|value|n={n}", "function": "f", "expr": "sum(x)", "wrt": ["x"], "engine": "tape",
          "quantity": "value", "sizes": {"n": n}, "job_version": 1} for n in (1, 2, 3)]


def new_run(store: Store, run_id="r1") -> None:
    store.create_run({"run_id": run_id, "job_name": "j", "description": "d", "job": {"version": 1},
                      "job_text": "version = 1", "started": now(), "cluster": {"workers": 2}, "env": {}}, TASKS)


def record(task, run_id="r1", status="ok"):
    return make_record(task, run_id, {"status": status, "times": [1.0], "median": 1.0}, {"cpu": "x"}, 1, now())


def test_a_result_is_stored_once_whatever_happens(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    new_run(store)
    assert store.put(record(TASKS[0]))
    assert not store.put(record(TASKS[0], status="failed"))  # a re-run after a worker died
    assert [r["status"] for r in store.results("r1")] == ["ok"]
    assert [t["key"] for t in store.tasks("r1", missing_only=True)] == [t["key"] for t in TASKS[1:]]


def test_read_api(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    new_run(store)
    for task in TASKS:
        store.put(record(task))
    store.finish("r1", "finished", now())
    run = Store(tmp_path / "s.sqlite").run("r1")
    assert run["planned"] == run["done"] == 3 and run["status"] == "finished"
    assert {"run_id", "job_name", "description", "job", "job_text", "planned", "status", "started",
            "finished", "cluster", "env"} <= set(run)
    results = store.results("r1")
    assert [r["sizes"]["n"] for r in results] == [1, 2, 3]
    assert set(results[0]) == set(KEYS)
    assert [r["run_id"] for r in store.runs()] == ["r1"]
    assert store.resolve("r") == "r1" and store.resolve(None) == "r1"


def test_lost_task_record_has_every_key():
    rec = lost_record(TASKS[0], "r1", "KilledWorker: ...", 3)
    assert set(rec) == set(KEYS) and rec["status"] == "failed" and rec["attempts"] == 3


def test_a_run_whose_submitter_died_reads_as_interrupted(tmp_path):
    path = tmp_path / "s.sqlite"
    code = ("import sys; sys.path.insert(0, %r); from test_job_store import *; "
            "new_run(Store(%r), 'dead')") % (str(__import__('pathlib').Path(__file__).parent), str(path))
    subprocess.run([sys.executable, "-c", code], check=True)
    assert Store(path).run("dead")["status"] == "interrupted"


def test_a_run_id_prefix_is_taken_literally(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    new_run(store, "20260101-aaaa")
    new_run(store, "20260101-abcd")
    assert store.resolve("20260101-ab") == "20260101-abcd"
    for wildcard in ("20260101-a_cd", "%abcd", "_"):  # LIKE would have matched these
        try:
            store.resolve(wildcard)
        except KeyError as err:
            assert f"no run {wildcard!r}" in err.args[0]
        else:
            raise AssertionError(f"{wildcard!r} resolved to a run")


def test_reading_sweep_passes_writes_nothing(tmp_path):
    import sqlite3

    from diffbench.scaling.passes import points, put_point

    store = Store(tmp_path / "s.sqlite")
    new_run(store)
    put_point(store, {"run_id": "r1", "mode": "strong", "workers": 1, "engine": "tape", "tasks": 4, "failed": 0,
                      "seconds": 2.0, "kind": "local"})

    def reads_only(action, *args):  # a reader must not need a write lock (a server may hold the store)
        return sqlite3.SQLITE_OK if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ,
                                               sqlite3.SQLITE_FUNCTION) else sqlite3.SQLITE_DENY

    store.db.set_authorizer(reads_only)
    assert [(p["workers"], p["throughput"]) for p in points(store, "r1")] == [(1, 2.0)]
