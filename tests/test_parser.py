"""The function language: seed examples, lowering structure, shape inference,
every error message (text and caret), and fuzzing (never a traceback)."""
from __future__ import annotations

import builtins
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diffbench.function import Function
from diffbench.ir import Node, resolve_shape, topological
from diffbench.lang import ExpressionError, parse
from diffbench.lang.errors import ExpressionError as ErrorsModuleError
from diffbench.ops import TABLE

SIZES = {"n": 3, "m": 4, "k": 5, "p": 2, "N": 4, "d": 3}


# ---------------------------------------------------------------- helpers

def evaluate(fn: Function, inputs: dict, sizes: dict = SIZES):
    """NumPy value of ``fn`` by walking its IR with the op table's impls."""
    values: dict[Node, object] = {}
    for n in topological(fn.root):
        if n.op == "var":
            values[n] = np.asarray(inputs[n.attr("name")], dtype=float)
        elif n.op == "const":
            values[n] = n.attr("value")
        else:
            prim = TABLE[n.op]
            attrs = dict(n.attrs)
            if "shape" in attrs:
                attrs["shape"] = resolve_shape(attrs["shape"], sizes)
            elif prim.needs_shape:
                attrs["shape"] = resolve_shape(n.shape, sizes)
            values[n] = prim.impl(*(values[a] for a in n.args), **attrs)
    return values[fn.root]


def show(n: Node) -> str:
    """IR as a compact formula: ``inner(x, matmul(A, x))``."""
    if n.op == "var":
        return n.attr("name")
    if n.op == "const":
        return f"{n.attr('value'):g}"
    args = [show(a) for a in n.args]
    if n.attr("shape") is not None:
        args.append("(" + ",".join(map(str, n.attr("shape"))) + ")")
    return f"{n.op}({', '.join(args)})"


def random_inputs(fn: Function, rng, sizes=SIZES) -> dict:
    return {name: rng.uniform(0.5, 1.5, resolve_shape(shape, sizes))
            for name, shape in fn.shapes.items()}


def spd(size, rng):
    m = rng.normal(size=(size, size))
    return m @ m.T + size * np.eye(size)


def error_of(expr, shapes=None, input_shapes=None) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(expr, shapes, input_shapes)
    return info.value


# ---------------------------------------------------------------- seed examples

RNG = np.random.default_rng(0)
X3, Y3, B3, V4 = RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=4)
A33, W43, D44 = spd(3, RNG), RNG.normal(size=(4, 3)), RNG.normal(size=(4, 4))


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _distance_matrix_loss():
    g = np.diag(W43 @ W43.T)
    m = np.outer(g, np.ones(4)) + np.outer(np.ones(4), g) - 2 * W43 @ W43.T - D44
    return np.linalg.norm(m) ** 2


SEED = [
    # expr, shapes, inputs, expected value, expected function shape
    ("x'*A*x - b'*x + c", {"x": "n", "A": "n,n", "b": "n", "c": ""},
     {"x": X3, "A": A33, "b": B3, "c": 0.7}, X3 @ A33 @ X3 - B3 @ X3 + 0.7, ()),
    ("log(x'*A*x)", None, {"x": X3, "A": A33}, np.log(X3 @ A33 @ X3), ()),
    ("log(1+exp(a'*x))", {"a": "n"}, {"a": B3, "x": X3}, np.log(1 + np.exp(B3 @ X3)), ()),
    ("-exp(-x'*x)", None, {"x": X3}, -np.exp(-X3 @ X3), ()),
    ("0.5*norm2(A*x-b)^2", {"b": "m"}, {"A": W43, "x": X3, "b": V4},
     0.5 * np.linalg.norm(W43 @ X3 - V4) ** 2, ()),
    ("logsumexp(W*x) - y'*W*x", None, {"W": W43, "x": X3, "y": V4},
     np.log(np.sum(np.exp(W43 @ X3))) - V4 @ W43 @ X3, ()),
    ("c'*inv(A)*b", {"c": "n", "b": "n"}, {"c": Y3, "A": A33, "b": B3},
     Y3 @ np.linalg.inv(A33) @ B3, ()),
    ("logdet(X)", None, {"X": A33}, np.linalg.slogdet(A33)[1], ()),
    ("tr(inv(X))", None, {"X": A33}, np.trace(np.linalg.inv(A33)), ()),
    ("sigmoid(W*x)", None, {"W": W43, "x": X3}, _sigmoid(W43 @ X3), ("n",)),
    ("norm2(diag(W*W')*ones(N)' + ones(N)*diag(W*W')' - 2*W*W' - D)^2",
     {"W": "N,d", "D": "N,N"}, {"W": W43, "D": D44}, _distance_matrix_loss(), ()),
    ("<x, A*x>", None, {"x": X3, "A": A33}, X3 @ A33 @ X3, ()),
    ("w2*log(w1) + sqrt(w2*log(w1))", {"w1": "", "w2": ""}, {"w1": 2.5, "w2": 1.5},
     1.5 * np.log(2.5) + np.sqrt(1.5 * np.log(2.5)), ()),
]


