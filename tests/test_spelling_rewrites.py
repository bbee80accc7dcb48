"""Every rewrite that makes two spellings one canonical form, checked against an
independent reference: the function written directly in ``autograd.numpy`` from
its formula, differentiated by autograd (the referee), beside the symbolic and
tape engines and finite differences.

The rewrites live in :mod:`diffbench.canonical` (shared by the tape, fd and the
symbolic engine), the symbolic simplifier (``spread(d) ⊙ M`` as ``diag(d) M``,
``solve(Aᵀ, I)`` as ``solve(A, I)ᵀ``), its Jacobian rule for ``solve`` against a
rank-3/4 Jacobian, and its code generator (``(A ± B) v`` applied term by term).
Each case runs at general sizes and, where a rewrite has one, at its scalar
(length-one) and broadcast cases.
"""
from __future__ import annotations

import numpy as np
import pytest

import diffbench
from diffbench import parse
from diffbench.testing import check_agree

anp = pytest.importorskip("autograd.numpy")

ENGINES = ("symbolic", "tape", "fd")
SHAPES = {"X": "m,n", "A": "n,n", "B": "n,n", "W": "m,n", "M": "m,n", "w": "n", "x": "n", "y": "m",
          "d": "n", "u": "n", "v": "n", "b": "n", "a": "n", "c": "", "s": ""}


def _inputs(names, n=3, m=4, seed=0):
    rng = np.random.default_rng(seed)
    shape = {"": (), "n": (n,), "m": (m,), "n,n": (n, n), "m,n": (m, n)}
    out = {name: rng.normal(size=shape[SHAPES[name]]) * 0.7 for name in names}
    if "A" in out:  # solve(A, ...): well conditioned
        out["A"] = out["A"] + 3 * np.eye(n)
    return out


def _softplus(z):
    return anp.logaddexp(0.0, z)


def _mv(A, x):
    return anp.dot(A, x)


def _xent(p):
    """Cross-entropy -Σ y log σ(z) + (1 - y) log(1 - σ(z)), z = X w, as published, with
    log σ(z) = -log(1 + e^-z) and log(1 - σ(z)) = -log(1 + e^z): two softplus."""
    z = _mv(p["X"], p["w"])
    return anp.sum(p["y"] * _softplus(-z) + (1 - p["y"]) * _softplus(z))


