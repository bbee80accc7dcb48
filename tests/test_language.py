"""The language beyond single expressions: named intermediates, any
nesting depth, megabyte-long expressions in linear time."""
from __future__ import annotations

import time

import numpy as np
import pytest

from diffbench.lang import ExpressionError, parse
from diffbench.testing import check_agree

LOGISTIC = "z = X*w; sum(softplus(z)) - y'*z"
LOGISTIC_INLINE = "sum(softplus(X*w)) - y'*(X*w)"


def test_named_intermediates_are_the_same_function_as_written_inline():
    named, inline = parse(LOGISTIC), parse(LOGISTIC_INLINE)
    assert named.root is inline.root  # interned IR: the very same DAG
    assert named.shapes == inline.shapes == {"X": ("n", "m"), "w": ("m",), "y": ("n",)}
    assert named.intermediates == {"z": named.root.args[0].args[0].args[0]}


@pytest.mark.parametrize("text", [
    "z = X*w\nsum(softplus(z)) - y'*z",
    "z = X*w;\n\n sum(softplus(z)) - y'*z;",
    "z = X*w  ;  s = sum(softplus(z))\ns - y'*z\n",
    "z = X*\n  w\nsum(softplus(z)) -\n y'*z",  # an operator at a line's end continues it
    "z = (X\n*w)\nsum(softplus(z)) - y'*z",  # so does an open bracket
    "z = X\n  *w\nsum(softplus(z)) - y'*z",  # and an operator starting a line (not '-')

])
def test_statements_split_by_semicolons_or_line_breaks(text):
    assert parse(text).root is parse(LOGISTIC_INLINE).root


def test_intermediates_chain_and_take_declared_shapes():
    fn = parse("u = A*x; v = A'*u; <u, u> + v'*x", {"A": "m,n"})
    assert fn.shapes == {"A": ("m", "n"), "x": ("n",)}
    assert list(fn.intermediates) == ["u", "v"]


def test_derivatives_through_named_intermediates_agree():
    fn = parse(LOGISTIC)
    rng = np.random.default_rng(0)
    inputs = {"X": rng.normal(size=(5, 3)), "w": rng.normal(size=3), "y": rng.uniform(size=5)}
    check_agree(fn, inputs, ["w"])


DEPTH = 10_000
DEEP = {
    "parentheses": ("(" * DEPTH + "x" + ")" * DEPTH, ("n",)),
    "unary minus": ("-" * DEPTH + "x", ("n",)),
    "calls": ("exp(" * DEPTH + "x" + ")" * DEPTH, ("n",)),
    "powers": ("2^" * DEPTH + "a", ()),
    "products": ("x'*" + "(A*" * DEPTH + "x" + ")" * DEPTH, ()),
    "inner products": ("<x, x.*" * DEPTH + "x" + ">" * DEPTH, ()),
}


@pytest.mark.parametrize("kind", DEEP)
def test_ten_thousand_levels_of_nesting(kind):
    text, shape = DEEP[kind]
    assert parse(text).shape == shape


def test_errors_deep_inside_still_point_at_the_culprit():
    text = "(" * DEPTH + "x + A" + ")" * DEPTH
    with pytest.raises(ExpressionError) as err:
        parse(text)
    assert err.value.position == DEPTH + 2 and "x + A" in err.value.message