@pytest.mark.parametrize("expr, shapes, inputs, expected, out_shape", SEED, ids=[s[0] for s in SEED])
def test_seed_examples_parse_with_right_shape_and_value(expr, shapes, inputs, expected, out_shape):
    fn = parse(expr, shapes)
    assert isinstance(fn, Function)
    assert fn.expr == expr
    assert fn.shape == out_shape
    assert set(fn.shapes) == set(inputs)
    np.testing.assert_allclose(evaluate(fn, inputs), expected, rtol=1e-10)


@pytest.mark.parametrize("expr, shapes, formula", [
    ("x'*A*x - b'*x + c", {"b": "n", "c": ""}, "add(sub(inner(x, matmul(A, x)), inner(b, x)), c)"),
    ("log(1+exp(a'*x))", {"a": "n"}, "log(add(1, exp(inner(a, x))))"),
    ("0.5*norm2(A*x-b)^2", {"b": "m"}, "mul(0.5, pow(norm2(sub(matmul(A, x), b)), 2))"),
    ("logsumexp(W*x) - y'*W*x", None, "sub(logsumexp(matmul(W, x)), inner(y, matmul(W, x)))"),
    ("c'*inv(A)*b", {"c": "n", "b": "n"}, "inner(c, matmul(inv(A), b))"),
    ("tr(inv(X))", None, "tr(inv(X))"),
    ("logdet(X)", None, "logdet(X)"),
    ("sigmoid(W*x)", None, "sigmoid(matmul(W, x))"),
    ("<x, A*x>", None, "inner(x, matmul(A, x))"),
    ("w2*log(w1) + sqrt(w2*log(w1))", {"w1": "", "w2": ""},
     "add(mul(w2, log(w1)), sqrt(mul(w2, log(w1))))"),
    ("diag(W*W')*ones(N)'", {"W": "N,d"}, "outer(diag_part(matmul(W, transpose(W))), ones())"),
])
def test_seed_structure(expr, shapes, formula):
    assert show(parse(expr, shapes).root) == formula


def test_seed_variable_shapes():
    fn = parse("norm2(diag(W*W')*ones(N)' + ones(N)*diag(W*W')' - 2*W*W' - D)^2",
               {"W": "N,d", "D": "N,N"})
    assert fn.shapes == {"W": ("N", "d"), "D": ("N", "N")}
    assert parse("logsumexp(W*x) - y'*W*x").shapes == {"W": ("n", "m"), "x": ("m",), "y": ("n",)}


# ---------------------------------------------------------------- lowering

