"""Printed formulas that misled: exponents keep their grouping, like
factors are collected, ones vectors and ones matrices read differently, a
zero reads 0, a symmetric inverse is not transposed.  Each formula's
numbers are also held to a reference written directly in autograd.numpy
(``check_agree``), so a printing fix never hides a wrong derivative."""
from __future__ import annotations

import re

import numpy as np
import pytest

from diffbench.symbolic.api import derive
from diffbench.testing import check_agree

anp = pytest.importorskip("autograd.numpy")

X = np.array([[1.2, -0.3, 0.5], [0.4, 0.9, -0.7], [-0.2, 0.6, 1.5]])
x = np.array([0.3, -0.8, 1.1])


def _lines(expr, shapes, wrt=None, fmt="text"):
    d = derive(expr, wrt, shapes)
    return (str(d) if fmt == "text" else d.latex()).splitlines()


def test_powers_keep_their_grouping_in_text_and_latex():
    """a^b once printed ∇_a f = b a^b − 1 (meaning a^(b−1)) and left x^y − 1 − 1 unfolded."""
    text = _lines("a^b", {"a": "", "b": ""})
    assert "∇_a f = b a^(b − 1)" in text
    assert "∇²_aa f = b (b − 1) a^(b − 2)" in text
    assert not any("− 1 − 1" in line for line in text)
    latex = "\n".join(_lines("a^b", {"a": "", "b": ""}, fmt="latex"))
    assert "a^{b - 1}" in latex and "a^{b - 2}" in latex and "- 1 - 1" not in latex
    assert _lines("sum(x.^2.5)", {"x": "n"})[1:] == ["∇_x f = 5/2 x^(3/2)", "∇²_xx f = 15/4 diag(x^(1/2))"]
    check_agree("a^b", {"a": 1.7, "b": 0.6}, ["a", "b"], engines=("symbolic", "tape"),
                reference=lambda p: p["a"] ** p["b"])
    check_agree("sum(x.^2.5)", {"x": np.abs(x) + 0.1}, "x", engines=("symbolic", "tape"),
                reference=lambda p: anp.sum(p["x"] ** 2.5))


def test_like_factors_are_collected_in_one_order():
    """‖X‖² ‖X‖ beside ‖X‖ ‖X‖²; ln(x) x^y ln(x); ‖x‖² ‖x‖ in the norm's Hessian."""
    shapes = {"X": "n,n", "x": "n", "a": "", "b": ""}
    assert _lines("norm2(X)^2*norm2(X) + norm2(X)*norm2(X)^2", shapes)[0] == "f = 2 ‖X‖ ⟨X, X⟩"
    assert _lines("norm2(x)", shapes)[2] == "∇²_xx f = I / ‖x‖ − x xᵀ / ‖x‖³"
    assert _lines("norm2(X)^3", shapes)[1] == "∇_X f = 3 ‖X‖ X"
    assert _lines("a^b", shapes)[-1] == "∇²_bb f = ln(a)² a^b"

    def frob(M):
        return anp.sqrt(anp.sum(M * M))
    check_agree("norm2(X)^2*norm2(X) + norm2(X)*norm2(X)^2", {"X": X}, "X", engines=("symbolic", "tape"),
                reference=lambda p: 2 * frob(p["X"]) ** 3)
    check_agree("x^y*x*y*x^2", {"x": 1.3, "y": 0.7}, ["x", "y"], engines=("symbolic", "tape"),
                reference=lambda p: p["x"] ** p["y"] * p["x"] ** 3 * p["y"])


def test_ones_vectors_and_matrices_read_differently():
    """𝟏 stood for both in one output: 𝟏 𝟏 + n."""
    shapes = {"x": "n"}
    text = _lines("sum(ones(n,n)*x) + sum(ones(n))*sum(x)", shapes)
    assert text[1] == "∇_x f = n 𝟏 + n"  # 𝟏𝟏ᵀ 𝟏 folded to n 𝟏
    assert _lines("x'*ones(n,n)*x", shapes)[1:] == ["∇_x f = 2 𝟏𝟏ᵀ x", "∇²_xx f = 2 𝟏𝟏ᵀ"]
    check_agree("sum(ones(n,n)*x) + sum(ones(n))*sum(x)", {"x": x}, "x", engines=("symbolic", "tape"),
                reference=lambda p: 3 * anp.sum(p["x"]) + 3 * anp.sum(p["x"]))
    check_agree("x'*ones(n,n)*x", {"x": x}, "x", engines=("symbolic", "tape"),
                reference=lambda p: anp.sum(p["x"]) ** 2)


