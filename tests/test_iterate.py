"""iterate(T, h -> body, h0): parsing, every engine's derivatives against an
autograd loop written from the recurrence, checkpointed reverse mode against
the plain tape, and the counted tape bytes against T."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import diffbench
from diffbench.engines import get_engine
from diffbench.engines.base import Unsupported
from diffbench.lang import ExpressionError
from diffbench.testing import check_agree, relative_error

SHAPES = {"W": "n,n", "x": "n", "h0": "n"}
CHECKPOINTED = ("tape-sqrt", "tape-every4", "tape-every32", "tape-revolve", "tape-revolve8")


def recurrence(T: int) -> str:
    return f"sum(iterate({T}, h -> tanh(W*h + x), h0))"


def draw(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"W": 0.9 * rng.normal(size=(n, n)) / np.sqrt(n), "x": rng.normal(size=n), "h0": rng.normal(size=n)}


def test_parses_to_one_node_with_the_free_variables_as_arguments():
    f = diffbench.parse(recurrence(10_000), SHAPES)
    assert f.variables == ["h0", "W", "x"]
    loop = f.root.args[0]
    assert loop.op == "iterate" and loop.attr("count") == 10_000
    assert [a.attr("name") for a in loop.args] == ["h0", "W", "x"]


@pytest.mark.parametrize("text,says", [
    ("iterate(3, h -> W*h, h0)", "a step must keep the shape of h"),
    ("iterate(x, h -> h, h0)", "an integer from 1 to"),
    ("iterate(0, h -> h, h0)", "an integer from 1 to"),
    ("iterate(3, tanh(h0), h0)", "written h -> expression"),
    ("iterate(3, h -> h, h0) + h", "exists only after '->'"),
    ("tanh(h -> h)", "only iterate's step"),
    ("iterate(3, h -> h)", "takes 3 arguments"),
])
def test_malformed_iterate_is_one_pointed_error(text, says):
    with pytest.raises(ExpressionError, match=says):
        diffbench.parse(text, {"W": "m,n"})


def test_every_engine_agrees_on_a_short_recurrence():
    report = check_agree(recurrence(3), draw(3), ["W", "h0"],
                         engines=("tape", "symbolic", "fd") + CHECKPOINTED)
    assert report.errors["hessian"][("tape", "symbolic")] <= 1e-10


def _autograd_gradients(T, inputs):
    anp = pytest.importorskip("autograd.numpy")
    from autograd import grad

    def loss(W, x, h0):
        h = h0
        for _ in range(T):
            h = anp.tanh(W @ h + x)
        return anp.sum(h)

    args = (inputs["W"], inputs["x"], inputs["h0"])
    return {name: grad(loss, k)(*args) for k, name in enumerate(("W", "x", "h0"))}


def test_tape_gradients_against_an_autograd_loop():
    inputs = draw(4)
    expected = _autograd_gradients(60, inputs)
    for engine in ("tape",) + CHECKPOINTED:
        got = diffbench.derivatives(recurrence(60), inputs, wrt=["W", "x", "h0"], engine=engine, order=1)
        for name in expected:
            assert relative_error(got["gradient"][name], expected[name]) <= 1e-12, (engine, name)


def _prepared(engine, T, inputs, wrt=("W", "x", "h0")):
    f = diffbench.parse(recurrence(T), SHAPES)
    return get_engine(engine).prepare(f, list(wrt), f.bind(inputs))


def test_checkpointed_gradients_are_the_plain_tapes_bit_for_bit():
    inputs = draw(5, seed=3)
    plain = _prepared("tape", 500, inputs).gradient(inputs)
    for engine in CHECKPOINTED:
        got = _prepared(engine, 500, inputs).gradient(inputs)
        for name in plain:
            assert relative_error(got[name], plain[name]) <= 1e-12
            assert np.array_equal(got[name], plain[name])  # the same operations, recomputed


def test_checkpointed_hessian_matches_the_plain_tape():
    inputs = draw(3)
    plain = _prepared("tape", 40, inputs, ["h0"]).hessian(inputs)
    for engine in ("tape-sqrt", "tape-revolve8"):  # dual numbers through recomputed segments or steps
        got = _prepared(engine, 40, inputs, ["h0"]).hessian(inputs)
        assert relative_error(got[("h0", "h0")], plain[("h0", "h0")]) <= 1e-12


def _tape_bytes(engine, T, inputs):
    return _prepared(engine, T, inputs).tape_stats(inputs)["tape_bytes"]


def _growth_exponent(engine, inputs, depths=(100, 400, 1600)):
    counted = [_tape_bytes(engine, T, inputs) for T in depths]
    return np.polyfit(np.log(depths), np.log(counted), 1)[0]


def test_tape_bytes_grow_linearly_for_the_plain_tape_and_like_sqrt_T_with_sqrt_T_segments():
    inputs = draw(3)
    assert 0.97 <= _growth_exponent("tape", inputs) <= 1.03
    assert 0.45 <= _growth_exponent("tape-sqrt", inputs) <= 0.55


@settings(max_examples=40, derandomize=True, deadline=None)
@given(T=st.integers(1, 60), states=st.integers(1, 8))
def test_revolve_recomputes_exactly_the_published_binomial_count(T, states):
    """Griewank and Walther (2000): reversing T steps with c stored states takes
    at least r T - C(c + r, c + 1) untaped forward steps, r the least integer
    with C(c + r, c) >= T; the schedule attains it, and the gradient is the
    plain tape's bit for bit."""
    from diffbench.tape.core import Program
    from diffbench.tape.loop import Schedule

    inputs = draw(2, seed=T)
    f = diffbench.parse(recurrence(T), SHAPES)
    prog = Program(f, ["W", "h0"], f.bind(inputs), Schedule("revolve", states))
    tape = prog.forward(inputs)
    grads = prog.backward(tape, 1.0)
    (slot,) = prog.loops
    record = tape[prog.record_slot[slot]]
    c = min(states, T)
    r = next(r for r in range(T + 1) if math.comb(c + r, c) >= T)
    published = r * T - (math.comb(c + r, c + 1) if r >= 1 else 0)
    first_descent = max(record.checkpoints)  # the forward pass's untaped steps up to its last stored state
    assert record.advanced_steps + first_descent == published
    assert len(record.checkpoints) <= c and record.recomputed_steps == record.advanced_steps + T
    plain = _prepared("tape", T, inputs, ["W", "h0"]).gradient(inputs)
    assert all(np.array_equal(grads[name], plain[name]) for name in plain)


