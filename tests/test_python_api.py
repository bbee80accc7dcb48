"""The Python interface: diffbench.parse and diffbench.derivatives."""
import numpy as np
import pytest

import diffbench
from diffbench.function import InputError


def test_derivatives_from_a_string_reads_shapes_off_the_inputs():
    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    out = diffbench.derivatives("x'*A*x", {"x": np.array([1.0, 2.0]), "A": A}, wrt="x")
    np.testing.assert_allclose(out["gradient"], (A + A.T) @ [1.0, 2.0])
    np.testing.assert_allclose(out["hessian"], A + A.T)
    assert np.shape(out["value"]) == ()


@pytest.mark.parametrize("engine", ["tape", "symbolic", "fd"])
def test_several_variables_give_gradients_per_name_and_hessian_blocks(engine):
    f = diffbench.parse("w2*log(w1) + sqrt(w2*log(w1))", {"w1": "", "w2": ""})
    out = diffbench.derivatives(f, {"w1": 2.0, "w2": 1.5}, wrt=["w1", "w2"], engine=engine)
    w1, w2 = 2.0, 1.5
    u = w2 * np.log(w1)
    assert out["gradient"]["w1"] == pytest.approx((w2 / w1) * (1 + 0.5 / np.sqrt(u)), rel=1e-6)
    assert out["gradient"]["w2"] == pytest.approx(np.log(w1) * (1 + 0.5 / np.sqrt(u)), rel=1e-6)
    assert set(out["hessian"]) == {("w1", "w1"), ("w1", "w2"), ("w2", "w1"), ("w2", "w2")}
    assert out["hessian"][("w1", "w2")] == pytest.approx(out["hessian"][("w2", "w1")], rel=1e-6)


def test_matrix_variable_hessian_has_shape_var_plus_var_and_cookbook_convention():
    X = np.array([[2.0, 0.5], [0.3, 1.0]])  # not symmetric: every entry independent
    out = diffbench.derivatives("logdet(X)", {"X": X}, wrt="X", engine="symbolic")
    np.testing.assert_allclose(out["gradient"], np.linalg.inv(X).T)
    assert out["hessian"].shape == (2, 2, 2, 2)


def test_vector_valued_functions_have_jacobians_not_gradients():
    W, x = np.arange(6.0).reshape(3, 2) / 6, np.array([0.5, -1.0])
    out = diffbench.derivatives("sigmoid(W*x)", {"W": W, "x": x}, wrt="x")
    assert set(out) == {"value", "jacobian"} and out["jacobian"].shape == (3, 2)


def test_catalogue_entries_are_accepted_directly():
    entry = diffbench.get_entry("least_squares")
    inputs = entry.sample({"n": 4}, seed=0)
    out = diffbench.derivatives(entry, inputs, wrt="x")
    A = inputs["A"]
    np.testing.assert_allclose(out["hessian"], A.T @ A, rtol=1e-10)


def test_repeated_calls_do_no_repeated_set_up():
    f = diffbench.parse("sum(exp(A*x))", {"x": "n", "A": "n,n"})
    inputs = {"x": np.ones(3), "A": np.eye(3)}
    diffbench.derivatives(f, inputs, wrt="x")
    programs = dict(f.cache)
    diffbench.derivatives(f, inputs, wrt="x")
    assert f.cache.keys() == programs.keys()
    assert all(f.cache[k] is programs[k] for k in programs)  # the same tape program, reused
    assert diffbench.api.as_function("sum(x)", {"x": np.ones(2)}) is diffbench.api.as_function(
        "sum(x)", {"x": np.zeros(2)})  # a string is parsed once


