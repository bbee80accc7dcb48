"""``autograd``: the IR interpreted with ``autograd.numpy`` (HIPS/autograd).

Gradient by ``autograd.grad`` over the tuple of variables (one reverse
sweep); Hessian by ``autograd.hessian`` (reverse-over-reverse, one reverse
sweep per entry of the gradient), over the variables stacked into one flat
vector when there are several; Jacobian by ``autograd.jacobian``.
"""
from __future__ import annotations

import numpy as np

from ..base import register
from . import common
from .common import FrameworkEngine, import_all, spelled


def op_map(anp, special) -> dict:
    """Primitive name -> ``autograd.numpy`` function (``special`` is
    ``autograd.scipy.special``): every primitive with a NumPy spelling as
    ``anp.<spelling>``, and autograd's own spellings of the rest."""
    return {
        **spelled(anp),  # anp.exp, anp.linalg.inv, anp.maximum ...
        # leaves
        "const": lambda value: value,
        "eye": lambda shape: np.eye(shape[0]),
        "ones": lambda shape: np.ones(shape),
        # element-wise
        "sigmoid": lambda x: 0.5 * (anp.tanh(0.5 * x) + 1.0),  # autograd has no sigmoid
        "softplus": lambda x: anp.logaddexp(0.0, x),
        "relu": lambda x: anp.maximum(x, 0.0), "step": lambda x: anp.where(x > 0, 1.0, 0.0),
        # linear algebra
        "inner": lambda a, b: anp.sum(a * b),
        "logdet": lambda a: anp.linalg.slogdet(a)[1],
        "adj": lambda a: anp.linalg.det(a) * anp.linalg.inv(a),  # where X is invertible
        "adj_derivative": lambda a, t: common.adj_derivative(anp.einsum, anp.linalg.det, anp.linalg.inv, a, t),
        "solve": anp.linalg.solve,
        "svdvals": lambda a: anp.linalg.svd(a, full_matrices=False)[1],
        "svd_u": lambda a: np.linalg.svd(a)[0], "svd_v": lambda a: np.linalg.svd(a)[2].T,
        "kron": lambda a, b: common.kron(anp.einsum, a, b),
        "unkron": lambda g, other, side, shape: common.unkron(anp.einsum, g, other, side, shape),
        # reductions
        "norm2": lambda a: anp.sqrt(anp.sum(a * a)),
        "logsumexp": special.logsumexp, "norm1": lambda a: anp.sum(anp.abs(a)),
        "sum_axis": lambda a, axis: anp.sum(a, axis=axis),
        "spread": lambda g, axis, shape: anp.expand_dims(g, axis) * np.ones(shape),
        "logsumexp_axis": lambda a, axis: special.logsumexp(a, axis=axis),
        "softmax": lambda a, axis: anp.exp(a - special.logsumexp(a, axis=axis, keepdims=True)),
        "tril": lambda a, k: anp.tril(a, k), "triu": lambda a, k: anp.triu(a, k),
        "take": common.take,
        "put": lambda g, index, shape: common.put(g, index, shape, anp.concatenate, np.zeros, anp.expand_dims),
        "concat": lambda a, b, axis: anp.concatenate((a, b), axis),
        "vec": lambda a: anp.reshape(anp.swapaxes(a, 0, 1), (-1,) + anp.shape(a)[2:]),
        "unvec": lambda g, shape: anp.swapaxes(anp.reshape(g, (shape[1], shape[0]) + tuple(shape[2:])), 0, 1),
        # shapes
        "reshape": lambda a, shape: anp.reshape(a, shape),
        "broadcast": lambda a, shape: a * np.ones(shape),
    }


def _flat(f, shapes):
    """``f(*values, fixed)`` as a function of one flat vector of all values."""
    import autograd.numpy as anp

    sizes = [int(np.prod(s, dtype=int)) for s in shapes]
    offsets = np.cumsum([0] + sizes)

    def g(x, fixed):
        parts = [anp.reshape(x[offsets[i]:offsets[i + 1]], shapes[i]) for i in range(len(shapes))]
        return f(*parts, fixed)

    return g, offsets


class AutogradEngine(FrameworkEngine):
    name = "autograd"
    description = "HIPS/autograd interpreting the same IR (grad; hessian = reverse-over-reverse)"
    requires = ("autograd",)

    def load(self):
        autograd, anp, special = import_all("autograd", "autograd.numpy", "autograd.scipy.special")
        return {"autograd": autograd, "anp": anp, "special": special}

    def op_map(self, lib):
        return op_map(lib["anp"], lib["special"])

    def asarray(self, lib, x):
        return np.asarray(x, dtype=float)

    def grad_fn(self, lib, f, k):
        g = lib["autograd"].grad(lambda values, fixed: f(*values, fixed))
        return lambda *args: g(args[:-1], args[-1])

    def hessian_fn(self, lib, f, k):
        autograd = lib["autograd"]
        if k == 1:
            H = autograd.hessian(f)
            return lambda x, fixed: ((H(x, fixed),),)

        def hessian(*args):
            *values, fixed = args
            shapes = [np.shape(v) for v in values]
            g, offsets = _flat(f, shapes)
            x = np.concatenate([np.ravel(v) for v in values])
            H = autograd.hessian(g)(x, fixed)
            return [[H[offsets[i]:offsets[i + 1], offsets[j]:offsets[j + 1]].reshape(shapes[i] + shapes[j])
                     for j in range(k)] for i in range(k)]

        return hessian

    # autograd has no general forward mode: H v = ∇⟨∇f, v⟩, the seed's identity
    hvp_mode = "reverse-over-reverse"

    def hvp_fn(self, lib, f, k):
        anp = lib["anp"]
        g = lib["autograd"].grad(lambda values, fixed: f(*values, fixed))

        def inner(values, directions, fixed):
            return sum(anp.sum(gi * vi) for gi, vi in zip(g(values, fixed), directions))

        outer = lib["autograd"].grad(inner)
        return lambda *args: tuple(outer(args[:k], args[k:2 * k], args[-1]))

    def jacobian_fn(self, lib, f, k, forward):
        jacs = [lib["autograd"].jacobian(f, argnum=i) for i in range(k)]
        return lambda *args: tuple(j(*args) for j in jacs)


register(AutogradEngine())
