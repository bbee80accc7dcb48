"""Numerics at the edges: every engine against a reference written directly
in autograd.numpy (or a published closed form), where naive formulas fail."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from diffbench import parse
from diffbench.api import derivatives
from diffbench.testing import check_agree

anp = pytest.importorskip("autograd.numpy")


def _log_sigmoid(z):  # log σ(z) = -log(1 + e^-z), stable on both sides
    return -anp.logaddexp(0.0, -z)


@pytest.mark.parametrize("x", [-30.0, -40.0, 35.0])
def test_sigmoid_far_in_its_tails(x):
    """Generated code once used (1 + tanh(z/2)) / 2: log σ(-40) was -inf."""
    inputs = {"x": np.array([x, 0.5])}
    check_agree("sum(log(sigmoid(x)))", inputs, "x", engines=("symbolic", "tape"),
                reference=lambda p: anp.sum(_log_sigmoid(p["x"])))
    check_agree("sum(sigmoid(x))", inputs, "x", engines=("symbolic", "tape"),
                reference=lambda p: anp.sum(anp.exp(_log_sigmoid(p["x"]))))
    got = derivatives("sum(sigmoid(x))", {"x": np.array([-40.0])}, "x", engine="symbolic")
    assert got["value"] == pytest.approx(4.248354255291589e-18, rel=1e-12)


@pytest.mark.parametrize("expr, wrt, inputs, reference", [
    ("sum(x)/exp(800)", "x", {"x": np.ones(3)}, lambda p: anp.sum(p["x"]) * 0.0),
    ("sum(x) + log(0)", "x", {"x": np.ones(3)}, None),
    ("(-2)^a", "a", {"a": 2.0}, None),
])
def test_constants_that_fold_to_inf_or_nan_compile(expr, wrt, inputs, reference):
    """The folded constant is written np.inf / np.nan, and the engines agree
    with the tape (which evaluates the same IEEE arithmetic)."""
    with np.errstate(all="ignore"):
        sym = derivatives(expr, inputs, wrt, engine="symbolic")
        tape = derivatives(expr, inputs, wrt, engine="tape")
    for key in ("value", "gradient", "hessian"):
        np.testing.assert_array_equal(np.asarray(sym[key]), np.asarray(tape[key]))
    if reference is not None:
        check_agree(expr, inputs, wrt, engines=("symbolic", "tape"), reference=reference)


def test_logdet_is_log_abs_det_in_every_engine():
    """One definition (docs/ops.md): log|det X|, with gradient X^-T, also
    where det X < 0; autograd's slogdet gives the reference."""
    X = np.array([[0.3, 1.2, -0.4], [1.1, 0.2, 0.5], [-0.3, 0.6, 0.9]])
    assert np.linalg.det(X) < 0
    engines = ("symbolic", "tape", "fd", "sympy-scalar")
    check_agree("logdet(X)", {"X": X}, "X", engines=engines,
                reference=lambda p: anp.linalg.slogdet(p["X"])[1])
    for engine in engines:
        got = derivatives("logdet(X)", {"X": X}, "X", engine=engine, order=1)
        assert got["value"] == pytest.approx(np.log(abs(np.linalg.det(X))), rel=1e-12)


@pytest.mark.parametrize("expr, inputs, reference", [
    ("sqrt(a*a)", {"a": 0.7}, lambda p: anp.abs(p["a"])),
    ("norm2(a)", {"a": -0.7}, lambda p: anp.abs(p["a"])),
    ("norm2(x)", {"x": np.array([0.5])}, lambda p: anp.sqrt(anp.sum(p["x"] ** 2))),
])
def test_sympy_scalar_kinks_compile(expr, inputs, reference):
    """SymPy's |t|'' is 2 DiracDelta(t); off the kink that is 0."""
    fn = parse(expr, {k: "" if np.ndim(v) == 0 else "n" for k, v in inputs.items()})
    check_agree(fn, inputs, list(inputs), engines=("sympy-scalar", "tape", "symbolic"), reference=reference)


@pytest.mark.parametrize("expr, reference", [
    ("a^0", lambda p: p["a"] ** 0.0),
    ("a^1", lambda p: p["a"] ** 1.0),
    ("a^2", lambda p: p["a"] ** 2.0),
    ("sum(x.^1)", lambda p: anp.sum(p["x"])),
])
def test_integer_powers_at_zero(expr, reference):
    """b a^(b-1) at a = 0 is 0 * inf for b = 0; the rule writes it as 0."""
    inputs = {"a": 0.0} if "a" in expr else {"x": np.zeros(3)}
    shapes = {"a": ""} if "a" in expr else {"x": "n"}
    check_agree(parse(expr, shapes), inputs, list(inputs), engines=("symbolic", "tape"), reference=reference)