@pytest.mark.parametrize("call,fragment", [
    (lambda: diffbench.derivatives("sum(x)", {"x": np.ones(2)}, wrt="y"), "not a variable"),
    (lambda: diffbench.derivatives("x'*A*x", {"x": np.ones(2), "A": np.eye(3)}, wrt="x"), "dimension"),
    (lambda: diffbench.derivatives("sum(x)", {}, wrt="x"), "missing input"),
    (lambda: diffbench.derivatives("x'*x", {"x": np.ones(0)}, wrt="x"), "a dimension of size 0"),
    (lambda: diffbench.derivatives(diffbench.parse("x'*A*x"), {"x": np.ones(3), "A": np.ones((3, 0))}, wrt="x",
                                   engine="symbolic"), "'A' has shape (3, 0)"),
    (lambda: diffbench.derivatives("x[4]", {"x": np.ones(3)}, wrt="x"), "index 4 is out of range"),
])
def test_bad_inputs_name_the_problem(call, fragment):
    with pytest.raises((InputError, ValueError)) as caught:
        call()
    assert fragment in str(caught.value)


# ---------------------------------------------------------------- sizes, absent variables, length 1

def test_sizes_are_read_off_the_inputs_where_they_show():
    """eye(n) meets x's length: n = 3 is inferred, not refused."""
    anp = pytest.importorskip("autograd.numpy")
    from diffbench.testing import check_agree

    x = np.array([0.5, -1.0, 2.0])
    out = diffbench.derivatives("x'*eye(n)*x", {"x": x}, "x")
    np.testing.assert_allclose(out["gradient"], 2 * x)
    check_agree("x'*eye(n)*x", {"x": x}, "x", engines=("symbolic", "tape"), reference=lambda p: anp.dot(p["x"], p["x"]))


@pytest.mark.parametrize("engine", ["tape", "symbolic"])
def test_sizes_argument_gives_a_dim_no_input_shows(engine):
    # the symbolic engine's code is the same at every size: it was compiled without n (NameError)
    for n in (4, 7):
        out = diffbench.derivatives("logsumexp(b*ones(n))", {"b": 0.5}, "b", sizes={"n": n}, engine=engine)
        assert out["value"] == pytest.approx(0.5 + np.log(n)) and out["gradient"] == pytest.approx(1.0)
    higher = diffbench.derivatives(diffbench.parse("sum(exp(b*ones(n)))", {"b": ""}), {"b": 0.5}, "b",
                                   sizes={"n": 3}, engine=engine, order=4)
    np.testing.assert_allclose(higher["derivatives"], [3 * np.exp(0.5)] * 4, rtol=1e-12)
    with pytest.raises(InputError, match="sizes="):
        diffbench.derivatives("logsumexp(b*ones(n))", {"b": 0.5}, "b")
    with pytest.raises(InputError, match="dimension n"):
        diffbench.derivatives("x'*eye(n)*x", {"x": np.ones(3)}, "x", sizes={"n": 4})


@pytest.mark.parametrize("size", [-1, 0, 2.5, "3", True, None])
def test_a_size_that_is_not_a_positive_integer_is_one_error_line(size):
    # int() turned 2.5 into 2, "3" into 3 and True into 1 without a word; -1 and 0 reached NumPy
    with pytest.raises(InputError, match=r"sizes\['n'\] is .*expected a positive integer") as err:
        diffbench.derivatives("logsumexp(b*ones(n))", {"b": 0.5}, "b", sizes={"n": size})
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="sizes must be a dict"):
        diffbench.derivatives("logsumexp(b*ones(n))", {"b": 0.5}, "b", sizes=5)


def test_a_size_that_conflicts_with_an_input_names_both_values():
    # a string takes its shapes off the inputs, so its dims are numbers: n of x'*x went unread
    x, A = np.ones(3), np.ones((2, 3))
    with pytest.raises(InputError, match="dimension n is 5 from 'sizes' but 3 from 'x'"):
        diffbench.derivatives("x'*x", {"x": x}, "x", sizes={"n": 5})
    with pytest.raises(InputError, match="dimension m is 4 from 'sizes' but 3 from 'A'"):
        diffbench.derivatives("sum(A*x)", {"A": A, "x": x}, "x", sizes={"m": 4})
    assert diffbench.derivatives("x'*x", {"x": x}, "x", sizes={"n": np.int64(3)})["value"] == 3.0


