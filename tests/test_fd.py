"""Finite differences that cost what they must: batched points, Hessians from exact
gradients when an exact engine referees anyway, and a bound on evaluations."""
from __future__ import annotations

import numpy as np
import pytest

from diffbench.catalogue import ENTRIES, get_entry
from diffbench.engines import TooLarge, batched, get_engine
from diffbench.tape import operators
from diffbench.testing import check_agree


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_a_batch_of_points_gives_each_point_s_value(entry):
    small = {d: max(3, min(entry.default_sizes.get(d, [3]))) for d in entry.size_dims}
    sizes = entry.resolve_sizes(small)
    inputs = entry.sample(small, seed=1)
    fd = get_engine("fd").prepare(entry.function, list(entry.wrt), sizes)
    assert batched.batchable(fd.root)  # every catalogue function's primitives batch
    assert fd.batched == entry.function.is_scalar  # (fd batches values; a Jacobian goes column by column)
    rng = np.random.default_rng(0)
    points = {w: np.asarray(inputs[w]) * (1 + 1e-3 * rng.normal(size=(5,) + np.shape(inputs[w])))
              for w in entry.wrt}
    got = batched.evaluate(fd.root, sizes, inputs, points)
    for k in range(5):
        one = dict(inputs, **{w: points[w][k] for w in entry.wrt})
        assert got[k] == pytest.approx(operators.value(fd.program, one), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", ["log_determinant", "logistic_regression", "two_layer_net", "mds_stress"])
def test_batched_fd_agrees_with_the_tape(name):
    entry = get_entry(name)
    inputs = entry.sample({d: 3 for d in entry.size_dims}, seed=2)
    check_agree(entry.function, inputs, list(entry.wrt), engines=("tape", "fd"))


def _logdet_case(n=6, seed=0):
    entry_fn = get_entry("log_determinant").function
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(n, n))
    return entry_fn, {"X": m @ m.T + n * np.eye(n)}


def test_fd_hessian_from_exact_gradients_matches_the_published_formula():
    fn, inputs = _logdet_case()
    fd = get_engine("fd").prepare(fn, ["X"], {"n": 6})
    fd.use_exact_gradients(get_engine("tape").prepare(fn, ["X"], {"n": 6}, 1), "tape")
    inv = np.linalg.inv(inputs["X"])
    expected = -np.einsum("bc,da->abcd", inv, inv)  # d²logdet(X)/dX_ab dX_cd = -X⁻¹_bc X⁻¹_da
    got = fd.hessian(inputs)[("X", "X")]
    assert np.max(np.abs(got - expected)) < 1e-8 * np.max(np.abs(expected))
    assert "tape gradients" in fd.stats["hessian_method"]
    assert fd.evaluations("hessian", inputs) == 2 * 36


def test_fd_refuses_past_its_bound_with_a_too_large_message():
    fn, inputs = _logdet_case()
    fd = get_engine("fd").prepare(fn, ["X"], {"n": 6})
    fd.limit(100)
    with pytest.raises(TooLarge, match=r"^too large: fd Hessian needs 2,664 function evaluations \(limit 100\)"):
        fd.hessian(inputs)
    fd.gradient(inputs)  # 72 evaluations: within the bound


def test_gradient_never_holds_all_perturbed_points_at_once(monkeypatch):
    """2n points of n entries each would be 48 GiB at n = 80,000 (lse in the
    community job ran out of memory): the points come a chunk at a time."""
    from diffbench import parse
    from diffbench.engines import fd as fd_module
    from diffbench.engines import get_engine

    monkeypatch.setattr(fd_module, "BATCH_BYTES", 8 * 3000 * 40)  # room for 40 points of n = 3000
    fn = parse("logsumexp(x)", {"x": "n"})
    x = np.random.default_rng(0).uniform(size=3000)
    prepared = get_engine("fd").prepare(fn, ["x"], {"n": 3000}, 1)
    largest = []
    values = prepared._values
    monkeypatch.setattr(prepared, "_values", lambda i, points, s: largest.append(len(points)) or values(i, points, s))
    g = prepared.gradient({"x": x})["x"]
    s = np.exp(x - x.max())
    assert max(largest) <= 40 and np.allclose(g, s / s.sum(), atol=1e-9)