@pytest.mark.parametrize("expr, formula, shape", [
    ("x'*y", "inner(x, y)", ()),
    ("x'*A*x", "inner(x, matmul(A, x))", ()),
    ("x'*A*B*y", "inner(x, matmul(A, matmul(B, y)))", ()),
    ("x*y'", "outer(x, y)", ("n", "m")),
    ("x'", "reshape(x, (1,n))", (1, "n")),
    ("x''", "x", ("n",)),
    ("A''", "A", ("n", "m")),
    ("A'", "transpose(A)", ("m", "n")),
    ("a'", "a", ()),
    ("x'*A", "reshape(matmul(transpose(A), x), (1,m))", (1, "m")),
    ("(x'*A)'", "matmul(transpose(A), x)", ("m",)),
    ("x'*A*B", "reshape(matmul(transpose(B), matmul(transpose(A), x)), (1,k))", (1, "k")),
    ("A*x", "matmul(A, x)", ("n",)),
    ("A*B", "matmul(A, B)", ("n", "k")),
    ("2*x'*y", "inner(mul(2, x), y)", ()),
    ("x'*2*y", "inner(mul(x, 2), y)", ()),
    ("x'/2*y", "inner(div(x, 2), y)", ()),
    ("-x'*y", "inner(neg(x), y)", ()),
    ("x'+y'", "add(reshape(x, (1,n)), reshape(y, (1,n)))", (1, "n")),
    ("(x'+y')*z", "inner(reshape(add(reshape(x, (1,n)), reshape(y, (1,n))), (n)), z)", ()),
    ("sum(x')", "sum(x)", ()),
    ("norm2(x'*A)", "norm2(matmul(transpose(A), x))", ()),
    ("<x', y'>", "inner(x, y)", ()),
    ("x.*y - x./y + x.^2", "add(sub(mul(x, y), div(x, y)), pow(x, 2))", ("n",)),
    ("a^b^c", "pow(a, pow(b, c))", ()),
    ("-a^2", "neg(pow(a, 2))", ()),
    ("2^-a", "pow(2, neg(a))", ()),
    ("x/a", "div(x, a)", ("n",)),
    ("diag(x)", "diag_embed(x)", ("n", "n")),
    ("diag(A)", "diag_part(A)", ("n",)),
    ("eye(n)*x", "matmul(eye(), x)", ("n",)),
    ("eye(3)", "eye()", (3, 3)),
    ("ones(m,k)", "ones()", ("m", "k")),
    ("1e-3*x + .5*x + 2.*x + 3.5E+2*x", None, ("n",)),
])
def test_lowering(expr, formula, shape):
    fn = parse(expr)
    assert fn.shape == shape
    if formula is not None:
        assert show(fn.root) == formula


def test_products_that_are_one_by_one_become_scalars():
    fn = parse("A*x", input_shapes={"A": (1, 3), "x": (3,)})
    assert fn.shape == ()
    assert show(fn.root) == "inner(reshape(A, (3)), x)"
    fn = parse("x'*B", input_shapes={"x": (3,), "B": (3, 1)})
    assert fn.shape == ()
    inputs = {"x": X3, "B": B3.reshape(3, 1)}
    np.testing.assert_allclose(evaluate(fn, inputs), X3 @ B3)


def test_eye_ones_build_leaf_nodes_with_their_shape():
    fn = parse("eye(n)*x + ones(n)")
    leaves = {n.op: n for n in topological(fn.root) if n.op in ("eye", "ones")}
    assert leaves["eye"].shape == ("n", "n") and leaves["eye"].attrs == ()
    assert leaves["ones"].shape == ("n",)


def test_shared_subexpressions_are_one_node():
    fn = parse("logsumexp(W*x) - y'*W*x")
    matmuls = {id(n) for n in topological(fn.root) if n.op == "matmul"}
    assert len(matmuls) == 1


@pytest.mark.parametrize("expr, shapes, expected", [
    ("x'*A*x", None, lambda i: i["x"] @ i["A"] @ i["x"]),
    ("x'*A*B", None, lambda i: (i["x"] @ i["A"] @ i["B"]).reshape(1, -1)),
    ("(x'*A)' + y", {"y": "m"}, lambda i: i["A"].T @ i["x"] + i["y"]),
    ("x*y'*A", {"A": "m,k"}, lambda i: np.outer(i["x"], i["y"]) @ i["A"]),
    ("x'*A*y*b", None, lambda i: i["x"] @ i["A"] @ i["y"] * i["b"]),
    ("2*x'*A*B*z", None, lambda i: 2 * i["x"] @ i["A"] @ i["B"] @ i["z"]),
    ("<A, B>", {"B": "n,m"}, lambda i: np.sum(i["A"] * i["B"])),
    ("x'*(A*y)", None, lambda i: i["x"] @ (i["A"] @ i["y"])),
    ("-x'*A*x/2", None, lambda i: -(i["x"] @ i["A"] @ i["x"]) / 2),
    ("(x'*A*x)^2 + a.^2", None, lambda i: (i["x"] @ i["A"] @ i["x"]) ** 2 + i["a"] ** 2),
    ("sum(exp(x'*A))", None, lambda i: np.sum(np.exp(i["x"] @ i["A"]))),
])
def test_lowering_values(expr, shapes, expected):
    fn = parse(expr, shapes)
    inputs = random_inputs(fn, np.random.default_rng(1))
    np.testing.assert_allclose(evaluate(fn, inputs), expected(inputs), rtol=1e-10)


# ---------------------------------------------------------------- shapes

def test_naming_convention():
    fn = parse("a*x + B*y")
    assert fn.shapes == {"a": (), "x": ("n",), "B": ("n", "m"), "y": ("m",)}
    assert parse("gamma + h1'*z").shapes == {"gamma": (), "h1": ("n",), "z": ("n",)}


