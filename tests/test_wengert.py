"""The evaluation trace against the lectures' forward and adjoint tables of
L = w2 log w1 + sqrt(w2 log w1), worked by hand from the chain rule."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import diffbench
from diffbench.tape.wengert import wengert

LECTURE = "w2*log(w1) + sqrt(w2*log(w1))"


def _lecture_table(w1, w2, along_w1=True):
    v1 = math.log(w1)
    v2 = w2 * v1
    v3 = math.sqrt(v2)
    dw1, dw2 = (1.0, 0.0) if along_w1 else (0.0, 1.0)
    d1 = dw1 / w1
    d2 = dw2 * v1 + w2 * d1
    d3 = d2 / (2 * v3)
    b3 = 1.0
    b2 = 1.0 + b3 / (2 * v3)
    b1 = b2 * w2
    return {"w1": (w1, dw1, b1 / w1), "w2": (w2, dw2, b2 * v1), "v1": (v1, d1, b1), "v2": (v2, d2, b2),
            "v3": (v3, d3, b3), "v4": (v2 + v3, d2 + d3, 1.0)}


@pytest.mark.parametrize("along_w1", [True, False])
def test_the_lectures_table(along_w1):
    fn = diffbench.parse(LECTURE, shapes={"w1": "", "w2": ""})
    direction = {"w1": float(along_w1), "w2": float(not along_w1)}
    trace = wengert(fn, {"w1": 2.0, "w2": 1.5}, direction)
    expected = _lecture_table(2.0, 1.5, along_w1)
    rows = {r["name"]: r for r in trace["rows"]}
    assert list(rows) == ["w2", "w1", "v1", "v2", "v3", "v4"]  # evaluation order; the log is shared
    assert rows["v1"]["operation"] == "log(w1)" and rows["v2"]["operation"] == "w2 · v1"
    assert rows["v4"]["output"] and rows["v4"]["operation"] == "v2 + v3"
    for name, (value, tangent, adjoint) in expected.items():
        assert rows[name]["value"] == pytest.approx(value, rel=1e-14)
        assert rows[name]["tangent"] == pytest.approx(tangent, rel=1e-14)
        assert rows[name]["adjoint"] == pytest.approx(adjoint, rel=1e-14)


def test_adjoints_of_the_inputs_are_the_gradient_and_the_output_tangent_is_a_jvp():
    entry = diffbench.get_entry("regularised_neuron")
    inputs = entry.sample({}, 3)
    trace = wengert(entry.function, inputs)
    rows = {r["name"]: r for r in trace["rows"]}
    grads = diffbench.derivatives(entry, inputs, list(entry.function.variables), order=1)["gradient"]
    for name, g in grads.items():
        assert rows[name]["adjoint"] == pytest.approx(float(g), rel=1e-12, abs=1e-15)
    output = next(r for r in trace["rows"] if r["output"])
    assert output["tangent"] == pytest.approx(float(grads["b"]), rel=1e-12)  # default direction: b, first by name


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "diffbench.cli.main", "trace", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_prints_the_table_and_json():
    out = _cli(LECTURE, "--at", "w1=2", "--at", "w2=1.5")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1].split()[:3] == ["v", "operation", "value"]
    v1 = next(line for line in lines if line.startswith("v1 "))
    assert "log(w1)" in v1 and "0.693147" in v1 and " 0.5 " in v1 + " "
    data = json.loads(_cli(LECTURE, "--at", "w1=2", "--at", "w2=1.5", "--direction", "w2=1", "--json").stdout)
    assert data["direction"] == {"w1": 0.0, "w2": 1.0}
    big = _cli("logistic_regression", "--size", "n=30", "--size", "m=60")
    assert "60×30, ‖·‖ =" in big.stdout  # large values are shown by shape and norm


@pytest.mark.parametrize("args, fragment", [
    ((LECTURE, "--at", "w1=two"), "expected a number"),
    ((LECTURE, "--at", "w1=2", "--at", "w2=1", "--direction", "w3=1"), "not a variable"),
    (("sum(x)",), "--size needed"),
])
def test_bad_input_is_one_line(args, fragment):
    out = _cli(*args)
    assert out.returncode != 0 and fragment in out.stderr and "Traceback" not in out.stderr


def test_rows_are_labelled_by_the_form_the_tape_runs():
    """log(1 + exp(x)) runs as softplus(x): the rows were labelled from the
    function as written (six nodes for three slots), so x read 'v1' and the
    output row was named 'x'."""
    fn = diffbench.parse("sum(log(1 + exp(x)))", {"x": "n"})
    x = np.array([0.3, -1.2])
    rows = wengert(fn, {"x": x})["rows"]
    assert [(r["name"], r["operation"]) for r in rows] == [("x", "input"), ("v1", "softplus(x)"), ("v2", "sum(v1)")]
    assert rows[-1]["output"] and rows[-1]["value"] == pytest.approx(np.sum(np.logaddexp(0, x)))


def test_a_dimension_no_input_shows_is_sized_from_the_command_line():
    """trace "sum(a*b + ones(n,n))" --size n=2 stopped at 'no input fixes the size of dimension n'."""
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "trace", "sum(a*b + ones(n,n))", "--size", "n=2",
                           "--at", "a=1", "--at", "b=2", "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["rows"]
    assert rows[-1]["output"] and rows[-1]["value"] == pytest.approx(12.0)


def test_a_function_that_is_not_scalar_is_one_error_line():
    """trace "A*x" ended in a NumPy matmul traceback from the backward pass (no scalar seed)."""
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "trace", "A*x", "--size", "n=2", "--size", "m=2"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: the trace's adjoints need a scalar function; 'A*x' has shape (")


def _trace_cli(*args):
    return subprocess.run([sys.executable, "-m", "diffbench.cli.main", "trace", *args],
                          capture_output=True, text=True, timeout=120)


def test_a_catalogue_entry_is_traced_at_its_own_derived_sizes():
    """Every dim was set to 3, derived ones too (logistic regression's m = 2n traced at
    m = 3), and an entry with a dim of no default (adbench-lstm's l) was a ValueError traceback."""
    rows = json.loads(_trace_cli("logistic_regression", "--size", "n=2", "--json").stdout)["rows"]
    assert next(r for r in rows if r["name"] == "X")["shape"] == [4, 2]
    lstm = _trace_cli("adbench-lstm")
    assert lstm.returncode == 0 and "Traceback" not in lstm.stderr, lstm.stderr


def test_a_loop_is_one_error_line():
    """iterate's loop step has no row-by-row adjoint here: it was a TypeError traceback."""
    proc = _trace_cli("sum(iterate(5, h -> tanh(h), x))", "--size", "n=2")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "iterate(...) is one loop node" in proc.stderr


def test_indexing_and_concatenation_rows_say_what_they_take():
    """An index row read take(x) and a concatenation concat(x, x): which entries, which axis?"""
    fn = diffbench.parse("x[2]*sum(x[1:2]) + sum(A[2,:]) + sum([x; x])", {"x": "n", "A": "n,n"})
    rows = wengert(fn, {"x": np.array([0.3, -0.8, 1.1]), "A": np.eye(3)})["rows"]
    operations = [r["operation"] for r in rows]
    assert {"x[2]", "x[1:2]", "A[2, :]", "[x; x]"} <= set(operations), operations
