"""Reading shape declarations: ``{"x": "n", "A": "n,n", "c": ""}`` (or tuples
of dims) and ``input_shapes`` taken from actual arrays (tuples of ints)."""
from __future__ import annotations

import numbers
import re
from typing import Mapping

from ..ir import Shape
from .errors import ExpressionError
from .functions import RESERVED

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _fail(message: str, expr: str | None):
    raise ExpressionError(message, expr, None)


def _dim(name: str, item, expr: str | None):
    """One dim of ``name``'s declared shape: an identifier or a size >= 0."""
    if isinstance(item, numbers.Integral) and not isinstance(item, bool) and item >= 0:
        return int(item)
    if isinstance(item, str):
        text = item.strip()
        if text.isascii() and text.isdigit():
            return int(text)
        if IDENTIFIER.match(text) and text not in RESERVED:
            return text
    _fail(f"shape of {name!r}: {item!r} is not a dimension "
          "(a name such as n, or a non-negative integer)", expr)


def declared_shape(name: str, spec, expr: str | None = None) -> Shape:
    """``"n,n"`` / ``""`` / ``("n", 3)`` as a shape tuple; names ``name`` if malformed."""
    if isinstance(spec, str):
        items = [] if spec.strip() == "" else spec.split(",")
    elif isinstance(spec, (tuple, list)):
        items = list(spec)
    else:
        _fail(f"shape of {name!r} must be a string such as 'n,n' or a tuple of dims, "
              f"not {type(spec).__name__}", expr)
    return tuple(_dim(name, item, expr) for item in items)


def _check_name(name, expr: str | None) -> None:
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        _fail(f"{name!r} is not a valid variable name", expr)
    if name in RESERVED:
        _fail(f"{name!r} is a function name and cannot be a variable", expr)


def read_declarations(shapes: Mapping | None, expr: str | None) -> dict[str, Shape]:
    """Every declaration, checked (unused ones too: a typo there is still a typo)."""
    if shapes is None:
        return {}
    if not isinstance(shapes, Mapping):
        _fail(f"shapes must be a mapping of variable name to shape, not {type(shapes).__name__}", expr)
    out: dict[str, Shape] = {}
    for name, spec in shapes.items():
        _check_name(name, expr)
        out[name] = declared_shape(name, spec, expr)
    return out


def read_input_shapes(input_shapes: Mapping | None, expr: str | None) -> dict[str, Shape]:
    """Shapes of actual arrays: tuples of non-negative ints."""
    if input_shapes is None:
        return {}
    if not isinstance(input_shapes, Mapping):
        _fail("input_shapes must be a mapping of variable name to a tuple of ints", expr)
    out: dict[str, Shape] = {}
    for name, shape in input_shapes.items():
        if not (isinstance(name, str) and IDENTIFIER.match(name)) or name in RESERVED:
            continue  # callers pass every input they hold; such a name can never be used
        ok = isinstance(shape, (tuple, list)) and all(
            isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0 for d in shape)
        if not ok:
            _fail(f"input shape of {name!r} must be a tuple of non-negative ints, got {shape!r}", expr)
        out[name] = tuple(int(d) for d in shape)
    return out
