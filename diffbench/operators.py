"""The public differential operators beyond ``derivatives``: ``jacobian``
(in a chosen accumulation mode), ``hvp`` (a Hessian-vector product without
the Hessian) and ``hessian_trace`` (exact, or Hutchinson's estimate).

Each takes what :func:`diffbench.derivatives` takes -- an expression, a
parsed Function or a catalogue entry, the inputs, ``wrt`` and an engine --
and follows the shape conventions of every engine: a Jacobian has shape
``out.shape + in.shape``; a Hessian-vector product is shaped like its
variable; with ``wrt`` a list, results are dicts keyed by variable.
"""
from __future__ import annotations

import time

import numpy as np

from .api import _as_arrays, as_function
from .engines import get_engine
from .function import InputError

METHODS = ("exact", "hutchinson")
PROBES = ("rademacher", "gaussian")


def _prepared(f, inputs: dict, wrt, engine: str, order: int):
    fn = as_function(f, inputs)
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    unknown = [n for n in names if n not in fn.shapes]
    if unknown:
        raise InputError(f"wrt names {', '.join(map(repr, unknown))}, not a variable of {fn.expr!r} "
                         f"(variables: {', '.join(fn.variables)})")
    arrays = _as_arrays(inputs)
    try:
        prepared = get_engine(engine).prepare(fn, names, fn.bind(arrays), order)
    except KeyError as err:
        raise InputError(str(err.args[0])) from None
    return fn, names, arrays, prepared


def _engine_name(engine: str, mode: str) -> str:
    if mode == "auto" or ":" in engine:
        return engine
    return f"{engine}:{mode}"


def jacobian(f, inputs: dict, wrt, engine: str = "tape", mode: str = "auto"):
    """The Jacobian of ``f`` at ``inputs``: shape ``out.shape + in.shape``
    (a dict of them when ``wrt`` is a list; a scalar function's Jacobian is
    its gradient).

    ``mode`` is ``"forward"`` (every input direction in one batched sweep),
    ``"reverse"`` (every output cotangent in one batched backward sweep) or
    ``"auto"`` (the cheaper by the tape's cost model); engines without modes
    accept only ``"auto"``.

    >>> import numpy as np, diffbench
    >>> diffbench.jacobian("A*x", {"A": np.eye(2), "x": np.ones(2)}, "x", mode="reverse")
    array([[1., 0.],
           [0., 1.]])
    """
    if mode not in ("forward", "reverse", "auto"):
        raise InputError(f"mode must be forward, reverse or auto, not {mode!r}")
    fn, names, arrays, prepared = _prepared(f, inputs, wrt, _engine_name(engine, mode), 1)
    jac = prepared.jacobian(arrays)
    return jac[names[0]] if isinstance(wrt, str) else jac


__all__ = ["jacobian"]