# (expression, variables to differentiate, reference over the inputs dict p)
CASES = [
    # diag(d) v -> d ⊙ v
    ("x'*diag(d)*x", ["x", "d"], lambda p: anp.sum(p["x"] * p["d"] * p["x"])),
    ("sum(diag(d)*(A*x))", ["x", "d", "A"], lambda p: anp.sum(p["d"] * _mv(p["A"], p["x"]))),
    # (diag(y) X) w -> y ⊙ (X w), under a sign and a softplus (the ±1-label logistic loss)
    ("sum(log(1 + exp(-diag(y)*X*w)))", ["w", "y", "X"],
     lambda p: anp.sum(_softplus(-p["y"] * _mv(p["X"], p["w"])))),
    ("-sum(log(sigmoid(diag(y)*X*w)))", ["w", "y"], lambda p: anp.sum(_softplus(-p["y"] * _mv(p["X"], p["w"])))),
    ("sum(softplus(diag(-y)*X*w))", ["w"], lambda p: anp.sum(_softplus(-p["y"] * _mv(p["X"], p["w"])))),
    # diag(d) M and M diag(d) left as matrices: a spread scaling of rows, of columns
    ("sum(diag(y)*X*A)", ["y", "X", "A"], lambda p: anp.sum(_mv(p["y"][:, None] * p["X"], p["A"]))),
    ("norm2(diag(y)*X)^2", ["y", "X"], lambda p: anp.sum((p["y"][:, None] * p["X"]) ** 2)),
    ("sum(X'*diag(y)*X)", ["y", "X"], lambda p: anp.sum(_mv(p["X"].T * p["y"], p["X"]))),
    ("w'*X'*diag(y)*X*w", ["w", "y"], lambda p: anp.sum(p["y"] * _mv(p["X"], p["w"]) ** 2)),
    ("tr(A*diag(d)*B)", ["d", "A", "B"], lambda p: anp.trace(_mv(p["A"] * p["d"], p["B"]))),
    # transposes pushed onto the leaves of a scaling
    ("sum(softplus(-(X'*diag(y))'*w))", ["w", "y"], lambda p: anp.sum(_softplus(-p["y"] * _mv(p["X"], p["w"])))),
    ("tr(diag(d)'*A)", ["d", "A"], lambda p: anp.sum(p["d"] * anp.diag(p["A"]))),
    ("norm2((c*X)'*y)^2", ["c", "X", "y"], lambda p: anp.sum(_mv((p["c"] * p["X"]).T, p["y"]) ** 2)),
    ("sum((X' .* (c + X'))'*w)", ["c", "X"], lambda p: anp.sum(_mv((p["X"].T * (p["c"] + p["X"].T)).T, p["w"]))),
    # chains times a vector: matrix-vector products
    ("sum(A*B*x)", ["x", "A", "B"], lambda p: anp.sum(_mv(_mv(p["A"], p["B"]), p["x"]))),
    ("x'*(A'*A)*x", ["x", "A"], lambda p: anp.sum(_mv(p["A"], p["x"]) ** 2)),
    ("sum((c*A)*x)", ["c", "A", "x"], lambda p: anp.sum(_mv(p["c"] * p["A"], p["x"]))),
    ("-exp(-x'*eye(n)*x) + sum(eye(n)*A*x)", ["x", "A"],
     lambda p: -anp.exp(-anp.sum(p["x"] ** 2)) + anp.sum(_mv(p["A"], p["x"]))),
    # ⟨u, Aᵀ v⟩ -> ⟨A u, v⟩
    ("sum(softplus(X*w)) - w'*X'*y", ["w", "X", "y"],
     lambda p: anp.sum(_softplus(_mv(p["X"], p["w"]))) - anp.dot(p["w"], _mv(p["X"].T, p["y"]))),
    ("(X'*y)'*w", ["w", "y"], lambda p: anp.dot(_mv(p["X"].T, p["y"]), p["w"])),
    ("log(x'*A'*x + 10)", ["x", "A"], lambda p: anp.log(anp.dot(p["x"], _mv(p["A"].T, p["x"])) + 10)),
    # sums of products are inner products; squares and norms
    ("log(1 + exp(sum(a.*x)))", ["a", "x"], lambda p: _softplus(anp.sum(p["a"] * p["x"]))),
    ("log1p(exp(ones(n)'*(a.*x)))", ["x"], lambda p: _softplus(anp.sum(p["a"] * p["x"]))),
    ("-exp(-sum(square(x)))", ["x"], lambda p: -anp.exp(-anp.sum(p["x"] ** 2))),
    ("-exp(-norm2(x)*norm2(x))", ["x"], lambda p: -anp.exp(-anp.sum(p["x"] ** 2))),
    ("sum(diag(A*B))", ["A", "B"], lambda p: anp.trace(_mv(p["A"], p["B"]))),
    # signs and constants
    ("sum((-a).*x) + sum(a.*(-x).*x)", ["a", "x"], lambda p: -anp.sum(p["a"] * p["x"]) - anp.sum(p["a"] * p["x"] ** 2)),
    ("-exp(-1*x'*x)", ["x"], lambda p: -anp.exp(-anp.sum(p["x"] ** 2))),
    ("-exp(-x'*x/2*2) + x'*x/4 + x'*x/3", ["x"],
     lambda p: -anp.exp(-anp.sum(p["x"] ** 2)) + anp.sum(p["x"] ** 2) / 4 + anp.sum(p["x"] ** 2) / 3),
    ("-1/exp(x'*x) + (3 ./ exp(a.*x))'*a", ["x", "a"],
     lambda p: -anp.exp(-anp.sum(p["x"] ** 2)) + anp.dot(3 / anp.exp(p["a"] * p["x"]), p["a"])),
    ("norm2(-(b - A*x))^2", ["x", "b"], lambda p: anp.sum((_mv(p["A"], p["x"]) - p["b"]) ** 2)),
    ("<-(b - x), -(x - a)> + 1/2*c", ["x", "c"], lambda p: anp.dot(p["x"] - p["b"], p["a"] - p["x"]) + p["c"] / 2),
    # ⟨a, softplus(-z)⟩ + ⟨b, softplus(z)⟩ -> ⟨a + b, softplus(z)⟩ - ⟨a, z⟩: the cross-entropy
    # spelling against the published formula with its two softplus (any y, so wrt y checks -z)
    ("-(y'*log(sigmoid(X*w)) + (ones(m) - y)'*log(1 - sigmoid(X*w)))", ["w", "y", "X"], lambda p: _xent(p)),
    ("-y'*log(sigmoid(X*w)) - (1-y)'*log(1-sigmoid(X*w))", ["w", "y"], lambda p: _xent(p)),
    ("-c*log(sigmoid(a'*x)) - (1-c)*log(1-sigmoid(a'*x))", ["x", "c", "a"],
     lambda p: _xent({"y": p["c"], "X": p["a"][None, :], "w": p["x"]})),
    ("-sum(c*log(sigmoid(X*w))) - sum((1-c)*log(1 - sigmoid(X*w)))", ["w", "c"],
     lambda p: _xent({"y": p["c"] * anp.ones(p["X"].shape[0]), "X": p["X"], "w": p["w"]})),
    ("sum(log(1 + exp(-X*w))) + sum(softplus(X*w))", ["w"],
     lambda p: anp.sum(_softplus(-_mv(p["X"], p["w"])) + _softplus(_mv(p["X"], p["w"])))),
    ("softplus(-a'*x) - 3*softplus(a'*x) + c*log(1 - sigmoid(-a'*x))", ["x", "c"],
     lambda p: _softplus(-anp.dot(p["a"], p["x"])) - 3 * _softplus(anp.dot(p["a"], p["x"]))
     - p["c"] * _softplus(-anp.dot(p["a"], p["x"]))),
    # log Σ exp, determinants of transposes and inverses, Frobenius products with an outer product
    ("log(sum(exp(W*b))) - y'*W*b + log(ones(n)'*exp(x))", ["W", "x"],
     lambda p: anp.log(anp.sum(anp.exp(_mv(p["W"], p["b"])))) - anp.dot(p["y"], _mv(p["W"], p["b"]))
     + anp.log(anp.sum(anp.exp(p["x"])))),
    ("log(sum(exp(c)))", ["c"], lambda p: p["c"]),
    ("logdet(A') - 2*logdet(inv(A))", ["A"], lambda p: 3 * anp.log(anp.abs(anp.linalg.det(p["A"])))),
    ("<A, u*v'> + <v*u', B>", ["A", "u", "v"],
     lambda p: anp.dot(p["u"], _mv(p["A"], p["v"])) + anp.dot(p["v"], _mv(p["B"], p["u"]))),
    # solve against the rank-3/4 Jacobian of a matrix variable
    ("tr(solve(A, B))", ["A", "B"], lambda p: anp.trace(anp.linalg.solve(p["A"], p["B"]))),
    ("u'*solve(A, b)", ["A", "b"], lambda p: anp.dot(p["u"], anp.linalg.solve(p["A"], p["b"]))),
    ("sum(solve(A', B)) + tr(solve(A, B)*B)", ["A"],
     lambda p: anp.sum(anp.linalg.solve(p["A"].T, p["B"])) + anp.trace(_mv(anp.linalg.solve(p["A"], p["B"]), p["B"]))),
    ("sum(diag(solve(A, B)))", ["A"], lambda p: anp.trace(anp.linalg.solve(p["A"], p["B"]))),
    # (A ± B) v applied term by term in generated code
    ("1/2*x'*A*x - b'*x", ["x", "A", "b"], lambda p: 0.5 * anp.dot(p["x"], _mv(p["A"], p["x"])) - anp.dot(p["b"], p["x"])),
    ("x'*(c + A)*x", ["x", "c", "A"], lambda p: anp.dot(p["x"], _mv(p["c"] + p["A"], p["x"]))),
    ("x'*(A - 2*A' + eye(n) + u*v' - c*ones(n, n))*x", ["x", "c", "u"],
     lambda p: anp.dot(p["x"], _mv(p["A"] - 2 * p["A"].T + anp.eye(3) + anp.outer(p["u"], p["v"])
                                   - p["c"] * anp.ones((3, 3)), p["x"]))),
    ("norm2((A + B')*x - b)^2", ["x", "A"], lambda p: anp.sum((_mv(p["A"] + p["B"].T, p["x"]) - p["b"]) ** 2)),
]