def test_a_size_naming_no_dimension_of_the_function_is_one_error_line():
    with pytest.raises(InputError, match=r"sizes names 'N', not a dimension of 'logsumexp\(b\*ones\(n\)\)' "
                                         r"\(its dimensions: n\)"):
        diffbench.derivatives("logsumexp(b*ones(n))", {"b": 0.5}, "b", sizes={"n": 3, "N": 2})
    with pytest.raises(InputError, match=r"sizes names 'm', not a dimension of \"x'\*x\" \(its dimensions: n\)"):
        diffbench.derivatives("x'*x", {"x": np.ones(3)}, "x", sizes={"m": 4})
    with pytest.raises(InputError, match="its dimensions: none"):
        diffbench.derivatives(diffbench.parse("x'*x", {"x": "3"}), {"x": np.ones(3)}, "x", sizes={"n": 3})


@pytest.mark.parametrize("wrt", [3, None, [], ["x", 3]])
def test_a_wrt_that_is_not_names_is_one_error_line(wrt):
    with pytest.raises(InputError, match="wrt must be a variable name or a non-empty list of names"):
        diffbench.derivatives("x'*x", {"x": np.ones(3)}, wrt)


@pytest.mark.parametrize("order", [2.5, "2", True, 0, 9])
def test_an_order_that_is_not_an_integer_in_range_is_one_error_line(order):
    with pytest.raises(InputError, match=r"order must be an integer 1 to 8, not "):
        diffbench.derivatives("x'*x", {"x": np.ones(3)}, "x", order=order)
    diffbench.derivatives("x'*x", {"x": np.ones(3)}, "x", order=1)  # a cached order 1 is no door for True


@pytest.mark.parametrize("engine", ["tape", "symbolic"])
def test_a_variable_that_does_not_occur_has_zero_derivatives_and_a_note(engine):
    fn = diffbench.parse("y'*A*y", {"x": "n", "y": "n", "A": "n,n"})
    inputs = {"x": np.ones(2), "y": np.array([1.0, 2.0]), "A": np.eye(2)}
    out = diffbench.derivatives(fn, inputs, ["x", "y"], engine=engine)
    np.testing.assert_array_equal(out["gradient"]["x"], np.zeros(2))
    np.testing.assert_allclose(out["gradient"]["y"], [2.0, 4.0])
    assert out["hessian"][("x", "y")].shape == (2, 2) and not out["hessian"][("x", "y")].any()
    assert out["notes"] == ["'x' does not occur in \"y'*A*y\": its derivatives are zero"]
    only = diffbench.derivatives(fn, inputs, "x", engine=engine)
    assert only["gradient"].shape == (2,) and only["hessian"].shape == (2, 2) and not only["gradient"].any()


@pytest.mark.parametrize("engine", ["tape", "symbolic"])
def test_a_one_by_one_product_of_length_one_vectors_is_a_scalar(engine):
    anp = pytest.importorskip("autograd.numpy")
    from diffbench.testing import check_agree

    inputs = {"x": np.array([2.0]), "A": np.array([[3.0]])}
    for fn in (diffbench.parse("x'*A*x", {"x": "1", "A": "1,1"}), diffbench.parse("(x'*A)*x", {"x": "1", "A": "1,1"}),
               "x'*A*x"):
        out = diffbench.derivatives(fn, inputs, "x", engine=engine)
        assert np.shape(out["value"]) == () and out["gradient"].shape == (1,) and out["hessian"].shape == (1, 1)
        check_agree(fn, inputs, ["x", "A"], engines=(engine,),
                    reference=lambda p: anp.dot(p["x"], anp.dot(p["A"], p["x"])))


