"""Forward against reverse mode: the tape's batched Jacobians in both modes
agree with each other, with fd and with the published formula; the cost
model's choice; modes in the API, the CLI and job results."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import diffbench
from diffbench.api import as_function
from diffbench.cli.main import cli
from diffbench.function import InputError
from diffbench.tape import cost
from diffbench.tape import operators as ops
from diffbench.tape.core import Program
from diffbench.testing import Disagreement, check_agree, wrong_rule

MODES = ("tape:forward", "tape:reverse", "fd")
VECTOR_FUNCTIONS = ["A*x", "sigmoid(A*x)", "log(1+exp(A*x)) .* (A*x)", "A*x*x'", "A'*(A*x) - 2*(A*x)'*(A*x)*x"]


def _inputs(m, n, seed=0):
    rng = np.random.default_rng(seed)
    return {"A": rng.normal(size=(m, n)), "x": rng.normal(size=n)}


@pytest.mark.parametrize("expr", VECTOR_FUNCTIONS)
@settings(max_examples=8)
@given(m=st.integers(1, 6), n=st.integers(1, 6))
def test_forward_and_reverse_jacobians_agree_with_fd(expr, m, n):
    inputs = _inputs(m, n)
    check_agree(expr, inputs, "x", engines=MODES, order=1)
    check_agree(expr, inputs, ["x", "A"], engines=MODES, order=1)


def test_both_modes_match_the_published_jacobian_of_sigmoid_Ax():
    # d sigma(Ax) / dx = diag(s (1 - s)) A, written from the formula, not by an engine
    inputs = _inputs(7, 4, seed=3)
    s = 1 / (1 + np.exp(-inputs["A"] @ inputs["x"]))
    expected = (s * (1 - s))[:, None] * inputs["A"]
    for mode in ("forward", "reverse", "auto"):
        got = diffbench.jacobian("sigmoid(A*x)", inputs, "x", mode=mode)
        assert got.shape == (7, 4)
        assert np.abs(got - expected).max() < 1e-12


def test_reverse_jacobian_against_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    inputs = _inputs(5, 3, seed=4)
    f = lambda A: anp.tanh(A @ inputs["x"]) * (A @ inputs["x"])  # noqa: E731
    expected = autograd.jacobian(f)(inputs["A"])
    got = diffbench.jacobian("tanh(A*x) .* (A*x)", inputs, "A", mode="reverse")
    assert got.shape == (5, 5, 3)
    assert np.abs(got - expected).max() < 1e-12


def test_a_wrong_vjp_rule_is_caught_in_reverse_mode_and_named():
    # forward mode uses the JVP rules, so only the reverse Jacobian goes wrong
    bad = (lambda g, ans, a: g,)  # forgets to transpose the cotangent
    inputs = {"A": np.random.default_rng(0).normal(size=(3, 3)), "x": np.ones(3)}
    with wrong_rule("transpose", vjp=bad), pytest.raises(Disagreement) as caught:
        check_agree("A'*(A*x)", inputs, "A", engines=MODES, order=1)
    assert caught.value.engine == "tape:reverse"


def test_gradient_forced_into_forward_mode_agrees():
    entry = diffbench.get_entry("logistic_regression")
    inputs = entry.sample({"n": 6, "m": 9}, 0)
    check_agree(entry, inputs, entry.wrt, engines=("tape:forward", "tape:reverse", "fd"), order=1)


def _program(expr, m, n):
    fn = as_function(expr, _inputs(m, n))
    return Program(fn, ["x"], {"m": m, "n": n})


@pytest.mark.parametrize("expr, m, n, mode", [
    ("sigmoid(A*x)", 2, 1000, "reverse"),   # few outputs: reverse
    ("A*x", 1000, 100, "forward"),           # many outputs of a linear map: forward's A I is free
    ("sum(exp(A*x))", 50, 1000, "reverse"),  # a scalar: one backward sweep
])
def test_cost_model_choice(expr, m, n, mode):
    assert cost.mode_for(_program(expr, m, n)) == mode


def test_api_rejects_bad_modes_and_engines_without_modes():
    inputs = _inputs(2, 2)
    with pytest.raises(InputError, match="mode must be"):
        diffbench.jacobian("A*x", inputs, "x", mode="sideways")
    with pytest.raises(InputError, match="one mode"):
        diffbench.jacobian("A*x", inputs, "x", engine="fd", mode="forward")
    jac = diffbench.jacobian("A*x", inputs, ["x", "A"], engine="symbolic")
    assert set(jac) == {"x", "A"} and jac["A"].shape == (2, 2, 2)


def test_prepared_records_the_mode_that_ran():
    from diffbench.engines import get_engine

    # n = 1000 against 2 outputs: far from a tie, so a busy machine's timing
    # of the per-sweep overhead cannot turn the choice (at n = 50 it could)
    fn = as_function("sigmoid(A*x)", _inputs(2, 1000))
    prepared = get_engine("tape").prepare(fn, ["x"], {"m": 2, "n": 1000})
    prepared.jacobian(_inputs(2, 1000))
    assert prepared.mode_ran("jacobian") == prepared.program.mode_choice == "reverse"
    assert get_engine("fd").prepare(fn, ["x"], {"m": 2, "n": 1000}).mode_ran("jacobian") == "central differences"


def test_cli_compare_jacobian_in_each_mode():
    runner = CliRunner()
    args = ["compare", "sigmoid(A*x)", "--shape", "A=m,n", "--shape", "x=n", "--wrt", "x",
            "--size", "m=30", "--size", "n=4", "--engines", "tape,fd", "--quantities", "jacobian", "--json"]
    for mode in ("forward", "reverse"):
        out = runner.invoke(cli, args + ["--mode", mode])
        assert out.exit_code == 0, out.output
        summary = json.loads(out.output)
        tape = summary["engines"][0]
        assert tape["engine"] == f"tape:{mode}" and tape["mode"] == {"jacobian": mode}
        assert tape["jacobian_seconds"] > 0 and summary["agree"]
    bad = subprocess.run([sys.executable, "-m", "diffbench.cli.main"] + args[:-1] + ["--quantities", "jacobians"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "unknown quantity 'jacobians'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_job_engine_variants_record_their_mode(tmp_path):
    from diffbench.jobs.harness import run_measured
    from diffbench.jobs.plan import plan
    from diffbench.jobs.checks import load_job

    path = tmp_path / "modes.toml"
    path.write_text("""version = 1