def test_fresh_dims_avoid_declared_names():
    fn = parse("A*x", {"unused": "n", "v": "m,q"})
    assert fn.shapes == {"A": ("k", "p"), "x": ("p",)}
    assert parse("eye(n)*x + A*y").shapes == {"x": ("n",), "A": ("n", "m"), "y": ("m",)}


def test_declarations_forms():
    assert parse("A*x", {"x": "n", "A": "m, n"}).shapes == {"A": ("m", "n"), "x": ("n",)}
    assert parse("A*x", {"x": ("n",), "A": ["m", "n"]}).shapes == {"A": ("m", "n"), "x": ("n",)}
    assert parse("A*x", {"A": "3,n"}).shapes == {"A": (3, "n"), "x": ("n",)}
    assert parse("x*c", {"x": "", "c": ()}).shapes == {"x": (), "c": ()}
    assert parse("A*x", {"A": (np.int64(2), 3)}).shapes == {"A": (2, 3), "x": (3,)}
    assert parse("x", {"x": "n", "unused_is_fine": "m,m"}).shapes == {"x": ("n",)}


def test_declared_shapes_override_convention_and_unify():
    fn = parse("X*b", {"X": "n,m", "b": "m"})
    assert fn.shape == ("n",)
    assert parse("a + 1", {"a": "n"}).shape == ("n",)


def test_input_shapes():
    fn = parse("A*x + y", input_shapes={"A": (4, 3), "x": (3,)})
    assert fn.shapes == {"A": (4, 3), "x": (3,), "y": (4,)}
    # an input's size meets a declared dim: n is 7 once the inputs are bound
    assert parse("A*x", shapes={"A": "n,n"}, input_shapes={"x": (7,)}).shapes == {"A": ("n", "n"), "x": ("n",)}
    assert parse("x'*eye(n)*x", input_shapes={"x": (3,)}).shapes == {"x": ("n",)}
    with pytest.raises(ExpressionError):  # two inputs disagree on one dim
        parse("A*x", input_shapes={"A": (4, 3), "x": (7,)})
    fn = parse("A*x", input_shapes={"x": (3,)})
    assert fn.shapes == {"A": ("n", 3), "x": (3,)}
    # callers pass every array they hold: names no expression can use are skipped
    assert parse("x", input_shapes={"x": (2,), "not a name": (1,), "exp": ()}).shapes == {"x": (2,)}


def test_function_dims_and_variables_order():
    fn = parse("y'*W*x", {"W": "m,n"})
    assert fn.variables == ["y", "W", "x"]
    assert fn.dims == ["m", "n"]


# ---------------------------------------------------------------- errors

def caret_column(err: ExpressionError) -> int:
    lines = str(err).split("\n")
    assert len(lines) == 3, str(err)
    assert lines[1] == "  " + "".join(" " if c.isspace() else c for c in err.expr)
    return lines[2].index("^") - 2


