"""A scalar broadcast into a vector or matrix sum, in every engine.

``a + x`` is ``add(broadcast(a), x)`` in the IR: the ``broadcast`` primitive
owns the rules (VJP: a sum, JVP: the tangent repeated), so no engine and no
rewrite can treat the scalar as if it had the sum's shape.  Before that,
the symbolic Hessian of ``norm2(a + x)`` in ``a`` was silently wrong
(``sum(a)`` where ``n a`` was meant), and the tape's Hessians crashed.

Every case is checked against a reference written directly in
``autograd.numpy`` from the formula.
"""
from __future__ import annotations

import numpy as np
import pytest

from diffbench import parse
from diffbench.api import derivatives
from diffbench.ir import topological
from diffbench.testing import check_agree

anp = pytest.importorskip("autograd.numpy")

ENGINES = ("symbolic", "tape", "fd")
X = np.array([0.3, -0.8, 1.1])
Y = np.array([0.7, 0.2, -0.5])
M1 = np.array([[1.2, -0.3, 0.5], [0.4, 0.9, -0.7], [-0.2, 0.6, 1.5]])
M2 = np.array([[0.3, 0.8, -0.4], [-1.1, 0.2, 0.6], [0.5, -0.9, 0.7]])
VALUES = {"a": 0.4, "b": -0.3, "c": 0.6, "x": X, "y": Y, "A": M1, "B": M2, "X": M1 + M2.T}
SHAPES = {"a": "", "b": "", "c": "", "x": "n", "y": "n", "A": "n,n", "B": "n,n", "X": "n,n"}


def norm(v):
    return anp.sqrt(anp.sum(v * v))


def lse(v):
    return anp.log(anp.sum(anp.exp(v)))


def logdet(m):
    return anp.log(anp.linalg.det(m))


# (expression, wrt, reference over the inputs dict p)
CASES = [
    ("norm2(a + x)", ["a"], lambda p: norm(p["a"] + p["x"])),
    ("norm2(a + x)", ["a", "x"], lambda p: norm(p["a"] + p["x"])),
    ("sqrt(sum((a+x).*(a+x)))", ["a"], lambda p: norm(p["a"] + p["x"])),
    ("sqrt(<a+x, a+x>)", ["a", "x"], lambda p: norm(p["a"] + p["x"])),
    ("norm2(x - a)", ["a"], lambda p: norm(p["x"] - p["a"])),
    ("norm2(x + b)*tr(diag(y)*X)", ["x", "b", "y", "X"],
     lambda p: norm(p["x"] + p["b"]) * anp.sum(p["y"] * anp.diag(p["X"]))),
    ("norm2(0.5 - (y - a))", ["a", "y"], lambda p: norm(0.5 - (p["y"] - p["a"]))),
    ("norm2(a + B)", ["a"], lambda p: norm(p["a"] + p["B"])),
    ("norm2(B - a)", ["a", "B"], lambda p: norm(p["B"] - p["a"])),
    ("norm2((a+B)')", ["a"], lambda p: norm((p["a"] + p["B"]).T)),
    ("norm2(a + A*B)", ["a", "A"], lambda p: norm(p["a"] + anp.dot(p["A"], p["B"]))),
    ("norm2(ones(n)*x' - a)", ["a", "x"], lambda p: norm(anp.outer(anp.ones(3), p["x"]) - p["a"])),
    ("norm2(x*ones(n)' - a)", ["a"], lambda p: norm(anp.outer(p["x"], anp.ones(3)) - p["a"])),
    ("exp(tanh(norm2(a + X)))", ["a"], lambda p: anp.exp(anp.tanh(norm(p["a"] + p["X"])))),
    ("(b - x)'*(X - c)*(b - x)", ["b"],
     lambda p: anp.dot(p["b"] - p["x"], anp.dot(p["X"] - p["c"], p["b"] - p["x"]))),
    ("(b - x)'*(X - c)*(b - x)", ["b", "c", "x"],
     lambda p: anp.dot(p["b"] - p["x"], anp.dot(p["X"] - p["c"], p["b"] - p["x"]))),
    ("<a + x, x>", ["a", "x"], lambda p: anp.sum((p["a"] + p["x"]) * p["x"])),
    ("logsumexp(a + y)", ["a"], lambda p: lse(p["a"] + p["y"])),
    ("det(a + B)", ["a", "B"], lambda p: anp.linalg.det(p["a"] + p["B"])),
    ("logdet(a + B*B')", ["a"], lambda p: logdet(p["a"] + anp.dot(p["B"], p["B"].T))),
    ("sum(inv(a + B*B'))", ["a"], lambda p: anp.sum(anp.linalg.inv(p["a"] + anp.dot(p["B"], p["B"].T)))),
    ("x'*(c + X)*x", ["c"], lambda p: anp.dot(p["x"], anp.dot(p["c"] + p["X"], p["x"]))),
    ("sum(exp(a - x)) + sum(x + a)", ["a", "x"], lambda p: anp.sum(anp.exp(p["a"] - p["x"])) + anp.sum(p["x"] + p["a"])),
    # found by the wide random grammar: (0.5 + a) - A's gradient holds 0.5 + a
    # broadcast, a sum of two broadcast scalars, whose generated code was a
    # scalar and then the target of an in-place matrix subtraction
    ("logdet((0.5 - (A - a))*A' + eye(n))", ["A", "a"],
     lambda p: logdet(anp.dot(0.5 - (p["A"] - p["a"]), p["A"].T) + anp.eye(3))),
    ("norm2(0.5 - (A - a))", ["A"], lambda p: norm(0.5 - (p["A"] - p["a"]))),
    # found by the wide grammar: 2 a 𝟏𝟏ᵀ + Aᵀ + A formed a 𝟏𝟏ᵀ as an array, doubled
    # it in place, and a + A (which reads the scalar a) then wrote into that array
    ("x'*(a + A)*(x + y)", ["x", "a", "y"], lambda p: anp.dot(p["x"], anp.dot(p["a"] + p["A"], p["x"] + p["y"]))),
    ("x'*(a + A)*(x + x)", ["x", "a", "A"], lambda p: anp.dot(p["x"], anp.dot(p["a"] + p["A"], 2 * p["x"]))),
]


