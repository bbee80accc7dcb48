"""Every catalogue function, at several sizes: tape vs fd (vs symbolic)."""
import numpy as np
import pytest

from diffbench.catalogue import CATALOGUE
from diffbench.engines import load_all
from diffbench.testing import check_agree

# unrolled entries (adbench-lstm, gradbench-ode) are checked at order 1 in tests/community
CASES = [(name, sizes) for name, entry in CATALOGUE.items() if entry.expand is None
         for sizes in ([{d: v[i] for d, v in entry.default_sizes.items()} for i in range(2)]
                       if entry.size_dims else [{}])]


@pytest.mark.parametrize("name,sizes", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_catalogue_function_engines_agree(name, sizes):
    entry = CATALOGUE[name]
    inputs = entry.sample(sizes, seed=3)
    engines = ("tape", "fd") + (("symbolic",) if "symbolic" in load_all() else ())
    report = check_agree(entry.function_at(sizes), inputs, list(entry.wrt), engines=engines)
    assert np.isfinite(report.results["tape"]["value"]).all()


def test_samplers_respect_domains_and_derived_sizes():
    lr = CATALOGUE["logistic_regression"].sample({"n": 5}, seed=0)
    assert lr["X"].shape == (10, 5) and set(np.unique(lr["y"])) <= {0.0, 1.0}
    X = CATALOGUE["log_determinant"].sample({"n": 6}, seed=0)["X"]
    assert np.allclose(X, X.T) and np.linalg.eigvalsh(X).min() > 0
    assert CATALOGUE["two_variable_graph"].sample({}, seed=0)["w1"] > 1.0  # sqrt(w2 log w1) is real


def test_same_seed_same_inputs():
    a = CATALOGUE["least_squares"].sample({"n": 4}, seed=7)
    b = CATALOGUE["least_squares"].sample({"n": 4}, seed=7)
    assert all(np.array_equal(a[k], b[k]) for k in a)