def test_one_minus_ones_is_zero():
    """sum(x - x) printed ∇_x f = 1 − 𝟏."""
    assert _lines("sum(x - x)", {"x": "n"})[1] == "∇_x f = 0"
    check_agree("sum(x - x)", {"x": x}, "x", engines=("symbolic", "tape"), reference=lambda p: anp.sum(p["x"] - p["x"]))


def test_a_difference_of_a_term_with_itself_folds_to_zero():
    """f = sum(x − x) was printed as is, and 0 times a term was left as n 0 ⟨x, x⟩."""
    shapes = {"x": "n", "A": "n,n"}
    assert _lines("sum(x - x)", shapes, "x") == ["f = 0", "∇_x f = 0", "∇²_xx f = 0"]
    assert _lines("sum(x - x) + x'*x", shapes, "x") == ["f = ⟨x, x⟩", "∇_x f = 2 x", "∇²_xx f = 2 I"]
    assert _lines("x'*(A - A)*x + sum(x)", shapes, "x")[:2] == ["f = sum(x)", "∇_x f = 𝟏"]
    check_agree("sum(x - x)*x'*x + x'*(X - X)*x + sum(x)", {"x": x, "X": X}, "x",
                engines=("symbolic", "tape"), reference=lambda p: anp.sum(p["x"]))
    check_agree("sum(x - x)*x + x", {"x": x}, "x", engines=("symbolic", "tape"), order=1,
                reference=lambda p: p["x"])


def test_a_repeated_dimension_in_an_entry_count_is_a_power():
    """sum(a 𝟏𝟏ᵀ) printed a n n."""
    assert _lines("sum(a*ones(n,n))", {"a": ""}, "a")[:2] == ["f = a n²", "∇_a f = n²"]
    assert _lines("sum(a*ones(n,n))", {"a": ""}, "a", fmt="latex")[1] == r"f &= a n^2 \\"


def test_products_of_ones_fold_to_entry_counts():
    """sum(𝟏𝟏ᵀ 𝟏𝟏ᵀ 𝟏) was left unfolded: it is n³."""
    assert _lines("sum(ones(n,n)*ones(n,n)*ones(n))*sum(x)", {"x": "n"})[1] == "∇_x f = n³ 𝟏"
    check_agree("sum(ones(n,n)*ones(n,n)*x) + sum(ones(n,n)*ones(n,n)*ones(n))*sum(x) + x'*ones(n,n)*ones(n,n)*x",
                {"x": x}, "x", engines=("symbolic", "tape"),
                reference=lambda p: 36 * anp.sum(p["x"]) + 3 * anp.sum(p["x"]) ** 2)


def test_a_symmetric_inverse_is_not_transposed():
    """(X + Xᵀ)⁻ᵀ is (X + Xᵀ)⁻¹: the gradient of tr((X + Xᵀ)⁻¹) reads −2 (X + Xᵀ)⁻²."""
    text = _lines("tr(inv(X + X'))", {"X": "n,n"})
    assert text[1] == "∇_X f = −2 z2" and "z1 = (X + Xᵀ)⁻¹" in text and "z2 = z1 z1" in text
    assert not any("⁻ᵀ" in line for line in text)
    check_agree("tr(inv(X + X'))", {"X": X}, "X", engines=("symbolic", "tape"),
                reference=lambda p: anp.trace(anp.linalg.inv(p["X"] + p["X"].T)))


def test_a_sum_of_a_broadcast_scalar_prints():
    """sum(c 𝟏) prints as its entry count times c; the printer once called a
    renamed method there, so derive of norm2(a + x) with respect to a crashed."""
    shapes = {"a": "", "x": "n"}
    for fmt in ("text", "latex"):
        lines = _lines("norm2(a + x)", shapes, "a", fmt=fmt)
        assert len(lines) >= 2
    assert _lines("norm2(a + x)", shapes, "a")[1] == "∇_a f = sum(a + x) / ‖a + x‖"
    check_agree("norm2(a + x)", {"a": 0.4, "x": x}, "a", engines=("symbolic", "tape"),
                reference=lambda p: anp.sqrt(anp.sum((p["a"] + p["x"]) ** 2)))


