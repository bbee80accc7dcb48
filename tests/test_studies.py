"""The optimisation studies: descent with exact and zero-order gradients, Newton."""
import numpy as np

import diffbench
from diffbench.engines import get_engine
from diffbench.report.studies import fitted_rate
from diffbench.sampling import sample_inputs
from diffbench.studies import quantity_call

QUADRATIC = "0.5*x'*A*x - b'*x"


def _run(expr, shapes, domain, engine, quantity, n):
    fn = diffbench.parse(expr, shapes)
    inputs = sample_inputs(fn, {"n": n}, 0, domain)
    prepared = get_engine(engine).prepare(fn, ["x"], fn.bind(inputs), 2)
    run = quantity_call(prepared, quantity, {"expr": expr, "wrt": ["x"]})
    x = run(inputs)
    return run.record(inputs), x, inputs


def test_descent_reaches_the_closed_form_minimum_of_a_quadratic():
    record, x, inputs = _run(QUADRATIC, {"x": "n", "A": "n,n", "b": "n"}, {"A": "spd"}, "tape", "descent", 10)
    assert np.allclose(x, np.linalg.solve(inputs["A"], inputs["b"]), atol=1e-6)
    f_star = -0.5 * inputs["b"] @ np.linalg.solve(inputs["A"], inputs["b"])
    assert abs(record["optimisation"]["f_star"] - f_star) < 1e-12
    assert record["optimisation"]["reached"] is not None


def test_one_direction_zero_order_descent_needs_about_n_times_more_iterations():
    shapes, domain = {"x": "n", "A": "n,n", "b": "n"}, {"A": "spd"}
    exact = _run(QUADRATIC, shapes, domain, "tape", "descent", 10)[0]["optimisation"]
    estimated = _run(QUADRATIC, shapes, domain, "zo-sphere-v1", "descent", 10)[0]["optimisation"]
    assert estimated["second_moment"] == 10.0
    assert estimated["reached"] is not None
    ratio = estimated["reached"]["iterations"] / exact["reached"]["iterations"]
    assert 3 <= ratio <= 40  # the seeds: O(n) more iterations, n = 10


def test_newton_converges_in_a_few_steps_with_either_engines_hessian():
    expr = "0.5*x'*A*x - b'*x - sum(log(x))"
    shapes, domain = {"x": "n", "A": "n,n", "b": "n"}, {"A": "spd", "x": "positive"}
    for engine in ("tape", "symbolic"):
        record = _run(expr, shapes, domain, engine, "newton", 10)[0]["optimisation"]
        assert record["reached"] is not None and record["reached"]["iterations"] <= 15


def test_fitted_rate_recovers_a_known_linear_rate():
    trajectory = [[k, 0.01 * k, 3.0 * 0.9 ** k] for k in range(0, 200, 5)]
    assert abs(fitted_rate(trajectory)["rho"] - 0.9) < 1e-9
    sublinear = [[k, 0.0, 5.0 / k] for k in range(1, 1000, 10)]
    assert abs(fitted_rate(sublinear)["power"] - 1.0) < 1e-9
