"""Each community problem in the catalogue: engines agree with each other
(check_agree) and with an independent autograd reference of the published
formula, objective and full gradient, to rho <= 1e-8."""

import numpy as np
import pytest

pytest.importorskip("autograd")

import community_reference as ref  # noqa: E402
from autograd import grad  # noqa: E402

from diffbench.catalogue import get_entry  # noqa: E402
from diffbench.engines import get_engine  # noqa: E402
from diffbench.testing import check_agree, relative_error  # noqa: E402

RHO = 1e-8


def _engine_results(name, sizes, engines=("symbolic", "tape", "fd")):
    """Engines checked against each other, then each exact engine's full
    value and gradient (check_agree projects large gradients)."""
    entry = get_entry(name)
    inputs = entry.sample(sizes, seed=2)
    wrt = list(entry.wrt)
    check_agree(entry.function, inputs, wrt, engines=engines, order=1)
    sizes = entry.function.bind(inputs)
    results = {}
    for engine in engines:
        if engine != "fd":
            prepared = get_engine(engine).prepare(entry.function, wrt, sizes, 1)
            results[engine] = {"value": prepared.value(inputs), "gradient": prepared.gradient(inputs)[wrt[0]]}
    return inputs, results


def _assert_matches(results, value, gradient, engines=("symbolic", "tape")):
    for engine in engines:
        assert relative_error(results[engine]["value"], value) <= RHO, engine
        assert relative_error(results[engine]["gradient"], gradient) <= RHO, engine


@pytest.mark.parametrize("sizes", [{"n": 16}, {"n": 40, "m": 6}])
def test_llsq_matches_reference(sizes):
    inputs, results = _engine_results("gradbench-llsq", sizes)
    x, n = inputs["x"], sizes["n"]
    _assert_matches(results, ref.llsq(x, n), grad(ref.llsq)(x, n))


@pytest.mark.parametrize("n", [16, 300])
def test_lse_matches_reference(n):
    inputs, results = _engine_results("gradbench-lse", {"n": n})
    _assert_matches(results, ref.lse(inputs["x"]), grad(ref.lse)(inputs["x"]))


@pytest.mark.parametrize("ell", [5, 6])
def test_det_matches_expansion_by_minors(ell):
    inputs, results = _engine_results("gradbench-det", {"l": ell})
    A = inputs["A"]
    _assert_matches(results, ref.det_by_minors(A), grad(ref.det_by_minors)(A))


def test_llsq_data_is_the_published_vandermonde_system():
    inputs = get_entry("gradbench-llsq").sample({"n": 9, "m": 4}, seed=0)
    t = -1 + 2 * np.arange(9) / 8
    assert np.allclose(inputs["T"], np.vander(t, 4, increasing=True)) and np.array_equal(inputs["s"], np.sign(t))
    assert inputs["x"].shape == (4,) and 0 <= inputs["x"].min() and inputs["x"].max() < 1


def test_symbolic_engine_derives_closed_forms_for_the_gradbench_problems():
    for name, sizes in (("gradbench-llsq", {"n": 8}), ("gradbench-lse", {"n": 8}), ("gradbench-det", {"l": 5})):
        entry = get_entry(name)
        inputs = entry.sample(sizes, seed=0)
        prepared = get_engine("symbolic").prepare(entry.function, list(entry.wrt), entry.function.bind(inputs), 1)
        assert np.all(np.isfinite(prepared.gradient(inputs)[entry.wrt[0]])), name


# ---------------------------------------------------------------- GMM

GMM_WRT = ("alpha", "mu", "q", "l")


def _full(name, inputs, engines=("symbolic", "tape")):
    entry = get_entry(name)
    sizes = entry.function.bind(inputs)
    out = {}
    for engine in engines:
        prepared = get_engine(engine).prepare(entry.function, list(GMM_WRT), sizes, 1)
        out[engine] = (prepared.value(inputs), prepared.gradient(inputs))
    return out