def test_prepared_computations_are_cached_per_engine_variables_sizes_and_order():
    f = diffbench.parse("sum(softplus(X*w))", {"X": "m,n", "w": "n"})
    small = {"X": np.ones((4, 2)), "w": np.zeros(2)}
    for _ in range(3):
        diffbench.derivatives(f, small, wrt="w", engine="tape")
        diffbench.derivatives(f, small, wrt="w", engine="symbolic", order=1)
    diffbench.derivatives(f, {"X": np.ones((6, 3)), "w": np.zeros(3)}, wrt="w", engine="tape")
    prepared = [k for k in f.cache if isinstance(k, tuple) and k[0] == "api-prepared"]
    assert len(prepared) == 3  # (tape, 4x2), (symbolic order 1, 4x2), (tape, 6x3)


@pytest.mark.parametrize("engine", ["tape", "symbolic", "fd"])
@pytest.mark.parametrize("order", [1, 2])
def test_one_pass_gives_what_the_separate_calls_give(engine, order):
    f = diffbench.parse("log(1 + exp(a'*x)) + x'*A*x", {"x": "n", "a": "n", "A": "n,n"})
    rng = np.random.default_rng(3)
    inputs = {"x": rng.normal(size=4), "a": rng.normal(size=4), "A": rng.normal(size=(4, 4))}
    prepared = diffbench.engines.get_engine(engine).prepare(f, ["x", "A"], {"n": 4}, order)
    together = prepared.evaluate(inputs, order)
    assert together["value"] == pytest.approx(prepared.value(inputs), rel=1e-12)
    for name, g in prepared.gradient(inputs).items():
        np.testing.assert_allclose(together["gradient"][name], g, rtol=1e-9, atol=1e-12)
    assert ("hessian" in together) == (order == 2)
    if order == 2:
        for key, h in prepared.hessian(inputs).items():
            np.testing.assert_allclose(together["hessian"][key], h, rtol=1e-9, atol=1e-12)


def test_a_cached_call_is_checked_once_and_bad_inputs_still_name_the_problem(monkeypatch):
    """The checks of wrt, order and shapes run once per way of calling; a later call
    whose inputs differ in shape or presence is a new way, checked again."""
    from diffbench.function import Function

    f = diffbench.parse("x'*A*x", {"x": "n", "A": "n,n"})
    inputs = {"x": np.ones(3), "A": np.eye(3)}
    bound = []
    original = Function.bind
    monkeypatch.setattr(Function, "bind", lambda self, *a, **k: bound.append(1) or original(self, *a, **k))
    for engine in ("tape", "symbolic"):
        for _ in range(3):
            out = diffbench.derivatives(f, inputs, wrt="x", engine=engine, order=1)
            np.testing.assert_allclose(out["gradient"], 2 * np.ones(3))
    assert len(bound) == 2  # once per engine
    with pytest.raises(InputError, match="missing input 'A'"):
        diffbench.derivatives(f, {"x": np.ones(3)}, wrt="x", order=1)
    with pytest.raises(InputError, match="dimension"):
        diffbench.derivatives(f, {"x": np.ones(3), "A": np.eye(4)}, wrt="x", order=1)
    with pytest.raises(InputError, match="inputs must be a dict"):
        diffbench.derivatives(f, [np.ones(3), np.eye(3)], wrt="x", order=1)
    out = diffbench.derivatives(f, {"x": [1.0, 1.0, 1.0], "A": np.eye(3, dtype=int)}, wrt="x", order=1)
    np.testing.assert_allclose(out["gradient"], 2 * np.ones(3))  # lists and int arrays are converted


def test_an_absent_wrt_name_must_be_given_on_every_call():
    f = diffbench.parse("sum(x)", {"x": "n"})
    out = diffbench.derivatives(f, {"x": np.ones(2), "y": np.ones(3)}, wrt=["x", "y"], order=1)
    assert out["gradient"]["y"].shape == (3,) and out["notes"]
    with pytest.raises(InputError, match="not a variable"):
        diffbench.derivatives(f, {"x": np.ones(2)}, wrt=["x", "y"], order=1)