def test_depth_ten_thousand_runs():
    inputs = draw(2)
    prepared = _prepared("tape-sqrt", 10_000, inputs)
    grads = prepared.gradient(inputs)
    assert np.all(np.isfinite(grads["W"]))
    assert prepared.tape_stats(inputs)["loop_steps"] == 10_000


def test_symbolic_unrolls_short_loops_and_refuses_long_ones():
    from diffbench.symbolic.api import derive

    d = derive(diffbench.parse(recurrence(2), SHAPES), "h0", order=1)
    assert str(d).splitlines()[0] == "f = sum(tanh(W tanh(W h0 + x) + x))"
    with pytest.raises(Unsupported, match="unrolled into one formula only up to 32 steps"):
        diffbench.derivatives(recurrence(33), draw(2), wrt="h0", engine="symbolic", order=1)
    with pytest.raises(Unsupported, match="only up to 4 steps at this order"):
        diffbench.derivatives(recurrence(5), draw(2), wrt="h0", engine="symbolic", order=2)


def test_higher_derivatives_through_a_loop():
    inputs = {"a": 0.3, "c": 0.5}
    report = check_agree("iterate(4, h -> sin(h) + c*h, a)", inputs, "a", engines=("tape", "symbolic"), order=4)
    assert report.errors["derivatives"][("tape", "symbolic")] <= 1e-10


def test_engines_that_translate_op_by_op_say_unsupported():
    with pytest.raises(Unsupported, match="iterate"):
        diffbench.derivatives(recurrence(3), draw(2), wrt="h0", engine="sympy-scalar")
