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
