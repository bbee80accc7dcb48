"""The Python entry points: ``parse`` and ``derivatives``."""
from __future__ import annotations

import numbers
from collections.abc import Mapping

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


_FLOAT64 = np.dtype(float)
_NDARRAY = np.ndarray


def _as_arrays(inputs: dict) -> dict:
    """Inputs as float64 arrays (scalars as floats); the common case, float64 arrays
    and floats already, is the caller's own dict, unconverted."""
    if type(inputs) is dict:
        for v in inputs.values():
            if not ((type(v) is np.ndarray and v.dtype == _FLOAT64 and v.ndim) or type(v) is float):
                break
        else:
            return inputs
    if not isinstance(inputs, Mapping):
        raise InputError(f"inputs must be a dict of name -> array, not {type(inputs).__name__}")
    return {k: v if type(v) is np.ndarray and v.dtype == _FLOAT64 and v.ndim else _as_float(k, v)  # noqa: E721
            for k, v in inputs.items()}


def _as_float(name, v):
    """One input as a float or a float64 array; what is not real numbers is one
    InputError (a string array was a ValueError from deep inside, and a complex
    one lost its imaginary parts without a word)."""
    if np.iscomplexobj(v):
        raise InputError(f"input {name!r} is complex; expected real numbers (derivatives here are real)")
    if isinstance(v, (str, bytes)) or getattr(v, "dtype", None) is not None and v.dtype.kind in "USV":
        raise InputError(f"input {name!r} is text; expected real numbers")
    try:
        return float(v) if np.ndim(v) == 0 else np.asarray(v, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"input {name!r} is not an array of real numbers ({err})") from None


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
    a dim an input does show is read off it (``x'*eye(n)*x`` with ``x`` of length 3),
    and a size given for it must equal it.  Sizes are positive integers, each naming
    a dim of ``f``; anything else is one :class:`InputError` line, as a bad ``wrt``
    (a name or a list of names) or ``order`` (an integer 1 to 8) is.
    A ``wrt`` name given an input but not occurring in ``f`` has zero
    derivatives: they are returned, with a line in ``result["notes"]``.

    A loop that calls it pays the set-up once: the checks of ``wrt``, ``order``
    and the input shapes, and the engine's preparation, are cached per function,
    engine, ``wrt``, order, sizes and input shapes (:class:`_Call`).
    """
    fn = f if type(f) is Function else as_function(f, inputs)
    if sizes is None and type(wrt) is str and type(order) is int:  # the common loop: a short key, then the inputs checked
        call = fn.cache.get(("api-last", engine, wrt, order))
        if call is not None and call.generation == GENERATION[0] and type(inputs) is dict:
            result = call.checked(inputs)  # None: inputs it does not take as they are
            if result is not None:
                return result
    inputs = _as_arrays(inputs)
    wrt_names(wrt)
    check_order(order)
    sizes = checked_sizes(sizes)
    shapes = tuple(getattr(inputs[name], "shape", ()) if name in inputs else None for name in fn.shapes)
    key = ("api-call", engine, wrt if type(wrt) is str else tuple(wrt), order,
           tuple(sorted(sizes.items())) if sizes else (), shapes, GENERATION[0])
    call = fn.cache.get(key)
    if call is None:
        call = _Call(fn, inputs, wrt, engine, order, sizes, isinstance(f, str))
        if len(fn.cache) < 4 * PREPARED_KEPT:  # a bounded shortcut, never a leak
            fn.cache[key] = call
    if sizes is None and type(wrt) is str:  # one per engine, name and order: the last shapes seen
        call.keyed(tuple(zip(fn.shapes, shapes)))
        fn.cache[("api-last", engine, wrt, order)] = call
    return call(inputs)


def wrt_names(wrt) -> list[str]:
    """``wrt`` as a list of names: one name, or a non-empty list (tuple) of names."""
    if isinstance(wrt, str):
        return [wrt]
    if isinstance(wrt, (list, tuple)) and wrt and all(isinstance(n, str) for n in wrt):
        return list(wrt)
    raise InputError(f"wrt must be a variable name or a non-empty list of names, not {wrt!r}")


def check_order(order) -> None:
    if not (isinstance(order, numbers.Integral) and not isinstance(order, bool) and 1 <= order <= MAX_ORDER):
        raise InputError(f"order must be an integer 1 to {MAX_ORDER}, not {order!r}")


def checked_sizes(sizes) -> dict | None:
    """``sizes`` as ``{dim name: int}``, every size a positive integer (a bool, 2.5 or "3" is refused:
    ``int()`` would turn them into some other size without a word)."""
    if sizes is None:
        return None
    if not isinstance(sizes, Mapping):
        raise InputError(f"sizes must be a dict of dimension name -> size, such as {{'n': 3}}, not {sizes!r}")
    for dim, size in sizes.items():
        if not isinstance(dim, str) or not (isinstance(size, numbers.Integral) and not isinstance(size, bool)
                                            and size >= 1):
            raise InputError(f"sizes[{dim!r}] is {size!r}: expected a positive integer for a dimension name")
    return {dim: int(size) for dim, size in sizes.items()}


def bound_sizes(fn: Function, inputs: dict, sizes: dict | None, from_string: bool = False) -> dict:
    """``fn.bind`` of ``inputs`` and the checked ``sizes``.  An expression string takes its
    shapes from the inputs, so its dims are numbers and a size naming one (``n`` of ``x'*x``)
    would go unread: such a size is checked against the input that shows the dim by the
    naming convention (:func:`parse` without shapes)."""
    unread = [d for d in (sizes or ()) if d not in fn.dims]
    if unread:
        known = _check_conventional(fn, inputs, sizes) if from_string else set(fn.dims)
        unknown = [d for d in unread if known is not None and d not in known]
        if unknown:  # a typo (sizes={"N": 4}) would otherwise be ignored without a word
            raise InputError(f"sizes names {', '.join(map(repr, unknown))}, not a dimension of {fn.expr!r} "
                             f"(its dimensions: {', '.join(sorted(known, key=str)) or 'none'})")
    return fn.bind(inputs, sizes)


def _check_conventional(fn: Function, inputs: dict, sizes: dict) -> set | None:
    """The dim names ``fn``'s expression has by the naming convention (None when its inputs'
    ranks are not the convention's), each size of one checked against the input showing it."""
    try:
        conventional = parse(fn.expr)
    except Exception:  # noqa: BLE001  (ranks the convention does not give: no dim names to check)
        return None
    for name, dims in conventional.shapes.items():
        actual = np.shape(inputs[name]) if name in inputs else None
        if actual is None or len(actual) != len(dims):
            continue
        for dim, size in zip(dims, actual):
            if dim in sizes and dim not in fn.dims and sizes[dim] != size:
                raise InputError(f"dimension {dim} is {sizes[dim]} from 'sizes' but {size} from {name!r}")
    return set(conventional.dims) | set(fn.dims)


#: prepared computations kept per function (a loop over inputs pays set-up once)
PREPARED_KEPT = 32


class _Call:
    """One way of calling :func:`derivatives` (function, engine, ``wrt``, order,
    sizes, input shapes), checked once; calling it evaluates at new inputs."""

    def __init__(self, fn: Function, inputs: dict, wrt, engine: str, order: int, sizes: dict | None,
                 from_string: bool = False):
        names = wrt_names(wrt)
        unknown = [n for n in names if n not in fn.shapes and n not in inputs]
        if unknown:
            raise InputError(f"wrt names {', '.join(map(repr, unknown))}, not a variable of {fn.expr!r} "
                             f"(variables: {', '.join(fn.variables)})")
        check_higher_order(fn, names, order)
        self.fn, self.names, self.order = fn, names, order
        self.single = names[0] if isinstance(wrt, str) else None
        self.absent = [n for n in names if n not in fn.shapes]
        self.used = [n for n in names if n in fn.shapes]
        self.prepared = prepared(fn, self.used, bound_sizes(fn, inputs, sizes, from_string), engine, order)
        self.one_pass = order <= 2 and bool(self.used)
        if self.one_pass:  # the engine's one-pass callable, looked up once
            self.run = self.prepared.one_pass(order, fn.is_scalar)
        self.quick = self  # what derivatives' short path calls: the engine's one-name form where it is one
        if self.one_pass and not self.absent and self.single is not None:
            self.quick = self.prepared.one_name(order, fn.is_scalar, self.single)

    def keyed(self, shapes: tuple) -> None:
        """Let ``derivatives``' short path take this call for inputs of these shapes."""
        self.generation, self.checked = GENERATION[0], _checked(self.quick, shapes)

    def __call__(self, inputs: dict) -> dict:
        if self.one_pass:  # value, gradient (and Hessian) in one pass: one forward sweep, shared temporaries
            result = self.run(inputs)
            if not self.absent:
                return self._single(result)
        fn, prepared_, order = self.fn, self.prepared, self.order
        if not self.one_pass:  # higher derivatives (or none): one quantity at a time
            result = {"value": prepared_.value(inputs)}
            _derivatives(result, prepared_, fn, self.used, order, inputs)
            if order > 2 and self.used and fn.is_scalar:
                result["derivatives"] = prepared_.derivatives(inputs, order)
        if self.absent:
            missing = [n for n in self.absent if n not in inputs]
            if missing:
                raise InputError(f"wrt names {', '.join(map(repr, missing))}, not a variable of {fn.expr!r} "
                                 f"(variables: {', '.join(fn.variables)})")
            _zeros(result, fn, self.names, self.absent, order, inputs, np.shape(result["value"]))
            result["notes"] = [f"{n!r} does not occur in {fn.expr!r}: its derivatives are zero" for n in self.absent]
        return self._single(result)

    def _single(self, result: dict) -> dict:
        """With ``wrt`` one name, its gradient (Jacobian, Hessian) itself, not a dict of one."""
        name = self.single
        if name is not None:
            if "gradient" in result:
                result["gradient"] = result["gradient"][name]
            elif "jacobian" in result:
                result["jacobian"] = result["jacobian"][name]
            if "hessian" in result:
                result["hessian"] = result["hessian"][(name, name)]
        return result


def _checked(run, shapes: tuple):
    """``run`` behind the check of ``derivatives``' short path: the inputs are the variables
    and nothing else, each array one a float64 array of its keyed shape, each scalar one a
    float (a variable keyed without an input, shape None, never matches).  Anything else
    gives None: the converting way.  Written out for one array variable, the common loop
    (this check is most of the API's cost on a small function)."""
    count = len(shapes)
    arrays = tuple((name, shape) for name, shape in shapes if shape != ())
    floats = tuple(name for name, shape in shapes if shape == ())
    if count == 1 and arrays:
        ((name, shape),) = arrays

        def checked_one(inputs: dict):
            if len(inputs) == 1:
                value = inputs.get(name)
                if type(value) is _NDARRAY and value.shape == shape and value.dtype is _FLOAT64:
                    return run(inputs)
            return None
        return checked_one

    def checked(inputs: dict):
        if len(inputs) != count:
            return None
        for name, shape in arrays:
            value = inputs.get(name)
            if type(value) is not _NDARRAY or value.shape != shape or value.dtype is not _FLOAT64:
                return None
        for name in floats:
            if type(inputs.get(name)) is not float:
                return None
        return run(inputs)
    return checked


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
