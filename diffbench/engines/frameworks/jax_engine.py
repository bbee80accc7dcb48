"""``jax`` and ``jax-jit``: the IR interpreted with ``jax.numpy``, float64.

Gradient by ``jax.grad``, Hessian by ``jax.hessian`` (forward-over-reverse),
Jacobian by ``jax.jacfwd`` or ``jax.jacrev`` (fewer inputs than outputs:
forward), each over all variables at once (``argnums``).  ``jax-jit``
wraps each of them in ``jax.jit``: the first call traces and compiles
(its time is in ``stats["compile_seconds"]``), later calls run the
compiled XLA program.  Fixed inputs are arguments of the compiled
function, never constants baked into it.

x64 is switched on when jax is first imported here; thread counts come
from ``XLA_FLAGS`` set before that (the benchmarks pin one thread).
"""
from __future__ import annotations

import numpy as np

from ..base import register
from . import common
from .common import FrameworkEngine, import_all, spelled


def op_map(jnp, jax) -> dict:
    """Primitive name -> ``jax.numpy`` function (``jax`` for ``nn`` and ``scipy``):
    every primitive with a NumPy spelling as ``jnp.<spelling>``, and JAX's
    own spellings of the rest."""
    return {
        **spelled(jnp),  # jnp.exp, jnp.linalg.inv, jnp.maximum ...
        # leaves
        "const": lambda value: value,
        "eye": lambda shape: jnp.eye(shape[0]),
        "ones": lambda shape: jnp.ones(shape),
        # element-wise
        "sigmoid": jax.nn.sigmoid, "softplus": jax.nn.softplus,
        "relu": lambda x: jnp.maximum(x, 0.0), "step": lambda x: jnp.where(x > 0, 1.0, 0.0),
        # linear algebra
        "inner": jnp.vdot, "logdet": lambda a: jnp.linalg.slogdet(a)[1],
        "adj": lambda a: jnp.linalg.det(a) * jnp.linalg.inv(a),  # where X is invertible
        "adj_derivative": lambda a, t: common.adj_derivative(jnp.einsum, jnp.linalg.det, jnp.linalg.inv, a, t),
        "diag_part": jnp.diagonal,
        "solve": jnp.linalg.solve,
        "svdvals": lambda a: jnp.linalg.svd(a, compute_uv=False),
        "svd_u": lambda a: jnp.linalg.svd(a)[0], "svd_v": lambda a: jnp.linalg.svd(a)[2].T,
        "kron": lambda a, b: common.kron(jnp.einsum, a, b),
        "unkron": lambda g, other, side, shape: common.unkron(jnp.einsum, g, other, side, shape),
        # reductions
        "norm2": lambda a: jnp.sqrt(jnp.vdot(a, a)),
        "logsumexp": jax.scipy.special.logsumexp, "norm1": lambda a: jnp.sum(jnp.abs(a)),
        "sum_axis": lambda a, axis: jnp.sum(a, axis=axis),
        "spread": lambda g, axis, shape: jnp.broadcast_to(jnp.expand_dims(g, axis), shape),
        "logsumexp_axis": lambda a, axis: jax.scipy.special.logsumexp(a, axis=axis),
        "softmax": lambda a, axis: jax.nn.softmax(a, axis=axis),
        "tril": lambda a, k: jnp.tril(a, k), "triu": lambda a, k: jnp.triu(a, k),
        "take": common.take,
        "put": lambda g, index, shape: common.put(g, index, shape, jnp.concatenate, jnp.zeros, jnp.expand_dims),
        "concat": lambda a, b, axis: jnp.concatenate((a, b), axis),
        "vec": lambda a: jnp.reshape(jnp.swapaxes(a, 0, 1), (-1,) + a.shape[2:]),
        "unvec": lambda g, shape: jnp.swapaxes(jnp.reshape(g, (shape[1], shape[0]) + tuple(shape[2:])), 0, 1),
        # shapes
        "reshape": lambda a, shape: jnp.reshape(a, shape),
        "broadcast": lambda a, shape: jnp.broadcast_to(a, shape),
    }


class JaxEngine(FrameworkEngine):
    name = "jax"
    description = "JAX interpreting the same IR, op by op (grad; hessian = forward-over-reverse)"
    requires = ("jax", "jaxlib")

    def load(self):
        (jax,) = import_all("jax")
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        import jax.scipy.special  # noqa: F401  (logsumexp)

        return {"jax": jax, "jnp": jnp}

    def op_map(self, lib):
        return op_map(lib["jnp"], lib["jax"])

    def asarray(self, lib, x):
        return lib["jnp"].asarray(np.asarray(x, dtype=np.float64))

    def to_numpy(self, lib, x):
        return np.asarray(x, dtype=np.float64)

    def _wrap(self, lib, g):
        return lib["jax"].jit(g) if self.jit else g

    def value_fn(self, lib, f):
        return self._wrap(lib, f)

    def grad_fn(self, lib, f, k):
        return self._wrap(lib, lib["jax"].grad(f, argnums=tuple(range(k))))

    def hessian_fn(self, lib, f, k):
        return self._wrap(lib, lib["jax"].hessian(f, argnums=tuple(range(k))))

    def hvp_fn(self, lib, f, k):
        jax = lib["jax"]
        g = jax.grad(f, argnums=tuple(range(k)))

        def hvp(*args):
            values, directions, fixed = args[:k], args[k:2 * k], args[-1]
            return jax.jvp(lambda *xs: g(*xs, fixed), tuple(values), tuple(directions))[1]

        return self._wrap(lib, hvp)

    def jacobian_fn(self, lib, f, k, forward):
        jax = lib["jax"]
        make = jax.jacfwd if forward else jax.jacrev
        return self._wrap(lib, make(f, argnums=tuple(range(k))))


class JaxJitEngine(JaxEngine):
    name = "jax-jit"
    description = "JAX with jax.jit around value, grad, hessian and jacobian (compiled on first call)"
    jit = True


register(JaxEngine())
register(JaxJitEngine())
