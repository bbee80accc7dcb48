"""The primitives as functions: ``prims.mul(a, b)``, ``prims.matmul(A, x)`` ...

Rules in the op table are written with these, so one rule serves every
engine: on arrays a call is the NumPy evaluation, on dual numbers it also
pushes tangents forward, on IR nodes it builds the formula.
"""
from __future__ import annotations

import operator

import numpy as np

from .core import HANDLERS, TABLE


#: Python's own arithmetic for two scalars: a NumPy ufunc call on scalars costs ~0.7 us,
#: the operator ~0.05 us, and a reverse sweep applies a few per step (same IEEE results;
#: division is left to NumPy, which gives inf where Python raises).  On plain arrays the
#: operator is the same ufunc reached without its Python-level call (~0.25 us less) and
#: without the handler lookups below
_SCALAR_OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "neg": operator.neg}
_PLAIN = (float, np.float64, np.ndarray)  # exact types: a subclass (IdentityBatch) keeps its handler


def _function(name: str):
    prim = TABLE[name]
    impl = prim.impl
    handlers = HANDLERS
    scalar_op = _SCALAR_OPS.get(name)

    def apply(*args, **attrs):
        if scalar_op is not None and type(args[0]) in _PLAIN and (len(args) == 1 or type(args[1]) in _PLAIN):
            return scalar_op(*args)
        for a in args:
            handler = handlers.get(type(a))
            if handler is not None:
                return handler(prim, args, attrs)
        return impl(*args, **attrs)

    if scalar_op is not None and prim.arity == 2:  # no packing of *args, **attrs: a VJP rule calls these per step
        def apply(a, b):  # noqa: F811
            if type(a) in _PLAIN and type(b) in _PLAIN:
                return scalar_op(a, b)
            for x in (a, b):
                handler = handlers.get(type(x))
                if handler is not None:
                    return handler(prim, (a, b), {})
            return impl(a, b)

    apply.__name__ = name
    apply.__doc__ = prim.doc
    return apply


def __getattr__(name: str):
    if name not in TABLE:
        raise AttributeError(f"no primitive named {name!r}")
    fn = _function(name)
    globals()[name] = fn  # later lookups skip this hook
    return fn
