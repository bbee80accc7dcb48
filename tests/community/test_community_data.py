"""The community problems' inputs and references against the published numbers.

ADBench's own test suite publishes the objective and derivatives its modules
must produce on its test inputs (test/cpp/modules/common/*Tests.cpp); they
are kept in tests/data/adbench/expected.json.  Matching them checks the
readers, the references and every sign and constant at once.
"""
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("autograd")

import community_reference as ref  # noqa: E402
from autograd import grad  # noqa: E402

from diffbench.community import data  # noqa: E402
from diffbench.testing import relative_error  # noqa: E402

DATA = Path(__file__).parent.parent / "data" / "adbench"
EXPECTED = json.loads((DATA / "expected.json").read_text())


def test_gmm_reader_and_reference_give_adbench_published_objective_and_gradient():
    g = data.read_gmm(DATA / "gmm_test.txt")
    assert (g["d"], g["k"], g["n"]) == (2, 3, 1) and g["l"].shape == (3, 1) and g["x"].shape == (1, 2)

    def adbench(alpha, mu, q, l):
        return ref.gmm(alpha, mu, q, l, g["x"], g["gamma"], g["m"], convention="adbench")

    params = [g["alpha"], g["mu"], g["q"], g["l"]]
    assert relative_error(adbench(*params), EXPECTED["gmm_test"]["objective"]) < 1e-12
    grads = [grad(adbench, i)(*params) for i in range(4)]
    # ADBench's layout: alphas, means row by row, then each component's icf = [q, l]
    flat = np.concatenate([grads[0], grads[1].ravel(), np.hstack([grads[2], grads[3]]).ravel()])
    assert relative_error(flat, EXPECTED["gmm_test"]["gradient"]) < 1e-12


def test_gradbench_convention_is_the_log_posterior_of_the_densities():
    """GradBench's sign (likelihood + log prior) equals log(likelihood x prior)
    computed from the Gaussian and Wishart densities; ADBench's subtracts the prior."""
    g = data.gmm_instance(3, 2, 4, np.random.default_rng(5), gamma=1.3, m=2)
    args = [g[k] for k in ("alpha", "mu", "q", "l", "x")] + [g["gamma"], g["m"]]
    naive = ref.gmm_naive(*args)
    assert relative_error(ref.gmm(*args, convention="gradbench"), naive) < 1e-12
    assert relative_error(ref.gmm(*args, convention="adbench"), naive) > 1e-3


def test_ba_reader_and_reference_give_adbench_published_block_and_jacobian():
    b = data.read_ba(DATA / "ba_test.txt")
    assert (b["n"], b["m"], b["p"]) == (2, 10, 10) and b["cam"].shape == (11,)
    out = ref.ba_block(b["cam"], b["X"], b["w"], b["feat"])
    published = EXPECTED["ba_test"]
    assert relative_error(out, published["reproj_err"] + [published["w_err"]]) < 1e-12
    J = ref.ba_jacobian(b["cam"], b["X"], b["w"], b["feat"])
    assert J.shape == (3, 15)
    assert relative_error(J[:2].ravel(), published["J_block_row_major"]) < 1e-12
    assert relative_error(J[2], [0.0] * 14 + [published["w_err_jacobian"]]) < 1e-12


def test_lstm_reader_and_reference_give_adbench_published_objective():
    lstm = data.read_lstm(DATA / "lstm_l2_c1024.txt")
    assert (lstm["l"], lstm["c"], lstm["b"]) == (2, 1024, 14)
    assert lstm["main"].shape == (4, 56) and lstm["extra"].shape == (3, 14)
    assert lstm["state"].shape == (4, 14) and lstm["seq"].shape == (1024, 14)
    value = ref.lstm(lstm["main"], lstm["extra"], lstm["state"], lstm["seq"])
    assert abs(value - EXPECTED["lstm_l2_c1024"]["objective"]) < 1e-8  # published to 8 digits
    assert data.read_lstm(DATA / "lstm_l2_c1024.txt", chars=5)["seq"].shape == (5, 14)


def test_generators_follow_the_published_distributions_and_layout():
    rng = np.random.default_rng(0)
    g = data.gmm_instance(4, 3, 50, rng)
    assert g["l"].shape == (3, 6) and g["x"].shape == (50, 4) and (g["gamma"], g["m"]) == (1.0, 0)
    assert 0 <= g["mu"].min() and g["mu"].max() < 1
    lstm = data.lstm_instance(2, 9, 14, rng)
    assert lstm["main"].shape == (4, 56) and lstm["seq"].shape == (9, 14)
    assert set(np.unique(lstm["seq"])) <= {0.0, 1.0} and lstm["seq"].sum(axis=1).min() >= 1
    fixed = data.llsq_data(5, 3)
    assert np.allclose(fixed["t"], [-1, -0.5, 0, 0.5, 1]) and list(fixed["s"]) == [-1, -1, 0, 1, 1]
    assert np.allclose(fixed["T"][:, 2], fixed["t"] ** 2)


def test_log_multigamma_matches_scipy():
    special = pytest.importorskip("scipy.special")
    for a, p in ((1.5, 1), (3.0, 2), (7.5, 10)):
        assert abs(data.log_multigamma(a, p) - special.multigammaln(a, p)) < 1e-10
