"""The community problems written as ordinary NumPy-style Python
(diffbench/community/numpy_style.py), traced: they agree with the language
versions in the catalogue, with the very same source run by autograd, and
with the independent references of community_reference.py, value and full
gradient (Jacobian for BA), to rho <= 1e-10."""
import functools
import importlib.util
import types

import numpy as onp
import pytest

pytest.importorskip("autograd")

import autograd  # noqa: E402
import autograd.numpy as anp  # noqa: E402
import autograd.scipy.special as aspecial  # noqa: E402
import community_reference as ref  # noqa: E402

import diffbench  # noqa: E402
from diffbench.catalogue import get_entry  # noqa: E402
from diffbench.community import numpy_style  # noqa: E402
from diffbench.engines import get_engine  # noqa: E402
from diffbench.testing import relative_error  # noqa: E402

RHO = 1e-10


def _autograd_twin():
    """numpy_style loaded afresh with autograd's NumPy as its ``np``: the same
    source, run by autograd (the only change is the import)."""
    spec = importlib.util.spec_from_file_location("numpy_style_on_autograd", numpy_style.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shim = types.SimpleNamespace(**{k: getattr(anp, k) for k in dir(anp) if not k.startswith("_")})
    shim.logsumexp = aspecial.logsumexp
    module.np = shim
    return module


ON_AUTOGRAD = _autograd_twin()


def _traced(fn, sizes=None, **bound):
    name = fn.__name__
    shapes = numpy_style.SHAPES[name]
    return diffbench.trace(functools.partial(fn, **bound) if bound else fn, shapes=shapes, sizes=sizes)


def _value_and_gradient(function, inputs, wrt, engine, quantity="gradient"):
    prepared = get_engine(engine).prepare(function, list(wrt), function.bind(inputs), 1)
    return prepared.value(inputs), getattr(prepared, quantity)(inputs)


def _assert_close(got, expected, what):
    assert relative_error(got, expected) <= RHO, (what, relative_error(got, expected))


def _check(traced, inputs, wrt, expected_value, expected_gradient, engines=("symbolic", "tape")):
    """``expected_gradient``: one array per name in ``wrt``."""
    for engine in engines:
        value, gradient = _value_and_gradient(traced, inputs, wrt, engine)
        _assert_close(value, expected_value, (engine, "value"))
        for name, expected in zip(wrt, expected_gradient):
            _assert_close(gradient[name], expected, (engine, name))


# ---------------------------------------------------------------- GradBench llsq, lse, det


def test_llsq_in_python_agrees_with_the_language_and_autograd():
    entry = get_entry("gradbench-llsq")
    inputs = entry.sample({"n": 24, "m": 5}, seed=1)
    traced = _traced(numpy_style.llsq_objective)
    value, gradient = _value_and_gradient(entry.function, inputs, ["x"], "symbolic")
    _check(traced, inputs, ["x"], value, [gradient["x"]])
    args = (inputs["x"], inputs["s"], inputs["T"])
    _check(traced, inputs, ["x"], ON_AUTOGRAD.llsq_objective(*args), [autograd.grad(ON_AUTOGRAD.llsq_objective)(*args)])
    _check(traced, inputs, ["x"], ref.llsq(inputs["x"], 24), [autograd.grad(ref.llsq)(inputs["x"], 24)])


@pytest.mark.parametrize("name, fn", [("gradbench-lse", numpy_style.lse_objective),
                                      ("gradbench-det", numpy_style.det_objective)])
def test_lse_and_det_in_python_trace_to_the_language_dag(name, fn):
    assert _traced(fn).root is get_entry(name).function.root


# ---------------------------------------------------------------- GMM

GMM_WRT = ("alphas", "means", "q", "l")


@pytest.mark.parametrize("convention", ["gradbench", "adbench"])
def test_gmm_in_python_agrees_with_the_language_and_autograd(convention):
    sizes = {"d": 3, "K": 3, "n": 5}
    entry = get_entry(f"{convention}-gmm")
    lang_inputs = entry.sample(sizes, seed=1)
    gamma, m = float(onp.sqrt(2 * lang_inputs["wg"])), int(lang_inputs["wm"])
    inputs = {"alphas": lang_inputs["alpha"], "means": lang_inputs["mu"], "q": lang_inputs["q"],
              "l": lang_inputs["l"], "x": lang_inputs["X"]}
    traced = _traced(numpy_style.gmm_objective, sizes, gamma=gamma, m=m, convention=convention)
    value, gradient = _value_and_gradient(entry.function, lang_inputs, ["alpha", "mu", "q", "l"], "tape")
    _check(traced, inputs, GMM_WRT, value, [gradient[k] for k in ("alpha", "mu", "q", "l")])

    def on_autograd(*params):
        return ON_AUTOGRAD.gmm_objective(*params, inputs["x"], gamma=gamma, m=m, convention=convention)

    params = [inputs[k] for k in GMM_WRT]
    _check(traced, inputs, GMM_WRT, on_autograd(*params),
           [autograd.grad(on_autograd, i)(*params) for i in range(4)], engines=("tape",))

    def published(*p):
        return ref.gmm(*p, inputs["x"], gamma, m, convention=convention)

    _check(traced, inputs, GMM_WRT, published(*params),
           [autograd.grad(published, i)(*params) for i in range(4)], engines=("tape",))


# ---------------------------------------------------------------- BA


def test_ba_in_python_agrees_with_the_language_and_autograd():
    entry = get_entry("adbench-ba")
    inputs = entry.sample({}, seed=1)
    traced = _traced(numpy_style.ba_block)
    wrt = ("cam", "X", "w")
    value, jacobian = _value_and_gradient(entry.function, inputs, wrt, "tape", "jacobian")
    packed = onp.concatenate([inputs["cam"], inputs["X"], [inputs["w"]]])

    def on_autograd(v):
        return ON_AUTOGRAD.ba_block(v[0:11], v[11:14], v[14], inputs["feat"])

    for engine in ("symbolic", "tape"):
        got_value, got = _value_and_gradient(traced, inputs, wrt, engine, "jacobian")
        full = onp.hstack([got["cam"], got["X"], onp.reshape(got["w"], (3, 1))])
        _assert_close(got_value, value, engine)
        for name in wrt:
            _assert_close(got[name], jacobian[name], (engine, name))
        _assert_close(full, autograd.jacobian(on_autograd)(packed), (engine, "autograd"))
        _assert_close(full, ref.ba_jacobian(inputs["cam"], inputs["X"], inputs["w"], inputs["feat"]),
                      (engine, "reference"))


# ---------------------------------------------------------------- LSTM, ODE


def test_lstm_in_python_agrees_with_the_language_and_autograd():
    sizes = {"l": 2, "c": 3}
    entry = get_entry("adbench-lstm")
    lang_inputs = entry.sample(sizes, seed=4)
    inputs = {"main_params": lang_inputs["main"], "extra_params": lang_inputs["extra"],
              "state": lang_inputs["state"], "sequence": lang_inputs["seq"]}
    traced = _traced(numpy_style.lstm_objective, {"l": 2, "c": 3, "b": 14, "L2": 4, "B4": 56})
    wrt = ("main_params", "extra_params")
    language = entry.function_at(sizes)
    value, gradient = _value_and_gradient(language, lang_inputs, ["main", "extra"], "tape")
    _check(traced, inputs, wrt, value, [gradient["main"], gradient["extra"]], engines=("tape",))
    state, seq = inputs["state"], inputs["sequence"]
    for reference in (ON_AUTOGRAD.lstm_objective, ref.lstm):
        def objective(main, extra, reference=reference):
            return reference(main, extra, state, seq)

        at = (inputs["main_params"], inputs["extra_params"])
        _check(traced, inputs, wrt, objective(*at),
               [autograd.grad(objective, 0)(*at), autograd.grad(objective, 1)(*at)], engines=("tape",))


def test_ode_in_python_agrees_with_the_language_and_autograd():
    sizes = {"n": 5, "s": 3}
    entry = get_entry("gradbench-ode")
    inputs = entry.sample(sizes, seed=3)
    traced = _traced(numpy_style.ode_objective, {"n": 5}, steps=3)
    value, gradient = _value_and_gradient(entry.function_at(sizes), inputs, ["x"], "tape")
    _check(traced, inputs, ["x"], value, [gradient["x"]])
    x = inputs["x"]

    def on_autograd(v):
        return ON_AUTOGRAD.ode_objective(v, steps=3)

    _check(traced, inputs, ["x"], on_autograd(x), [autograd.grad(on_autograd)(x)])
    _check(traced, inputs, ["x"], ref.ode_final(x, 3), [autograd.grad(ref.ode_final)(x, 3)])


def test_the_python_versions_run_as_plain_numpy():
    gmm = get_entry("gradbench-gmm")
    lang_inputs = gmm.sample({"d": 2, "K": 3, "n": 4}, seed=0)
    value, _ = _value_and_gradient(gmm.function, lang_inputs, ["alpha"], "tape")
    plain = numpy_style.gmm_objective(lang_inputs["alpha"], lang_inputs["mu"], lang_inputs["q"],
                                      lang_inputs["l"], lang_inputs["X"])
    _assert_close(plain, value, "gmm")
    ba = get_entry("adbench-ba").sample({}, seed=0)
    _assert_close(numpy_style.ba_block(**ba), ref.ba_block(**ba), "ba")


def test_a_reference_that_loops_over_dims_traces_at_the_sizes_given():
    """``compare module:function`` and job workers pass their sizes: a loop
    over a dimension unrolls there; without sizes, the user's line is named."""
    from diffbench.tracing.loader import load
    from diffbench.tracing.tracer import NeedsSizes

    reference = "diffbench.community.numpy_style:lstm_objective"
    shapes = numpy_style.SHAPES["lstm_objective"]
    with pytest.raises(NeedsSizes, match=r"^lstm_objective\(\), line \d+: dimension 'L2'"):
        load(reference, shapes)
    fn = load(reference, shapes, {"l": 1, "c": 3, "b": 14, "L2": 2, "B4": 56})
    assert fn.shapes["sequence"] == (3, 14)
    assert load("diffbench.community.numpy_style:lse_objective", {"x": "n"}, {"n": 4}).shapes["x"] == ("n",)