def test_adbench_gmm_gives_adbench_published_objective_and_gradient():
    import json
    from pathlib import Path

    from diffbench.community import data
    from diffbench.community.problems import gmm_inputs

    folder = Path(__file__).parent.parent / "data" / "adbench"
    expected = json.loads((folder / "expected.json").read_text())["gmm_test"]
    inputs = gmm_inputs(data.read_gmm(folder / "gmm_test.txt"), "adbench")
    for engine, (value, g) in _full("adbench-gmm", inputs).items():
        flat = np.concatenate([g["alpha"], g["mu"].ravel(), np.hstack([g["q"], g["l"]]).ravel()])
        assert relative_error(value, expected["objective"]) <= RHO, engine
        assert relative_error(flat, expected["gradient"]) <= RHO, engine


@pytest.mark.parametrize("name", ["adbench-gmm", "gradbench-gmm"])
def test_gmm_matches_reference_in_both_conventions(name):
    entry = get_entry(name)
    inputs = entry.sample({"d": 3, "K": 4, "n": 6}, seed=1)
    check_agree(entry.function, inputs, list(GMM_WRT), engines=("symbolic", "tape", "fd"), order=1)
    convention = name.split("-")[0]
    params = [inputs[k] for k in GMM_WRT]

    def reference(*p):
        return ref.gmm(*p, inputs["X"], np.sqrt(2 * inputs["wg"]), inputs["wm"], convention=convention)

    expected = [grad(reference, i)(*params) for i in range(4)]
    for engine, (value, g) in _full(name, inputs).items():
        assert relative_error(value, reference(*params)) <= RHO, engine
        for k, e in zip(GMM_WRT, expected):
            assert relative_error(g[k], e) <= RHO, (engine, k)


# ---------------------------------------------------------------- BA, ODE, LSTM

def _prepared(name, sizes, inputs, engine):
    entry = get_entry(name)
    fn = entry.function_at(sizes)
    return fn, get_engine(engine).prepare(fn, list(entry.wrt), fn.bind(inputs), 1)


def test_adbench_ba_gives_adbench_published_block_and_jacobian():
    import json
    from pathlib import Path

    from diffbench.community import data

    folder = Path(__file__).parent.parent / "data" / "adbench"
    published = json.loads((folder / "expected.json").read_text())["ba_test"]
    block = data.read_ba(folder / "ba_test.txt")
    inputs = {k: block[k] for k in ("cam", "X", "w", "feat")}
    for engine in ("symbolic", "tape"):
        _, prepared = _prepared("adbench-ba", {}, inputs, engine)
        J = prepared.jacobian(inputs)
        full = np.hstack([J["cam"], J["X"], np.reshape(J["w"], (3, 1))])
        assert relative_error(prepared.value(inputs), published["reproj_err"] + [published["w_err"]]) <= RHO
        assert relative_error(full[:2].ravel(), published["J_block_row_major"]) <= RHO, engine
        assert relative_error(full[2], [0.0] * 14 + [published["w_err_jacobian"]]) <= RHO, engine


def test_adbench_ba_matches_reference_at_sampled_blocks():
    entry = get_entry("adbench-ba")
    for seed in (1, 2):
        inputs = entry.sample({}, seed=seed)
        check_agree(entry.function, inputs, list(entry.wrt), engines=("symbolic", "tape", "fd"), order=1)
        expected = ref.ba_jacobian(inputs["cam"], inputs["X"], inputs["w"], inputs["feat"])
        _, prepared = _prepared("adbench-ba", {}, inputs, "tape")
        J = prepared.jacobian(inputs)
        full = np.hstack([J["cam"], J["X"], np.reshape(J["w"], (3, 1))])
        assert relative_error(full, expected) <= RHO


@pytest.mark.parametrize("sizes, engines", [({"n": 5, "s": 1}, ("symbolic", "tape", "fd")),
                                            ({"n": 7, "s": 12}, ("symbolic", "tape", "fd"))])
