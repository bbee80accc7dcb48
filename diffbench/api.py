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
    return {k: v if type(v) is np.ndarray and v.dtype == np.float64 and v.ndim else  # noqa: E721 (the common case, as is)
            (float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float)) for k, v in inputs.items()}


def derivatives(f, inputs: dict, wrt, engine: str = "tape", order: int = 2, sizes: dict | None = None) -> dict:
    """Value and derivatives of ``f`` at ``inputs`` by one engine.

    Returns ``{"value", "gradient", "hessian"}`` for a scalar function
    (``"hessian"`` only when ``order >= 2``), or ``{"value", "jacobian"}``
    for a vector- or matrix-valued one.  ``order`` 3 to 8 (one scalar
    variable ``wrt`` of a scalar function; anything else is ``Unsupported``)
    adds ``"derivatives"``: the list ``[f', f'', ..., f^(order)]``.  With ``wrt`` a name, the gradient
    is an array shaped like the variable and the Hessian has shape
    ``var.shape + var.shape``; with ``wrt`` a list of names, ``"gradient"``
    maps each name to its array and ``"hessian"`` each pair to its block.

    ``sizes`` (``{"n": 3}``) gives dims no input shows (``logsumexp(b*ones(n))``);
    a dim an input does show is read off it (``x'*eye(n)*x`` with ``x`` of length 3).
    A ``wrt`` name given an input but not occurring in ``f`` has zero
    derivatives: they are returned, with a line in ``result["notes"]``.
    """
    fn = as_function(f, inputs)
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    unknown = [n for n in names if n not in fn.shapes and n not in inputs]
    if unknown:
        raise InputError(f"wrt names {', '.join(map(repr, unknown))}, not a variable of {fn.expr!r} "
                         f"(variables: {', '.join(fn.variables)})")
    if not 1 <= order <= MAX_ORDER:
        raise InputError(f"order must be 1 to {MAX_ORDER}, not {order}")
    check_higher_order(fn, names, order)
    inputs = _as_arrays(inputs)
    absent = [n for n in names if n not in fn.shapes]
    used = [n for n in names if n in fn.shapes]
    prepared = _prepared_for(fn, used, inputs, sizes, engine, order)
    if order > 2 or not used:  # higher derivatives (or none): one quantity at a time
        result = {"value": prepared.value(inputs)}
        _derivatives(result, prepared, fn, used, order, inputs)
        if order > 2 and used and fn.is_scalar:
            result["derivatives"] = prepared.derivatives(inputs, order)
    else:  # value, gradient (and Hessian) in one pass: one forward sweep, shared temporaries
        result = prepared.evaluate(inputs, order, fn.is_scalar)
    if absent:
        _zeros(result, fn, names, absent, order, inputs, np.shape(result["value"]))
        result["notes"] = [f"{n!r} does not occur in {fn.expr!r}: its derivatives are zero" for n in absent]
    if isinstance(wrt, str):
        for key in ("gradient", "jacobian"):
            if key in result:
                result[key] = result[key][names[0]]
        if "hessian" in result:
            result["hessian"] = result["hessian"][(names[0], names[0])]
    return result


#: prepared computations kept per function (a loop over inputs pays set-up once)
PREPARED_KEPT = 32


def _prepared_for(fn: Function, names: list[str], inputs: dict, sizes: dict | None, engine: str, order: int):
    """:func:`prepared` for these inputs; inputs of shapes seen before skip the size
    check (:meth:`Function.bind` passed for exactly these shapes and sizes)."""
    shapes = tuple(getattr(inputs[name], "shape", ()) if name in inputs else None for name in fn.shapes)
    given = tuple(sorted(sizes.items())) if sizes else ()
    key = ("api-call", engine, tuple(names), shapes, given, order, GENERATION[0])
    found = fn.cache.get(key)
    if found is None:
        found = prepared(fn, names, fn.bind(inputs, sizes), engine, order)
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


def _derivatives(result: dict, prepared, fn: Function, used: list, order: int, inputs: dict) -> None:
    """Fill ``result`` with the derivatives in the variables that occur."""
    if not fn.is_scalar:
        result["jacobian"] = prepared.jacobian(inputs) if used else {}
        return
    result["gradient"] = prepared.gradient(inputs) if used else {}
    if order >= 2:
        result["hessian"] = prepared.hessian(inputs) if used else {}


def _zeros(result: dict, fn: Function, names: list, absent: list, order: int, inputs: dict, out_shape) -> None:
    """Zero derivatives for the ``absent`` names (shapes from their inputs), in ``names`` order."""
    shape = {n: np.shape(inputs[n]) for n in names}
    if not fn.is_scalar:
        jac = result["jacobian"]
        result["jacobian"] = {n: jac[n] if n in jac else np.zeros(tuple(out_shape) + shape[n]) for n in names}
        return
    grad = result["gradient"]
    result["gradient"] = {n: grad[n] if n in grad else np.zeros(shape[n]) for n in names}
    if order >= 2:
        hess = result["hessian"]
        result["hessian"] = {(a, b): hess[(a, b)] if (a, b) in hess else np.zeros(shape[a] + shape[b])
                             for a in names for b in names}
