"""The Python entry points: ``parse`` and ``derivatives``."""
from __future__ import annotations

import numpy as np

from .catalogue import Entry
from .engines import get_engine
from .engines.base import MAX_ORDER, check_higher_order
from .function import Function, InputError
from .ops.core import GENERATION

_parsed_strings: dict[tuple, Function] = {}
_PARSED_KEPT = 256  # a long-running service sees many expressions: keep the recent ones


def parse(expr: str, shapes: dict | None = None) -> Function:
    """Parse ``expr`` once into a :class:`Function` every engine interprets.

    ``shapes`` declares variables: ``{"x": "n", "A": "n,n", "c": ""}``.
    Undeclared ones follow matrixcalculus.org's convention (a–g scalars,
    h–z vectors, A–Z matrices).
    """
    from .lang import parse as parse_expression

    return parse_expression(expr, shapes)


def as_function(f, inputs: dict | None = None) -> Function:
    """A Function from a Function, a catalogue entry or an expression string
    (whose undeclared shapes are then read off ``inputs``); strings are
    parsed once per distinct expression and input ranks."""
    if isinstance(f, Function):
        return f
    if isinstance(f, Entry):
        return f.function
    if isinstance(f, str):
        input_shapes = {k: tuple(np.shape(v)) for k, v in (inputs or {}).items()}
        key = (f, tuple(sorted(input_shapes.items())))
        if key not in _parsed_strings:
            from .lang import parse as parse_expression

            _parsed_strings[key] = parse_expression(f, None, input_shapes)
            if len(_parsed_strings) > _PARSED_KEPT:
                _parsed_strings.pop(next(iter(_parsed_strings)))
        return _parsed_strings[key]
    raise TypeError(f"expected an expression string, a parsed Function or a catalogue entry, not {type(f).__name__}")


def _as_arrays(inputs: dict) -> dict:
    return {k: (float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float)) for k, v in inputs.items()}


def derivatives(f, inputs: dict, wrt, engine: str = "tape", order: int = 2) -> dict:
    """Value and derivatives of ``f`` at ``inputs`` by one engine.

    Returns ``{"value", "gradient", "hessian"}`` for a scalar function
    (``"hessian"`` only when ``order >= 2``), or ``{"value", "jacobian"}``
    for a vector- or matrix-valued one.  ``order`` 3 to 8 (one scalar
    variable ``wrt`` of a scalar function; anything else is ``Unsupported``)
    adds ``"derivatives"``: the list ``[f', f'', ..., f^(order)]``.  With ``wrt`` a name, the gradient
    is an array shaped like the variable and the Hessian has shape
    ``var.shape + var.shape``; with ``wrt`` a list of names, ``"gradient"``
    maps each name to its array and ``"hessian"`` each pair to its block.
    """
    fn = as_function(f, inputs)
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    unknown = [n for n in names if n not in fn.shapes]
    if unknown:
        raise InputError(f"wrt names {', '.join(map(repr, unknown))}, not a variable of {fn.expr!r} "
                         f"(variables: {', '.join(fn.variables)})")
    if not 1 <= order <= MAX_ORDER:
        raise InputError(f"order must be 1 to {MAX_ORDER}, not {order}")
    check_higher_order(fn, names, order)
    inputs = _as_arrays(inputs)
    if order > 2:  # higher derivatives: the engine's own pass, not cached
        sizes = fn.bind(inputs)
        prepared = get_engine(engine).prepare(fn, names, sizes, order)
        result = {"value": prepared.value(inputs)}
        single = isinstance(wrt, str)
        if not fn.is_scalar:
            jac = prepared.jacobian(inputs)
            result["jacobian"] = jac[names[0]] if single else jac
            return result
        grads = prepared.gradient(inputs)
        result["gradient"] = grads[names[0]] if single else grads
        if order >= 2:
            hess = prepared.hessian(inputs)
            result["hessian"] = hess[(names[0], names[0])] if single else hess
        if order > 2:
            result["derivatives"] = prepared.derivatives(inputs, order)
        return result
    out = _prepared_for(fn, names, inputs, engine, order).evaluate(inputs, order, fn.is_scalar)
    if isinstance(wrt, str):  # one name: the arrays themselves, not dicts of one entry
        for quantity, key in (("gradient", names[0]), ("jacobian", names[0]), ("hessian", (names[0], names[0]))):
            if quantity in out:
                out[quantity] = out[quantity][key]
    return out


#: prepared computations kept per function (a loop over inputs pays set-up once)
PREPARED_KEPT = 32


def _prepared_for(fn: Function, names: list[str], inputs: dict, engine: str, order: int):
    """:func:`prepared` for these inputs; inputs of shapes seen before skip the size
    check (:meth:`Function.bind` passed for exactly these shapes)."""
    shapes = tuple(np.shape(inputs[name]) if name in inputs else None for name in fn.shapes)
    key = ("api-call", engine, tuple(names), shapes, order, GENERATION[0])
    found = fn.cache.get(key)
    if found is None:
        found = prepared(fn, names, fn.bind(inputs), engine, order)
        if len(fn.cache) < 4 * PREPARED_KEPT:  # a bounded shortcut, never a leak
            fn.cache[key] = found
    return found


def prepared(fn: Function, wrt: list[str], sizes: dict, engine: str = "tape", order: int = 2):
    """The engine's prepared computation of ``fn`` for ``wrt``, sizes and order,
    cached on the function: derivation, compilation and tape set-up are paid once."""
    key = ("api-prepared", engine, tuple(wrt), tuple(sorted(sizes.items())), order, GENERATION[0])
    found = fn.cache.get(key)
    if found is None:
        found = fn.cache[key] = get_engine(engine).prepare(fn, list(wrt), sizes, order)
        kept = [k for k in fn.cache if isinstance(k, tuple) and k and k[0] == "api-prepared"]
        if len(kept) > PREPARED_KEPT:  # the oldest first: dicts keep insertion order
            del fn.cache[kept[0]]
    return found
