"""Equivalent spellings: one canonical form, the same generated code, the same numerics;
and generated code that never builds a matrix larger than its output and inputs."""
from __future__ import annotations

import re

import autograd.numpy as anp
import numpy as np
import pytest

import diffbench
from diffbench import parse
from diffbench.canonical import canonical
from diffbench.catalogue import ENTRIES
from diffbench.symbolic.api import derive_function
from diffbench.symbolic.codegen import load

# function -> (shapes, wrt, spellings that must compile to the same code)
SAME_CODE = {
    "logistic": ({"X": "m,n", "w": "n", "y": "m"}, "w", [
        "sum(softplus(X*w)) - y'*X*w",
        "sum(log(1 + exp(X*w))) - y'*X*w",
        "sum(log(exp(X*w) + 1)) - (X*w)'*y",
        "ones(m)'*log(1 + exp(X*w)) - y'*(X*w)",
        "sum(log1p(exp(X*w))) - y'*X*w",
        "-sum(log(sigmoid(-X*w))) - y'*X*w",
        "sum(softplus(X*w)) - w'*X'*y",  # the transpose moved: X w is shared, not X'y per call
        "z = X*w; sum(softplus(z)) - sum(y.*z)",
        # cross-entropy: log σ(z) and log(1 - σ(z)) are -softplus(-z) and -softplus(z), one softplus
        "-(y'*log(sigmoid(X*w)) + (ones(m) - y)'*log(1 - sigmoid(X*w)))",
        "-y'*log(sigmoid(X*w)) - (1-y)'*log(1-sigmoid(X*w))"]),
    # labels ±1: the diagonal spellings were 43x (tape) and 2.6x (symbolic) slower gradients
    "logistic_pm": ({"X": "m,n", "w": "n", "y": "m"}, "w", [
        "sum(softplus(-y.*(X*w)))",
        "sum(log(1 + exp(-diag(y)*X*w)))",
        "sum(softplus(-diag(y)*(X*w)))",
        "-sum(log(sigmoid(diag(y)*X*w)))",
        "z = diag(y)*X*w; sum(softplus(-z))",
        "sum(softplus(-(X'*diag(y))'*w))",
        "ones(m)'*log(1 + exp(-(X*w).*y))"]),
    "log_one_plus_exp": ({"a": "n", "x": "n"}, "x", [
        "log(1 + exp(a'*x))", "softplus(a'*x)", "log(exp(x'*a) + 1)", "-log(sigmoid(-a'*x))",
        "log(1 + exp(sum(a.*x)))", "log1p(exp(ones(n)'*(a.*x)))"]),
    "least_squares": ({"A": "m,n", "x": "n", "b": "m"}, "x", [
        "0.5*norm2(A*x - b)^2", "0.5*(A*x - b)'*(A*x - b)", "0.5*sum((A*x - b).^2)",
        "0.5*sum((A*x - b).*(A*x - b))", "0.5*norm2(-(b - A*x))^2", "r = A*x - b; 0.5*sum(square(r))"]),
    "gaussian_bump": ({"x": "n"}, "x", [
        "-exp(-x'*x)", "-exp(-norm2(x)^2)", "-exp(-sum(x.^2))", "-exp(-sum(x.*x))",
        "-exp(-sum(square(x)))", "-1/exp(x'*x)", "-exp(-norm2(x)*norm2(x))", "-exp(-x'*eye(n)*x)",
        "-exp(-1*x'*x)", "-exp(-x'*x/2*2)"]),
    "quadratic": ({"A": "n,n", "x": "n", "b": "n"}, "x", [
        "0.5*x'*A*x - b'*x", "1/2*x'*A*x - b'*x", "x'*A*x/2 - x'*b", "0.5*sum(x.*(A*x)) - sum(b.*x)",
        "0.5*x'*A'*x - <b, x>", "q = A*x; 0.5*(q)'*x - b'*x"]),
    "trace_solve": ({"X": "n,n", "A": "n,n"}, "X", ["tr(solve(X, A))", "sum(diag(solve(X, A)))"]),
}


def _body(source: str, name: str) -> str:
    return source.split(f"def {name}(")[1].split("\ndef ")[0]


@pytest.mark.parametrize("function", list(SAME_CODE))
def test_equivalent_spellings_compile_to_the_same_code(function):
    shapes, wrt, spellings = SAME_CODE[function]
    codes = {(_body(d.source, "gradient"), _body(d.source, "hessian"))
             for d in (derive_function(parse(e, shapes), [wrt], 2) for e in spellings)}
    assert len(codes) == 1, f"{function}: {len(codes)} different codes for {len(spellings)} spellings"


