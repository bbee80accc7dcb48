"""The tape engine: differential operators, shape conventions, deep graphs."""
import numpy as np
import pytest

from diffbench.function import Function
from diffbench.ir import var
from diffbench.ops import build
from diffbench.tape import Program, grad, hessian, hvp, jacobian_forward, jacobian_reverse, jvp, value, vjp
from diffbench.testing import Disagreement, check_agree, wrong_rule
from diffbench.ops import prims, TABLE


def _log_quadratic(n=5, seed=0):
    x, A = var("x", ("n",)), var("A", ("n", "n"))
    root = build("log", (build("inner", (x, build("matmul", (A, x)))),))
    fn = Function("log(x'*A*x)", root, {"x": ("n",), "A": ("n", "n")})
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, n))
    return fn, {"x": rng.normal(size=n), "A": q @ q.T / n + np.eye(n)}


def test_gradient_and_hessian_match_the_seed_closed_forms():
    fn, inputs = _log_quadratic()
    x, A = inputs["x"], inputs["A"]
    p = Program(fn, ["x"], {"n": 5})
    s, S = x @ A @ x, A + A.T
    np.testing.assert_allclose(grad(p, inputs)["x"], S @ x / s)
    np.testing.assert_allclose(hessian(p, inputs)[("x", "x")], S / s - np.outer(S @ x, S @ x) / s ** 2)


def test_shape_conventions_for_matrix_and_mixed_variables():
    fn, inputs = _log_quadratic(n=3)
    p = Program(fn, ["x", "A"], {"n": 3})
    g = grad(p, inputs)
    assert g["x"].shape == (3,) and g["A"].shape == (3, 3)
    H = hessian(p, inputs)
    assert H[("x", "x")].shape == (3, 3)
    assert H[("x", "A")].shape == (3, 3, 3) and H[("A", "x")].shape == (3, 3, 3)
    assert H[("A", "A")].shape == (3, 3, 3, 3)
    # mixed blocks are transposes of each other (symmetry of second derivatives)
    np.testing.assert_allclose(H[("x", "A")], np.transpose(H[("A", "x")], (2, 0, 1)), atol=1e-12)
    check_agree(fn, inputs, ["x", "A"])


def test_hvp_equals_hessian_times_vector_and_jvp_equals_gradient_dot():
    fn, inputs = _log_quadratic()
    p = Program(fn, ["x"], {"n": 5})
    v = np.arange(5.0)
    np.testing.assert_allclose(hvp(p, inputs, {"x": v})["x"], hessian(p, inputs)[("x", "x")] @ v)
    f0, df = jvp(p, inputs, {"x": v})
    assert f0 == pytest.approx(value(p, inputs))
    assert df == pytest.approx(grad(p, inputs)["x"] @ v)
    np.testing.assert_allclose(vjp(p, inputs, 2.0)["x"], 2 * grad(p, inputs)["x"])


def test_jacobian_of_a_vector_valued_function_both_modes():
    W, x = var("W", ("m", "n")), var("x", ("n",))
    fn = Function("sigmoid(W*x)", build("sigmoid", (build("matmul", (W, x)),)), {"W": ("m", "n"), "x": ("n",)})
    rng = np.random.default_rng(1)
    inputs = {"W": rng.normal(size=(3, 4)), "x": rng.normal(size=4)}
    p = Program(fn, ["W", "x"], {"m": 3, "n": 4})
    fwd, rev = jacobian_forward(p, inputs), jacobian_reverse(p, inputs)
    assert fwd["W"].shape == (3, 3, 4) and fwd["x"].shape == (3, 4)
    for k in fwd:
        np.testing.assert_allclose(fwd[k], rev[k], atol=1e-12)
    s = 1 / (1 + np.exp(-inputs["W"] @ inputs["x"]))
    np.testing.assert_allclose(fwd["x"], (s * (1 - s))[:, None] * inputs["W"])
    check_agree(fn, inputs, ["W", "x"])


