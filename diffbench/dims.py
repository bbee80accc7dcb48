"""Dimension sizes written as tiny arithmetic: ``"2*n"``, ``"n+1"``, ``"3"``.

Parsed here by a small recursive-descent parser over integers, dim names,
``+ - * //`` and parentheses: it never reaches ``eval``.  Used by the
catalogue's derived dims and by job files.
"""
from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(//|[-+*()]))")


class DimExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise DimExpressionError(f"bad character {text[pos]!r} at column {pos + 1} in {text!r}")
        out.append(m.group(m.lastindex))
        pos = m.end()
    return out


def evaluate(text: str | int, sizes: dict[str, int]) -> int:
    """The integer value of ``text`` given the sizes of the dims it names."""
    if isinstance(text, int):
        return text
    tokens = _tokens(str(text))
    if not tokens:
        raise DimExpressionError("empty dimension expression")
    value, rest = _sum_of_products(tokens, sizes, str(text))
    if rest:
        raise DimExpressionError(f"unexpected {rest[0]!r} in {text!r}")
    if value < 0:
        raise DimExpressionError(f"{text!r} is negative ({value})")
    return value


def names(text: str | int) -> set[str]:
    """The dim names an expression refers to."""
    if isinstance(text, int):
        return set()
    return {t for t in _tokens(str(text)) if t[0].isalpha() or t[0] == "_"}


def _sum_of_products(tokens, sizes, text):
    """``2*n + m - 1``: products added and subtracted."""
    value, tokens = _product(tokens, sizes, text)
    while tokens and tokens[0] in "+-":
        op, tokens = tokens[0], tokens[1:]
        rhs, tokens = _product(tokens, sizes, text)
        value = value + rhs if op == "+" else value - rhs
    return value, tokens


def _product(tokens, sizes, text):
    value, tokens = _atom(tokens, sizes, text)
    while tokens and tokens[0] in ("*", "//"):
        op, tokens = tokens[0], tokens[1:]
        rhs, tokens = _atom(tokens, sizes, text)
        if op == "//" and rhs == 0:
            raise DimExpressionError(f"division by zero in {text!r}")
        value = value * rhs if op == "*" else value // rhs
    return value, tokens


def _atom(tokens, sizes, text):
    if not tokens:
        raise DimExpressionError(f"unexpected end of {text!r}")
    head, rest = tokens[0], tokens[1:]
    if head.isdigit():
        return int(head), rest
    if head == "(":
        value, rest = _sum_of_products(rest, sizes, text)
        if not rest or rest[0] != ")":
            raise DimExpressionError(f"missing ')' in {text!r}")
        return value, rest[1:]
    if head[0].isalpha() or head[0] == "_":
        if head not in sizes:
            raise DimExpressionError(f"{text!r} names dimension {head!r}, which has no size")
        return int(sizes[head]), rest
    raise DimExpressionError(f"unexpected {head!r} in {text!r}")


# ---------------------------------------------------------------- compound dims
# Shapes of concatenations, vec and kron have dims such as "n+m" or "m*n":
# strings over dim names, sized by :func:`evaluate` once the names are.

def is_compound(dim) -> bool:
    return isinstance(dim, str) and not dim.isidentifier()


def combine(op: str, a, b):
    """The dim ``a op b`` (op "+" or "*"): folded when both are ints, else a
    string written the same way wherever it is built (inference and IR)."""
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