def test_derive_python_module_runs_on_its_own(tmp_path):
    """The printed module defines what it calls (no _impl from the loader)."""
    from diffbench.symbolic.api import derive

    d = derive("logdet(X) + logsumexp(X*y) + sum(sigmoid(y))", ["X", "y"], {"X": "n,n", "y": "n"})
    path = tmp_path / "module.py"
    X = [[2.0, 0.3], [0.1, 1.5]]
    path.write_text(d.source + f"\nimport numpy as np\nprint(value({{'X': np.array({X}), 'y': np.array([0.2, -0.4])}}))\n")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = derivatives("logdet(X) + logsumexp(X*y) + sum(sigmoid(y))",
                           {"X": np.array(X), "y": np.array([0.2, -0.4])}, "y")["value"]
    assert float(proc.stdout) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("expr, shapes", [
    ("logdet(X)", {"X": "n,n"}),                       # a matrix variable's Hessian: an outer product (_einsum)
    ("tr(X'*A*X)", {"X": "n,n", "A": "n,n"}),           # an identity factor: a diagonal of zeros (_einsum_into)
    ("logdet(X) + tr(X'*A*X) + sum(X*y)", {"X": "n,n", "A": "n,n", "y": "n"}),
])
def test_derived_hessian_module_runs_on_its_own(tmp_path, expr, shapes):
    """The printed module defines or imports everything its Hessian calls, and its
    numbers are the engine's (was a NameError on _einsum / _einsum_into)."""
    from diffbench.symbolic.api import derive

    rng = np.random.default_rng(3)
    inputs = {"X": np.eye(3) * 2 + 0.1 * rng.standard_normal((3, 3)), "A": rng.standard_normal((3, 3)),
              "y": rng.standard_normal(3)}
    inputs = {k: inputs[k] for k in shapes}
    np.savez(tmp_path / "inputs.npz", **inputs)
    path = tmp_path / "module.py"
    path.write_text(derive(expr, ["X"], shapes, order=2).source
                    + "\ninputs = dict(np.load('inputs.npz'))\n"
                    + "np.save('hessian.npy', together(inputs)['hessian'][('X', 'X')])\n")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = derivatives(expr, inputs, "X", engine="tape")["hessian"]
    np.testing.assert_allclose(np.load(tmp_path / "hessian.npy"), expected, rtol=1e-10, atol=1e-12)


def _scaled_norm(scale):
    """‖v‖ = s ‖v/s‖ for a constant s: autograd never squares an entry of v itself."""
    return lambda v: scale * anp.sqrt(anp.sum((v / scale) ** 2))


@pytest.mark.parametrize("scale", [1e-110, 1e-160, 1e150, 1e200])
@pytest.mark.parametrize("expr, inputs, reference", [
    ("norm2(x)", {"x": np.array([1.0, 1.0, 0.0])}, lambda p, norm: norm(p["x"])),
    ("norm2(X)", {"X": np.array([[1.0, 2.0], [0.0, -1.0]])}, lambda p, norm: norm(p["X"])),
    ("norm2(A*x)", {"A": np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [1.0, 0.0, 1.0]]),
                    "x": np.array([1.0, -1.0, 0.5])}, lambda p, norm: norm(anp.dot(p["A"], p["x"]))),
])
def test_norm2_hessian_is_scale_invariant(scale, expr, inputs, reference):
    """The Hessian of ‖x‖ is (I − x xᵀ/‖x‖²)/‖x‖: the generated code once formed
    ‖x‖³ (at x = [1e-110, 1e-110, 0] it underflowed: -inf and nan where ±3.5e109
    is right; at 1e150 it overflowed and the x xᵀ term silently vanished), the
    tape ‖x‖² (nan at 1e-160), the value <x, x> (0 at 1e-200)."""
    wrt = "X" if "X" in inputs else "x"
    inputs = {k: (v * scale if k == wrt else v) for k, v in inputs.items()}
    norm = _scaled_norm(scale)
    check_agree(expr, inputs, wrt, engines=("symbolic", "tape"), reference=lambda p: reference(p, norm))
    # check_agree's measure is absolute below 1: at 1e150 every Hessian entry is
    # ~1e-150, so compare at the answer's own scale too
    truth = check_agree(expr, inputs, wrt, engines=(), reference=lambda p: reference(p, norm))
    expected = truth.results["reference"]["hessian"] * scale
    for engine in ("symbolic", "tape"):
        got = np.ravel(derivatives(expr, inputs, wrt, engine=engine)["hessian"]) * scale
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, err_msg=engine)


