"""The primitives as functions: ``prims.mul(a, b)``, ``prims.matmul(A, x)`` ...

Rules in the op table are written with these, so one rule serves every
engine: on arrays a call is the NumPy evaluation, on dual numbers it also
pushes tangents forward, on IR nodes it builds the formula.
"""
from __future__ import annotations

from .core import HANDLERS, TABLE


def _function(name: str):
    prim = TABLE[name]
    impl = prim.impl
    handlers = HANDLERS

    def apply(*args, **attrs):
        for a in args:
            handler = handlers.get(type(a))
            if handler is not None:
                return handler(prim, args, attrs)
        return impl(*args, **attrs)

    apply.__name__ = name
    apply.__doc__ = prim.doc
    return apply


def __getattr__(name: str):
    if name not in TABLE:
        raise AttributeError(f"no primitive named {name!r}")
    fn = _function(name)
    globals()[name] = fn  # later lookups skip this hook
    return fn
