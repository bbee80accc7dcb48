"""A batched NumPy interpreter of the IR: a function's value at ``k`` points in one pass.

Finite differences evaluate a function at many perturbed points (``2 n`` for a
gradient, ``2 n (n + 1)`` for a Hessian).  One Python-level pass per point
pays the interpreter's overhead every time; here every value that depends on
the perturbed variables carries one leading axis of length ``k`` (the
points), and each primitive runs once on the whole batch: ``(k, n, n)``
matrices go to one stacked ``slogdet``, ``(k, n)`` vectors to one matrix
product.  Values that do not depend on the variables are computed once,
unbatched.

Each primitive has a batched rule below, written from its NumPy evaluation
with the batch axis in front; a function using a primitive without one is
not batchable (:func:`batchable`), and fd falls back to one pass per point.
"""
from __future__ import annotations

import numpy as np

from ..ir import Node, resolve_shape, topological
from ..ops import TABLE


def _base_axes(ndim: int) -> tuple[int, ...]:
    return tuple(range(1, ndim + 1))


def _lift(value, batched: bool, ndim: int, out_ndim: int):
    """A batched argument of rank ``ndim`` padded to broadcast against ``out_ndim``."""
    if not batched:
        return value
    return value.reshape(value.shape[:1] + (1,) * (out_ndim - ndim) + value.shape[1:])


def _elementwise(name):
    impl = TABLE[name].impl

    def rule(args, batched, ndims, out_ndim, attrs):
        return impl(*[_lift(a, b, d, out_ndim) for a, b, d in zip(args, batched, ndims)])
    return rule


def _matmul(args, batched, ndims, out_ndim, attrs):
    a, b = args  # a is a matrix (see batchable); stacked matrices broadcast in np.matmul
    if ndims[1] == 1 and batched[1]:  # A x for k vectors x: (k, n) -> (k, n, 1) and back
        return np.matmul(a, b[..., None])[..., 0]
    return np.matmul(a, b)


def _inner(args, batched, ndims, out_ndim, attrs):
    a, b = args
    nd = max(ndims)
    product = _lift(a, batched[0], ndims[0], nd) * _lift(b, batched[1], ndims[1], nd)
    return np.sum(product, axis=tuple(range(-nd, 0))) if nd else product


def _reduction(fn):
    def rule(args, batched, ndims, out_ndim, attrs):
        return fn(args[0], tuple(range(-ndims[0], 0)))  # () for a scalar: no reduction
    return rule


def _norm2(a, axes):
    return np.sqrt(np.sum(a * a, axis=axes))


def _logsumexp(a, axes):
    top = np.max(a, axis=axes, keepdims=True)
    return np.squeeze(top, axis=axes) + np.log(np.sum(np.exp(a - top), axis=axes))


def _logdet(args, batched, ndims, out_ndim, attrs):
    return np.linalg.slogdet(args[0])[1]  # log|det X|, the op's one definition (docs/ops.md)


def _outer(args, batched, ndims, out_ndim, attrs):
    a, b = args
    return a[..., :, None] * b[..., None, :]


def _reshape(args, batched, ndims, out_ndim, attrs):
    (a,) = args
    return a.reshape(a.shape[:1] + tuple(attrs["shape"]))


def _broadcast(args, batched, ndims, out_ndim, attrs):
    (a,) = args
    shape = tuple(attrs["shape"])
    return np.broadcast_to(a.reshape(a.shape[:1] + (1,) * len(shape)), a.shape[:1] + shape).copy()


def _diag_embed(args, batched, ndims, out_ndim, attrs):
    (a,) = args
    n = a.shape[-1]
    out = np.zeros(a.shape + (n,))
    out[..., np.arange(n), np.arange(n)] = a
    return out


def _shifted_axis(name):
    """An op along ``axis`` of its argument: the same op along ``axis + 1`` of the batch."""
    impl = TABLE[name].impl

    def rule(args, batched, ndims, out_ndim, attrs):
        return impl(args[0], axis=attrs["axis"] + 1)
    return rule