def _case_id(case):
    return f"{case[0]} wrt {','.join(case[1])}"


def _check(expr, wrt, reference, n=3, m=4):
    fn = parse(expr, {k: v for k, v in SHAPES.items() if k in expr})
    inputs = _inputs(fn.variables, n=n, m=m)
    check_agree(fn, inputs, wrt, engines=ENGINES, reference=reference)


@pytest.mark.parametrize("expr, wrt, reference", CASES, ids=[_case_id(c) for c in CASES])
def test_a_rewritten_spelling_agrees_with_autograd(expr, wrt, reference):
    _check(expr, wrt, reference)


# the same rewrites where every dim is 1: diag of a length-one vector, 1 x 1 solves, scalar chains
LENGTH_ONE = [c for c in CASES if "eye(n)" not in c[0] and "ones(n, n)" not in c[0]]


@pytest.mark.parametrize("expr, wrt, reference", LENGTH_ONE, ids=[_case_id(c) for c in LENGTH_ONE])
def test_a_rewritten_spelling_agrees_with_autograd_at_length_one(expr, wrt, reference):
    _check(expr, wrt, reference, n=1, m=1)


def test_log_sum_exp_spelled_out_stays_finite_where_exp_overflows():
    """log(sum(exp(x))) at x = [800, 799]: 800.31 (logsumexp), not inf, in both engines."""
    x = np.array([800.0, 799.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for expr in ("log(sum(exp(x)))", "log(ones(n)'*exp(x))"):
            for engine in ("tape", "symbolic"):
                out = diffbench.derivatives(expr, {"x": x}, wrt="x", engine=engine)
                assert out["value"] == pytest.approx(800.0 + np.log1p(np.exp(-1.0)))
                np.testing.assert_allclose(out["gradient"], np.exp(x - out["value"]))


def test_the_rewritten_logistic_loss_stays_finite_where_exp_overflows():
    """-y.*(X*w) = 760 with y = -1: log(1 + exp(760)) is 760 in both engines, from
    the diag spelling as from the broadcast one, and no overflow is raised."""
    X, w, y = np.array([[380.0, 380.0], [1.0, -1.0]]), np.array([1.0, 1.0]), np.array([-1.0, 1.0])
    results = {}
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for expr in ("sum(log(1 + exp(-diag(y)*X*w)))", "sum(log(1 + exp(-y.*(X*w))))"):
            for engine in ("tape", "symbolic"):
                results[expr, engine] = diffbench.derivatives(expr, {"X": X, "w": w, "y": y}, wrt="w", engine=engine)
    for out in results.values():
        assert out["value"] == pytest.approx(760.0 + np.log(2.0))
        np.testing.assert_allclose(out["gradient"], X[0] + 0.5 * (-X[1]))
        assert np.all(np.isfinite(out["hessian"]))


@pytest.mark.parametrize("expr", ["-(y'*log(sigmoid(X*w)) + (ones(m) - y)'*log(1 - sigmoid(X*w)))",
                                  "-y'*log(sigmoid(X*w)) - (1-y)'*log(1-sigmoid(X*w))"])
def test_the_merged_cross_entropy_is_accurate_at_large_margins(expr):
    """One softplus where the spelling has two (softplus(-z) = softplus(z) - z): at
    |z| = 800 value, gradient and Hessian stay finite and within 1e-13 (relative to
    the terms' size) of the published two-softplus formula differentiated by autograd."""
    from autograd import grad, hessian

    X = np.array([[400.0, 400.0], [-400.0, -400.0], [400.0, 400.0], [-400.0, -400.0],
                  [15.0, 15.0], [-15.0, -15.0], [0.3, -0.8], [1.0, 2.0]])  # z = ±800, ±800, ±30, ...
    w, y = np.array([1.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.25, 0.5])

    def reference(w_):
        return _xent({"X": X, "w": w_, "y": y})

    want = {"value": reference(w), "gradient": grad(reference)(w), "hessian": hessian(reference)(w)}
    scale = {"value": np.abs(y @ (X @ w)) + np.sum(np.logaddexp(0.0, X @ w)),  # the terms' size
             "gradient": np.abs(X).sum(), "hessian": (np.abs(X).T @ np.abs(X)).max()}
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for engine in ("symbolic", "tape"):
            got = diffbench.derivatives(expr, {"X": X, "w": w, "y": y}, wrt="w", engine=engine)
            for quantity, value in want.items():
                assert np.all(np.isfinite(got[quantity])), (engine, quantity)
                np.testing.assert_allclose(got[quantity], value, rtol=1e-13, atol=1e-13 * scale[quantity],
                                           err_msg=f"{engine} {quantity}")