def test_entry_counts_fold_across_a_product():
    """a sum(𝟏₂ₓₙ) sum(𝟏ₙ) printed a 2 n n, sum(a 𝟏₃ₓ₄) printed a 3 4 (read: 34),
    and the square of n² printed (n²)²: numbers multiply, dims collect into powers."""
    a = {"a": ""}
    assert _lines("a*sum(ones(2,n))*sum(ones(n))", a, "a")[:2] == ["f = 2 a n²", "∇_a f = 2 n²"]
    assert _lines("sum(a*ones(3,4))", a, "a")[:2] == ["f = 12 a", "∇_a f = 12"]
    assert _lines("sum(a*ones(n,n))^2", a, "a")[1:] == ["∇_a f = 2 a n⁴", "∇²_aa f = 2 n⁴"]
    assert _lines("sum(a*ones(n,n))^2", a, "a", fmt="latex")[3] == r"\nabla^2_{aa} f &= 2 n^4"
    assert _lines("a*tr(eye(n))*sum(ones(n))", a, "a")[0] == "f = a n²"  # tr(I) is n: was a tr(I) n
    assert _lines("tr(eye(3))*a", a, "a")[0] == "f = 3 a"
    check_agree("a*sum(ones(2,n))*sum(ones(n)) + sum(a*ones(n,n))^2", {"a": 0.7}, "a",
                engines=("symbolic", "tape"), sizes={"n": 3},
                reference=lambda p: 18 * p["a"] + 81 * p["a"] ** 2)


def test_a_product_of_reciprocals_reads_as_one_fraction():
    """The lectures' graph printed its Hessian as (1 / (2 (w2 ln(w1)))) (1 / (2 √(w2 ln(w1))))
    factors: one fraction, the powers of w2 ln(w1) collected, what cancels cancelled."""
    shapes = {"w1": "", "w2": ""}
    text = _lines("w2*log(w1) + sqrt(w2*log(w1))", shapes, ["w1", "w2"])
    assert text[3] == ("∇²_w1w1 f = −(w2² / (4 w1² (w2 ln(w1))^(3/2)) "
                       "+ w2 (1 + 1 / (2 √(w2 ln(w1)))) / w1²)")
    assert text[4] == "∇²_w1w2 f = (1 + 1 / (2 √(w2 ln(w1)))) / w1 − 1 / (4 w1 √(w2 ln(w1)))"
    assert text[6] == "∇²_w2w2 f = −ln(w1)² / (4 (w2 ln(w1))^(3/2))"
    assert _lines("a*b/3", {"a": "", "b": ""})[0] == "f = 1/3 a b"
    # a unit fraction without a short decimal reads as one: 1/14, never 0.07142857142857142
    assert _lines("a*b/14 + 0.01*a", {"a": "", "b": ""}, ["a"])[0] == "f = 1/14 a b + 0.01 a"
    check_agree("w2*log(w1) + sqrt(w2*log(w1))", {"w1": 2.0, "w2": 1.5}, ["w1", "w2"],
                engines=("symbolic", "tape"),
                reference=lambda p: p["w2"] * anp.log(p["w1"]) + anp.sqrt(p["w2"] * anp.log(p["w1"])))


def _values_of_every_node(root, inputs, sizes):
    """Each node of ``root`` evaluated (by the op table's NumPy rules), by ``id``."""
    from diffbench.function import Function
    from diffbench.ir import topological, variables
    from diffbench.lowering import fill, lower
    from diffbench.ops import TABLE

    nodes = topological(root)
    lowered = lower(Function("f", root, variables(root)), sizes, root)
    impls = {op: TABLE[op].impl for op in lowered.ops()}
    slots = fill(lowered, impls, inputs)
    for step in lowered.steps:
        slots[step.slot] = impls[step.op](*[slots[j] for j in step.args], **step.attrs)
    return {id(n): slots[i] for i, n in enumerate(nodes)}


