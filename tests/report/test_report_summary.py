"""The numbers on the page: slopes, ratios, verdicts, thresholds."""
from __future__ import annotations

import math

import pytest

from diffbench.agreement import FD_TOLERANCE, TOLERANCE
from diffbench.report import summary


def r(engine, quantity, n, median, status="ok", accuracy=None, reference=None, function="f", **extra):
    return {"function": function, "engine": engine, "quantity": quantity, "sizes": {"n": n},
            "status": status, "median": median, "accuracy": accuracy, "reference": reference, **extra}


@pytest.mark.parametrize("power", [1.0, 2.0, 3.0, -0.5])
def test_slope_of_an_exact_power_law(power):
    xs = [10, 30, 100, 300]
    assert summary.fit_slope(xs, [2e-6 * x ** power for x in xs]) == pytest.approx(power)


def test_slope_is_least_squares_on_log_log():
    xs, ys = [1, 10, 100], [1.0, 10.0, 1000.0]  # log10: (0,0), (1,1), (2,3): LS slope 1.5
    assert summary.fit_slope(xs, ys) == pytest.approx(1.5)


def test_slope_needs_two_sizes_and_skips_non_positive_times():
    assert summary.fit_slope([10], [1.0]) is None
    assert summary.fit_slope([10, 10], [1.0, 2.0]) is None
    assert summary.fit_slope([10, 100, 1000], [0.0, 1.0, 100.0]) == pytest.approx(2.0)


def test_slopes_per_engine_and_quantity():
    rs = [r("tape", "hessian", n, 1e-9 * n ** 3) for n in (10, 20, 40)]
    rs += [r("symbolic", "hessian", n, 1e-8 * n ** 2) for n in (10, 20, 40)]
    rs.append(r("tape", "hessian", 80, None, status="timeout"))
    fits = {(f["engine"], f["quantity"]): f["slope"] for f in summary.slopes(rs, "n")}
    assert fits == {("tape", "hessian"): pytest.approx(3.0), ("symbolic", "hessian"): pytest.approx(2.0)}

def test_a_dim_that_follows_the_plotted_one_does_not_split_the_line():
    # catalogue entries fix m = 2n: one line over n, not one point per m
    rs = [{**r("tape", "gradient", n, 1e-9 * n ** 2), "sizes": {"n": n, "m": 2 * n}} for n in (10, 20, 40)]
    (fit,) = summary.slopes(rs, "n")
    assert fit["rest"] == "" and fit["slope"] == pytest.approx(2.0)
    # a grid job's independent axis still splits it
    grid = [{**r("tape", "gradient", n, 1e-9 * n * m), "sizes": {"n": n, "m": m}} for n in (10, 20) for m in (3, 5)]
    assert sorted(f["rest"] for f in summary.slopes(grid, "n")) == ["m=3", "m=5"]



def test_ratios_are_derivative_time_over_value_time():
    rs = [r("tape", "value", 10, 2e-6), r("tape", "gradient", 10, 8e-6), r("tape", "hessian", 10, 1e-4),
          r("symbolic", "gradient", 10, 1e-6)]  # no value: no ratio
    (row,) = summary.ratios(rs)
    assert row["engine"] == "tape" and row["gradient"] == pytest.approx(4.0) and row["hessian"] == pytest.approx(50.0)


def test_speed_verdict_names_the_winner_and_factor_at_the_largest_size():
    rs = [r("symbolic", "gradient", 10, 1e-6), r("tape", "gradient", 10, 3e-6),
          r("symbolic", "gradient", 100, 2e-6), r("tape", "gradient", 100, 1e-5),
          r("fd", "gradient", 100, 1e-3)]
    (v,) = summary.speed_verdicts(rs)
    assert (v["winner"], v["runner_up"], v["sizes"]) == ("symbolic", "tape", {"n": 100})
    assert v["factor"] == pytest.approx(5.0) and v["consistent"]
    assert sorted(v["factors"]) == [pytest.approx(3.0), pytest.approx(5.0)]