def _leading(name):
    """A linear op on the leading axes that carries the rest along: its JVP already
    runs it on a batch (``(k, ...)``, the batch axis moved last; see ``ops.core.linear``)."""
    jvp = TABLE[name].jvp[0]

    def rule(args, batched, ndims, out_ndim, attrs):
        return jvp(args[0], None, args[0], **attrs)
    return rule


def _concat(args, batched, ndims, out_ndim, attrs):
    k = next(len(a) for a, b in zip(args, batched) if b)
    parts = [a if b else np.broadcast_to(a, (k,) + np.shape(a)) for a, b in zip(args, batched)]
    return np.concatenate(parts, axis=attrs["axis"] + 1)


RULES = {name: _elementwise(name) for name, prim in TABLE.items() if prim.family == "elementwise"}
RULES.update({name: _leading(name) for name, prim in TABLE.items()
              if prim.arity == 1 and prim.symbolic.get("leading") and prim.jvp})
RULES.update({name: _shifted_axis(name) for name in ("softmax", "logsumexp_axis")})
RULES["concat"] = _concat
RULES.update({
    "matmul": _matmul, "inner": _inner, "outer": _outer,
    "sum": _reduction(lambda a, axes: np.sum(a, axis=axes)),
    "norm2": _reduction(_norm2), "logsumexp": _reduction(_logsumexp),
    "tr": lambda args, *_: np.trace(args[0], axis1=-2, axis2=-1),
    "transpose": lambda args, *_: np.swapaxes(args[0], -1, -2),
    "diag_part": lambda args, *_: np.diagonal(args[0], axis1=-2, axis2=-1).copy(),
    "diag_embed": _diag_embed, "inv": lambda args, *_: np.linalg.inv(args[0]),
    "det": lambda args, *_: np.linalg.det(args[0]), "logdet": _logdet,
    "reshape": _reshape, "broadcast": _broadcast,
})


def batchable(root: Node) -> bool:
    """Whether every primitive of ``root`` has a batched rule."""
    return all(n.op in RULES and (n.op != "matmul" or n.args[0].ndim == 2)
               for n in topological(root) if n.args)


def evaluate(root: Node, sizes: dict, fixed: dict, points: dict) -> np.ndarray:
    """``root`` at ``k`` points: ``points[name]`` is ``(k,) + shape`` for each varied
    variable, ``fixed`` holds the others; returns ``(k,) + root.shape``."""
    k = len(next(iter(points.values())))
    values: dict[int, object] = {}
    batched: dict[int, bool] = {}
    for n in topological(root):
        if n.op == "var":
            name = n.attr("name")
            batched[id(n)] = name in points
            values[id(n)] = points[name] if name in points else fixed[name]
            continue
        if not n.args:
            prim = TABLE[n.op]
            attrs = dict(n.attrs)
            if prim.needs_shape:
                attrs["shape"] = resolve_shape(n.shape, sizes)
            values[id(n)], batched[id(n)] = prim.impl(**attrs), False
            continue
        args = [values[id(a)] for a in n.args]
        flags = [batched[id(a)] for a in n.args]
        attrs = dict(n.attrs)
        if TABLE[n.op].needs_shape:
            attrs["shape"] = resolve_shape(n.shape, sizes)
        if not any(flags):
            values[id(n)], batched[id(n)] = TABLE[n.op].impl(*args, **attrs), False
            continue
        args = [a if f else np.asarray(a, dtype=float) for a, f in zip(args, flags)]
        values[id(n)] = RULES[n.op](args, flags, [a.ndim for a in n.args], n.ndim, attrs)
        batched[id(n)] = True
    out = values[id(root)]
    return np.asarray(out, dtype=float) if batched[id(root)] else np.broadcast_to(out, (k,) + np.shape(out))