def test_every_product_printed_as_one_fraction_keeps_its_value():
    """The one-fraction printing of scalar products (numbers multiplied out, powers
    collected, a square root taking back its factors) is held to the numbers: for
    every scalar product in the derivatives of the random grammar's expressions,
    coefficient × Π base^exponent equals the product's value."""
    from hypothesis import given, settings
    from hypothesis import strategies as hst

    from diffbench import parse
    from diffbench.ir import topological
    from diffbench.ops import TABLE
    from diffbench.symbolic.printing import _Monomial
    from random_grammar import SHAPES, draw_inputs, expressions

    checked = []

    def check_expr(text, seed, given_inputs=None):
        fn = parse(text, SHAPES)
        scalars = [v for v in fn.variables if fn.shapes[v] == ()]
        d = derive(fn, scalars or fn.variables[:1])
        roots = [r for r in d._printed() if r is not None]
        inputs = given_inputs or draw_inputs({v: SHAPES[v] for v in fn.variables}, 3, "unit", seed)
        sizes = {"n": 3}
        for root in roots:
            if any(n.op not in TABLE if n.args else n.op == "var" and n.attr("name") not in inputs
                   for n in topological(root)):
                continue  # an einsum block or a differential's direction dX: not evaluated here
            with np.errstate(all="ignore"):
                values = _values_of_every_node(root, inputs, sizes)
            for n in topological(root):
                if n.op not in ("mul", "div", "pow") or n.shape != () or any(a.shape != () for a in n.args):
                    continue
                coef, powers = _Monomial({}).collect(n)
                if coef is None or not np.isfinite(values[id(n)]):
                    continue
                with np.errstate(all="ignore"):
                    product = coef * np.prod([float(values[id(b)] if k[0] == "node" else sizes[k[1]]) ** float(e)
                                              for k, (b, e) in powers.items()])
                if np.isfinite(product):
                    checked.append(n)
                    assert product == pytest.approx(values[id(n)], rel=1e-9, abs=1e-12), (text, str(n))

    @given(pair=expressions(2), seed=hst.integers(0, 100))
    @settings(max_examples=60, deadline=None)
    def check(pair, seed):
        check_expr(pair[0], seed)
    check()
    for text in ("b*log(a) + sqrt(b*log(a))", "sqrt(a^2*b^2)*a", "a/sqrt(a^2*b^2 + 1)", "(a*b)^2/a",
                 "sqrt(a^2 + b^2)*a*b/3", "sum(a*ones(n,n))^2*sqrt(1 + a^2)/b"):
        check_expr(text, 0, {"a": 1.7, "b": 0.6})
    assert len(checked) > 50


def test_the_determinants_hessian_prints_in_documented_notation():
    """det's Hessian printed dadj(X, δ[i,k] δ[j,l])[j,i,k,l] and dadj(X, dX)ᵀ, an internal
    name read as a function of two matrices: it is d adj(X)[dX], and ∂adj(X)/∂X
    along every direction at once (docs/symbolic.md)."""
    text = _lines("det(X)", {"X": "n,n"})
    assert text[2:] == ["∇²_XX f[i,j,k,l] = (∂adj(X) / ∂X)[j,i,k,l]", "d(∇_X f)[dX] = (d adj(X)[dX])ᵀ"]
    assert _lines("det(X)^2", {"X": "n,n"})[3] == "d(∇_X f)[dX] = 2 ⟨dX, adj(X)ᵀ⟩ adj(X)ᵀ + 2 det(X) (d adj(X)[dX])ᵀ"
    latex = "\n".join(_lines("det(X)", {"X": "n,n"}, fmt="latex"))
    assert r"\frac{\partial \operatorname{adj}\left(X\right)}{\partial X}" in latex
    assert r"\left(\mathrm{d} \operatorname{adj}\left(X\right)\left[dX\right]\right)^T" in latex
    assert "dadj" not in latex + derive("det(X)", None, {"X": "n,n"}).mathml()
    check_agree("det(X)^2", {"X": X}, "X", engines=("symbolic", "tape"),
                reference=lambda p: anp.linalg.det(p["X"]) ** 2)


def test_a_block_of_more_than_four_indices_names_them_all_on_the_left():
    """The Hessian of a 3-index variable has six indices: the formula used i4, i5 while
    the left-hand side stopped at f[i,j,k,l]."""
    assert _lines("sum(x .* x)", {"x": "n,n,n"})[2] == "∇²_xx f[i,j,k,l,i4,i5] = 2 δ[i,l] δ[j,i4] δ[k,i5]"
    check_agree("sum(x .* x)", {"x": np.arange(8.0).reshape(2, 2, 2) / 7}, "x", engines=("symbolic", "tape"),
                reference=lambda p: anp.sum(p["x"] * p["x"]))