_HEAVY = re.compile(r" @ |np\.multiply\.outer|np\.einsum|_einsum\(|np\.linalg\.\w+|np\.(?:zeros|eye|ones)\(\(\w+, ")


def _cost_class(source: str) -> list[str]:
    """The operations that cost more than O(size of a vector), in order of kind."""
    return sorted(_HEAVY.findall(source))


@pytest.mark.parametrize("expr, canonical_expr", [
    ("-(y'*log(sigmoid(X*w)) + (ones(m) - y)'*log(1 - sigmoid(X*w)))", "sum(softplus(X*w)) - y'*X*w"),
    ("0.5*x'*A'*A*x - b'*A*x + 0.5*b'*b", "0.5*norm2(A*x - b)^2"),
])
def test_other_spellings_compile_to_code_of_the_same_cost_class(expr, canonical_expr):
    shapes = {"X": "m,n", "w": "n", "y": "m", "A": "m,n", "x": "n", "b": "m"}
    wrt = "w" if "w" in expr else "x"
    got = derive_function(parse(expr, {k: v for k, v in shapes.items() if k in expr}), [wrt], 2)
    want = derive_function(parse(canonical_expr, {k: v for k, v in shapes.items() if k in expr}), [wrt], 2)
    for quantity in ("gradient", "hessian"):
        assert _cost_class(_body(got.source, quantity)) == _cost_class(_body(want.source, quantity))