ERRORS = [
    # expr, shapes, message fragment, caret column
    ("x $ y", None, "unexpected character '$'", 2),
    ("x + y²", None, "unexpected character '²'", 5),
    ("x +", None, "unexpected end of expression", 3),
    ("exp(", None, "unexpected end of expression", 4),
    ("", None, "empty expression", 0),
    ("(x + y", None, "unclosed '('", 0),
    ("x + (y*(z)", None, "unclosed '('", 4),
    ("exp(x", None, "unclosed '('", 3),
    ("<x, y", None, "unclosed '<'", 0),
    ("<x, (y>", None, "unclosed '('", 4),
    ("<x, y)", None, "unclosed '<'", 0),
    ("x + y)", None, "unmatched ')'", 5),
    ("x > y", None, "unmatched '>'", 2),
    ("x < y", None, "missing operator before '<'", 2),
    ("<x>", None, "an inner product has two arguments", 2),
    ("<x, y, z>", None, "expected '>' to match '<', found ','", 5),
    ("2x", None, "did you mean 2*x?", 1),
    ("2 x", None, "missing operator between 2 and x", 2),
    ("x'y", None, "did you mean x'*y?", 2),
    ("(a+b)(c)", None, "did you mean (a+b)*(...)?", 5),
    ("sigmoud(x)", None, "unknown function 'sigmoud': did you mean 'sigmoid'?", 0),
    ("1 + logdte(X)", None, "did you mean 'logdet'?", 4),
    ("frobnicate(x)", None, "unknown function 'frobnicate'", 0),
    ("x*y + sigmoud(x)", None, "did you mean 'sigmoid'?", 6),
    ("hx + hx(2)", None, "'hx' is a variable, not a function", 5),
    ("x(2)", None, "'x' is a variable, not a function", 0),
    ("a + w1(2)", {"w1": ""}, "'w1' is a variable, not a function", 4),
    ("exp + 1", None, "'exp' is a function, not a variable", 0),
    ("exp(x, y)", None, "exp takes 1 argument, got 2", 0),
    ("ones(1,2,3)", None, "ones takes 1 or 2 arguments, got 3", 0),
    ("tr()", None, "tr takes 1 argument, got 0", 0),
    ("eye(x+1)", None, "eye takes dimensions", 4),
    ("eye(2.5)", None, "eye takes dimensions", 4),
    ("x'*A*x", {"x": "n", "A": "m,m"}, "x'*A: (1,n) times (m,m)", 2),
    ("b + x'*A", {"x": "n", "A": "m,m"}, "x'*A: (1,n) times (m,m): inner dimensions n and m differ", 6),
    ("x*A", None, "x*A: (n) times (m,k)", 1),
    ("x*y", None, "x*y: (n) times (m): use x'*y for the inner product", 1),
    ("x + A", None, "x + A: (n) plus (m,k)", 2),
    ("x + y'", {"x": "n", "y": "n"}, "x + y': (n) plus (1,n): a vector and a row", 2),
    ("A .* B", {"A": "n,n", "B": "n,m"}, "A .* B: (n,n) times (n,m): dimensions n and m differ", 2),
    ("x/y", None, "x/y: (n) divided by (m): '/' divides by a scalar only (use ./", 1),
    ("x^2", None, "x^2: (n) to the power (): '^' is the power of a scalar (use .^", 1),
    ("2^x", None, "use .^", 1),
    ("A^-1", None, "inv(...) for the inverse", 1),
    ("x'*x'", None, "x'*x': (1,n) times (1,n): inner dimensions n and 1 differ", 2),
    ("A*x'", None, "A*x': (n,m) times (1,k): inner dimensions m and 1 differ", 1),
    ("<x, A*x>", {"A": "n,m", "x": "m"}, "<x, A*x>: (m) and (n)", 0),
    ("tr(x)", None, "tr(x): tr needs a square matrix, got (n)", 0),
    ("logdet(A)", {"A": "n,m"}, "logdet(A): logdet needs a square matrix, got (n,m)", 0),
    ("diag(x')", None, "diag needs a vector or a square matrix, got the row (1,n)", 0),
    ("x + A*x", {"x": "n", "A": "n,n,n"}, "multiplies scalars, vectors and matrices only", 5),
    ("x**2", None, "'**' is not an operator: use ^", 2),
    ("()", None, "empty parentheses", 1),
    ("'x", None, "a transpose must follow an operand", 0),
    ("x + * y", None, "expected an operand, found '*'", 4),
    ("1e999*x", None, "too large", 0),
    ("z = x; z = y; z", None, "'z' is assigned twice", 7),
    ("z = x", None, "the last statement must be the expression", 5),
    ("z = x;", None, "the last statement must be the expression", 6),
    ("x; y", None, "only the last statement may be a bare expression", 3),
    ("x\n- y", None, "only the last statement may be a bare expression", 2),
    ("y = z + 1; z = x; y", None, "'z' is used before it is assigned", 4),
    ("exp = x; exp", None, "'exp' is a function name and cannot be assigned", 0),
    ("x = 2*y; x", {"x": "n"}, "'x' is an input variable and cannot also be assigned", 0),
    ("x + 1 = y", None, "only a name can be assigned", 6),
    ("x[0]", None, "indices count from 1", 2),
    ("x[1.5]", None, "an index is a whole number", 2),
    ("x[3:2]", None, "empty range 3:2", 2),
    ("[x, y", None, "unclosed '['", 0),
    ("x]", None, "unmatched ']'", 1),
    ("x\t+\nA", None, "x + A: (n) plus (m,k)", 2),
]


@pytest.mark.parametrize("expr, shapes, fragment, column", ERRORS, ids=[e[0][:30] for e in ERRORS])
def test_error_messages_and_caret(expr, shapes, fragment, column):
    err = error_of(expr, shapes)
    assert fragment in err.message
    assert err.expr == expr
    assert err.position == column
    assert caret_column(err) == column
    assert str(err).split("\n")[0] == err.message


