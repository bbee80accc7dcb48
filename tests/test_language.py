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
    start = time.perf_counter()
    fn = parse(text)
    elapsed = time.perf_counter() - start
    assert fn.shape == ()
    return elapsed


def test_a_megabyte_expression_parses_in_linear_time():
    small = _seconds(_megabytes(125_000))
    large = _seconds(_megabytes(1_000_000))
    # 8x the text: linear is 8x; allow for a loaded machine but not for quadratic (64x)
    assert large / small < 20, (small, large)
