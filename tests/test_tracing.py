"""NumPy-style Python functions traced into the IR (``diffbench.trace``).

Three kinds of evidence: a catalogue function written in Python traces to
the *same interned DAG* as its expression; autograd-style example functions
agree with autograd itself on value, gradient and Hessian (references run
through autograd, not through diffbench's IR); and what cannot be traced
fails at trace time with the user's function and line.
"""
from __future__ import annotations

import numpy as onp
import pytest

import diffbench
import diffbench.numpy as np
from diffbench.catalogue import CATALOGUE
from diffbench.testing import check_agree
from diffbench.tracing import TraceError

# ---------------------------------------------------------------- the catalogue in Python


def quadratic_form(x, A, b, c):
    return x @ A @ x - b @ x + c


def log_quadratic(x, A):
    return np.log(x @ A @ x)


def log_one_plus_exp(x, a):
    return np.log(1 + np.exp(a @ x))


def gaussian_bump(x):
    return -np.exp(-x @ x)


def least_squares(x, A, b):
    return 0.5 * np.linalg.norm(A @ x - b) ** 2


def two_variable_graph(w1, w2):
    return w2 * np.log(w1) + np.sqrt(w2 * np.log(w1))


def logistic_regression(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0, z)) - y @ z


def mds_stress(W, D):
    g = W @ W.T
    n = W.shape[0]
    return np.linalg.norm(np.outer(np.diag(g), np.ones(n)) + np.outer(np.ones(n), np.diag(g))
                          - 2 * W @ W.T - D) ** 2


def two_layer_net(W1, W2, x, y):
    return 0.5 * np.linalg.norm(W2 @ np.expit(W1 @ x) - y) ** 2


def softmax_cross_entropy(W, x, y):
    return np.logsumexp(W @ x) - y @ W @ x


def bilinear_inverse(A, b, c):
    return c @ np.linalg.inv(A) @ b


def linear_solve_loss(A, b, c):
    return 0.5 * np.linalg.norm(np.linalg.inv(A) @ b - c) ** 2


def log_determinant(X):
    return np.linalg.slogdet(X)[1]


def trace_inverse(X):
    return np.trace(np.linalg.inv(X))


def regularised_neuron(w, x, b, t, lam):
    return 0.5 * (np.expit(w * x + b) - t) ** 2 + lam / 2 * w ** 2


def tanh(x):
    return np.tanh(x)


PYTHON_CATALOGUE = {f.__name__: f for f in [
    quadratic_form, log_quadratic, log_one_plus_exp, gaussian_bump, least_squares,
    two_variable_graph, logistic_regression, mds_stress, two_layer_net, softmax_cross_entropy,
    bilinear_inverse, linear_solve_loss, log_determinant, trace_inverse, regularised_neuron, tanh]}


def test_every_seed_catalogue_function_has_a_python_twin():
    seeds = {e.name for e in CATALOGUE.values() if e.expand is None and e.name[0].islower()
             and not e.name.startswith(("adbench-", "gradbench-"))}
    assert seeds == set(PYTHON_CATALOGUE)


@pytest.mark.parametrize("name", sorted(PYTHON_CATALOGUE))
def test_catalogue_function_traces_to_the_same_dag(name):
    entry = CATALOGUE[name]
    traced = diffbench.trace(PYTHON_CATALOGUE[name], shapes=entry.shapes)
    assert traced.root is entry.function.root
    # so the closed forms are the same formulas, whichever front end was used (the
    # printout differs only where the Python twin named an intermediate: it keeps the name)
    a, b = diffbench.derive(traced, list(entry.wrt)), diffbench.derive(entry.function, list(entry.wrt))
    assert a.value is b.value
    assert all(a.gradient[k] is b.gradient[k] for k in b.gradient)
    assert all(a.hessian[k] is b.hessian[k] for k in b.hessian)
    if not traced.intermediates:
        assert str(a) == str(b)


