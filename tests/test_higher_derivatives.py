"""Derivatives of order 3 to 6 along one scalar variable: symbolic closed forms
and the tape's Taylor arithmetic, against each other, against tanh's published
derivative polynomials and against autograd's nested gradients."""
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

import diffbench
from diffbench.cli.main import cli
from diffbench.engines.base import Unsupported
from diffbench.testing import check_agree, relative_error


def tanh_derivatives(x: float, order: int) -> list[float]:
    """tanh^(k)(x) from the seed's rule tanh' = 1 - tanh^2: each derivative is
    a polynomial P_k(t) in t = tanh(x) with P_{k+1} = P_k'(t) (1 - t^2)."""
    p = np.polynomial.Polynomial([0.0, 1.0])
    one_minus_t2 = np.polynomial.Polynomial([1.0, 0.0, -1.0])
    out = []
    for _ in range(order):
        p = p.deriv() * one_minus_t2
        out.append(float(p(np.tanh(x))))
    return out


@settings(max_examples=15)
@given(st.floats(-3.0, 3.0))
def test_tanh_six_derivatives_match_the_published_polynomials(x):
    for engine in ("tape", "symbolic"):
        got = diffbench.derivatives("tanh(x)", {"x": x}, wrt="x", engine=engine, order=6)["derivatives"]
        assert relative_error(got, tanh_derivatives(x, 6)) <= 1e-10, engine


EXPRESSIONS = [
    ("x^4*exp(-x) + log(x)", {"x": 0.3}, "x"),
    ("sqrt(x) + x^3*log(x)", {"x": 1.7}, "x"),
    ("sigmoid(x) + softplus(2*x) - cos(x)^2", {"x": -0.4}, "x"),
    ("sum(tanh(b*v)) + b'*b", {"b": 0.7, "v": np.array([0.5, -1.0, 2.0])}, "b"),
    # the tape's Taylor recurrences on vectors (sin/cos pair, exp, log, sqrt, sigmoid) ...
    ("sum(sin(b*v) .* exp(b*v))", {"b": 0.7, "v": np.array([0.5, -1.0, 2.0])}, "b"),
    ("sum(sqrt(2 + b*v) + log(3 + b*v) - sigmoid(b*v))", {"b": 0.7, "v": np.array([0.5, -1.0, 2.0])}, "b"),
    # ... and where a^b's recurrence divides by a_0 = 0: the tangent rule instead
    ("x^3 - x^2 + cos(x)", {"x": 0.0}, "x"),
    ("logdet(A + b*B)", {"b": 0.2, "A": 4 * np.eye(3), "B": np.arange(9.0).reshape(3, 3) / 9}, "b"),
    ("c'*inv(A + b*B)*c", {"b": 0.2, "A": 4 * np.eye(3), "B": np.arange(9.0).reshape(3, 3) / 9,
                           "c": np.array([1.0, -2.0, 0.5])}, "b"),
]


@pytest.mark.parametrize("expr,inputs,wrt", EXPRESSIONS)
def test_symbolic_and_tape_agree_to_order_six(expr, inputs, wrt):
    report = check_agree(expr, inputs, wrt, engines=("tape", "symbolic"), order=6)
    assert report.errors["derivatives"][("tape", "symbolic")] <= 1e-10
    assert len(report.results["tape"]["derivatives"]) == 6


def _autograd_nested(f, x, order):
    from autograd import grad

    out, g = [], f
    for _ in range(order):
        g = grad(g)
        out.append(float(g(x)))
    return out


def test_against_autograd_nested_gradients():
    anp = pytest.importorskip("autograd.numpy")
    A, B = 4 * np.eye(3), np.arange(9.0).reshape(3, 3) / 9
    references = {  # expression: (autograd function, point, engines)
        "sin(x)*exp(x)/(1 + x*x)": (lambda x: anp.sin(x) * anp.exp(x) / (1 + x * x), 0.3, ("tape",)),
        "x^4*exp(-x) + log(x)": (lambda x: x ** 4 * anp.exp(-x) + anp.log(x), 0.3, ("tape", "symbolic")),
        "logdet(A + b*B)": (lambda b: anp.log(anp.linalg.det(A + b * B)), 0.2, ("tape", "symbolic")),
    }
    for expr, (f, x0, engines) in references.items():
        wrt = "b" if "b" in expr else "x"
        inputs = {wrt: x0, **({"A": A, "B": B} if wrt == "b" else {})}
        expected = _autograd_nested(f, x0, 6)
        for engine in engines:
            got = diffbench.derivatives(expr, inputs, wrt=wrt, engine=engine, order=6)["derivatives"]
            assert relative_error(got, expected) <= 1e-10, (expr, engine)


