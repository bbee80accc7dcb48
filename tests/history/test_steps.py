"""Step detection on synthetic series: a clean step is found where it is;
noise alone, heavy-tailed noise and a lone outlier are not flagged; each
point's spread weighs it."""
from __future__ import annotations

import numpy as np
import pytest

from diffbench.history.steps import regression, segments


def noisy(n, rng, scale=0.03, base=1e-3):
    return base * np.exp(rng.normal(0, scale, n))


def test_a_clean_step_is_found_where_it_is():
    values = [1e-3] * 10 + [1.5e-3] * 5
    step = regression(values, [1e-5] * 15)
    assert step is not None and step.index == 10
    assert step.before == pytest.approx(1e-3) and step.change == pytest.approx(0.5)


def test_a_step_in_noise_is_found():
    rng = np.random.default_rng(1)
    values = noisy(30, rng)
    values[22:] *= 1.4
    step = regression(values, values * 0.02)
    assert step is not None and abs(step.index - 22) <= 1 and step.change == pytest.approx(0.4, abs=0.1)


@pytest.mark.parametrize("seed", range(20))
def test_noise_alone_is_not_flagged(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 40))
    values = noisy(n, rng, 0.05) if seed % 2 else 1e-3 * np.exp(0.04 * rng.standard_t(3, n))
    assert regression(values, values * 0.05) is None


def test_one_slow_outlier_in_the_middle_is_not_a_level():
    values = [1e-3] * 8 + [3e-3] + [1e-3] * 8
    assert segments(values, [2e-5] * 17)[-1].level == 1e-3  # the outlier is not the current level
    assert regression(values, [2e-5] * 17) is None


def test_wide_spreads_make_a_step_less_certain():
    rng = np.random.default_rng(3)
    values = noisy(12, rng, 0.01)
    values[-2:] *= 1.15
    assert regression(values, values * 0.005) is not None
    assert regression(values, values * 0.6) is None  # the same numbers, each run very noisy


def test_a_speed_up_is_not_a_regression():
    assert regression([2e-3] * 8 + [1e-3] * 4, [1e-5] * 12) is None


def test_below_threshold_is_not_reported():
    values = [1e-3] * 10 + [1.05e-3] * 10
    assert len(segments(values, [1e-7] * 20)) == 2 and regression(values, [1e-7] * 20, threshold=0.10) is None