def test_traced_function_runs_in_every_engine():
    entry = CATALOGUE["logistic_regression"]
    traced = diffbench.trace(logistic_regression, shapes=entry.shapes)
    inputs = entry.sample({"n": 5}, seed=3)
    check_agree(traced, inputs, ["w"], engines=("symbolic", "tape", "fd"))


# ---------------------------------------------------------------- autograd's own examples


def autograd_tanh(x):  # autograd's README
    y = np.exp(-2.0 * x)
    return (1.0 - y) / (1.0 + y)


def autograd_logistic_loss(weights, inputs, targets):  # autograd's README, data as arguments
    def sigmoid(x):
        return 0.5 * (np.tanh(x / 2.) + 1)

    preds = sigmoid(np.dot(inputs, weights))
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    return -np.sum(np.log(label_probabilities))


def squared_error(w, X, y):
    return np.sum((np.dot(X, w) - y) ** 2)


def log_softmax_loss(W, x, y):
    logits = np.dot(W, x)
    return -np.dot(y, logits - np.logsumexp(logits))


def gaussian_log_density(x, mu, L):
    sigma = L @ L.T + np.eye(x.shape[0])
    r = x - mu
    return -0.5 * r @ np.linalg.inv(sigma) @ r - 0.5 * np.linalg.slogdet(sigma)[1]


def einsum_quadratic(x, A):
    return np.einsum("i,ij,j->", x, A, x) + np.einsum("ii->", A @ A.T)


def rosenbrock(x):  # autograd's optimisation example
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0)


def softmax_regression(W, X, Y):  # multinomial logistic loss, Y one-hot rows
    logits = X @ W.T
    return np.sum(np.logsumexp(logits, axis=1)) - np.sum(Y * logits)


def blocks_and_solves(A, b, c):
    x = np.linalg.solve(A @ A.T + np.eye(A.shape[0]), b)
    stacked = np.concatenate([x, c])
    return np.sum(np.square(stacked)) + np.sum(np.maximum(np.tril(A), 0.0) * A) + x[0] * c[1]


EXAMPLES = [
    (autograd_tanh, {"x": ""}, "x"),
    (autograd_logistic_loss, {"weights": "n", "inputs": "m,n", "targets": "m"}, "weights"),
    (squared_error, {"w": "n", "X": "m,n", "y": "m"}, "w"),
    (log_softmax_loss, {"W": "k,n", "x": "n", "y": "k"}, "W"),
    (gaussian_log_density, {"x": "n", "mu": "n", "L": "n,n"}, "x"),
    (einsum_quadratic, {"x": "n", "A": "n,n"}, "x"),
    (softmax_regression, {"W": "k,n", "X": "m,n", "Y": "m,k"}, "W"),
    (blocks_and_solves, {"A": "n,n", "b": "n", "c": "k"}, "b"),
]


def _inputs(shapes: dict, seed: int) -> dict:
    rng = onp.random.default_rng(seed)
    sizes = {"n": 4, "m": 6, "k": 3}
    out = {}
    for name, spec in shapes.items():
        dims = [sizes[d] for d in spec.split(",")] if spec else []
        out[name] = float(rng.normal()) if not dims else rng.normal(size=dims) * 0.5
    if "targets" in out:
        out["targets"] = (rng.uniform(size=out["targets"].shape) > 0.5).astype(float)
    return out


@pytest.mark.parametrize("fn,shapes,wrt", EXAMPLES, ids=[e[0].__name__ for e in EXAMPLES])
def test_autograd_example_agrees_with_autograd(fn, shapes, wrt):
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    import autograd.scipy.special as aspecial

    inputs = _inputs(shapes, seed=7)
    traced = diffbench.trace(fn, shapes=shapes)
    # the same source run by autograd: its own numpy in place of diffbench.numpy
    reference = _with_numpy(fn, anp, aspecial)
    at = [inputs[name] for name in shapes]
    position = list(shapes).index(wrt)
    expected_grad = autograd.grad(reference, position)(*at)
    expected_hess = autograd.hessian(reference, position)(*at)
    for engine in ("symbolic", "tape"):
        out = diffbench.derivatives(traced, inputs, wrt=wrt, engine=engine)
        assert onp.allclose(out["value"], reference(*at), rtol=1e-10, atol=1e-12)
        assert onp.allclose(out["gradient"], expected_grad, rtol=1e-10, atol=1e-12)
        assert onp.allclose(out["hessian"], expected_hess, rtol=1e-9, atol=1e-11)


