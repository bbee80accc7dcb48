"""The three studies end to end: one small job through a real local cluster and
store, its report opened in headless Chromium: the seeds' tanh figure, the
memory section (tape bytes against depth, memory against recompute time) and
the optimisation plots, each drawn offline with real axes."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_report_browser import Visit, browser  # noqa: F401  (the shared Chromium fixture)

JOB = """
version = 1
name = "studies-small"
engines = ["tape"]
quantities = ["gradient"]
repeat = 1
timeout = "120s"
sample_time = "1ms"
reference = ["tape"]

[[functions]]
catalogue = "tanh"
engines = ["symbolic", "tape"]
quantities = ["derivatives"]

[[functions]]
name = "rnn-T10"
expr = "sum(iterate(10, h -> tanh(W*h + x), h0))"
wrt = "W"
shapes = { W = "n,n", x = "n", h0 = "n" }
sizes = { n = [4, 8] }
engines = ["tape", "tape-sqrt"]

[[functions]]
name = "rnn-T200"
expr = "sum(iterate(200, h -> tanh(W*h + x), h0))"
wrt = "W"
shapes = { W = "n,n", x = "n", h0 = "n" }
sizes = { n = [4, 8] }
engines = ["tape", "tape-sqrt"]

[[functions]]
name = "quadratic"
expr = "0.5*x'*A*x - b'*x"
wrt = "x"
shapes = { x = "n", A = "n,n", b = "n" }
domain = { A = "spd" }
sizes = { n = [5] }
engines = ["tape", "zo-sphere-v1"]
quantities = ["descent"]

[[functions]]
name = "quadratic-gradient"
expr = "0.5*x'*A*x - b'*x"
wrt = "x"
shapes = { x = "n", A = "n,n", b = "n" }
domain = { A = "spd" }
sizes = { n = [4] }
engines = ["zo-sphere", "fd-forward"]
quantities = ["gradient"]
"""


@pytest.fixture(scope="module")
def study_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("studies")
    job = folder / "studies.toml"
    job.write_text(JOB)
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "submit", str(job), "--workers", "1",
                           "--db", str(folder / "s.sqlite"), "--reports", str(folder / "reports")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (page,) = [p for p in (folder / "reports").glob("*.html") if p.name != "index.html"]
    return page


def _axes_labels(svg) -> list[str]:
    box = svg.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    for axis in ("g.x-axis", "g.y-axis"):
        assert svg.query_selector(axis).bounding_box()["width"] > 0
    return svg.eval_on_selector_all("text", "ts => ts.map(t => t.textContent)")


def test_study_sections_are_drawn(browser, study_report):  # noqa: F811
    v = Visit(browser, study_report)
    try:
        assert v.errors == []
        assert [u for u in v.requests if u != v.url and not u.startswith("data:")] == []
        (tanh,) = v.page.query_selector_all("#derivatives figure.plot-derivatives svg")
        assert {"f", "f″", "f^(6)"} <= set(_axes_labels(tanh))
        memory = v.page.query_selector_all("#memory figure.plot-memory svg")
        assert len(memory) == 2  # against depth, and against recompute time
        assert any("depth T" in t for t in _axes_labels(memory[0]))
        assert any("plain tape" in t for t in _axes_labels(memory[1]))
        rows = v.page.eval_on_selector_all("#checkpoint-table tbody tr", "rs => rs.map(r => r.innerText)")
        assert len(rows) == 8 and any("tape-sqrt" in r for r in rows)
        optimisation = v.page.query_selector_all("#optimisation figure.plot-optimisation svg")
        assert len(optimisation) == 2  # against k and against seconds
        assert any("f(x_k)" in t for t in _axes_labels(optimisation[0]))
        rates = v.page.eval_on_selector_all("#rates-table tbody tr", "rs => rs.map(r => r.innerText)")
        assert len(rates) == 2 and any(r.startswith("quadratic\tn=5\tzo-sphere-v1") for r in rates)
        (sweep,) = v.page.query_selector_all("figure.plot-zero-order svg")  # the estimators' error sweep
        labels = _axes_labels(sweep)
        assert any("directions V" in t for t in labels) and any("zo-sphere" in t for t in labels)
        assert any("fd-forward" in t for t in labels) and any("V^(-1/2)" in t for t in labels)
    finally:
        v.close()
