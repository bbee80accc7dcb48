"""Zero-order gradient estimators against gradients written in autograd."""
import numpy as np
import pytest

import diffbench
from diffbench import zeroth
from diffbench.engines import get_engine
from diffbench.testing import relative_error

anp = pytest.importorskip("autograd.numpy")
from autograd import grad  # noqa: E402

rng = np.random.default_rng(7)
A = rng.normal(size=(6, 6))
A = A @ A.T + np.eye(6)
X0 = rng.normal(size=6)


def f(x):
    return anp.log(x @ A @ x) + anp.sum(anp.sin(x))


EXACT = grad(f)(X0)


def test_coordinate_differences_one_sided_and_central():
    forward = zeroth.forward_differences(f, X0)
    central = zeroth.central_differences(f, X0)
    assert relative_error(forward, EXACT) < 1e-6  # O(sqrt(eps))
    assert relative_error(central, EXACT) < 1e-9  # O(eps^(2/3))
    assert relative_error(forward, EXACT) > relative_error(central, EXACT)


@pytest.mark.parametrize("kind", zeroth.DIRECTIONS)
def test_two_point_estimator_is_unbiased_and_its_error_falls_like_one_over_sqrt_V(kind):
    errors = []
    for count in (30, 3000):
        g = zeroth.two_point(f, X0, count, eps=1e-6, kind=kind, rng=np.random.default_rng(1))
        errors.append(np.linalg.norm(g - EXACT) / np.linalg.norm(EXACT))
    assert errors[1] < 0.15
    assert errors[1] < errors[0] / 4  # sqrt(100) = 10 expected; 4 leaves room for chance


@pytest.mark.parametrize("kind", zeroth.DIRECTIONS)
def test_second_moment_factor_matches_a_monte_carlo_estimate(kind):
    engine = get_engine(f"zo-{kind}-v1")
    fn = diffbench.parse("log(x'*A*x) + sum(sin(x))", {"x": "n", "A": "n,n"})
    prepared = engine.prepare(fn, ["x"], {"n": 6}, 1)
    draws = [np.linalg.norm(prepared.gradient({"x": X0, "A": A})["x"]) ** 2 for _ in range(2000)]
    measured = np.mean(draws) / np.linalg.norm(EXACT) ** 2
    assert abs(measured / prepared.second_moment(6) - 1) < 0.15


def test_estimates_are_seeded_and_recorded():
    fn = diffbench.parse("log(x'*A*x) + sum(sin(x))", {"x": "n", "A": "n,n"})
    inputs = {"x": X0, "A": A}
    first = [get_engine("zo-sphere").prepare(fn, ["x"], {"n": 6}, 1) for _ in range(2)]
    assert np.array_equal(first[0].gradient(inputs)["x"], first[1].gradient(inputs)["x"])
    assert first[0].stats == {"estimator": "two_point", "directions": "sphere", "eps": 1e-6, "seed": 0, "V": 6}


def test_forward_difference_engine_against_autograd():
    out = diffbench.derivatives("log(x'*A*x) + sum(sin(x))", {"x": X0, "A": A}, wrt="x", engine="fd-forward",
                                order=1)
    assert relative_error(out["gradient"], EXACT) < 1e-6


def test_error_sweep_falls_like_one_over_sqrt_V_and_one_sided_with_eps():
    """The report's error-against-V data: the engines' own sweep against the
    autograd gradient written from the formula above."""
    fn = diffbench.parse("log(x'*A*x) + sum(sin(x))", {"x": "n", "A": "n,n"})
    inputs, sizes = {"x": X0, "A": A}, {"n": 6}
    exact = {"x": EXACT}
    sweep = get_engine("zo-sphere").prepare(fn, ["x"], sizes, 1).error_sweep(inputs, exact)
    at = [(v, err) for v, eps, err in sweep if eps == 1e-6]
    slope = np.polyfit(np.log([v for v, _ in at]), np.log([e for _, e in at]), 1)[0]
    assert -0.85 <= slope <= -0.25  # V^(-1/2), one seeded draw per V
    one_sided = {eps: err for _, eps, err in get_engine("fd-forward").prepare(fn, ["x"], sizes, 1)
                 .error_sweep(inputs, exact)}
    assert one_sided[1e-2] > 30 * one_sided[1e-4] > 0  # truncation error O(eps)
