"""``diffbench report``, and the report at the end of a real ``diffbench submit``."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from report_helpers import embedded_data, full_run

from diffbench.jobs.store import Store

JOB = """version = 1
name = "e2e-report"
description = "two functions <em>end to end</em>"
engines = ["symbolic", "tape"]
quantities = ["value", "gradient", "hessian"]
repeat = 3
timeout = "30s"
memory = "1GiB"
sample_time = "1ms"

[[functions]]
catalogue = "quadratic_form"
sizes = { n = [4, 8, 16] }

[[functions]]
name = "logdet-trace"
expr = "logdet(X) + tr(A*X)"
wrt = "X"
shapes = { X = "n,n", A = "n,n" }
domain = { X = "spd" }
sizes = { n = [3, 6] }
"""


def diffbench(*args, cwd, timeout=180):
    return subprocess.run([sys.executable, "-m", "diffbench.cli.main", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def test_report_command_writes_page_and_index(tmp_path):
    full_run(tmp_path / "t.sqlite").close()
    proc = diffbench("report", "20260102", "--db", "t.sqlite", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "out/20260102-030400-aaaa.html"
    assert (tmp_path / "out" / "index.html").exists()


def test_report_command_latest_run_and_html_file_name(tmp_path):
    full_run(tmp_path / "t.sqlite").close()
    proc = diffbench("report", "--db", "t.sqlite", "--out", "x/mine.html", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "x/mine.html"
    assert "fixture" in (tmp_path / "x" / "mine.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("args,message", [
    (("nope", "--db", "t.sqlite"), "error: no run 'nope' in t.sqlite"),
    (("--db", "missing.sqlite"), "error: no results store at missing.sqlite"),
])
def test_report_command_errors_are_one_line(tmp_path, args, message):
    full_run(tmp_path / "t.sqlite").close()
    proc = diffbench("report", *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(message) and len(proc.stderr.strip().splitlines()) == 1


def test_submit_ends_with_a_report(tmp_path):
    """A tiny real job on one worker; the printed report is complete and matches the store."""
    (tmp_path / "job.toml").write_text(JOB, encoding="utf-8")
    proc = diffbench("submit", "job.toml", "--workers", "1", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    page = tmp_path / summary["report"]
    assert page.exists() and summary["report"] == f"reports/{summary['run_id']}.html"
    html = page.read_text(encoding="utf-8")
    store = Store(tmp_path / "diffbench.sqlite")
    stored = store.results(summary["run_id"])
    assert len(embedded_data(html)["results"]) == len(stored) == 30
    assert html.count('<section class="function"') == 2
    assert html.count("<tr data-function=") == 6  # function x quantity, two engines each
    assert "&lt;em&gt;end to end&lt;/em&gt;" in html
    assert "formula unavailable" not in html and html.count("<math") >= 6
    assert len(re.findall(r'<svg[^>]*class="plot"', html)) >= 8  # time, memory, cost, accuracy per function, and more
    assert 'id="partial"' not in html
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert f'href="{summary["run_id"]}.html"' in index
    again = diffbench("report", summary["run_id"], cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.strip() == summary["report"]