def _megabytes(count: int) -> str:
    term = "sum(exp(x)) * a"  # 15 characters and 3 separating ones per term
    return " + ".join([term] * (count // 18))


def _seconds(text: str) -> float:
    """CPU seconds of this process: load that comes and goes would stretch the two
    parses' wall times unevenly, and their ratio with them."""
    start = time.process_time()
    fn = parse(text)
    elapsed = time.process_time() - start
    assert fn.shape == ()
    return elapsed


def test_a_megabyte_expression_parses_in_linear_time():
    small = _seconds(_megabytes(125_000))
    large = _seconds(_megabytes(1_000_000))
    # 8x the text: linear is 8x; allow for caches and the collector but not for quadratic (64x)
    assert large / small < 20, (small, large)


# ---------------------------------------------------------------- the new functions, end to end
# expr, shapes, the value written directly in NumPy from the definition
def _softmax_rows(X):
    e = np.exp(X - X.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


FUNCTIONS = [
    ("sum(X, 1)", {"X": "m,n"}, lambda X: X.sum(axis=0)),
    ("sum(X, 2)", {"X": "m,n"}, lambda X: X.sum(axis=1)),
    ("logsumexp(X, 2)", {"X": "m,n"}, lambda X: np.log(np.exp(X).sum(axis=1))),
    ("logsumexp(X, 1)", {"X": "m,n"}, lambda X: np.log(np.exp(X).sum(axis=0))),
    ("softmax(x)", {"x": "n"}, lambda x: np.exp(x) / np.exp(x).sum()),
    ("softmax(X, 2)", {"X": "m,n"}, _softmax_rows),
    ("softmax(X, 1)", {"X": "m,n"}, lambda X: _softmax_rows(X.T).T),
    ("tril(X)", {"X": "m,n"}, np.tril),
    ("triu(X, 1)", {"X": "m,n"}, lambda X: np.triu(X, 1)),
    ("tril(X, -1)", {"X": "n,n"}, lambda X: np.tril(X, -1)),
    ("solve(A, b)", {"A": "n,n", "b": "n"}, lambda A, b: np.linalg.inv(A) @ b),
    ("solve(A, B)", {"A": "n,n", "B": "n,m"}, lambda A, B: np.linalg.inv(A) @ B),
    ("norm1(x)", {"x": "n"}, lambda x: np.abs(x).sum()),
    ("x + vector(c)", {"x": "n", "c": ""}, lambda x, c: x + c),
    ("matrix(2) .* X", {"X": "m,n"}, lambda X: 2 * X),
    ("max(x, y) - min(x, 0.5)", {"x": "n", "y": "n"}, lambda x, y: np.maximum(x, y) - np.minimum(x, 0.5)),
    ("sum(square(log1p(x)) + expm1(x) + arctan(x) + tan(x))", {"x": "n"},
     lambda x: np.sum(np.log1p(x) ** 2 + np.expm1(x) + np.arctan(x) + np.tan(x))),
]


def _inputs(fn, rng):
    sizes = {"m": 3, "n": 4}
    out = {}
    for name, shape in fn.shapes.items():
        concrete = tuple(sizes[d] for d in shape)
        out[name] = rng.uniform(0.2, 0.9, size=concrete) if concrete else 0.7
    if "A" in out and fn.shapes["A"] == ("n", "n"):
        out["A"] = out["A"] + 3 * np.eye(4)
    return out


@pytest.mark.parametrize("expr, shapes, reference", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_new_functions_value_and_derivatives(expr, shapes, reference):
    fn = parse(expr, shapes)
    inputs = _inputs(fn, np.random.default_rng(1))
    from diffbench.engines import get_engine
    value = get_engine("tape").prepare(fn, fn.variables, fn.bind(inputs), 1).value(inputs)
    np.testing.assert_allclose(value, reference(*inputs.values()), rtol=1e-12, atol=1e-12)
    # Jacobians of vector- and matrix-valued ones; gradients and Hessians of scalar ones
    order = 1 if "svdvals" in expr else 2  # no second derivative through U and V
    check_agree(fn, inputs, fn.variables, engines=("symbolic", "tape", "fd"), order=order)


@pytest.mark.parametrize("text, fragment, column", [
    ("softmax(X)", "softmax takes a vector", 0),
    ("sum(X, 3)", "the axis is 1 (down the columns) or 2", 7),
    ("sum(X, k)", "the axis, 1 or 2 is a whole number written in place", 7),
    ("sum(x, 1)", "takes a matrix", 0),
    ("tril(x)", "tril takes a matrix", 0),
    ("solve(A, x')", "solve(A, x'): A is (n,n) but b has 1 rows", 9),
    ("solve(A, a)", "solve(A, b) needs a vector or matrix b", 9),
    ("vector(x)", "vector(c) takes a scalar c", 7),
])
def test_new_function_errors(text, fragment, column):
    with pytest.raises(ExpressionError) as err:
        parse(text)
    assert fragment in err.value.message and err.value.position == column


BUILDING = [
    ("x[2]", {"x": "n"}, lambda x: x[1]),
    ("x[2:4]", {"x": "n"}, lambda x: x[1:4]),
    ("X[2, :]", {"X": "m,n"}, lambda X: X[1, :]),
    ("X[:, 3]", {"X": "m,n"}, lambda X: X[:, 2]),
    ("X[1:2, 2:3]", {"X": "m,n"}, lambda X: X[0:2, 1:3]),
    ("X[3, 2]", {"X": "m,n"}, lambda X: X[2, 1]),
    ("[x; y]", {"x": "n", "y": "m"}, lambda x, y: np.concatenate([x, y])),
    ("[x; a; y]", {"x": "n", "a": "", "y": "m"}, lambda x, a, y: np.concatenate([x, [a], y])),
    ("[A, B]", {"A": "m,n", "B": "m,n"}, lambda A, B: np.hstack([A, B])),
    ("[A; B]", {"A": "m,n", "B": "m,n"}, lambda A, B: np.vstack([A, B])),
    ("[A, x; B, y]", {"A": "m,n", "B": "m,n", "x": "m", "y": "m"},
     lambda A, x, B, y: np.block([[A, x[:, None]], [B, y[:, None]]])),
    ("vec(X)", {"X": "m,n"}, lambda X: X.T.reshape(-1)),
    ("kron(X, W)", {"X": "m,n", "W": "n,m"}, np.kron),
    ("svdvals(A)", {"A": "n,n"}, lambda A: np.linalg.svd(A, compute_uv=False)),
    ("svdvals(X)", {"X": "m,n"}, lambda X: np.linalg.svd(X, compute_uv=False)),  # min(m, n) of them
    ("svdvals(X')'*svdvals(X)", {"X": "m,n"}, lambda X: np.sum(np.linalg.svd(X, compute_uv=False) ** 2)),
    ("sum(kron(X, W) * vec(Y))", {"X": "m,n", "W": "m,n", "Y": "n,n"},
     lambda X, W, Y: np.sum(np.kron(X, W) @ Y.T.reshape(-1))),
    ("sum(exp([x; y]))*x[1]", {"x": "n", "y": "m"}, lambda x, y: np.exp(np.concatenate([x, y])).sum() * x[0]),
]


@pytest.mark.parametrize("expr, shapes, reference", BUILDING, ids=[f[0] for f in BUILDING])
def test_building_and_taking_apart(expr, shapes, reference):
    test_new_functions_value_and_derivatives(expr, shapes, reference)


@pytest.mark.parametrize("framework, module", [("autograd", "autograd"), ("jax", "jax"), ("torch", "torch")])
def test_frameworks_run_the_new_functions(framework, module):
    pytest.importorskip(module)
    for expr, shapes, _ in FUNCTIONS[2:13:2] + BUILDING[4::4]:  # one of each kind: keeps it quick
        fn = parse(expr, shapes)
        inputs = _inputs(fn, np.random.default_rng(2))
        check_agree(fn, inputs, fn.variables, engines=("tape", framework), order=1)


def test_second_derivatives_through_svdvals_are_reported_unsupported():
    from diffbench.engines import get_engine
    from diffbench.engines.base import Unsupported

    fn = parse("sum(svdvals(A))", {"A": "n,n"})
    inputs = {"A": np.random.default_rng(0).normal(size=(3, 3))}
    for engine in ("symbolic", "tape"):
        prepared = get_engine(engine).prepare(fn, ["A"], {"n": 3}, 1)
        np.testing.assert_allclose(prepared.gradient(inputs)["A"], _nuclear_gradient(inputs["A"]), atol=1e-12)
        with pytest.raises(Unsupported, match="svd_"):
            get_engine(engine).prepare(fn, ["A"], {"n": 3}, 2).hessian(inputs)


def _nuclear_gradient(A):
    u, _, vt = np.linalg.svd(A)
    return u @ vt  # d‖A‖_* / dA = U Vᵀ (distinct singular values)


def test_rectangular_singular_values_have_min_m_n_entries():
    from diffbench.dims import evaluate, names

    fn = parse("svdvals(X)", {"X": "m,n"})
    assert fn.root.shape == ("min(m,n)",) and parse("svdvals(A)", {"A": "n,n"}).root.shape == ("n",)
    assert evaluate("min(m,n)*2", {"m": 3, "n": 5}) == 6 and names("min(m,n)+k") == {"m", "n", "k"}
    X = np.random.default_rng(0).normal(size=(5, 3))
    from diffbench.engines import get_engine
    prepared = get_engine("symbolic").prepare(parse("sum(svdvals(X))", {"X": "m,n"}), ["X"], {"m": 5, "n": 3}, 1)
    u, _, vt = np.linalg.svd(X, full_matrices=False)
    np.testing.assert_allclose(prepared.gradient({"X": X})["X"], u @ vt, rtol=1e-12)  # nuclear norm: U Vᵀ