def _sample(shapes: dict, n: int = 6, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    sizes = {"n": n, "m": 2 * n}
    out = {k: rng.normal(size=tuple(sizes[d] for d in v.split(",") if d)) for k, v in shapes.items()}
    for k, v in shapes.items():
        if v == "n,n":  # solve(X, .): well conditioned
            out[k] = out[k] + 3 * np.eye(n)
    return out


_VECTOR_FUNCTIONS = [(f, e) for f, (shapes, wrt, spellings) in SAME_CODE.items() if shapes[wrt] == "n"
                     for e in spellings] + [("quadratic_form", "x'*A*x - b'*x + c")]


@pytest.mark.parametrize("function, expr", _VECTOR_FUNCTIONS, ids=[f"{f}: {e}" for f, e in _VECTOR_FUNCTIONS])
def test_the_gradient_of_every_spelling_builds_no_matrix(function, expr):
    """A vector variable's gradient of any of these spellings is matrix-vector
    products and O(n) steps: no diagonal scaling of X (diag(y)*X*w), no A + Aᵀ per
    call (x'Ax: 8x slower than the tape at n = 1000)."""
    shapes, wrt, _ = SAME_CODE.get(function, ({"x": "n", "A": "n,n", "b": "n", "c": ""}, "x", []))
    inputs = _sample(shapes)
    source = derive_function(parse(expr, shapes), [wrt], 2).source
    assert _matrix_work(source, "gradient", inputs) == []
    work = _matrix_work(source, "together", inputs)  # value, gradient, Hessian in one pass
    assert work == _matrix_work(source, "hessian", inputs), "the one-pass code does the Hessian's matrix work only"


@pytest.mark.parametrize("expr", ["tr(solve(X, A))", "sum(diag(solve(X, A)))", "tr(solve(X', A')')"])
def test_a_solve_spelling_builds_its_hessian_as_the_inverse_spelling_does(expr):
    """d²tr(X⁻¹A): the inv spelling's Hessian is two outer products of n x n
    matrices; the solve spelling solved against an n⁴ right-hand side (8-10x
    slower).  Both now do the same work on rank-4 arrays, and no solve on one."""
    shapes = {"X": "n,n", "A": "n,n"}
    inputs = _sample(shapes, n=5)
    got = derive_function(parse(expr, shapes), ["X"], 2).source
    want = derive_function(parse("tr(inv(X)*A)", shapes), ["X"], 2).source
    assert _matrix_work(got, "hessian", inputs, rank=3) == _matrix_work(want, "hessian", inputs, rank=3) \
        == [(4, "einsum"), (4, "einsum")]
    for quantity in ("gradient", "hessian"):  # one factorisation of X, as A⁻¹ is computed anyway
        assert [w for w in _matrix_work(got, quantity, inputs) if w[1] == "factorisation"] == [(2, "factorisation")]


def test_canonical_forms_of_scalar_and_vector_arguments():
    shapes = {"a": "n", "x": "n"}
    assert canonical(parse("log(1 + exp(a'*x))", shapes).root).op == "softplus"
    assert canonical(parse("sum(log(1 + exp(x)))", shapes).root).args[0].op == "softplus"
    assert canonical(parse("log(sigmoid(a'*x))", shapes).root).op == "neg"
    assert canonical(parse("ones(n)'*x", shapes).root).op == "sum"
    assert canonical(parse("norm2(x)^2", shapes).root).op == "inner"
    assert canonical(parse("sqrt(sum(x.^2))", shapes).root).op == "norm2"


@pytest.mark.parametrize("expr", ["log(1 + exp(a'*x))", "log(exp(a'*x) + 1)", "-log(sigmoid(-a'*x))"])
def test_softplus_spellings_stay_finite_where_exp_overflows_and_engines_agree(expr):
    a, x = np.array([1.0, 1.0]), np.array([380.0, 380.0])  # a'x = 760: exp overflows
    results = {}
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # overflow warnings are errors here
        for engine in ("tape", "symbolic"):
            out = diffbench.derivatives(expr, {"a": a, "x": x}, wrt="x", engine=engine)
            results[engine] = out
    for out in results.values():
        assert out["value"] == pytest.approx(760.0)
        np.testing.assert_allclose(out["gradient"], a)
        np.testing.assert_allclose(out["hessian"], np.zeros((2, 2)), atol=1e-300)


def _recorded(source: str, fname: str, inputs: dict) -> tuple[list, object]:
    """Run generated ``fname`` with every assignment recorded as (its line, the
    bytes and the rank of the array it made), and its result.  (The generated
    source is diffbench's own; the line added after each assignment is the test's.)"""
    lines = _body(source, fname).splitlines()
    checked = [f"def {fname}(" + lines[0]]
    for line in lines[1:]:
        checked.append(line)
        target = re.match(r"    (t\d+) (?:=|\+=|-=) ", line)
        if target:
            t = target.group(1)
            checked.append(f"    _record.append(({line.strip()!r}, np.asarray({t}).nbytes, np.ndim({t})))")
    # the whole module first (its helpers, e.g. _sigmoid), then the checked function over it
    namespace = load(source + "\n_record = []\n" + "\n".join(checked))
    out = namespace[fname](inputs)
    return namespace["_record"], out


def _temporaries_peak(source: str, fname: str, inputs: dict) -> tuple[int, object]:
    """The largest temporary generated ``fname`` ever holds, and its result."""
    record, out = _recorded(source, fname, inputs)
    return max((size for _, size, _ in record), default=0), out


def _work(line: str) -> str:
    if "solve" in line or "linalg.inv" in line:
        return "factorisation"
    if "einsum" in line:
        return "einsum"
    return "product" if " @ " in line else "element-wise"


def _matrix_work(source: str, fname: str, inputs: dict, rank: int = 2) -> list[tuple[int, str]]:
    """The cost class of generated ``fname``: the kind of every operation that
    makes an array of rank ``rank`` or more (a matrix, a 4th-order tensor), with
    that rank; an O(n) step of a vector function is not in it."""
    record, _ = _recorded(source, fname, inputs)
    return sorted((ndim, _work(line)) for line, _, ndim in record if ndim >= rank)


def _sizes(entry) -> dict:
    small = {"n": 5, "N": 6} if any(len(s.split(",")) == 2 for s in (entry.shapes[w] for w in entry.wrt)) \
        else {"n": 24, "N": 12}
    return {d: small.get(d, 4) for d in entry.size_dims}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_no_generated_code_builds_a_matrix_larger_than_its_output_and_inputs(entry):
    inputs = entry.sample(_sizes(entry), seed=0)
    d = derive_function(entry.function, list(entry.wrt), 2)
    quantities = ("value", "gradient", "hessian") if entry.function.is_scalar else ("value", "jacobian")
    for quantity in quantities:
        largest, out = _temporaries_peak(d.source, quantity, inputs)
        outputs = out.values() if isinstance(out, dict) else [out]
        bound = max([np.asarray(v).nbytes for v in outputs] + [np.asarray(v).nbytes for v in inputs.values()])
        assert largest <= bound, f"{entry.name} {quantity}: a {largest}-byte temporary, bound {bound}"


@pytest.mark.parametrize("expr", ["sum(log(1 + exp(X*w))) - y'*X*w",
                                  "-(y'*log(sigmoid(X*w)) + (ones(m) - y)'*log(1 - sigmoid(X*w)))",
                                  "sum(exp(X*w)) + 0.5*norm2(w)^2", "sum(sin(X*w) .* cos(X*w))"])
def test_no_dense_diagonal_in_other_spellings(expr):
    """A Hessian ``Xᵀ diag(d) X`` runs as ``(X.T * d) @ X``: no m x m matrix when m > n."""
    fn = parse(expr, {"X": "m,n", "w": "n", "y": "m"})
    rng = np.random.default_rng(0)
    inputs = {"X": rng.normal(size=(40, 5)), "w": rng.normal(size=5), "y": rng.integers(0, 2, 40) * 1.0}
    largest, _ = _temporaries_peak(derive_function(fn, ["w"], 2).source, "hessian", inputs)
    assert largest <= inputs["X"].nbytes


@pytest.mark.parametrize("function", list(SAME_CODE))
def test_equivalent_spellings_give_the_tape_the_same_steps(function):
    """The tape interprets the canonical form: ``-X*w`` is ``-(X*w)``, sharing the one
    product with ``X*w`` (not a negated copy of ``X`` and a second product)."""
    from diffbench.canonical import canonical_root
    from diffbench.ir import topological

    shapes, _, spellings = SAME_CODE[function]
    steps = {tuple(n.op for n in topological(canonical_root(parse(e, shapes))) if n.args) for e in spellings}
    assert len(steps) == 1, f"{function}: {steps}"


def test_log_det_is_differentiated_as_logdet_and_keeps_its_value():
    """``log(det(X))``, the lectures' spelling, was 90x (symbolic) and 20x (tape) slower
    in its Hessian than ``logdet(X)``: the chain rule through ``det``.  Its canonical form
    differentiates as ``logdet``; its value is still NaN where ``det X < 0``."""
    from diffbench.tape.core import Program

    shapes = {"X": "n,n"}
    got = derive_function(parse("log(det(X))", shapes), ["X"], 2)
    want = derive_function(parse("logdet(X)", shapes), ["X"], 2)
    for quantity in ("gradient", "hessian"):
        assert _cost_class(_body(got.source, quantity)) == _cost_class(_body(want.source, quantity))
    tape = Program(parse("log(det(X))", shapes), ["X"], {"n": 3})
    swept = {step.prim.name for slot, step in tape.steps if tape.active[slot]}
    assert swept == {"logdet", "det", "add"}  # sign's derivative is 0: no cotangent reaches det

    X = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])
    for engine in ("tape", "symbolic"):
        out = diffbench.derivatives("log(det(X))", {"X": X}, wrt="X", engine=engine)
        assert out["value"] == pytest.approx(np.log(np.linalg.det(X)))
        np.testing.assert_allclose(out["gradient"], np.linalg.inv(X).T, rtol=1e-12)
        inv = np.linalg.inv(X)  # Matrix Cookbook (59): d(X^-1)_ji / dX_kl = -(X^-1)_jk (X^-1)_li
        np.testing.assert_allclose(out["hessian"], -np.einsum("jk,li->ijkl", inv, inv), rtol=1e-12, atol=1e-15)
        with np.errstate(invalid="ignore"):
            flipped = diffbench.derivatives("log(det(X))", {"X": X[::-1].copy()}, wrt="X", engine=engine)
        assert np.linalg.det(X[::-1]) < 0 and np.isnan(flipped["value"])


