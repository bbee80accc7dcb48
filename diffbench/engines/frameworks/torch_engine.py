"""``torch``: the IR interpreted with PyTorch tensors (float64, CPU).

Differential operators from ``torch.func``: ``grad``, ``hessian``
(forward-over-reverse, ``jacfwd(jacrev)``), ``jacfwd``/``jacrev`` for
Jacobians, each over all variables at once (``argnums``).  Constants are
float64 tensors built once at ``prepare`` time, so every primitive sees
tensors (``torch.exp`` of a Python float would fail).
"""
from __future__ import annotations

import operator

import numpy as np

from ..base import register
from . import common
from .common import FrameworkEngine, import_all, spelled


def op_map(torch) -> dict:
    """Primitive name -> PyTorch function: those whose NumPy spelling torch
    shares as ``torch.<spelling>``, and torch's own spellings of the rest."""
    f64 = torch.float64
    return {
        **spelled(torch),  # torch.exp, torch.linalg.inv, torch.maximum ...
        # leaves
        "const": lambda value: torch.tensor(value, dtype=f64),
        "eye": lambda shape: torch.eye(shape[0], dtype=f64),
        "ones": lambda shape: torch.ones(shape, dtype=f64),
        # element-wise (operators: either side may be a Python number)
        "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
        "pow": operator.pow, "neg": operator.neg,
        "sigmoid": torch.sigmoid,
        # exact log(1 + e^x); torch.nn.functional.softplus switches to x above a threshold
        "softplus": lambda x: torch.logaddexp(torch.zeros_like(x), x),
        "relu": torch.relu, "step": lambda x: (x > 0).to(f64),
        # linear algebra
        "transpose": lambda a: torch.transpose(a, -2, -1) if a.ndim >= 2 else a,
        "inner": lambda a, b: torch.sum(a * b),
        "logdet": lambda a: torch.linalg.slogdet(a)[1],
        "adj": lambda a: torch.linalg.det(a) * torch.linalg.inv(a),  # where X is invertible
        "adj_derivative": lambda a, t: common.adj_derivative(torch.einsum, torch.linalg.det, torch.linalg.inv, a, t),
        "diag_part": torch.diagonal,
        "solve": torch.linalg.solve,
        "svdvals": torch.linalg.svdvals,
        "svd_u": lambda a: torch.linalg.svd(a)[0], "svd_v": lambda a: torch.linalg.svd(a)[2].T,
        "kron": lambda a, b: common.kron(torch.einsum, a, b),
        "unkron": lambda g, other, side, shape: common.unkron(torch.einsum, g, other, side, shape),
        # reductions
        "norm2": lambda a: torch.sqrt(torch.sum(a * a)),
        "logsumexp": lambda a: torch.logsumexp(torch.reshape(a, (-1,)), 0),
        "norm1": lambda a: torch.sum(torch.abs(a)),
        "sum_axis": lambda a, axis: torch.sum(a, dim=axis),
        "spread": lambda g, axis, shape: torch.broadcast_to(torch.unsqueeze(g, axis), shape),
        "logsumexp_axis": lambda a, axis: torch.logsumexp(a, dim=axis),
        "softmax": lambda a, axis: torch.softmax(a, dim=axis),
        "tril": lambda a, k: torch.tril(a, k), "triu": lambda a, k: torch.triu(a, k),
        "take": common.take,
        "put": lambda g, index, shape: common.put(
            g, index, shape, lambda parts, axis: torch.cat(parts, axis),
            lambda s: torch.zeros(s, dtype=f64), torch.unsqueeze),
        "concat": lambda a, b, axis: torch.cat((a, b), axis),
        "vec": lambda a: torch.reshape(torch.swapaxes(a, 0, 1), (-1,) + tuple(a.shape[2:])),
        "unvec": lambda g, shape: torch.swapaxes(torch.reshape(g, (shape[1], shape[0]) + tuple(shape[2:])), 0, 1),
        # shapes
        "reshape": lambda a, shape: torch.reshape(a, shape),
        "broadcast": lambda a, shape: torch.broadcast_to(a, shape),
    }


class TorchEngine(FrameworkEngine):
    name = "torch"
    description = "PyTorch interpreting the same IR (torch.func: grad; hessian = forward-over-reverse)"
    requires = ("torch",)
    extra = "torch"  # the CPU build; `.[compare]` brings autograd and JAX only

    def load(self):
        torch, func = import_all("torch", "torch.func")
        return {"torch": torch, "func": func}

    def op_map(self, lib):
        return op_map(lib["torch"])

    def asarray(self, lib, x):
        return lib["torch"].as_tensor(np.asarray(x, dtype=np.float64))

    def to_numpy(self, lib, x):
        if isinstance(x, lib["torch"].Tensor):
            return x.detach().cpu().numpy().astype(np.float64, copy=False)
        return np.asarray(x, dtype=np.float64)

    def grad_fn(self, lib, f, k):
        return lib["func"].grad(f, argnums=tuple(range(k)))

    def hessian_fn(self, lib, f, k):
        return lib["func"].hessian(f, argnums=tuple(range(k)))

    def hvp_fn(self, lib, f, k):
        func = lib["func"]
        g = func.grad(f, argnums=tuple(range(k)))

        def hvp(*args):
            values, directions, fixed = args[:k], args[k:2 * k], args[-1]
            return func.jvp(lambda *xs: g(*xs, fixed), tuple(values), tuple(directions))[1]

        return hvp

    def jacobian_fn(self, lib, f, k, forward):
        func = lib["func"]
        return (func.jacfwd if forward else func.jacrev)(f, argnums=tuple(range(k)))


register(TorchEngine())