def test_norm2_hessian_in_the_issue():
    got = derivatives("norm2(x)", {"x": np.array([1e-110, 1e-110, 0.0])}, "x", engine="symbolic")["hessian"]
    expected = np.array([[1, -1, 0], [-1, 1, 0], [0, 0, 2]]) * 3.5355339059327378e109
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def _det_by_cofactors(m):
    """det by expansion along the first row (Laplace): a polynomial in the entries,
    which autograd differentiates at a singular matrix as anywhere else."""
    n = m.shape[0]
    if n == 1:
        return m[0, 0]
    total = 0.0
    for j in range(n):
        minor = anp.concatenate([m[1:, :j], m[1:, j + 1:]], axis=1)
        total = total + (-1) ** j * m[0, j] * _det_by_cofactors(minor)
    return total


@pytest.mark.parametrize("matrix", [
    [[1, 2, 3], [2, 4, 6], [1, 0.5, 2]],  # rank 2 (the issue's example)
    [[1, 2, 3], [2, 4, 6], [3, 6, 9]],  # rank 1: the adjugate is 0
    [[2, 1], [4, 2]],
    [[0.0, 0.0], [0.0, 0.0]],
    [[1, 2, 0.5], [0.3, -1, 2], [1, 0, 1]],  # invertible: det(X) X⁻ᵀ as before
], ids=["rank2", "rank1", "2x2", "zero", "invertible"])
def test_det_gradient_is_the_adjugate_also_at_a_singular_matrix(matrix):
    """d det(X) = tr(adj(X) dX): the gradient adj(X)ᵀ is the cofactor matrix,
    defined at a singular X, where symbolic and tape raised LinAlgError."""
    inputs = {"X": np.array(matrix, dtype=float)}
    check_agree("det(X)", inputs, "X", engines=("symbolic", "tape"), order=1,
                reference=lambda p: _det_by_cofactors(p["X"]))
    # the Hessian (the adjugate's derivative, from the 2x2 minors) is defined there too
    check_agree("det(X)", inputs, "X", engines=("symbolic", "tape"), order=2,
                reference=lambda p: _det_by_cofactors(p["X"]))
    check_agree("det(X*X') + det(X)", inputs, "X", engines=("symbolic", "tape"), order=2,
                reference=lambda p: _det_by_cofactors(p["X"] @ p["X"].T) + _det_by_cofactors(p["X"]))
    if np.linalg.matrix_rank(inputs["X"]) == len(matrix):
        check_agree("det(X)", inputs, "X", engines=("symbolic", "tape", "fd"),
                    reference=lambda p: _det_by_cofactors(p["X"]))


def test_det_gradient_in_the_issue():
    X = np.array([[1, 2, 3], [2, 4, 6], [1, 0.5, 2]])
    for engine in ("symbolic", "tape"):
        got = derivatives("det(X)", {"X": X}, "X", engine=engine, order=1)["gradient"]
        np.testing.assert_allclose(got.ravel(), [5, 2, -3, -2.5, -1, 1.5, 0, 0, 0], atol=1e-12)


ONE = {"x": np.array([1.5]), "y": np.array([-0.7]), "A": np.array([[2.0]])}


@pytest.mark.parametrize("expr, reference", [
    ("tr(x*x')", lambda p: anp.sum(p["x"] * p["x"])),
    ("tr(x*y')*2", lambda p: 2 * anp.sum(p["x"] * p["y"])),
    ("det(x*y')", lambda p: anp.sum(p["x"] * p["y"])),
    ("logdet(x*y')", lambda p: anp.log(anp.abs(anp.sum(p["x"] * p["y"])))),
    ("inv(x*x') + x'*A*x", lambda p: 1 / anp.sum(p["x"] ** 2) + anp.sum(p["x"] * p["A"][0] * p["x"])),
    ("x'*A*x", lambda p: anp.sum(p["x"] * p["A"][0] * p["x"])),
])
def test_a_one_by_one_product_is_a_scalar_everywhere(expr, reference):
    """x*x' of a length-1 x is 1x1: a scalar in the language, which tr, det,
    logdet and inv take as the 1x1 matrix it is (tr(x*x') was refused:
    'tr needs a square matrix, got ()')."""
    fn = parse(expr, {"x": "1", "y": "1", "A": "1,1"})
    assert fn.shape == ()
    inputs = {name: ONE[name] for name in fn.variables}
    check_agree(fn, inputs, fn.variables, engines=("symbolic", "tape", "fd"), reference=reference)
    got = derivatives(expr, inputs, "x")
    assert np.shape(got["value"]) == () and np.shape(got["gradient"]) == (1,)