def test_the_adjoints_of_vec_and_kron_print_in_documented_notation():
    """unkron(𝟏𝟏ᵀ, B) did not say which factor of the Kronecker product it stands for
    (the gradients in A and in B of sum(kron(B, A)) printed alike in form), unvec
    was an internal name, and LaTeX set kron as the italic product k r o n."""
    shapes = {"A": "n,n", "B": "n,n", "C": "m,k"}
    text = _lines("sum(kron(B, A)) + sum(vec(C).^3)", shapes, ["A", "B", "C"], fmt="text")
    assert text[1:] == ["∇_A f = ⟨𝟏𝟏ᵀ, B ⊗ ·⟩", "∇_B f = ⟨𝟏𝟏ᵀ, · ⊗ A⟩", "∇_C f = vec⁻¹(3 vec(C)²)"] + text[4:]
    latex = derive("sum(kron(B, A)) + sum(svdvals(B))", ["A", "B"], shapes, order=1).latex()
    assert r"\operatorname{kron}" in latex and r"\operatorname{svd\_u}" in latex and "kron\\left" not in latex
    rng = np.random.default_rng(0)
    check_agree("sum(kron(B, A)) + vec(A)'*kron(A, B)*vec(B)", {"A": X, "B": rng.normal(size=(3, 3))}, ["A", "B"],
                engines=("symbolic", "tape"),
                reference=lambda p: anp.sum(anp.kron(p["B"], p["A"]))
                + anp.dot(anp.ravel(p["A"].T), anp.dot(anp.kron(p["A"], p["B"]), anp.ravel(p["B"].T))))


def test_indexing_and_concatenation_print_where_they_take_from():
    """take(x), put(1) and concat(A, B) dropped their indices and axis: x[2] sum(x[1:2])
    printed take(x) sum(take(x)), its gradient put(sum(take(x))) + put(take(x) 𝟏)."""
    shapes = {"x": "n", "y": "m", "A": "n,n", "B": "n,n"}
    text = _lines("x[2]*sum(x[1:2]) + A[2,:]'*x + sum(A[1:2, 2:3])", shapes, ["x", "A"], fmt="text")
    assert text[:3] == ["f = x[2] sum(x[1:2]) + ⟨x, A[2, :]⟩ + sum(A[1:2, 2:3])",
                        "∇_x f = I[:, 2] sum(x[1:2]) + I[:, 1:2] x[2] 𝟏 + A[2, :]",
                        "∇_A f = I[:, 2] xᵀ + I[:, 1:2] 𝟏𝟏ᵀ I[:, 2:3]ᵀ"]
    assert _lines("[x; y]", shapes, ["x", "y"]) == ["f = [x; y]", "∂f/∂x = I[:, 1:n]", "∂f/∂y = I[:, n+1:n+m]"]
    assert _lines("[A, B]", shapes, ["A"])[0] == "f = [A, B]"
    assert _lines("x[2]", shapes, ["x"], fmt="latex")[2] == r"\nabla_{x} f &= I\left[:, 2\right] \\"
    check_agree("x[2]*sum(x[1:2]) + A[2,:]'*x + sum(A[1:2, 2:3])", {"x": x, "A": X}, ["x", "A"],
                engines=("symbolic", "tape"),
                reference=lambda p: p["x"][1] * anp.sum(p["x"][0:2]) + anp.dot(p["A"][1, :], p["x"])
                + anp.sum(p["A"][0:2, 1:3]))


def test_a_factor_after_the_first_with_a_minus_is_parenthesised():
    """∇_x sum(A (−x ⊙ y)) printed y ⊙ (Aᵀ −1 𝟏), which reads Aᵀ − 𝟏."""
    assert _lines("sum(A*(-x .* y))", {"x": "n", "y": "n", "A": "n,n"}, ["x"])[1] == "∇_x f = y ⊙ (Aᵀ (−1 𝟏))"
    check_agree("sum(A*(-x .* y))", {"x": x, "y": x[::-1].copy(), "A": X}, "x", engines=("symbolic", "tape"),
                reference=lambda p: -anp.sum(anp.dot(p["A"], p["x"] * p["y"])))


def test_a_constant_that_folds_to_infinity_or_nan_prints():
    """derive "x/0" ended in OverflowError (a Fraction of ∞) with a traceback, and 0/0
    folded to 1 (a/a → 1 applied to the constant 0): f = x where every engine says NaN."""
    assert _lines("x/0", {"x": ""})[:2] == ["f = x / 0", "∇_x f = ∞"]
    assert _lines("-x/0", {"x": ""})[1] == "∇_x f = −∞"
    assert _lines("x/0", {"x": ""}, fmt="latex")[2] == r"\nabla_{x} f &= \infty \\"
    assert _lines("0/0*x", {"x": ""})[:2] == ["f = NaN x", "∇_x f = NaN"]
    import diffbench

    assert np.isnan(diffbench.derivatives("0/0*x", {"x": 2.0}, wrt="x", engine="symbolic", order=1)["value"])


