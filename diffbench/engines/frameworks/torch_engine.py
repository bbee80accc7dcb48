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
from .common import FrameworkEngine, import_all


def op_map(torch) -> dict:
    """Primitive name -> PyTorch function."""
    f64 = torch.float64
    return {
        # leaves
        "const": lambda value: torch.tensor(value, dtype=f64),
        "eye": lambda shape: torch.eye(shape[0], dtype=f64),
        "ones": lambda shape: torch.ones(shape, dtype=f64),
        # element-wise (operators: either side may be a Python number)
        "add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
        "pow": operator.pow, "neg": operator.neg, "exp": torch.exp, "log": torch.log,
        "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh, "sqrt": torch.sqrt,
        "sigmoid": torch.sigmoid,
        # exact log(1 + e^x); torch.nn.functional.softplus switches to x above a threshold
        "softplus": lambda x: torch.logaddexp(torch.zeros_like(x), x),
        # linear algebra
        "matmul": torch.matmul, "outer": torch.outer,
        "transpose": lambda a: torch.transpose(a, -2, -1) if a.ndim >= 2 else a,
        "inner": lambda a, b: torch.sum(a * b),
        "tr": torch.trace, "det": torch.linalg.det, "logdet": lambda a: torch.linalg.slogdet(a)[1],
        "inv": torch.linalg.inv, "diag_embed": torch.diag, "diag_part": torch.diagonal,
        # reductions
        "sum": torch.sum, "norm2": lambda a: torch.sqrt(torch.sum(a * a)),
        "logsumexp": lambda a: torch.logsumexp(torch.reshape(a, (-1,)), 0),
        # shapes
        "reshape": lambda a, shape: torch.reshape(a, shape),
        "broadcast": lambda a, shape: torch.broadcast_to(a, shape),
    }


class TorchEngine(FrameworkEngine):
    name = "torch"
    description = "PyTorch interpreting the same IR (torch.func: grad; hessian = forward-over-reverse)"
    requires = ("torch",)

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
