"""jobs/optimizers.toml end to end at tiny sizes: the job file itself, its sizes
cut down, through a real local dask cluster and a real SQLite store in a
temporary folder; its report opened in headless Chromium.  Every engine's
descent and Newton run ends in the store, and the optimisation section shows
the rates with the seeds' verdict and what a Hessian buys."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_report_browser import Visit, browser  # noqa: F401  (the shared Chromium fixture)

JOB = Path(__file__).resolve().parents[2] / "jobs" / "optimizers.toml"
# the job's own sizes, cut down (each must be found: the test follows the job file)
# (MDS with the exact gradients only: zero-order descent runs m = 2N times the iterations, and the
# harness runs each task twice, once traced)
TINY = {"sizes = { n = [10, 100, 1000] }": "sizes = { n = [3] }",
        "sizes = { N = [5, 50, 500] }": 'sizes = { N = [4] }\nengines = ["symbolic", "tape"]',
        'sizes = { n = [10, 100], m = "2*n" }': 'sizes = { n = [3], m = "2*n" }',
        "sizes = { n = [10, 100] }": "sizes = { n = [3] }"}
TASKS = 4 + 2 + 2 * 2 + 2 * 2  # quadratic, MDS, then Newton and descent on the two others


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optimizers")
    text = JOB.read_text()
    for full, tiny in TINY.items():
        assert full in text, f"jobs/optimizers.toml no longer has {full!r}"
        text = text.replace(full, tiny)
    job = folder / "optimizers.toml"
    job.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "submit", str(job), "--workers", "1",
                           "--db", str(folder / "o.sqlite"), "--reports", str(folder / "reports"), "--json"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (page,) = [p for p in (folder / "reports").glob("*.html") if p.name != "index.html"]
    return json.loads(proc.stdout), folder / "o.sqlite", page


def test_every_task_of_the_tiny_job_is_ok(tiny_run):
    summary, db, _ = tiny_run
    assert summary["done"] == TASKS and summary["failed"] == 0
    assert _statuses(db) == {"ok": TASKS}


def _statuses(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("select status, count(*) from results group by status").fetchall())


def test_the_optimisation_section_states_the_verdict_and_what_a_hessian_buys(browser, tiny_run):  # noqa: F811
    _, _, page = tiny_run
    v = Visit(browser, page)
    try:
        assert v.errors == []
        assert len(v.page.query_selector_all("#optimisation figure.plot-optimisation svg")) == 8  # 4 cells x 2 axes
        rates = v.page.eval_on_selector_all("#rates-table tbody tr", "rs => rs.map(r => r.innerText.split('\\t'))")
        assert len(rates) == TASKS
        newton = [r for r in rates if r[3] == "newton"]
        assert len(newton) == 4 and all(r[8] == "—" and r[11] == "—" for r in newton)  # no linear rate for Newton
        assert all(r[6] != "—" for r in newton)  # every Newton run reached 1e-10
        zero_order = [r for r in rates if r[2].startswith("zo-")]
        assert len(zero_order) == 2 and all(r[12] in ("holds", "does not hold") for r in zero_order)
        verdict = v.page.inner_text("#rates-verdict")
        assert "holds in" in verdict and "of 2" in verdict
        hessian = v.page.eval_on_selector_all("#newton-table tbody tr", "rs => rs.map(r => r.innerText)")
        assert len(hessian) == 2 and all("newton (symbolic)" in r and "newton (tape)" in r for r in hessian)
    finally:
        v.close()