def test_no_printed_formula_has_a_minus_that_reads_two_ways():
    """'a − −2 b' (a difference of a negative monomial) and 'Aᵀ −1 𝟏' (a factor with a
    leading minus after another) over the random grammar's derivatives: a minus is
    either a difference between spaces or a sign right after an operator or bracket."""
    import re

    from hypothesis import given, settings

    from diffbench import parse
    from diffbench.errors import Unsupported
    from random_grammar import SHAPES, expressions

    two_ways = re.compile(r"−−|\+ −|− −|[^\s=+(,⟨\[/−] −(?! )")

    @given(pair=expressions(2))
    @settings(max_examples=120, deadline=None)
    def check(pair):
        fn = parse(pair[0], SHAPES)
        try:
            d = derive(fn, fn.variables[:2])
        except Unsupported:
            return
        for line in str(d).splitlines():
            assert not two_ways.search(line), (pair[0], line)
    check()


def test_an_index_is_postfix_as_in_the_language():
    """Rows of the identity printed (I[:, 2:3])ᵀ and (I[:, 2])ᵀ: an index binds as tightly
    as a transpose or a power (docs/language.md), so I[:, 2:3]ᵀ and x[2]² read one way."""
    assert _lines("x[2:3]", {"x": "n"}, ["x"]) == ["f = x[2:3]", "∂f/∂x = I[:, 2:3]ᵀ"]
    assert _lines("x[2]*x[1]", {"x": "n"})[2] == "∇²_xx f = I[:, 1] I[:, 2]ᵀ + I[:, 2] I[:, 1]ᵀ"
    assert _lines("x[2]^2", {"x": "n"})[0] == "f = x[2]²"


_INDEX_LIST = re.compile(r"\[([^\[\]\s:,]+(?:,[^\[\]\s:,]+)*)\]")


def _indices(text: str) -> set[str]:
    """Every name in an index list ``[i,j′]`` or a sum's subscript ``Σ_pq`` / ``Σ_p′,q′``."""
    names = {n for group in _INDEX_LIST.findall(text) for n in group.split(",") if not n.isdigit()}
    for sub in re.findall(r"Σ_(\S+)", text):
        names.update(sub.split(",") if "," in sub else sub)
    return names


def _bracketed(text: str, opener: str) -> tuple[str, str]:
    """The text inside the bracket that ``opener`` opens, and the text around it."""
    start = text.index(opener) + len(opener)
    depth, end = 1, start
    while depth:
        depth += {"[": 1, "]": -1}.get(text[end], 0)
        end += 1
    return text[start:end - 1], text[:start] + text[end - 1:]


def test_a_nested_index_block_names_its_indices_afresh():
    """det(inv(X))'s Hessian printed a block inside a block, both indexed i, j, k, l:
    (d adj(X⁻¹)[−(X⁻¹)[i,k] (X⁻¹)[l,j]])[q,p,k,l] read as one i, j, k, l."""
    hessian = _lines("det(inv(X))", {"X": "n,n"})[2]
    inner, outer = _bracketed(hessian, "d adj(X⁻¹)[")
    assert _indices(inner) and _indices(outer) >= {"i", "j", "k", "l"}
    assert not _indices(inner) & _indices(outer)
    latex = "\n".join(_lines("det(inv(X))", {"X": "n,n"}, fmt="latex"))
    assert "i'" in latex and "′" not in latex


@pytest.mark.parametrize("dim", ["k", "i", "p"])
def test_an_index_is_never_spelled_like_a_dimension(dim):
    """With X sized k×k the Hessian's free index k read as the size k; i and p likewise."""
    lines = _lines("det(inv(X))", {"X": f"{dim},{dim}"})
    hessian = lines[2]
    lhs, rhs = hessian.split(" = ", 1)
    free = _indices(lhs)
    assert len(free) == 4 and dim not in _indices(hessian)
    inner, outer = _bracketed(rhs, "d adj(X⁻¹)[")
    assert not _indices(inner) & _indices(outer)
    assert free <= _indices(outer)
    six = _lines("sum(x .* x)", {"x": f"{dim},{dim},{dim}"})[2]
    lhs, rhs = six.split(" = ", 1)
    assert len(_indices(lhs)) == 6 and _indices(rhs) == _indices(lhs) and dim not in _indices(lhs)
