"""The lectures' experiments end to end: a study job (forward against
reverse mode, Hutchinson's estimator, the evaluation trace) submitted to a
real local dask cluster, its report opened in headless Chromium."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_report_browser import Visit, browser  # noqa: F401  (the module-scoped browser fixture)

from diffbench.jobs.plan import plan
from diffbench.jobs.checks import load_job

REPO = Path(__file__).resolve().parents[2]
STUDY = """version = 1
name = "experiments"
engines = ["tape:forward", "tape:reverse", "tape"]
quantities = ["jacobian"]
repeat = 3
sample_time = "1ms"
reference = ["symbolic", "tape"]

[hutchinson]
probes = [1, 4, 16, 64]
distributions = ["rademacher", "gaussian"]

[[functions]]
name = "sigmoid-Ax"
expr = "sigmoid(A*x)"
shapes = { A = "m,n", x = "n" }
wrt = "x"
sizes = { n = 8, m = [1, 64, 512] }

[[functions]]
catalogue = "two_variable_graph"
quantities = ["gradient"]

[[functions]]
catalogue = "logistic_regression"
engines = ["tape", "symbolic"]
quantities = ["trace", "hessian", "hvp"]
sizes = { n = [10] }
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("experiments")
    (folder / "study.toml").write_text(STUDY)
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "submit", "study.toml", "--workers", "1",
                           "--db", "s.sqlite", "--reports", "reports"], cwd=folder, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return next((folder / "reports").glob("2*.html"))


@pytest.fixture(scope="module")
def page(browser, study):  # noqa: F811
    v = Visit(browser, study)
    yield v
    v.close()


def _plot_ok(svg, x_label: str):
    box = svg.bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    labels = svg.eval_on_selector_all("text", "ts => ts.map(t => t.textContent)")
    assert any(x_label in t for t in labels), labels
    return labels


def test_page_loads_offline_without_errors(page):
    assert page.errors == []
    assert [u for u in page.requests if u != page.url and not u.startswith("data:")] == []


def test_modes_plot_has_both_modes_and_the_auto_tally(page):
    svg = page.page.query_selector(".experiment.modes figure.plot-modes svg")
    labels = _plot_ok(svg, "size m")
    assert any(t.startswith("tape:forward") for t in labels) and any(t.startswith("tape:reverse") for t in labels)
    tally = page.page.inner_text(".experiment.modes .auto-tally")
    assert "picked the faster mode in" in tally and "of 3 cells" in tally
    caption = page.page.inner_text(".experiment.modes figcaption")
    assert "crossover" in caption.lower()


def test_hutchinson_plots_error_and_cost_against_probes(page):
    error = page.page.query_selector(".experiment.hutchinson figure.plot-hutchinson-error svg")
    labels = _plot_ok(error, "probes V")
    assert any("V^-1/2" in t for t in labels) and any("rademacher" in t for t in labels)
    cost = page.page.query_selector(".experiment.hutchinson figure.plot-hutchinson-cost svg")
    labels = _plot_ok(cost, "probes V")
    assert any("Hessian" in t for t in labels) and any("exact trace (closed form)" in t for t in labels)
    assert "expected −0.5" in page.page.inner_text(".experiment.hutchinson figure.plot-hutchinson-error figcaption")
    # estimates are not mixed into the speed verdicts or the generic trace table
    rows = page.page.eval_on_selector_all("table.results tbody tr", "rs => rs.map(r => r.innerText)")
    assert sum("trace" in r for r in rows) == 0


def test_the_evaluation_trace_of_the_lectures_graph(page):
    rows = page.page.eval_on_selector_all(".experiment.wengert tbody tr",
                                          "rs => rs.map(r => [...r.cells].map(c => c.innerText))")
    assert [r[0] for r in rows] == ["w2", "w1", "v1", "v2", "v3", "v4 = f"]
    assert rows[2][1] == "log(w1)" and rows[5][1] == "v2 + v3"


def test_hvp_results_are_checked_against_a_reference(study):
    from diffbench.jobs.store import Store

    store = Store(study.parents[1] / "s.sqlite")
    try:
        records = [r for r in store.results(study.stem) if r["quantity"] == "hvp"]
    finally:
        store.close()
    assert len(records) == 2 and all(r["status"] == "ok" and r["accuracy"] < 1e-8 for r in records)
    assert all(r["stats"]["hvp_direction"]["entries"] == "standard normal" for r in records)


@pytest.mark.parametrize("name", ["modes.toml", "hutchinson.toml"])
def test_the_shipped_study_jobs_are_valid(name):
    job, _ = load_job(REPO / "jobs" / name)
    tasks = plan(job, name)
    assert tasks and len({t["key"] for t in tasks}) == len(tasks)


def test_crossover_is_where_the_modes_swap_for_good():
    from diffbench.report.experiments import crossover

    swap = {"tape:forward": [(1, 1.0), (10, 2.0), (100, 10.0)], "tape:reverse": [(1, 2.0), (10, 1.0), (100, 1.0)]}
    assert crossover(swap) == pytest.approx(10 ** 0.5)  # log-ratios -log2 and +log2: halfway in log x
    noisy = {"tape:forward": [(1, 1.0), (10, 2.0), (100, 1.0), (1000, 1.0)],
             "tape:reverse": [(1, 2.0), (10, 1.0), (100, 2.0), (1000, 3.0)]}
    assert 10 < crossover(noisy) < 100  # the last swap counts, not the first (noise) one
    same = {"tape:forward": [(1, 1.0), (10, 1.0)], "tape:reverse": [(1, 2.0), (10, 3.0)]}
    assert crossover(same) is None
    assert crossover({"tape:forward": [(1, 1.0)], "tape:reverse": [(1, 2.0)]}) is None


def test_a_wrong_choice_is_a_tie_within_noise_only_when_the_samples_overlap():
    from diffbench.report.experiments import auto_choices

    def result(engine, size, times, mode=None):
        return {"status": "ok", "engine": engine, "quantity": "jacobian", "size_label": size,
                "median": sorted(times)[len(times) // 2], "times": times, "stats": {"mode": mode}}

    results = [result("tape:forward", "m=1", [1.0, 1.1, 1.4]), result("tape:reverse", "m=1", [1.3, 1.5, 1.6]),
               result("tape", "m=1", [1.5], "reverse"),  # wrong, but the samples overlap: noise
               result("tape:forward", "m=2", [1.0, 1.1, 1.2]), result("tape:reverse", "m=2", [2.0, 2.1, 2.2]),
               result("tape", "m=2", [2.1], "reverse")]  # wrong and clearly so
    choices = {c["sizes"]: c for c in auto_choices(results)}
    assert not choices["m=1"]["right"] and choices["m=1"]["noise"]
    assert not choices["m=2"]["right"] and not choices["m=2"]["noise"]