def test_symbolic_swell_is_too_large_and_the_tape_still_answers():
    from diffbench.engines.base import TooLarge

    expr, x = "sin(x)*exp(x)/(1 + x*x)", 0.3
    with pytest.raises(TooLarge, match="is left to the tape"):
        diffbench.derivatives(expr, {"x": x}, wrt="x", engine="symbolic", order=6)
    low = diffbench.derivatives(expr, {"x": x}, wrt="x", engine="symbolic", order=4)["derivatives"]
    high = diffbench.derivatives(expr, {"x": x}, wrt="x", engine="tape", order=6)["derivatives"]
    assert relative_error(high[:4], low) <= 1e-10


def test_result_keeps_value_gradient_and_hessian():
    out = diffbench.derivatives("exp(2*x)", {"x": 0.5}, wrt="x", order=4)
    e = np.exp(1.0)
    assert np.allclose([out["value"], out["gradient"], out["hessian"]], [e, 2 * e, 4 * e])
    assert np.allclose(out["derivatives"], [2 * e, 4 * e, 8 * e, 16 * e], rtol=1e-12)


def test_a_constant_has_zero_higher_derivatives():
    for engine in ("tape", "symbolic"):
        out = diffbench.derivatives("x + c", {"x": 0.5, "c": 2.0}, wrt="c", engine=engine, order=5)
        assert out["derivatives"] == [1.0, 0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("expr,inputs,wrt,says", [
    ("x'*x", {"x": np.ones(3)}, "x", "need a scalar variable"),
    ("tanh(x)*y", {"x": 0.1, "y": 0.2}, ["x", "y"], "exactly one variable"),
    ("x*v", {"x": 0.1, "v": np.ones(2)}, "x", "need a scalar function"),
])
def test_order_above_two_beyond_one_scalar_is_unsupported(expr, inputs, wrt, says):
    for engine in ("tape", "symbolic"):
        with pytest.raises(Unsupported, match=says):
            diffbench.derivatives(expr, inputs, wrt=wrt, engine=engine, order=3)


def test_fd_says_it_has_no_higher_derivatives():
    with pytest.raises(Unsupported, match="order above 2"):
        diffbench.derivatives("tanh(x)", {"x": 0.1}, wrt="x", engine="fd", order=3)


def test_cli_prints_six_closed_forms():
    result = CliRunner().invoke(cli, ["derive", "tanh(x)", "--shape", "x=", "--wrt", "x", "--order", "6"])
    assert result.exit_code == 0, result.output
    for k in "²³⁴⁵⁶":
        assert f"d{k}f/dx{k} = " in result.output
    assert "df/dx = 1 − tanh(x)²" in result.output


def test_cli_order_on_a_vector_is_one_line_error():
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "derive", "x'*x", "--shape", "x=n",
                           "--wrt", "x", "--order", "3"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: unsupported: derivatives of order 3 need a scalar variable")
    assert len(proc.stderr.strip().splitlines()) == 1


def test_higher_derivatives_print_as_polynomials_in_the_function():
    """Each order is the derivative of the one before; without tidying the
    sixth of tanh is a page of nested products. Formulas of scalars are
    expanded and factored (SymPy), so each prints as a short polynomial in
    tanh(x), with superscript powers, and is what is compiled."""
    from diffbench.symbolic.api import derive

    d = derive("tanh(x)", ["x"], {"x": ""}, order=6)
    rows = dict(line.split(" = ", 1) for line in str(d).splitlines())
    assert all(len(rows[f"d{k}f/dx{k}"]) <= 70 for k in "³⁴⁵⁶")
    assert "tanh(x)⁶" in rows["d⁶f/dx⁶"] and "^" not in str(d)
    gauss = dict(line.split(" = ", 1) for line in str(derive("exp(-x^2)", ["x"], {"x": ""}, order=6)).splitlines())
    assert gauss["d⁴f/dx⁴"].startswith("4 exp(−x²) (") and "x⁴" in gauss["d⁴f/dx⁴"]