def test_error_class_and_attributes():
    assert ErrorsModuleError is ExpressionError
    assert issubclass(ExpressionError, ValueError)
    err = error_of("x + A")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.message, clone.expr, clone.position) == (err.message, err.expr, err.position)
    assert str(clone) == str(err)


@pytest.mark.parametrize("shapes, fragment", [
    ({"x": "n,"}, "shape of 'x'"),
    ({"x": "n m"}, "shape of 'x'"),
    ({"x": "-1"}, "shape of 'x'"),
    ({"x": 3}, "shape of 'x' must be a string"),
    ({"x": ("n", 2.5)}, "shape of 'x'"),
    ({"x": ("n", True)}, "shape of 'x'"),
    ({"x": "exp"}, "shape of 'x'"),
    ({"unused": "n,,n"}, "shape of 'unused'"),
    ({"exp": "n"}, "'exp' is a function name"),
    ({"2x": "n"}, "'2x' is not a valid variable name"),
    (["x"], "shapes must be a mapping"),
])
def test_malformed_declarations_name_the_variable(shapes, fragment):
    err = error_of("x + 1", shapes)
    assert fragment in err.message
    assert err.position is None
    assert str(err) == err.message


@pytest.mark.parametrize("input_shapes", [{"x": "3"}, {"x": (3.0,)}, {"x": (-1,)}, {"x": None}])
def test_malformed_input_shapes(input_shapes):
    assert "input shape of 'x'" in error_of("x", input_shapes=input_shapes).message


def test_non_string_expression():
    with pytest.raises(ExpressionError, match="must be a string"):
        parse(None)


# ---------------------------------------------------------------- robustness

def test_long_chains_need_no_recursion():
    fn = parse(" + ".join(["x"] * 20000))
    assert fn.shape == ("n",)
    fn = parse("x'*" + "A*" * 3000 + "x")
    assert fn.shape == ()


def test_parsing_never_evaluates(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the parser must not evaluate user text")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    import sympy
    monkeypatch.setattr(sympy, "sympify", forbidden)
    parse("x'*A*x - 2*b'*x + 1e-3", {"b": "n"})
    with pytest.raises(ExpressionError):
        parse("__import__('os')")


LANGUAGE_TOKENS = [
    "x", "y", "A", "B", "W", "a", "b", "n", "w1", "exp", "log", "sqrt", "sum", "norm2", "tr",
    "det", "logdet", "inv", "diag", "eye", "ones", "logsumexp", "sigmoid", "sigmoud",
    "0", "1", "2", "0.5", "1e-3", ".5", "3.",
    "+", "-", "*", "/", ".*", "./", ".^", "^", "'", "(", ")", ",", "<", ">", " ",
]
DECLARATIONS = st.sampled_from([None, {"x": "n", "A": "n,n"}, {"b": "n", "W": "m,n"}, {"y": ""}])
INPUTS = st.sampled_from([None, {"x": (3,), "A": (1, 3), "B": (3, 1), "y": (1,)}])


def check_parse_outcome(expr, shapes=None, input_shapes=None):
    """A Function whose IR is consistent and evaluates, or an ExpressionError."""
    try:
        fn = parse(expr, shapes, input_shapes)
    except ExpressionError as err:
        assert isinstance(err.message, str) and err.expr == expr
        assert err.position is None or 0 <= err.position <= len(expr)
        str(err)
        return
    assert fn.root.shape == fn.shape
    for n in topological(fn.root):
        assert all(isinstance(d, (str, int)) for d in n.shape)
    if any(d == 0 for n in topological(fn.root) for d in n.shape):
        return  # empty arrays: nothing to evaluate (logsumexp of nothing is undefined)
    sizes = {d: 3 for d in fn.dims}
    try:
        with np.errstate(all="ignore"):
            value = evaluate(fn, random_inputs(fn, np.random.default_rng(2), sizes), sizes)
    except np.linalg.LinAlgError:  # inv(ones(n,n)) parses fine and is singular
        return
    assert np.shape(value) == resolve_shape(fn.shape, sizes)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=40))
def test_random_text_never_raises_anything_else(expr):
    check_parse_outcome(expr)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet="xyAab12.+-*/^'(),<> e", max_size=30))
def test_random_language_characters_never_raise_anything_else(expr):
    check_parse_outcome(expr)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(LANGUAGE_TOKENS), max_size=14), DECLARATIONS, INPUTS)
def test_token_soup_never_raises_anything_else(tokens, shapes, input_shapes):
    check_parse_outcome("".join(tokens), shapes, input_shapes)
