"""The tape's sweeps written out as straight-line code (diffbench.tape.compiled) against
the interpreter they unroll: the same numbers, bit for bit, the same releases, the same
fallbacks."""
import re

import numpy as np
import pytest
from hypothesis import Phase, given, note, settings
from hypothesis import strategies as st

from diffbench import parse
from diffbench.allocation import peak_allocated
from diffbench.catalogue import get_entry
from diffbench.engines import get_engine
from diffbench.tape import compiled
from diffbench.tape.core import Program
from diffbench.tape.operators import interpreted_value_and_grad, value_and_grad


def _same(a, b) -> None:
    """Equal bit for bit where finite, and inf or NaN in the same places."""
    np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def _both(fn, wrt, inputs, sizes):
    program = Program(fn, wrt, sizes)
    run = compiled.value_and_grad(program)
    assert run is not None, "a loop-free program of a few steps is compiled"
    with np.errstate(all="ignore"):
        return run(inputs), interpreted_value_and_grad(program, inputs)


@given(data=st.data(), n=st.sampled_from([1, 2, 3]),
       regime=st.sampled_from(["unit", "unit", "tiny", "large"]), seed=st.integers(0, 2 ** 16))
@settings(max_examples=150, phases=tuple(p for p in Phase if p != Phase.explain))
def test_compiled_sweeps_give_the_interpreters_numbers(data, n, regime, seed):
    """The random grammar's expressions (scalars broadcast into sums, scalar, vector and
    matrix variables mixed, tiny and large inputs): value and every gradient identical."""
    pytest.importorskip("autograd")  # the grammar's references are autograd's (unused here)
    from random_grammar import SHAPES, draw_inputs, expressions

    text, _ = data.draw(expressions(), label="expression")
    fn = parse(text, SHAPES)
    wrt = data.draw(st.lists(st.sampled_from(fn.variables), min_size=1, max_size=3, unique=True), label="wrt")
    inputs = draw_inputs({v: SHAPES[v] for v in fn.variables}, n, regime, seed)
    note(f"{text} wrt {wrt}")
    fast, slow = _both(fn, wrt, inputs, fn.bind(inputs))
    _same(fast["value"], slow["value"])
    assert fast["gradient"].keys() == slow["gradient"].keys()
    for name, g in slow["gradient"].items():
        assert np.shape(fast["gradient"][name]) == np.shape(inputs[name])
        _same(fast["gradient"][name], g)


@pytest.mark.parametrize("expr, shapes, wrt", [
    ("a*b + sum(x)", {"a": "", "b": "", "x": "n"}, ["a", "b", "x"]),  # a scalar wrt, an unused-by-rule one
    ("sum(x)", {"x": "n", "y": "n"}, ["x"]),  # an input no step reads
    ("x'*x + 3", {"x": "n"}, ["x"]),  # a symmetric product: one rule on 2g
    ("sign(x'*x)*sum(x)", {"x": "n"}, ["x"]),  # a flat step: its argument gets no adjoint
])
def test_edge_programs_compile_to_the_interpreters_numbers(expr, shapes, wrt):
    fn = parse(expr, shapes)
    rng = np.random.default_rng(0)
    inputs = {k: float(rng.normal()) if not s else rng.normal(size=3) for k, s in shapes.items()}
    fast, slow = _both(fn, wrt, inputs, {"n": 3})
    _same(fast["value"], slow["value"])
    for name in wrt:
        _same(fast["gradient"][name], slow["gradient"][name])


def test_scalar_arithmetic_overflows_to_inf_as_numpy_does():
    """Python's operators on two scalars: inf on overflow, never an exception."""
    fn = parse("a*b - c", {"a": "", "b": "", "c": ""})
    source = compiled.value_and_grad(Program(fn, ["a", "b"], {})).source
    assert re.search(r"= t\d+ \* t\d+$", source, re.M), source  # the operator itself
    fast, slow = _both(fn, ["a", "b"], {"a": 1e200, "b": 1e200, "c": 1e308}, {})
    assert fast["value"] == np.inf
    _same(fast["value"], slow["value"])


def test_the_source_names_no_user_text():
    fn = parse("sum(log(1 + exp(weights_zq)))", {"weights_zq": "n"})
    source = compiled.value_and_grad(Program(fn, ["weights_zq"], {"n": 4})).source
    assert "weights_zq" not in source and "inputs[N" in source


def test_a_loop_keeps_the_interpreter():
    fn = parse("sum(iterate(3, h -> tanh(W*h + x), h0))", {"W": "n,n", "x": "n", "h0": "n"})
    program = Program(fn, ["x"], {"n": 3})
    assert compiled.value_and_grad(program) is None
    rng = np.random.default_rng(1)
    inputs = {"W": rng.normal(size=(3, 3)) / 3, "x": rng.normal(size=3), "h0": rng.normal(size=3)}
    _same(value_and_grad(program, inputs)["gradient"]["x"], interpreted_value_and_grad(program, inputs)["gradient"]["x"])


def test_a_long_program_keeps_the_interpreter(monkeypatch):
    monkeypatch.setattr(compiled, "COMPILED_STEPS", 2)
    program = Program(parse("sum(exp(sin(x)))", {"x": "n"}), ["x"], {"n": 3})
    assert compiled.value_and_grad(program) is None
    assert value_and_grad(program, {"x": np.ones(3)})["gradient"]["x"].shape == (3,)


def test_compiled_sweeps_release_what_the_interpreter_releases():
    """mds_stress makes seven N x N values and its reverse sweep reads one: the compiled
    sweeps free the others after their last reader too (a peak of at most the interpreter's)."""
    entry = get_entry("mds_stress")
    sizes = entry.resolve_sizes({"N": 60})
    inputs = entry.sample({"N": 60}, seed=0)
    program = get_engine("tape").prepare(entry.function, list(entry.wrt), sizes).program
    run = compiled.value_and_grad(program)
    assert run is not None and " = S" in run.source  # stand-ins bound where values go
    run(inputs), interpreted_value_and_grad(program, inputs)  # warm: NumPy's own first-call buffers
    fast, fast_peak = peak_allocated(run, inputs)
    slow, slow_peak = peak_allocated(interpreted_value_and_grad, program, inputs)
    name = entry.wrt[0]
    _same(fast["gradient"][name], slow["gradient"][name])
    assert fast_peak <= slow_peak + 2**12
    keep_all = peak_allocated(lambda: program.forward(inputs, keep_all=True))[1]
    assert fast_peak < keep_all  # not everything held to the end
