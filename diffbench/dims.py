"""Dimension sizes written as tiny arithmetic: ``"2*n"``, ``"n+1"``, ``"3"``.

Parsed here by a small recursive-descent parser over integers, dim names,
``+ - * //`` and parentheses: it never reaches ``eval``.  Used by the
catalogue's derived dims and by job files.
"""
from __future__ import annotations

import re
from collections import deque

# A size is an array dimension: anything past 2**62 cannot be allocated, and
# checking as we go keeps ``n*n*n*...`` from growing into a huge integer
MAX_VALUE = 2**62
# parentheses nest at most this deep: the parser recurses once per level
MAX_DEPTH = 100
_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*(),]))")
# the one function of dims: the thin SVD's min(m, n)
FUNCTIONS = {"min": min}


class DimExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise DimExpressionError(f"bad character {text[pos]!r} at column {pos + 1} in {_short(text)}")
        out.append(m.group(m.lastindex))
        pos = m.end()
    return out


def evaluate(text: str | int, sizes: dict[str, int]) -> int:
    """The integer value of ``text`` given the sizes of the dims it names."""
    if isinstance(text, int):
        return text
    tokens = deque(_tokens(str(text)))
    if not tokens:
        raise DimExpressionError("empty dimension expression")
    value = _sum_of_products(tokens, sizes, str(text), 0)
    if tokens:
        raise DimExpressionError(f"unexpected {tokens[0]!r} in {_short(text)}")
    if value < 0:
        raise DimExpressionError(f"{_short(text)} is negative ({value})")
    return value


def names(text: str | int) -> set[str]:
    """The dim names an expression refers to."""
    if isinstance(text, int):
        return set()
    tokens = _tokens(str(text))
    return {t for i, t in enumerate(tokens) if (t[0].isalpha() or t[0] == "_")
            and not (t in FUNCTIONS and tokens[i + 1:i + 2] == ["("])}


def _bounded(value: int, text: str) -> int:
    if abs(value) > MAX_VALUE:
        raise DimExpressionError(f"{_short(text)} is too large for an array size (over 2**62 at some step)")
    return value


def _short(text: str) -> str:
    return repr(text) if len(text) <= 60 else repr(text[:40] + "...") + f" ({len(text)} characters)"


# The parser consumes ``tokens`` (a deque) from the left: linear in the length.

def _sum_of_products(tokens, sizes, text, depth):
    """``2*n + m - 1``: products added and subtracted."""
    value = _product(tokens, sizes, text, depth)
    while tokens and tokens[0] in "+-":
        op = tokens.popleft()
        rhs = _product(tokens, sizes, text, depth)
        value = _bounded(value + rhs if op == "+" else value - rhs, text)
    return value


def _product(tokens, sizes, text, depth):
    value = _atom(tokens, sizes, text, depth)
    while tokens and tokens[0] in ("*", "//"):
        op = tokens.popleft()
        rhs = _atom(tokens, sizes, text, depth)
        if op == "//" and rhs == 0:
            raise DimExpressionError(f"division by zero in {_short(text)}")
        value = _bounded(value * rhs if op == "*" else value // rhs, text)
    return value


def _atom(tokens, sizes, text, depth):
    if not tokens:
        raise DimExpressionError(f"unexpected end of {_short(text)}")
    head = tokens.popleft()
    if head.isdigit():
        return _bounded(int(head) if len(head) < 25 else MAX_VALUE + 1, text)
    if head == "(":
        if depth >= MAX_DEPTH:
            raise DimExpressionError(f"{_short(text)} nests parentheses deeper than {MAX_DEPTH}")
        value = _sum_of_products(tokens, sizes, text, depth + 1)
        if not tokens or tokens.popleft() != ")":
            raise DimExpressionError(f"missing ')' in {_short(text)}")
        return value
    if head in FUNCTIONS and tokens and tokens[0] == "(" and head not in sizes:
        return _function(head, tokens, sizes, text, depth)
    if head[0].isalpha() or head[0] == "_":
        if head not in sizes:
            raise DimExpressionError(f"{_short(text)} names dimension {head!r}, which has no size")
        return int(sizes[head])
    raise DimExpressionError(f"unexpected {head!r} in {_short(text)}")


def _function(name, tokens, sizes, text, depth):
    """``min(a, b)``: the arguments are sums of products."""
    if depth >= MAX_DEPTH:
        raise DimExpressionError(f"{_short(text)} nests parentheses deeper than {MAX_DEPTH}")
    tokens.popleft()  # "("
    args = [_sum_of_products(tokens, sizes, text, depth + 1)]
    while tokens and tokens[0] == ",":
        tokens.popleft()
        args.append(_sum_of_products(tokens, sizes, text, depth + 1))
    if not tokens or tokens.popleft() != ")":
        raise DimExpressionError(f"missing ')' in {_short(text)}")
    if len(args) != 2:
        raise DimExpressionError(f"{name} takes two dimensions in {_short(text)}")
    return FUNCTIONS[name](*args)


# ---------------------------------------------------------------- compound dims
# Shapes of concatenations, vec and kron have dims such as "n+m" or "m*n":
# strings over dim names, sized by :func:`evaluate` once the names are.

def is_compound(dim) -> bool:
    return isinstance(dim, str) and not dim.isidentifier()


def combine(op: str, a, b):
    """The dim ``a op b`` (op "+" or "*", or "min": ``min(a,b)``): folded when
    both are ints, else a string written the same way wherever it is built
    (inference and IR)."""
    if op == "min":
        if isinstance(a, int) and isinstance(b, int):
            return min(a, b)
        a, b = sorted((a, b), key=str)  # min(m,n) and min(n,m): one spelling
        return a if a == b else f"min({a},{b})"
    if isinstance(a, int) and isinstance(b, int):
        return a + b if op == "+" else a * b
    if op == "*":
        a, b = (f"({x})" if isinstance(x, str) and "+" in x else str(x) for x in (a, b))
    else:
        b = f"({b})" if isinstance(b, str) and "+" in b else str(b)
    return f"{a}{op}{b}"


def size(dim, sizes: dict[str, int]) -> int:
    """The size of a dim: an int, a named dim, or a compound of them."""
    if isinstance(dim, int):
        return dim
    found = sizes.get(dim)
    return found if found is not None else evaluate(dim, sizes)