def test_a_length_one_quadratic_form_prints_as_for_general_n():
    """x'*A*x with dims declared 1 printed f = Aᵀ x x and ∇ = Aᵀ x 1 + A sum(x ⊙ 1)."""
    from diffbench.symbolic.api import derive
    lines = str(derive("x'*A*x", "x", {"x": "1", "A": "1,1"})).splitlines()
    assert lines == ["f = ⟨x, A x⟩", "∇_x f = (A + Aᵀ) x", "∇²_xx f = A + Aᵀ"]  # as for general n
    check_agree(parse("(x'*A)*x*2", {"x": "1", "A": "1,1"}), {"x": ONE["x"], "A": ONE["A"]}, ["x", "A"],
                engines=("symbolic", "tape"), reference=lambda p: 2 * anp.sum(p["x"] * p["A"][0] * p["x"]))


def test_the_references_own_round_off_counts():
    """Found by the explore profile: det(x xᵀ x xᵀ + I) at x ≈ [10.4, 24.6] has a
    badly conditioned Hessian. The engines are off the exact 4‖x‖² I + 8 x xᵀ by
    ~5e-7, autograd's own det Hessian (the reference) by 1.4e-6; round-off
    measured on the symbolic engine alone (2e-7) blamed symbolic. The
    reference's noise is measured too before anyone is blamed."""
    x = np.array([10.36752576194358, 24.64854430503475])
    exact = 4 * (x @ x) * np.eye(2) + 8 * np.outer(x, x)
    for engine in ("symbolic", "tape"):
        got = derivatives("det((x*x')*(x*x')' + eye(n))", {"x": x}, "x", engine=engine)["hessian"]
        assert np.max(np.abs(got - exact)) / np.max(np.abs(exact)) < 1e-5

    def reference(p):
        outer = anp.outer(p["x"], p["x"])
        return anp.linalg.det(anp.dot(outer, outer.T) + anp.eye(2))
    report = check_agree("det((x*x')*(x*x')' + eye(n))", {"x": x}, "x", engines=("symbolic", "tape"),
                         roundoff=True, strict=False, reference=reference)
    assert not report.culprits


def test_scalar_softplus_is_numpys_logaddexp_bit_for_bit():
    """The plain-float softplus of a scalar (the table's impl, the generated helper) is
    logaddexp(0, z) itself: the same formula, inf at inf, NaN at NaN, never an exception."""
    from diffbench.ops import TABLE
    from diffbench.symbolic.codegen import HELPERS

    helper = {"np": np}
    exec("\n".join(HELPERS["softplus"]), helper)  # noqa: S102  (the helper's own source)
    edges = [0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 0.5, -0.5, 18.0, -18.0, 36.9, -36.9, 40.0, -40.0,
             709.0, -709.0, 710.0, -710.0, 760.0, 1e300, -1e300, np.inf, -np.inf, np.nan]
    grid = list(np.random.default_rng(0).normal(scale=30.0, size=500)) + edges
    for z in grid:
        expected = np.logaddexp(0.0, z)
        for softplus in (TABLE["softplus"].impl, helper["_softplus"]):
            for given in (float(z), np.float64(z)):
                got = softplus(given)
                assert np.array_equal(got, expected, equal_nan=True), (z, got, expected)


@pytest.mark.parametrize("engine", ["tape", "symbolic"])
def test_log_one_plus_exp_of_a_scalar_far_out_is_finite_in_both_engines(engine):
    out = derivatives("log(1 + exp(a'*x))", {"a": np.ones(2), "x": np.array([400.0, 360.0])}, "x",
                      engine=engine, order=1)
    assert out["value"] == 760.0 and np.array_equal(out["gradient"], np.ones(2))


@pytest.mark.parametrize("z, expected", [(708.5, np.exp(708.5)), (709.0, np.exp(709.0)), (710.0, np.inf),
                                         (-800.0, 0.0), (np.inf, np.inf), (-np.inf, 0.0), (np.nan, np.nan)])
def test_generated_scalar_exp_overflows_to_inf_and_never_raises(z, expected):
    """Generated code takes math.exp of a scalar below where it would raise OverflowError,
    np.exp from there: inf past the float range, NaN at NaN, as the engines gave before."""
    with np.errstate(all="ignore"):
        got = derivatives("exp(a'*x)", {"a": np.array([1.0, 0.0]), "x": np.array([z, 1.0])}, "x",
                          engine="symbolic", order=1)
    assert got["value"] == pytest.approx(expected, rel=1e-15, nan_ok=True)  # within an ulp of np.exp
