"""Curvature without the Hessian: HVPs in every engine agree with each other
and with Hessian-times-v; closed-form traces agree with Hessian diagonals;
Hutchinson's estimator is unbiased with an honest standard error."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diffbench
from diffbench.function import InputError
from diffbench.testing import Disagreement, check_agree, wrong_rule

# closed-form (hand-written NumPy) has no HVP of its own: its product is Hessian times v
EXACT = ("tape", "symbolic", "fd", "closed-form")
SCALAR_ENTRIES = ["quadratic_form", "log_quadratic", "logistic_regression", "two_variable_graph",
                  "regularised_neuron", "least_squares", "log_determinant", "linear_solve_loss", "two_layer_net"]


@pytest.mark.parametrize("name", SCALAR_ENTRIES)
def test_hvp_and_trace_agree_across_engines_and_with_the_hessian(name):
    entry = diffbench.get_entry(name)
    inputs = entry.sample({d: 3 for d in entry.function.dims}, 0)
    check_agree(entry, inputs, entry.wrt, engines=EXACT, extra=("hvp", "trace"), allow_unsupported=("closed-form",))


@settings(max_examples=10)
@given(m=st.integers(1, 8), n=st.integers(1, 6), seed=st.integers(0, 100))
def test_logistic_regression_hvp_matches_the_published_formula(m, n, seed):
    # X^T (s (1 - s) . (X v)), written from the formula, not by an engine
    rng = np.random.default_rng(seed)
    X, w, y, v = rng.normal(size=(m, n)), rng.normal(size=n), rng.integers(0, 2, m).astype(float), rng.normal(size=n)
    s = 1 / (1 + np.exp(-X @ w))
    expected = X.T @ (s * (1 - s) * (X @ v))
    inputs = {"X": X, "w": w, "y": y}
    for engine in ("tape", "symbolic", "fd"):
        got = diffbench.hvp(diffbench.get_entry("logistic_regression"), inputs, "w", v, engine=engine)
        assert np.abs(got - expected).max() / max(1.0, np.abs(expected).max()) < 1e-6, engine
    trace = diffbench.hessian_trace(diffbench.get_entry("logistic_regression"), inputs, "w", engine="symbolic")
    assert abs(trace["trace"] - np.sum(s * (1 - s) * np.sum(X * X, axis=1))) < 1e-9 * max(1, trace["trace"])


@pytest.mark.parametrize("framework", ["autograd", "torch", "jax"])
def test_framework_hvps_agree(framework):
    pytest.importorskip(framework)
    entry = diffbench.get_entry("linear_solve_loss")
    inputs = entry.sample({"n": 2}, 1)
    check_agree(entry, inputs, entry.wrt, engines=("tape", framework, "fd"), extra=("hvp",), order=2)


def test_a_wrong_second_order_rule_is_caught_in_the_hvp():
    # sigmoid's JVP is used only by forward-over-reverse (softplus' VJP calls sigmoid),
    # so the tape's gradient stays right and only its HVP and Hessian go wrong
    entry = diffbench.get_entry("logistic_regression")
    inputs = entry.sample({"n": 3, "m": 5}, 0)
    bad = (lambda t, ans, x: 1.1 * t * ans * (1 - ans),)
    with wrong_rule("sigmoid", jvp=bad), pytest.raises(Disagreement) as caught:
        check_agree(entry, inputs, "w", engines=("tape", "symbolic", "fd"), extra=("hvp",))
    assert caught.value.engine == "tape" and caught.value.quantity in ("hvp", "hessian")


def test_hutchinson_is_unbiased_and_its_stderr_is_honest():
    entry = diffbench.get_entry("logistic_regression")
    inputs = entry.sample({"n": 20, "m": 40}, 0)
    exact = diffbench.hessian_trace(entry, inputs, "w", engine="symbolic")["trace"]
    assert exact == pytest.approx(diffbench.hessian_trace(entry, inputs, "w", engine="tape")["trace"], rel=1e-10)
    for distribution in ("rademacher", "gaussian"):
        z = []
        for seed in range(20):
            est = diffbench.hessian_trace(entry, inputs, "w", method="hutchinson", probes=30, seed=seed,
                                          distribution=distribution)
            assert est["probes"] == 30 and est["seconds"] > 0
            z.append((est["trace"] - exact) / est["stderr"])
        # standardised errors: centred near 0 with spread near 1 (not a biased or overconfident estimate)
        assert abs(np.mean(z)) < 0.8 and 0.5 < np.std(z) < 1.8, (distribution, z)


def test_tape_batches_all_probes_in_one_sweep_and_matches_one_by_one():
    entry = diffbench.get_entry("logistic_regression")
    inputs = entry.sample({"n": 5, "m": 8}, 0)
    a = diffbench.hessian_trace(entry, inputs, "w", method="hutchinson", probes=7, engine="tape")
    b = diffbench.hessian_trace(entry, inputs, "w", method="hutchinson", probes=7, engine="symbolic")
    assert a["trace"] == pytest.approx(b["trace"], rel=1e-10)


def test_api_errors_are_one_line():
    inputs = {"x": np.ones(3), "A": np.eye(3)}
    with pytest.raises(InputError, match="shape"):
        diffbench.hvp("x'*A*x", inputs, "x", np.ones(2))
    with pytest.raises(InputError, match="method"):
        diffbench.hessian_trace("x'*A*x", inputs, "x", method="guess")
    with pytest.raises(InputError, match="probes"):
        diffbench.hessian_trace("x'*A*x", inputs, "x", method="hutchinson", probes=0)
    with pytest.raises(InputError, match="scalar"):
        diffbench.hvp("A*x", inputs, "x", np.ones(3))
    out = diffbench.hvp("x'*A*x", inputs, ["x", "A"], {"x": np.ones(3), "A": np.zeros((3, 3))})
    assert out["x"].shape == (3,) and out["A"].shape == (3, 3)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "diffbench.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("engine", ["tape", "symbolic"])
def test_operators_take_sizes_for_a_dim_no_input_shows(engine):
    # logsumexp(b*ones(n)) = b + log(n): its Hessian in b is 0, its Jacobian of b*ones(n) is ones(n)
    f, inputs = "logsumexp(b*ones(n))", {"b": 0.5}
    assert diffbench.hvp(f, inputs, "b", 1.0, engine=engine, sizes={"n": 4}) == pytest.approx(0.0)
    assert diffbench.hessian_trace(f, inputs, "b", engine=engine, sizes={"n": 4})["trace"] == pytest.approx(0.0)
    np.testing.assert_allclose(diffbench.jacobian("b*ones(n)", inputs, "b", engine=engine, sizes={"n": 3}),
                               np.ones(3))
    with pytest.raises(InputError, match="sizes="):
        diffbench.hvp(f, inputs, "b", 1.0, engine=engine)
    with pytest.raises(InputError, match="dimension n is 4 from 'sizes' but 3 from 'x'"):
        diffbench.hvp("x'*x", {"x": np.ones(3)}, "x", np.ones(3), engine=engine, sizes={"n": 4})
    with pytest.raises(InputError, match=r"sizes\['n'\] is 2.5"):
        diffbench.jacobian("b*ones(n)", inputs, "b", engine=engine, sizes={"n": 2.5})
    with pytest.raises(InputError, match="wrt must be a variable name"):
        diffbench.hvp("x'*x", {"x": np.ones(3)}, 3, np.ones(3), engine=engine)


def test_derive_prints_the_closed_form_hvp_and_trace():
    out = _cli("derive", "logistic_regression", "--hvp", "--trace")
    assert out.returncode == 0, out.stderr
    hvp_line = next(line for line in out.stdout.splitlines() if line.startswith("∇²_w f · v"))
    assert "X v" in hvp_line and "σ(X w)" in hvp_line and "diag" not in hvp_line  # no Hessian formed
    assert any(line.startswith("Tr ∇² f") for line in out.stdout.splitlines())
    data = json.loads(_cli("derive", "logistic_regression", "--hvp", "--format", "json").stdout)
    assert "∇²_w f · v" in data["curvature"]
    bad = _cli("derive", "A*x", "--shape", "A=m,n", "--shape", "x=n", "--hvp")
    assert bad.returncode != 0 and "scalar" in bad.stderr and "Traceback" not in bad.stderr


def test_compare_times_the_hvp():
    out = _cli("compare", "logistic_regression", "--size", "n=6", "--quantities", "hvp", "--engines",
               "tape,symbolic,fd", "--json")
    summary = json.loads(out.stdout)
    assert summary["agree"] and all(r["hvp_seconds"] > 0 for r in summary["engines"])


# ---------------------------------------------------------------- the printed HVP reads one way only

def test_the_logistic_hvp_prints_with_its_products_parenthesised():
    """Xᵀ applies to the whole Hadamard product, and X v is one factor of it:
    never the ambiguous "Xᵀ (X v) ⊙ ...", which could be read (Xᵀ X v) ⊙ ...."""
    from diffbench.symbolic.curvature import curvature_rows

    (row,) = curvature_rows(diffbench.get_entry("logistic_regression").function, ["w"], "text")
    assert row == ("∇²_w f · v", "Xᵀ ((X v) ⊙ (σ(X w) ⊙ (1 − σ(X w))))")


@pytest.mark.parametrize("name", ["logistic_regression", "two_layer_net", "log_quadratic", "linear_solve_loss"])
def test_the_hvp_printed_in_the_input_language_reads_back_to_the_tape_hvp(name):
    """``derive --hvp --format expr`` writes each product as a program; parsing
    it (the grammar has one reading) and evaluating it at the direction gives
    the tape's forward-over-reverse HVP: what is printed is what is computed."""
    from diffbench.symbolic.curvature import curvature_programs, direction_names

    entry = diffbench.get_entry(name)
    fn, wrt = entry.function, list(entry.wrt)
    inputs = entry.sample({d: 3 for d in entry.function.dims}, 3)
    directions = direction_names(fn.shapes, wrt)
    rng = np.random.default_rng(4)
    v = {b: rng.normal(size=np.shape(inputs[b])) for b in wrt}
    want = diffbench.hvp(fn, inputs, wrt, v, engine="tape")
    shapes = {**fn.shapes, **{directions[b]: fn.shapes[b] for b in wrt}}
    at = {**inputs, **{directions[b]: v[b] for b in wrt}}
    for a, (label, text) in zip(wrt, curvature_programs(fn, wrt)):
        assert label.startswith(f"∇²_{a} f · v")
        back = diffbench.parse(text, {k: ",".join(s) for k, s in shapes.items()})
        got = diffbench.derivatives(back, at, wrt=[directions[wrt[0]]], order=1)["value"]
        np.testing.assert_allclose(np.reshape(got, np.shape(want[a])), want[a], rtol=1e-9, atol=1e-9)


def test_derive_hvp_in_the_input_language_prints_programs_only():
    out = _cli("derive", "logistic_regression", "--hvp", "--trace", "--format", "expr")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    hvp = lines[lines.index("# ∇²_w f · v") + 1]
    assert hvp.endswith("X'*((X*v) .* z1)") and "⊙" not in out.stdout
    assert "# Tr ∇² f" in lines