def test_speed_verdict_notes_a_change_of_winner():
    rs = [r("symbolic", "hessian", 10, 1e-6), r("tape", "hessian", 10, 2e-6),
          r("symbolic", "hessian", 100, 4e-5), r("tape", "hessian", 100, 1e-5)]
    (v,) = summary.speed_verdicts(rs)
    assert v["winner"] == "tape" and not v["consistent"]
    assert [w for _, w in v["winners"]] == ["symbolic", "tape"]


def test_cells_with_one_engine_or_failures_have_no_verdict():
    rs = [r("symbolic", "value", 10, 1e-6), r("tape", "value", 10, None, status="oom")]
    assert summary.speed_verdicts(rs) == []


def test_tally_counts_cells_won():
    cells = [{"quantity": "gradient", "winner": "symbolic"}] * 3 + [{"quantity": "gradient", "winner": "tape"}]
    assert summary.tally(cells) == {"gradient": {"symbolic": 3, "tape": 1}}


def test_threshold_is_the_quantitys_tolerance_looser_when_fd_is_involved():
    assert summary.threshold(r("tape", "gradient", 1, 1.0, reference="symbolic")) == TOLERANCE["gradient"]
    assert summary.threshold(r("tape", "hessian", 1, 1.0, reference="fd")) == FD_TOLERANCE["hessian"]
    assert summary.threshold(r("fd", "gradient", 1, 1.0, reference="tape")) == FD_TOLERANCE["gradient"]


@pytest.mark.parametrize("quantity,engine,reference,error", [
    ("hessian", "tape", "symbolic", 5e-8),   # was "disagrees" on the page, "agrees" for regressions
    ("value", "tape", "symbolic", 5e-9),     # the other way round
    ("gradient", "tape", "fd", 1e-5),
    ("hessian", "tape", "fd", 1.5e-4),
])
def test_report_api_and_regressions_judge_a_cell_the_same_way(quantity, engine, reference, error):
    from diffbench.history.regressions import agrees
    from diffbench.history.series import Point

    result = r(engine, quantity, 10, 1e-3, accuracy=error, reference=reference)
    point = Point(run_id="r1", started="2026-01-01T00:00:00", status="ok", median=1e-3, spread=0.0,
                  accuracy=error, reference=reference)
    assert summary.disagrees(result) == (agrees(point, engine, quantity) is False)


def test_disagreements_are_above_the_threshold_worst_first():
    rs = [r("tape", "hessian", 10, 1e-6, accuracy=1e-6, reference="fd"),       # fd noise: fine
          r("tape", "hessian", 20, 1e-6, accuracy=1e-3, reference="fd"),       # disagrees
          r("tape", "gradient", 10, 1e-6, accuracy=1e-6, reference="symbolic"),  # disagrees (exact pair)
          r("tape", "value", 10, 1e-6, accuracy=math.inf, reference="symbolic"),  # shape mismatch
          r("tape", "value", 20, None, status="failed", accuracy=None)]
    bad = summary.disagreements(rs)
    assert [x["accuracy"] for x in bad] == [math.inf, 1e-3, 1e-6]


def test_failures_and_counts():
    rs = [r("a", "value", 1, 1.0), r("b", "value", 1, None, status="timeout"),
          r("c", "value", 1, None, status="unsupported")]
    assert [x["engine"] for x in summary.failures(rs)] == ["b", "c"]
    assert summary.counts(rs) == {"ok": 1, "timeout": 1, "unsupported": 1}


@pytest.mark.parametrize("raw", [
    [[1e-2, 1e-5], [1e-5, 1e-10], [1e-8, 1e-8]],
    [{"step": 1e-2, "error": 1e-5}, {"step": 1e-5, "error": 1e-10}, {"step": 1e-8, "error": 1e-8}],
    {"0.01": 1e-5, "1e-05": 1e-10, "1e-08": 1e-8},
])
def test_step_errors_accepts_each_documented_form(raw):
    assert summary.step_errors({"stats": {"step_errors": raw}}) == [(1e-8, 1e-8), (1e-5, 1e-10), (1e-2, 1e-5)]


def test_step_errors_ignores_junk():
    assert summary.step_errors({"stats": {"step_errors": [["x", 1], [0, 1], [1e-3]]}}) == []
    assert summary.step_errors({"stats": {}}) == []