def test_ode_matches_reference(sizes, engines):
    entry = get_entry("gradbench-ode")
    inputs = entry.sample(sizes, seed=3)
    fn = entry.function_at(sizes)
    check_agree(fn, inputs, ["x"], engines=engines, order=1)
    x = inputs["x"]
    for engine in engines[:-1]:
        _, prepared = _prepared("gradbench-ode", sizes, inputs, engine)
        assert relative_error(prepared.value(inputs), ref.ode_final(x, sizes["s"])) <= RHO
        assert relative_error(prepared.gradient(inputs)["x"], grad(ref.ode_final)(x, sizes["s"])) <= RHO


@pytest.mark.parametrize("sizes, engines", [({"l": 1, "c": 3}, ("symbolic", "tape", "fd")),
                                            ({"l": 2, "c": 6}, ("symbolic", "tape", "fd"))])
def test_lstm_matches_reference(sizes, engines):
    entry = get_entry("adbench-lstm")
    inputs = entry.sample(sizes, seed=4)
    fn = entry.function_at(sizes)
    check_agree(fn, inputs, ["main", "extra"], engines=engines, order=1)
    state, seq = inputs["state"], inputs["seq"]

    def reference(params):
        return ref.lstm(params[0], params[1], state, seq)

    expected = grad(reference)((inputs["main"], inputs["extra"]))
    for engine in engines[:-1]:
        _, prepared = _prepared("adbench-lstm", sizes, inputs, engine)
        g = prepared.gradient(inputs)
        assert relative_error(prepared.value(inputs), reference((inputs["main"], inputs["extra"]))) <= RHO
        assert relative_error(g["main"], expected[0]) <= RHO and relative_error(g["extra"], expected[1]) <= RHO


def test_unrolled_entries_expand_with_their_sizes():
    ode, lstm = get_entry("gradbench-ode"), get_entry("adbench-lstm")
    assert ode.expression_at({"n": 6, "s": 3}).count("k4_") == 6  # defined and used in 3 steps
    assert ode.function_at({"n": 6, "s": 3}).bind(ode.sample({"n": 6, "s": 3}))["n"] == 6
    text = lstm.expression_at({"l": 3, "c": 5})
    assert "h3_4" in text and "+ 2))" in text and text.endswith("/56")  # (c-1) b = 4 * 14


# ---------------------------------------------------------------- the symbolic engine's limits


def test_symbolic_refuses_an_oversized_unrolled_function_at_once(monkeypatch):
    from diffbench.errors import TooLarge

    monkeypatch.setenv("DIFFBENCH_SYMBOLIC_MAX_NODES", "100")
    entry = get_entry("gradbench-ode")
    sizes = {"n": 5, "s": 8}
    fn = entry.function_at(sizes)
    with pytest.raises(TooLarge, match=r"has [\d,]+ nodes, over the symbolic engine's limit of 100"):
        get_engine("symbolic").prepare(fn, ["x"], fn.bind(entry.sample(sizes, seed=0)), 1)


def test_symbolic_stops_a_long_derivation_with_the_reason(monkeypatch):
    """The LSTM's Hessian would run for many minutes: the time limit ends it."""
    from diffbench.errors import TooLarge

    monkeypatch.setenv("DIFFBENCH_SYMBOLIC_TIME_LIMIT", "1")
    entry = get_entry("adbench-lstm")
    sizes = {"l": 2, "c": 3}
    fn = entry.function_at(sizes)
    # the reason names the limit; were it ignored, the derivation would run for many
    # minutes and end without TooLarge (a wall-time bound here would fail on a busy machine)
    with pytest.raises(TooLarge, match=r"ran past its 1 s limit \(in the \w+"):
        get_engine("symbolic").prepare(fn, ["main", "extra"], fn.bind(entry.sample(sizes, seed=0)), 2)