def _inputs(expr):
    fn = parse(expr, SHAPES)
    return fn, {name: VALUES[name] for name in fn.variables}


@pytest.mark.parametrize("expr, wrt, reference", CASES, ids=[f"{c[0]} wrt {','.join(c[1])}" for c in CASES])
def test_a_broadcast_scalar_agrees_with_autograd(expr, wrt, reference):
    fn, inputs = _inputs(expr)
    check_agree(fn, inputs, wrt, engines=ENGINES, reference=reference)


def test_the_hessian_in_the_issue_is_the_true_one():
    """norm2(a + x) at x = [0.3, -0.8, 1.1], a = 0.4: d²f/da² = 1.105594 (autograd, JAX, fd)."""
    for engine in ("symbolic", "tape"):
        got = derivatives("norm2(a + x)", {"a": 0.4, "x": X}, "a", engine=engine)
        assert got["hessian"] == pytest.approx(1.105594, abs=1e-6)


@pytest.mark.parametrize("engine", ["symbolic", "tape"])
def test_jacobian_of_a_plus_x_in_a_is_a_column_of_ones(engine):
    got = derivatives("a + x", {"a": 0.4, "x": X}, "a", engine=engine)
    np.testing.assert_allclose(got["jacobian"], np.ones(3))
    check_agree("a + x", {"a": 0.4, "x": X}, "a", engines=ENGINES, reference=lambda p: p["a"] + p["x"])


def test_the_ir_has_no_add_or_sub_of_unequal_shapes():
    """The invariant the fix rests on, checked on the parsed IR and on the
    symbolic engine's derivative formulas."""
    from diffbench.symbolic.api import derive

    for expr, wrt, _ in CASES:
        fn, _ = _inputs(expr)
        d = derive(fn, wrt)
        for n in topological(d.roots()):
            if n.op in ("add", "sub"):
                assert n.args[0].shape == n.args[1].shape == n.shape, (expr, n)


def test_a_scalar_plus_vector_still_reads_and_compiles_without_a_filled_array():
    """The explicit broadcast is for the rules: the printout says ``a + x``
    and the generated code lets NumPy broadcast the scalar."""
    from diffbench.symbolic.api import derive

    d = derive("norm2(a + x)", "x", {"a": "", "x": "n"})
    assert str(d).splitlines()[0] == "f = ‖a + x‖"
    assert "np.full" not in d.source


def test_the_reference_catches_a_wrong_broadcast_rule_and_blames_the_engine():
    from diffbench.ops import prims
    from diffbench.testing import Disagreement, wrong_rule

    fn, inputs = _inputs("norm2(a + x)")
    with wrong_rule("broadcast", vjp=(lambda g, ans, a, shape: prims.mul(0.5, prims.sum(g)),)):
        with pytest.raises(Disagreement) as caught:
            check_agree(fn, inputs, "a", engines=("tape",), reference=lambda p: norm(p["a"] + p["x"]))
    assert caught.value.engine == "tape"
