"""Job files that name a Python function (``python = "module:function"``):
imported and traced on the workers, refused by the HTTP service unless
allowed."""
from __future__ import annotations

import csv
import json

import pytest

from conftest import diffbench

MODULE = '''
import diffbench.numpy as np


def loss(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0, z)) - y @ z
'''

JOB = '''version = 1
name = "python-loss"
engines = ["symbolic", "tape"]
quantities = ["gradient"]
repeat = 1
sample_time = "1ms"
reference = ["fd"]

[[functions]]
python = "user_losses:loss"
shapes = { w = "n", X = "m,n", y = "m" }
wrt = "w"
sizes = { n = [4], m = "2*n" }
'''


def test_python_function_runs_as_a_job_on_the_workers(tmp_path):
    (tmp_path / "user_losses.py").write_text(MODULE)
    (tmp_path / "job.toml").write_text(JOB)
    summary = json.loads(diffbench("submit", "job.toml", "--workers", "1", "--json",
                                   cwd=tmp_path, check=True, timeout=240).stdout)
    assert (summary["ok"], summary["planned"]) == (2, 2)
    exported = diffbench("export", summary["run_id"], "--format", "csv", cwd=tmp_path, check=True)
    with open(tmp_path / exported.stdout.strip()) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and all(r["accuracy"] and float(r["accuracy"]) < 1e-6 for r in rows)
    report = (tmp_path / summary["report"]).read_text()
    assert "user_losses:loss" in report and "<math" in report  # formulas of the traced function


@pytest.mark.parametrize("body,needle", [
    (JOB.replace("user_losses:loss", "user_losses:nothing_here"), "has no function"),
    (JOB.replace("user_losses:loss", "not_a_module_anywhere:loss"), "cannot import"),
    (JOB.replace('shapes = { w = "n", X = "m,n", y = "m" }', ""), "needs 'shapes'"),
])
def test_bad_python_reference_is_one_line(tmp_path, body, needle):
    (tmp_path / "user_losses.py").write_text(MODULE)
    (tmp_path / "job.toml").write_text(body)
    proc = diffbench("submit", "job.toml", cwd=tmp_path)
    assert proc.returncode == 2 and needle in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_service_never_imports_python_it_was_not_allowed(tmp_path, monkeypatch):
    from diffbench.service.submission import Invalid, parse_submission

    marker = tmp_path / "imported"
    (tmp_path / "user_losses.py").write_text(MODULE + f"\nopen({str(marker)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(Invalid) as err:
        parse_submission(JOB.encode(), "application/toml")
    assert "not allowed" in err.value.errors[0] and "--allow-python user_losses" in err.value.errors[0]
    assert not marker.exists()  # refused before anything was imported
    job, _, tasks = parse_submission(JOB.encode(), "application/toml", ("user_losses",))
    assert marker.exists() and len(tasks) == 2 and tasks[0]["python"] == "user_losses:loss"


def test_compare_takes_a_python_function(tmp_path):
    (tmp_path / "user_losses.py").write_text(MODULE)
    proc = diffbench("compare", "user_losses:loss", "--shape", "w=n", "--shape", "X=m,n", "--shape", "y=m",
                     "--wrt", "w", "--size", "n=5", "--size", "m=9", "--engines", "symbolic,tape", "--json",
                     cwd=tmp_path, check=True)
    summary = json.loads(proc.stdout)
    assert summary["agree"] and summary["expr"] == "python:user_losses:loss"
