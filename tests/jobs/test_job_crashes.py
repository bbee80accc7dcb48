"""Runs that must not be lost: a task that errors inside dask, a worker
killed with dask allowed no retries, and sizes too large to be array sizes.
Real dask processes on 127.0.0.1 and real SQLite files throughout."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest

from conftest import DaskProcesses, diffbench, job_text
from diffbench.jobs.plan import plan
from diffbench.jobs.scheduler import drive, record_run
from diffbench.jobs.spec import parse_job
from diffbench.jobs.store import Store

pytestmark = pytest.mark.slow


def recorded_run(db, text: str, **task_fields) -> tuple[Store, str, list[dict]]:
    """A run recorded straight into the store, its tasks changed by ``task_fields``
    (what validation now refuses, as a store written by an older version holds)."""
    job = parse_job(text, "job")
    tasks = [dict(t, **task_fields) for t in plan(job)]
    store = Store(db)
    return store, record_run(store, job, text, tasks, {}), tasks


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    """One scheduler and worker for the tests that only need somewhere to run."""
    cluster = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        cluster.add_worker()
        cluster.wait_for_workers(1)
        yield cluster
    finally:
        cluster.close()


def test_a_task_that_errors_inside_dask_is_stored_as_failed(shared_cluster, tmp_path):
    from distributed import Client

    # a time limit of nan or inf makes the worker's own code raise (inside
    # dask, outside the sandbox); validation refuses both now, older stores may hold them
    store, run_id, tasks = recorded_run(tmp_path / "s.sqlite", job_text(sizes=(1, 2)))
    tasks[0]["timeout"], tasks[1]["timeout"] = float("nan"), float("inf")
    with Client(shared_cluster.address, timeout=30) as client:
        drive(client, store, run_id, tasks)
    results = store.results(run_id)
    assert store.run(run_id)["status"] == "finished" and len(results) == 2
    assert {r["status"] for r in results} == {"failed"}
    assert all(r["message"] and "tuple" not in r["message"] for r in results)


@pytest.fixture
def no_retry_cluster(tmp_path, monkeypatch):
    """Two workers under a scheduler that gives a task up at its first lost worker."""
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "0")
    cluster = DaskProcesses(tmp_path)
    try:
        cluster.add_worker()
        cluster.add_worker()
        cluster.wait_for_workers(2)
        yield cluster
    finally:
        cluster.close()


def test_killed_worker_is_stored_as_failed(no_retry_cluster, write_job, tmp_path):
    import subprocess
    import sys

    db = tmp_path / "s.sqlite"
    job = write_job(job_text(engines=("sleep",), sizes=tuple(range(400, 406)), repeat=1))
    proc = subprocess.Popen([sys.executable, "-m", "diffbench.cli.main", "submit", str(job), "--scheduler",
                             no_retry_cluster.address, "--db", str(db), "--reports", str(tmp_path / "r"),
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_results(db, 1, proc)
    os.kill(no_retry_cluster.workers[0].pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["status"] == "finished" and summary["done"] == summary["planned"] == 6
    lost = [r for r in Store(db).results(summary["run_id"]) if r["status"] != "ok"]
    assert lost and all(r["status"] == "failed" and "KilledWorker" in r["message"] for r in lost)


def _wait_for_results(db, count, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if db.exists():
            store = Store(db)
            runs = store.runs()
            store.close()
            if runs and runs[-1]["done"] >= count:
                return
        time.sleep(0.05)
    raise AssertionError("results did not arrive")


TOO_LARGE = {"formula": '{ n = [100000000000000], m = "n*n*n*n" }',
             "deep": '{ n = [5], m = "' + "(" * 5000 + "n" + ")" * 5000 + '" }',
             "listed": "{ n = [1" + "0" * 30 + "], m = 1 }"}


def two_vector_job(sizes: str) -> str:
    text = job_text().replace('expr = "sum(x)"', 'expr = "sum(x) + sum(y)"') \
        .replace('shapes = { x = "n" }', 'shapes = { x = "n", y = "m" }')
    return text[:text.index("sizes = {")] + f"sizes = {sizes}\n"


@pytest.mark.parametrize("case", TOO_LARGE)
def test_sizes_too_large_are_a_one_line_error(write_job, case):
    from diffbench.errors import UserError
    from diffbench.jobs.checks import load_job

    with pytest.raises(UserError) as err:
        load_job(write_job(two_vector_job(TOO_LARGE[case])))
    assert "functions[0].sizes." in str(err.value) and "\n" not in str(err.value)
    assert len(str(err.value)) < 300


def test_submit_refuses_too_large_sizes_before_anything_is_recorded(write_job, tmp_path):
    proc = diffbench("submit", write_job(two_vector_job(TOO_LARGE["formula"])), "--db", tmp_path / "s.sqlite",
                     "--workers", "1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "too large" in proc.stderr
    assert not (tmp_path / "s.sqlite").exists()


def test_resume_finishes_a_run_recorded_with_absurd_sizes(shared_cluster, tmp_path):
    from diffbench.jobs.scheduler import Target, resume

    db = tmp_path / "s.sqlite"
    store, run_id, _ = recorded_run(db, job_text(sizes=(1,)), sizes={"n": 10**400})
    store.finish(run_id, "interrupted", None)
    summary = resume(run_id, Target(address=shared_cluster.address, db=str(db), reports=str(tmp_path / "r")))
    assert summary["status"] == "finished" and summary["failed"] + summary["oom"] == 1
