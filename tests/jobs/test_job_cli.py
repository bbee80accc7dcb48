"""The job commands end to end, in fresh processes: submit on a local
cluster, status, runs, export; and the one-line errors that leave the
store untouched."""
from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys

import pytest

from conftest import diffbench, job_text

SUMMARY_KEYS = {"run_id", "job", "status", "planned", "done", "db", "report",
                "ok", "failed", "timeout", "oom", "unsupported", "skipped"}
HOG_FUNCTION = """[[functions]]
name = "g"
expr = "sum(x)"
shapes = {{ x = "n" }}
sizes = {{ n = {sizes} }}
engines = ["hog"]
"""


def test_submit_status_runs_export_on_a_local_cluster(write_job, tmp_path):
    # sleep 600 s overruns the 15 s limit whatever the load; the limit is generous so
    # that the hog's 3000 MiB pass its 300 MiB budget first, and the quick cells
    # finish, on a busy machine too (with 2 s, a starved child could time out first)
    hog = HOG_FUNCTION.format(sizes=[1, 3000])
    path = write_job(job_text(engines=("noop", "sleep", "boom", "nope"), sizes=(1, 600_000),
                              timeout="15s", memory="300MiB") + hog)
    proc = diffbench("submit", path, "--workers", "2", "--json", cwd=tmp_path, check=True)
    summary = json.loads(proc.stdout)
    assert set(summary) == SUMMARY_KEYS
    assert summary["status"] == "finished" and summary["planned"] == summary["done"] == 10
    assert (summary["ok"], summary["timeout"], summary["oom"], summary["failed"], summary["unsupported"]) \
        == (4, 1, 1, 2, 2)
    assert summary["report"] == f"reports/{summary['run_id']}.html"
    assert (tmp_path / "diffbench.sqlite").exists()  # default store: the working directory

    status = json.loads(diffbench("status", "--json", cwd=tmp_path, check=True).stdout)
    assert status["run_id"] == summary["run_id"] and status["missing"] == 0
    assert summary["run_id"] in diffbench("runs", cwd=tmp_path, check=True).stdout

    out = diffbench("export", summary["run_id"][:10], "--format", "csv", cwd=tmp_path, check=True)
    with open(tmp_path / out.stdout.strip()) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 10 and {r["status"] for r in rows} == {"ok", "timeout", "oom", "failed", "unsupported"}
    assert all(json.loads(r["env"])["versions"]["diffbench"] for r in rows if r["status"] == "ok")


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path):
    from diffbench.jobs.store import Store
    from test_job_store import new_run

    new_run(Store(tmp_path / "s.sqlite"))
    # pyarrow made unimportable in the child, whether or not it is installed here
    blocked = ("import sys; sys.modules['pyarrow'] = sys.modules['pyarrow.parquet'] = None; "
               "from diffbench.cli.main import main; main()")
    proc = subprocess.run([sys.executable, "-c", blocked, "export", "r1", "--format", "parquet", "--db",
                           str(tmp_path / "s.sqlite")], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "needs pyarrow" in proc.stderr
    assert not list(tmp_path.glob("*.parquet"))


def test_export_to_a_folder_or_a_missing_folder_is_one_error_line(tmp_path):
    """export -o DIR and -o missing/a.csv were IsADirectoryError / FileNotFoundError tracebacks."""
    from diffbench.jobs.store import Store
    from test_job_store import TASKS, new_run, record

    store = Store(tmp_path / "s.sqlite")
    new_run(store)
    store.put(record(TASKS[0]))
    for target in (tmp_path, tmp_path / "missing" / "a.csv"):
        proc = diffbench("export", "r1", "--db", tmp_path / "s.sqlite", "-o", target, cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.startswith(f"error: cannot write the export to {target}: "), proc.stderr


def test_parquet_export_round_trips(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (pip install -e '.[parquet]')")
    from diffbench.jobs.store import Store
    from test_job_store import TASKS, new_run, record

    store = Store(tmp_path / "s.sqlite")
    new_run(store)
    store.put(record(TASKS[0]))
    store.put(record(TASKS[1], status="timeout"))
    out = diffbench("export", "r1", "--format", "parquet", "--db", tmp_path / "s.sqlite", cwd=tmp_path, check=True)
    table = pq.read_table(tmp_path / out.stdout.strip()).to_pylist()
    assert [r["status"] for r in table] == ["ok", "timeout"] and table[0]["median"] == 1.0
    assert json.loads(table[0]["sizes"]) == TASKS[0]["sizes"]  # dicts as JSON text, as in CSV


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BAD_JOBS = {
    "malformed": ("version = 1\nname = ", "not valid TOML"),
    "unknown catalogue": (job_text().replace('name = "f"\nexpr = "sum(x)"\nshapes = { x = "n" }',
                                             'catalogue = "quadratic_from"'), "did you mean 'quadratic_form'"),
    "bad expression": (job_text().replace("sum(x)", "sum(x"), "functions[0].expr: bad expression"),
    "unknown engine": (job_text(engines=("noop", "tapee")), "engines[1]: unknown engine 'tapee'"),
}


@pytest.mark.parametrize("case", sorted(BAD_JOBS))
def test_bad_job_is_one_line_and_writes_nothing(write_job, tmp_path, case):
    text, expected = BAD_JOBS[case]
    path = write_job(text)
    proc = diffbench("submit", path, "--workers", "1", cwd=tmp_path)
    assert proc.returncode == 2
    first = proc.stderr.splitlines()[0]
    assert first.startswith(f"error: {path}: ") and expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "diffbench.sqlite").exists()


def test_unreachable_scheduler_is_one_line_and_writes_nothing(write_job, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    proc = diffbench("submit", write_job(), "--scheduler", address, "--connect-timeout", "2", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and f"cannot reach the dask scheduler at {address}" in proc.stderr
    assert not (tmp_path / "diffbench.sqlite").exists()


def test_an_engine_module_that_cannot_be_imported_is_one_error_line(write_job, tmp_path):
    import os

    env = {**os.environ, "DIFFBENCH_ENGINE_MODULES": "no_such_engines_module"}
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "submit", str(write_job()), "--workers", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: DIFFBENCH_ENGINE_MODULES: cannot import 'no_such_engines_module' (No module named "
        "'no_such_engines_module'); expected importable modules that register engines, comma-separated"]
    assert not (tmp_path / "diffbench.sqlite").exists()
