"""The op table: every primitive has every rule, and each rule is right.

Per-primitive checks are driven by the table: each shape rule has example
argument shapes, each primitive its domain, and the agreement helper runs
tape against central differences (value, gradient, Hessian, Jacobians).
"""
import numpy as np
import pytest
import sympy as sp

from diffbench.function import Function
from diffbench.ir import resolve_shape, var
from diffbench.ops import LEAVES, TABLE, build
from diffbench.ops import axes, building, linalg
from diffbench.ops import shapes as S
from diffbench.ops.elementwise import scalar_functions
from diffbench.sampling import draw
from diffbench.tape import Program, jacobian_forward, jacobian_reverse
from diffbench.testing import check_agree

SIZES = {"m": 3, "n": 4, "k": 2}

# example argument shapes for each shape rule
EXAMPLES = {
    S.same: [[("n",)], [("m", "n")], [()]],
    S.broadcast_scalar: [[("n",), ("n",)], [(), ("n",)], [("m", "n"), ()], [("m", "n"), ("m", "n")], [(), ()]],
    S.matmul: [[("m", "n"), ("n", "k")], [("m", "n"), ("n",)]],
    S.outer: [[("m",), ("n",)]],
    S.transpose: [[("m", "n")]],
    S.equal_shapes: [[("n",), ("n",)], [("m", "n"), ("m", "n")], [(), ()]],
    S.square_to_scalar: [[("n", "n")]],
    S.square: [[("n", "n")]],
    S.vector_to_diag: [[("n",)]],
    S.diag_to_vector: [[("n", "n")]],
    S.scalar_out: [[("n",)], [("m", "n")]],
    S.reshape: [[("n",)]],
    S.broadcast: [[()]],
    S.solve: [[("n", "n"), ("n",)], [("n", "n"), ("n", "k")]],
    axes._axis_shape: [[("m", "n")]],
    axes._spread_shape: [[("n",)]],
    axes._same_shape: [[("m", "n")]],
    building._matrix_shape: [[("m", "n")], [("n", "n")]],
    building._take_shape: [[("m", "n")]],
    building._put_shape: [[("n",)]],
    building._concat_shape: [[("m", "n"), ("m", "k")]],
    building._vec_shape: [[("m", "n")]],
    building._unvec_shape: [[("k*m",)]],
    linalg._kron_shape: [[("m", "n"), ("k", "n")]],
    linalg._unkron_shape: [[("m*k", "n*n"), ("k", "n")]],
    linalg._adjugate_derivative_shape: [[("n", "n"), ("n", "n")]],
    linalg._svdvals_shape: [[("n", "n")], [("m", "n")], [("n", "m")]],
    TABLE["svd_u"].shape: [[("m", "n")]],
    TABLE["svd_v"].shape: [[("n", "m")]],
}
EXTRA_ATTRS = {"reshape": {"shape": (1, "n")}, "broadcast": {"shape": ("m", "n")},
               "sum_axis": {"axis": 0}, "spread": {"axis": 1, "shape": ("n", "m")},
               "logsumexp_axis": {"axis": 1}, "softmax": {"axis": 1}, "tril": {"k": 0}, "triu": {"k": -1},
               "take": {"index": (("range", 1, 3), ("at", 2))},
               "put": {"index": (("all",), ("at", 1)), "shape": ("n", "m")},
               "concat": {"axis": 1}, "unvec": {"shape": ("k", "m")},
               "unkron": {"side": "left", "shape": ("m", "n")}}

OPS = sorted(name for name in TABLE if name not in LEAVES)


def test_every_primitive_has_all_its_rules():
    for name in OPS:
        prim = TABLE[name]
        if not prim.differentiable:
            continue
        assert len(prim.vjp) == prim.arity, f"{name}: VJP rule missing for some argument"
        assert len(prim.jvp) == prim.arity, f"{name}: JVP rule missing for some argument"
        assert all(callable(r) for r in prim.vjp + prim.jvp), name
        assert len(prim.domain) == prim.arity, f"{name}: domain missing"
        assert prim.shape in EXAMPLES, f"{name}: no example shapes for its shape rule"


@pytest.mark.parametrize("name", [n for n in OPS if TABLE[n].scalar is not None])
def test_elementwise_derivative_matches_sympy(name):
    prim = TABLE[name]
    s = sp.Symbol("s")
    expected = sp.lambdify(s, sp.diff(prim.scalar(s), s).rewrite(sp.exp), [scalar_functions(), "numpy"])
    # inside the primitive's domain (and off the kink at 0 of the non-smooth ones)
    xs = np.linspace(-0.8, 0.8, 7) if prim.domain[0] == "unit" else np.linspace(0.3, 2.5, 7)
    got = prim.deriv(xs, prim.impl(xs))
    assert np.allclose(got, expected(xs), rtol=1e-12, atol=1e-12), name


def _probe(name, arg_shapes, seed):
    """prim(args) with every argument a variable; scalarised by <out, C>."""
    prim = TABLE[name]
    names = [f"a{i}" for i in range(len(arg_shapes))]
    args = [var(n, s) for n, s in zip(names, arg_shapes)]
    out = build(name, args, EXTRA_ATTRS.get(name, {}))
    shapes = dict(zip(names, arg_shapes))
    rng = np.random.default_rng(seed)
    inputs = {n: draw(resolve_shape(s, SIZES), prim.domain[i], rng) for i, (n, s) in enumerate(shapes.items())}
    if out.shape == ():
        return Function(name, out, shapes), inputs, out
    weights = var("C", out.shape)
    inputs["C"] = draw(resolve_shape(out.shape, SIZES), "real", rng)
    fn = Function(f"<{name}, C>", build("inner", (out, weights)), {**shapes, "C": out.shape})
    return fn, inputs, out


CASES = [(name, shapes) for name in OPS if TABLE[name].differentiable
         for shapes in EXAMPLES[TABLE[name].shape]]
# no second derivative (svdvals' U and V have no derivative rules): checked to first order
FIRST_ORDER = {"svdvals"}


@pytest.mark.parametrize("name,arg_shapes", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_primitive_rules_agree_with_central_differences(name, arg_shapes):
    fn, inputs, _ = _probe(name, arg_shapes, seed=len(arg_shapes))
    wrt = [v for v in fn.variables if v != "C"]
    check_agree(fn, inputs, wrt, engines=("tape", "fd"), order=1 if name in FIRST_ORDER else 2)


@pytest.mark.parametrize("name,arg_shapes", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_primitive_jacobians_forward_equals_reverse(name, arg_shapes):
    fn, inputs, out = _probe(name, arg_shapes, seed=1)
    wrt = [v for v in fn.variables if v != "C"]
    raw = Function(name, out, {k: v for k, v in fn.shapes.items() if k != "C"})
    program = Program(raw, wrt, SIZES)
    fwd, rev = jacobian_forward(program, inputs), jacobian_reverse(program, inputs)
    for w in wrt:
        assert fwd[w].shape == rev[w].shape
        np.testing.assert_allclose(fwd[w], rev[w], rtol=1e-10, atol=1e-12)