@pytest.mark.parametrize("engine", ["tape", "symbolic"])
def test_the_cached_path_takes_only_float64_arrays_and_floats_as_they_are(engine):
    """A loop's later calls skip the conversion only for what it would not change: a
    float32 array, a 0-d array, an int or an extra input goes the converting way."""
    f = diffbench.parse("c*log(1 + exp(a'*x))", {"a": "n", "x": "n", "c": ""})
    a, x = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.25, -0.5])
    exact = diffbench.derivatives(f, {"a": a, "x": x, "c": 2.0}, wrt="x", engine=engine, order=1)
    for c in (2.0, np.array(2.0), 2, np.float64(2.0)):
        for given in ({"a": a, "x": x, "c": c}, {"a": a.astype(np.float32).astype(float), "x": x, "c": c},
                      {"a": a, "x": x, "c": c, "unused": [1, 2]}):
            out = diffbench.derivatives(f, given, wrt="x", engine=engine, order=1)
            assert out["gradient"].dtype == np.float64 and out["gradient"].shape == (3,)
            np.testing.assert_allclose(out["gradient"], exact["gradient"], rtol=1e-15)
            assert type(out["value"]) in (float, np.float64) and out["value"] == pytest.approx(exact["value"])
    half = diffbench.derivatives(f, {"a": a.astype(np.float32), "x": x.astype(np.float32), "c": 2.0},
                                 wrt="x", engine=engine, order=1)
    assert half["gradient"].dtype == np.float64  # converted, not run in float32
    with pytest.raises(InputError, match="dimension"):
        diffbench.derivatives(f, {"a": np.ones(4), "x": x, "c": 2.0}, wrt="x", engine=engine, order=1)


@pytest.mark.parametrize("engine", ["tape", "symbolic", "fd"])
@pytest.mark.parametrize("expr, order, sizes", [
    ("log(1 + exp(a'*x)) + x'*A*x", 1, None), ("log(1 + exp(a'*x)) + x'*A*x", 2, None),
    ("sigmoid(A*x)", 1, None), ("logsumexp(x'*a*ones(m))", 1, {"m": 3}),
])
def test_the_engines_one_name_form_is_their_one_pass_unwrapped(engine, expr, order, sizes):
    """What derivatives' cached path calls for wrt one name: the engine's one pass
    with that name's arrays themselves (generated so, or unwrapped)."""
    f = diffbench.parse(expr, {"x": "n", "a": "n", "A": "n,n"})
    rng = np.random.default_rng(4)
    inputs = {"x": rng.normal(size=4), "a": rng.normal(size=4), "A": rng.normal(size=(4, 4))}
    inputs = {k: v for k, v in inputs.items() if k in f.shapes}
    prepared = diffbench.engines.get_engine(engine).prepare(f, ["x"], {"n": 4, **(sizes or {})}, order)
    nested = prepared.one_pass(order, f.is_scalar)(inputs)
    single = prepared.one_name(order, f.is_scalar, "x")(inputs)
    assert single.keys() == nested.keys()
    assert single["value"] == pytest.approx(nested["value"], rel=1e-12)
    for key in set(single) - {"value"}:
        inner = nested[key]["x"] if key != "hessian" else nested[key][("x", "x")]
        np.testing.assert_allclose(single[key], inner, rtol=1e-12, atol=1e-14)
    through_api = diffbench.derivatives(f, inputs, wrt="x", engine=engine, order=order, sizes=sizes)
    through_api = diffbench.derivatives(f, inputs, wrt="x", engine=engine, order=order, sizes=sizes)
    assert through_api.keys() == single.keys()


@pytest.mark.parametrize("value, fragment", [
    (np.array(["a", "b"]), "is text"), ("3", "is text"), (None, "is not an array of real numbers"),
    (np.array([1 + 2j, 3.0]), "is complex"), (1j, "is complex"),
])
def test_an_input_that_is_not_real_numbers_is_one_input_error(value, fragment):
    """A string array was a ValueError from inside the conversion, None a TypeError,
    and a complex array lost its imaginary parts without a word (gradient [2, 6])."""
    with pytest.raises(InputError, match=f"input 'x' {fragment}"):
        diffbench.derivatives("x'*x", {"x": value}, wrt="x")
