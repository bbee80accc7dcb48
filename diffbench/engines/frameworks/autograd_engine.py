"""``autograd``: the IR interpreted with ``autograd.numpy`` (HIPS/autograd).

Gradient by ``autograd.grad`` over the tuple of variables (one reverse
sweep); Hessian by ``autograd.hessian`` (reverse-over-reverse, one reverse
sweep per entry of the gradient), over the variables stacked into one flat
vector when there are several; Jacobian by ``autograd.jacobian``.
"""
from __future__ import annotations

import numpy as np

from ..base import register
from .common import FrameworkEngine, import_all


def op_map(anp, special) -> dict:
    """Primitive name -> ``autograd.numpy`` function (``special`` is
    ``autograd.scipy.special``)."""
    return {
        # leaves
        "const": lambda value: value,
        "eye": lambda shape: np.eye(shape[0]),
        "ones": lambda shape: np.ones(shape),
        # element-wise
        "add": anp.add, "sub": anp.subtract, "mul": anp.multiply, "div": anp.divide,
        "pow": anp.power, "neg": anp.negative, "exp": anp.exp, "log": anp.log,
        "sin": anp.sin, "cos": anp.cos, "tanh": anp.tanh, "sqrt": anp.sqrt,
        "sigmoid": lambda x: 0.5 * (anp.tanh(0.5 * x) + 1.0),  # autograd has no sigmoid
        "softplus": lambda x: anp.logaddexp(0.0, x),
        # linear algebra
        "matmul": anp.matmul, "outer": anp.outer, "transpose": anp.transpose,
        "inner": lambda a, b: anp.sum(a * b),
        "tr": anp.trace, "det": anp.linalg.det, "logdet": lambda a: anp.linalg.slogdet(a)[1],
        "inv": anp.linalg.inv, "diag_embed": anp.diag, "diag_part": anp.diag,
        # reductions
        "sum": anp.sum, "norm2": lambda a: anp.sqrt(anp.sum(a * a)),
        "logsumexp": special.logsumexp,
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