def _with_numpy(fn, anp, aspecial):
    """``fn`` re-bound to autograd's numpy: the example as autograd runs it."""
    import types

    shim = types.SimpleNamespace(**{k: getattr(anp, k) for k in dir(anp) if not k.startswith("_")})
    shim.logsumexp = aspecial.logsumexp
    shim.expit = aspecial.expit
    shim.square = anp.square
    shim.maximum = anp.maximum
    shim.concatenate = lambda arrays, axis=0: anp.concatenate(arrays, axis=axis)
    shim.linalg = anp.linalg
    shim.einsum = anp.einsum
    glob = dict(fn.__globals__, np=shim)
    return types.FunctionType(fn.__code__, glob, fn.__name__, fn.__defaults__, fn.__closure__)


def test_rosenbrock_traces_with_sizes_and_agrees_with_autograd():
    autograd = pytest.importorskip("autograd")
    import autograd.numpy as anp
    import autograd.scipy.special as aspecial

    x = onp.array([0.3, -0.8, 1.1, 0.5, 0.9])
    traced = diffbench.trace(rosenbrock, shapes={"x": "n"}, sizes={"n": 5})
    reference = _with_numpy(rosenbrock, anp, aspecial)
    out = diffbench.derivatives(traced, {"x": x}, wrt="x", engine="symbolic")
    assert onp.allclose(out["gradient"], autograd.grad(reference)(x), rtol=1e-10)
    assert onp.allclose(out["hessian"], autograd.hessian(reference)(x), rtol=1e-10)
    with pytest.raises(TraceError, match="pass sizes="):
        diffbench.trace(rosenbrock, shapes={"x": "n"})


@pytest.mark.parametrize("python,expr,shapes", [
    (lambda X, mu: X - mu, "X - ones(m)*mu'", {"X": "m,n", "mu": "n"}),
    (lambda X, mu: mu * X, "(ones(m)*mu') .* X", {"X": "m,n", "mu": "n"}),
    (lambda x: x + onp.zeros(3) + 2 * onp.ones(3), "x + vector(0) + vector(2)", {"x": "3"}),
    (lambda X: onp.eye(2) @ X + onp.full((2, 2), 0.5), "eye(2)*X + matrix(0.5)", {"X": "2,2"}),
    (lambda x: np.zeros_like(x) + np.array([x[0], x[1] * 2]), "vector(0) + [x[1]; x[2]*2]", {"x": "2"}),
    (lambda a, b: np.cross(a, b), "[a[2]*b[3] - a[3]*b[2]; a[3]*b[1] - a[1]*b[3]; a[1]*b[2] - a[2]*b[1]]",
     {"a": "3", "b": "3"}),
    (lambda X: np.sum(X, axis=1), "sum(X, 2)", {"X": "m,n"}),
    (lambda X: np.logsumexp(X, axis=0), "logsumexp(X, 1)", {"X": "m,n"}),
    (lambda x: x[1] * x[0], "x[2]*x[1]", {"x": "n"}),
    (lambda X: X[0, :] @ X[:, 1], "X[1, :]'*X[:, 2]", {"X": "n,n"}),
    (lambda x, y: np.concatenate([x, y]), "[x; y]", {"x": "n", "y": "m"}),
    (lambda A, b: np.linalg.solve(A, b), "solve(A, b)", {"A": "n,n", "b": "n"}),
    (lambda x, y: np.maximum(x, y) - np.abs(x), "max(x, y) - abs(x)", {"x": "n", "y": "n"}),
    (lambda X: np.tril(X, -1), "tril(X, -1)", {"X": "n,n"}),
    (lambda X: np.sum(np.linalg.svd(X, compute_uv=False)), "sum(svdvals(X))", {"X": "m,n"}),
])
def test_new_primitives_trace_to_the_language_dag(python, expr, shapes):
    params = list(shapes)
    fn = _named(python, params)
    assert diffbench.trace(fn, shapes=shapes).root is diffbench.parse(expr, shapes).root