def test_reused_values_sum_their_adjoints():
    x = var("x", ("n",))
    sx = build("sin", (x,))
    root = build("sum", (build("mul", (sx, sx)),))  # sum(sin(x).^2): sin(x) used twice
    fn = Function("sum(sin(x).*sin(x))", root, {"x": ("n",)})
    inputs = {"x": np.linspace(0.1, 1.0, 4)}
    g = grad(Program(fn, ["x"], {"n": 4}), inputs)["x"]
    np.testing.assert_allclose(g, 2 * np.sin(inputs["x"]) * np.cos(inputs["x"]))


def test_one_value_in_both_places_of_a_symmetric_primitive_runs_one_vjp():
    # x'x and x.*x: one product on 2g, whatever g is (a float for the gradient, a dual
    # number in the Hessian's sweep, a batch of cotangents for a reverse Jacobian)
    x = var("x", ("n",))
    inputs = {"x": np.array([0.5, -1.5, 2.0, 0.25])}

    def single_rule(fn, op):
        p = Program(fn, ["x"], {"n": 4})
        (slot,) = [slot for slot, step in p.steps if step.prim.name == op]
        (rules,) = [rules for s, _, _, rules in p.reverse_steps if s == slot]
        assert len(rules) == 1
        return p

    p = single_rule(Function("x'*x", build("inner", (x, x)), {"x": ("n",)}), "inner")
    np.testing.assert_allclose(grad(p, inputs)["x"], 2 * inputs["x"])
    np.testing.assert_allclose(hessian(p, inputs)[("x", "x")], 2 * np.eye(4))
    p = single_rule(Function("x.*x", build("mul", (x, x)), {"x": ("n",)}), "mul")
    np.testing.assert_allclose(jacobian_reverse(p, inputs)["x"], np.diag(2 * inputs["x"]))
    np.testing.assert_allclose(jacobian_forward(p, inputs)["x"], np.diag(2 * inputs["x"]))


def test_a_100000_node_chain_needs_no_recursion():
    x = var("x", ("n",))
    node = x
    for i in range(100_000):
        node = build("sin" if i % 2 else "cos", (node,))
    fn = Function("deep", build("sum", (node,)), {"x": ("n",)})
    p = Program(fn, ["x"], {"n": 3})
    assert p.size == 100_002
    g = grad(p, {"x": np.array([0.1, 0.2, 0.3])})["x"]
    assert g.shape == (3,) and np.all(np.isfinite(g))


def test_tape_statistics_count_nodes_and_retained_bytes():
    fn, inputs = _log_quadratic(n=50)
    p = Program(fn, ["x"], {"n": 50})
    stats = p.stats(p.forward(inputs))
    assert stats["tape_nodes"] == 5  # x, A, A@x, <x,Ax>, log
    assert stats["tape_bytes"] >= 50 * 50 * 8  # A is retained


def test_variables_outside_wrt_get_no_adjoint_work():
    fn, inputs = _log_quadratic()
    p = Program(fn, ["x"], {"n": 5})
    matmul_step = next(step for _, step in p.steps if step.prim.name == "matmul")
    assert matmul_step.vjps[0] is None  # A is not differentiated


def test_agreement_helper_catches_a_wrong_rule_and_names_the_engine():
    fn, inputs = _log_quadratic()
    wrong = (lambda g, ans, x: prims.mul(g, prims.mul(2.0, prims.div(1.0, x))),)  # d log x = 2/x: wrong
    with wrong_rule("log", vjp=wrong):
        with pytest.raises(Disagreement) as caught:
            check_agree(fn, inputs, "x")
    assert caught.value.engine == "tape"
    assert caught.value.quantity == "gradient"
    check_agree(fn, inputs, "x")  # and the real rule is back


def test_agreement_helper_catches_a_wrong_jvp_in_the_hessian_only():
    fn, inputs = _log_quadratic()
    good = TABLE["matmul"].jvp
    with wrong_rule("matmul", jvp=(good[0], lambda t, ans, a, b: 2 * good[1](t, ans, a, b))):
        with pytest.raises(Disagreement) as caught:
            check_agree(fn, inputs, "x")
    assert caught.value.engine == "tape" and caught.value.quantity == "hessian"


def test_agreement_helper_projects_large_variables():
    fn, inputs = _log_quadratic(n=120)
    report = check_agree(fn, inputs, "x")
    assert report.results["tape"]["hessian"].shape == (1,)  # <u, H v>, not a 120x120 fd Hessian