name = "modes"
engines = ["tape:forward", "tape:reverse", "tape"]
quantities = ["jacobian", "gradient"]
repeat = 1
sample_time = "1ms"
[[functions]]
name = "lse"
expr = "log(sum(exp(A*x)))"
shapes = { A = "m,n", x = "n" }
sizes = { n = 3, m = 4 }
""")
    job, _ = load_job(path)
    modes = {}
    for task in plan(job):
        fields, _ = run_measured(task, time.perf_counter() + 20)
        assert fields["status"] == "ok", fields
        modes[(task["engine"], task["quantity"])] = fields["stats"]["mode"]
    assert modes[("tape:forward", "jacobian")] == "forward"
    assert modes[("tape:reverse", "gradient")] == "reverse"
    assert modes[("tape", "gradient")] == "reverse"


def test_the_overhead_is_measured_once_per_function_and_loops_fall_back():
    from diffbench.tape import cost

    prog = _program("tanh(A*x)", 30, 20)
    costs = cost.mode_costs(prog)
    assert costs["forward"]["measured"] and costs["reverse"]["measured"]
    assert all(c["overhead"] > 0 and c["seconds"] > c["overhead"] for c in costs.values())
    key = next(k for k in cost._measured if k[0] == prog.fn.expr)
    cost._measured[key] = {"forward": 1.0, "reverse": 0.0}  # a planted measurement is what is used
    try:
        assert cost.mode_for(_program("tanh(A*x)", 30, 20)) == "reverse"
    finally:
        del cost._measured[key]
    rng = np.random.default_rng(0)
    inputs = {"W": rng.normal(size=(3, 3)), "x": rng.normal(size=3), "h0": rng.normal(size=3)}
    loop = Program(as_function("iterate(5, h -> tanh(W*h + x), h0)", inputs), ["x"], {"n": 3})
    assert not cost.overheads(loop)["measured"]  # a loop's count is no size
    assert cost.choose_mode(loop)[0] in ("forward", "reverse")


def test_a_predicted_tie_is_measured_on_the_inputs():
    """Where the model cannot tell the modes apart it measures them: planted
    overheads that make a clear case look like a tie are overruled."""
    from diffbench.tape import cost

    m, n = 2, 300  # reverse is several times faster: two cotangents against 300 tangents
    prog, inputs = _program("sigmoid(A*x)", m, n), _inputs(m, n)
    counts = cost.entries(prog)
    work = {mode: cost._work(mode, counts[mode]) for mode in counts}
    key = (prog.fn.expr, tuple(sorted(cost._size_free(prog.fn)[0].items())), ("x",))
    cost._measured[key] = {"forward": 1e-3, "reverse": 1e-3 + work["forward"] - work["reverse"]}
    try:
        assert cost.choose_mode(prog) == ("reverse", "unmeasured") or cost.choose_mode(prog)[1] == "unmeasured"
        assert cost.mode_for(prog, inputs) == "reverse" and prog.mode_basis == "measured"
    finally:
        del cost._measured[key]


def test_nothing_is_measured_while_tracemalloc_traces():
    """A job's warm-up call is traced for its peak memory: Python runs slower
    then, so the overheads and near ties are measured at the next call."""
    import tracemalloc

    from diffbench.tape import cost

    prog, inputs = _program("sigmoid(A*x) + x'*x", 7, 5), _inputs(7, 5)  # an expression no other test uses
    tracemalloc.start()
    try:
        mode = cost.mode_for(prog, inputs)
    finally:
        tracemalloc.stop()
    assert prog.mode_basis == "unmeasured" and not any(k[0] == prog.fn.expr for k in cost._measured)
    assert cost.mode_for(prog, inputs) in ("forward", "reverse") and prog.mode_basis in ("model", "measured")
    assert any(k[0] == prog.fn.expr for k in cost._measured) and mode in ("forward", "reverse")


def test_the_mode_model_reads_the_sizes_of_the_program_it_runs():
    """The model read node sizes off the function as written while the program's
    slots are its canonical form's (a*b + ones(n,n) has one node more there):
    the Jacobian in auto mode raised IndexError."""
    out = diffbench.jacobian("a*b + ones(n, n)", {"a": 0.7, "b": 0.3}, wrt="a", sizes={"n": 3})
    assert np.allclose(out, 0.3) and np.shape(out) == (3, 3)
    check_agree("a*b + ones(n, n)", {"a": 0.7, "b": 0.3}, "a", engines=("tape", "symbolic", "fd"), sizes={"n": 3})