def _named(fn, params):
    """A lambda given parameter names (trace reads them from the signature)."""
    import types

    code = fn.__code__.replace(co_varnames=tuple(params) + fn.__code__.co_varnames[len(params):])
    return types.FunctionType(code, fn.__globals__, "f")


# ---------------------------------------------------------------- names and errors


def test_user_names_are_recorded():
    traced = diffbench.trace(logistic_regression, shapes={"w": "n", "X": "m,n", "y": "m"})
    labels = traced.intermediates
    assert set(labels) == {"z"} and labels["z"].op == "matmul"


def branches_on_data(x):
    if np.sum(x) > 0:
        return np.sum(x)
    return -np.sum(x)


def uses_real_numpy(x):
    return onp.sum(onp.exp(x))


def matrix_plus_column(X, b):  # b of length m: NumPy would refuse it too
    return np.sum(X + b)


def array_constant(x):
    return np.sum(x * onp.array([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("fn,shapes,needle", [
    (branches_on_data, {"x": "n"}, "line"),
    (uses_real_numpy, {"x": "n"}, "import diffbench.numpy"),
    (matrix_plus_column, {"X": "m,n", "b": "m"}, "do not broadcast"),
    (array_constant, {"x": "n"}, "array constants"),
])
def test_untraceable_code_fails_at_trace_time_naming_the_line(fn, shapes, needle):
    with pytest.raises(TraceError) as err:
        diffbench.trace(fn, shapes=shapes)
    message = str(err.value)
    assert needle in message
    assert message.startswith(f"{fn.__name__}(), line ")
    assert "\n" not in message


def test_declarations_must_match_the_parameters():
    with pytest.raises(TraceError, match="declare the shape of 'X'"):
        diffbench.trace(squared_error, shapes={"w": "n", "y": "m"})
    with pytest.raises(TraceError, match="not a parameter"):
        diffbench.trace(squared_error, shapes={"w": "n", "X": "m,n", "y": "m", "z": "n"})


def loop_over_entries(A):
    total = 0.0
    for i in range(A.shape[0]):
        total = total + np.log(A[i, i]) if False else total + A.shape[0] * 1.0
    return np.trace(A) + total


def test_loops_over_shapes_unroll_with_sizes_and_explain_without():
    with pytest.raises(TraceError, match="pass sizes="):
        diffbench.trace(loop_over_entries, shapes={"A": "n,n"})
    traced = diffbench.trace(loop_over_entries, shapes={"A": "n,n"}, sizes={"n": 3})
    out = diffbench.derivatives(traced, {"A": onp.eye(3)}, wrt="A", engine="tape")
    assert out["value"] == pytest.approx(3.0 + 9.0)


def test_plain_numbers_still_run_as_numpy():
    assert autograd_tanh(0.3) == pytest.approx(onp.tanh(0.3))
    assert np.logsumexp(onp.array([0.0, 0.0])) == pytest.approx(onp.log(2.0))


def _divides_by_zero(w):
    return np.sum(w) + 1 / 0


def test_what_the_function_itself_raises_on_a_stand_in_is_one_line_at_its_line():
    # a library function handed a stand-in (`compare os:system`) or the user's own bug
    # was a traceback out of the tracer
    import os

    with pytest.raises(TraceError) as err:
        diffbench.trace(_divides_by_zero, shapes={"w": "n"})
    message = str(err.value)
    assert message.startswith("_divides_by_zero(), line ") and "ZeroDivisionError" in message
    assert "[return np.sum(w) + 1 / 0]" in message and "\n" not in message
    with pytest.raises(TraceError, match="raised TypeError while traced"):
        diffbench.trace(os.path.basename, shapes={"p": "n"})
