"""Faults survived with real processes: a dask worker SIGKILLed mid-run,
and the submitting process SIGKILLed mid-run then resumed.  Either way the
run ends with exactly one result per planned task."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import diffbench, job_text
from diffbench.jobs.store import Store

pytestmark = pytest.mark.slow
TASKS = 16


def start_submit(job, db, address) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "diffbench.cli.main", "submit", str(job), "--scheduler",
                             address, "--db", str(db), "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(db).parent)  # its report goes there


def wait_for_results(db, count: int, proc: subprocess.Popen, timeout=60) -> str:
    """The run id, once ``count`` results are stored."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if db.exists():
            store = Store(db)
            runs = store.runs()
            if runs and runs[-1]["done"] >= count:
                return runs[-1]["run_id"]
            store.close()
        time.sleep(0.1)
    raise AssertionError("results did not arrive")


def wait_for_results_from_each_worker(db, workers: int, proc: subprocess.Popen, timeout=120) -> str:
    """The run id, once every one of ``workers`` workers has stored a result (on a busy
    machine one worker's sandbox child can take longer to warm up than a task lasts, so
    the first results may all come from the other)."""
    run_id = wait_for_results(db, 1, proc, timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        store = Store(db)
        seen = {r["env"].get("worker") for r in store.results(run_id)}
        store.close()
        if len(seen - {None}) >= workers:
            return run_id
        time.sleep(0.1)
    raise AssertionError(f"results from {workers} workers did not arrive")


def assert_complete(db, run_id: str) -> list[dict]:
    store = Store(db)
    results = store.results(run_id)
    keys = [r["task_key"] for r in results]
    assert len(keys) == len(set(keys)) == store.run(run_id)["planned"] == TASKS
    assert store.run(run_id)["status"] == "finished"
    return results


def sleepy_job(write_job):
    # 16 tasks of ~0.5 s each (a warm-up call and one sample of 250 ms)
    return write_job(job_text(engines=("sleep",), sizes=tuple(range(250, 250 + TASKS)), repeat=1))


def test_worker_killed_mid_run(dask_cluster, write_job, tmp_path):
    db = tmp_path / "s.sqlite"
    proc = start_submit(sleepy_job(write_job), db, dask_cluster.address)
    run_id = wait_for_results_from_each_worker(db, 2, proc)
    os.kill(dask_cluster.workers[0].pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["planned"] == summary["done"] == TASKS
    results = assert_complete(db, run_id)
    lost = [r for r in results if r["status"] != "ok"]
    assert all("KilledWorker" in r["message"] for r in lost)  # re-run elsewhere, or failed after bounded tries
    assert len({r["env"].get("worker") for r in results if r["status"] == "ok"}) == 2


def test_submitter_killed_then_resumed(dask_cluster, write_job, tmp_path):
    db = tmp_path / "s.sqlite"
    proc = start_submit(sleepy_job(write_job), db, dask_cluster.address)
    run_id = wait_for_results(db, 3, proc)
    proc.kill()
    proc.communicate()
    status = json.loads(diffbench("status", run_id, "--db", db, "--json", check=True).stdout)
    assert status["status"] == "interrupted" and 3 <= status["done"] < TASKS

    resumed = diffbench("resume", run_id, "--db", db, "--scheduler", dask_cluster.address, "--json", cwd=tmp_path,
                        check=True, timeout=180)
    summary = json.loads(resumed.stdout)
    assert summary["status"] == "finished" and summary["done"] == TASKS
    results = assert_complete(db, run_id)
    assert all(r["status"] == "ok" for r in results)
    assert max(r["attempts"] for r in results) == 2  # the resumed tasks were sent a second time


def run_data(report: Path) -> dict:
    html = report.read_text(encoding="utf-8")
    start = html.index('<script type="application/json" id="run-data">')
    return json.loads(html[html.index(">", start) + 1: html.index("</script>", start)])


def assert_reported_with_a_resume_line(summary: dict, err: str, db, cwd) -> str:
    """The report of an interrupted run holds what finished; stderr ends with
    the command that runs the rest (returned, as words)."""
    run = Store(db).run(summary["run_id"])
    assert run["status"] == summary["status"] == "interrupted" and summary["done"] == run["done"] < TASKS
    data = run_data(cwd / summary["report"])
    assert sorted(r["task_key"] for r in data["results"]) == sorted(r["task_key"] for r in Store(db).results(
        summary["run_id"]))
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"interrupted: {summary['done']} of {TASKS} tasks have results"), err
    return last.split("`")[1].split()


def test_sigterm_marks_the_run_interrupted_reports_it_and_says_how_to_resume(dask_cluster, write_job, tmp_path):
    db = tmp_path / "s.sqlite"
    proc = start_submit(sleepy_job(write_job), db, dask_cluster.address)
    run_id = wait_for_results(db, 1, proc)
    proc.terminate()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    summary = json.loads(out)
    assert summary["run_id"] == run_id
    command = assert_reported_with_a_resume_line(summary, err, db, tmp_path)
    assert command == ["diffbench", "resume", run_id, "--db", str(db)]
    resumed = diffbench(*command[1:], "--scheduler", dask_cluster.address, "--json", cwd=tmp_path, check=True)
    assert json.loads(resumed.stdout)["status"] == "finished"
    assert_complete(db, run_id)


def test_ctrl_c_on_a_local_cluster_reports_what_finished(write_job, tmp_path):
    """Ctrl-C in a terminal signals the whole process group: the submitter,
    the local cluster's workers and their sandbox children.  Only the
    submitter answers: the run stops, its report is written, and no
    worker's KeyboardInterrupt traceback buries that."""
    proc = subprocess.Popen([sys.executable, "-m", "diffbench.cli.main", "submit", str(sleepy_job(write_job)),
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path, start_new_session=True)
    try:
        wait_for_results(tmp_path / "diffbench.sqlite", 2, proc)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    run_id = out.split()[1]
    summary = {**Store(tmp_path / "diffbench.sqlite").run(run_id), "report": f"reports/{run_id}.html"}
    assert f"report: reports/{run_id}.html" in out
    command = assert_reported_with_a_resume_line(summary, err, tmp_path / "diffbench.sqlite", tmp_path)
    assert command == ["diffbench", "resume", run_id]  # the default store: no --db