@pytest.mark.parametrize("expr, shapes, reference", [
    ("tr(A*inv(X))", {"A": "n,n", "X": "n,n"}, lambda p: anp.trace(anp.dot(p["A"], anp.linalg.inv(p["X"])))),
    ("tr(A*B')", {"A": "m,n", "B": "m,n"}, lambda p: anp.sum(p["A"] * p["B"])),
    ("tr(A'*X*A)", {"A": "n,m", "X": "n,n"}, lambda p: anp.trace(anp.dot(anp.dot(p["A"].T, p["X"]), p["A"]))),
])
def test_the_trace_of_a_product_is_no_matrix_product(expr, shapes, reference):
    """tr(A B) is Σ A_ij B_ji, n² products: the value makes no matrix (was the whole
    n³ product A B, and the API's value + gradient of tr(A*inv(X)) 1.26x the hand's)."""
    from autograd import grad

    fn = parse(expr, shapes)
    wrt = sorted(shapes)
    source = derive_function(fn, wrt, order=1).source
    rng = np.random.default_rng(1)
    sizes = {"n": 4, "m": 3}
    inputs = {k: rng.standard_normal(tuple(sizes[d] for d in s.split(","))) for k, s in shapes.items()}
    if "X" in inputs:
        inputs["X"] = inputs["X"] + 4 * np.eye(4)
    products = [work for ndim, work in _matrix_work(source, "value", inputs) if work == "product"]
    assert len(products) <= (1 if "A'*X*A" in expr else 0)  # A'X is n x m: one product is the closed form's
    out = diffbench.derivatives(fn, inputs, wrt, engine="symbolic", order=1)
    assert out["value"] == pytest.approx(float(reference(inputs)), rel=1e-12)
    for name in wrt:
        expected = grad(lambda v, name=name: reference({**inputs, name: v}))(inputs[name])
        np.testing.assert_allclose(out["gradient"][name], expected, rtol=1e-10, atol=1e-12)
