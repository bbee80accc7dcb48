"""``fd``: central finite differences, the independent referee.

Only function *values* are used (evaluated by the shared NumPy interpreter),
never a derivative rule, so fd checks the rules rather than repeating them.

Step choice (round-off vs truncation balance, see the seed's U-shaped error
curve): for the gradient ``h = eps^(1/3) * max(1, |x_i|)`` makes the O(h^2)
truncation and O(eps/h) round-off errors equal; for the Hessian's
four-point formula ``h = eps^(1/4) * max(1, |x_i|)`` balances O(h^2) against
O(eps/h^2).  Cost is 2 evaluations per gradient entry and 4 per Hessian
pair, so a guard refuses (``TooLarge``) beyond ``max_evaluations``.
"""
from __future__ import annotations

import numpy as np

from ..tape import operators
from ..ops.core import GENERATION
from ..tape.core import Program
from ..errors import TooLarge
from .base import Engine, Prepared, register

EPS = np.finfo(float).eps
GRADIENT_STEP = EPS ** (1 / 3)
HESSIAN_STEP = EPS ** (1 / 4)


def _flat_inputs(inputs: dict, wrt: list[str]):
    """The wrt variables stacked into one float vector, and how to split it back."""
    parts = [np.asarray(inputs[name], dtype=float).ravel() for name in wrt]
    shapes = [np.shape(inputs[name]) for name in wrt]
    return np.concatenate(parts) if parts else np.zeros(0), shapes


class FDPrepared(Prepared):
    accumulation = "central differences"

    def __init__(self, program: Program, max_evaluations: int):
        self.program = program
        self.wrt = program.wrt
        self.max_evaluations = max_evaluations
        self.stats = {"gradient_step": "eps^(1/3)*max(1,|x|)", "hessian_step": "eps^(1/4)*max(1,|x|)"}

    def _function(self, inputs: dict):
        x0, shapes = _flat_inputs(inputs, self.wrt)
        fixed = dict(inputs)

        def f(x):
            offset = 0
            for name, shape in zip(self.wrt, shapes):
                size = int(np.prod(shape, dtype=int))
                fixed[name] = x[offset:offset + size].reshape(shape) if shape else float(x[offset])
                offset += size
            return np.asarray(operators.value(self.program, fixed), dtype=float)

        return f, x0, shapes

    def _guard(self, count: int, what: str):
        if count > self.max_evaluations:
            raise TooLarge(f"fd {what} needs {count:,} function evaluations "
                           f"(limit {self.max_evaluations:,})")

    def value(self, inputs):
        return operators.value(self.program, inputs)

    def gradient(self, inputs, step: float = GRADIENT_STEP):
        f, x0, shapes = self._function(inputs)
        self._guard(2 * x0.size, "gradient")
        steps = step * np.maximum(1.0, np.abs(x0))
        grad = np.empty(x0.size)
        for i in range(x0.size):
            e = np.zeros(x0.size)
            e[i] = steps[i]
            grad[i] = (f(x0 + e) - f(x0 - e)) / (2 * steps[i])
        return self._split(grad, shapes)

    def hessian(self, inputs, step: float = HESSIAN_STEP):
        f, x0, shapes = self._function(inputs)
        n = x0.size
        self._guard(2 * n * (n + 1), "Hessian")
        steps = step * np.maximum(1.0, np.abs(x0))
        H = np.empty((n, n))
        for i in range(n):
            ei = np.zeros(n)
            ei[i] = steps[i]
            for j in range(i, n):
                ej = np.zeros(n)
                ej[j] = steps[j]
                H[i, j] = H[j, i] = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej)
                                     + f(x0 - ei - ej)) / (4 * steps[i] * steps[j])
        return self._blocks(H, shapes)

    def jacobian(self, inputs, step: float = GRADIENT_STEP):
        f, x0, shapes = self._function(inputs)
        self._guard(2 * x0.size, "Jacobian")
        steps = step * np.maximum(1.0, np.abs(x0))
        columns = []
        for i in range(x0.size):
            e = np.zeros(x0.size)
            e[i] = steps[i]
            columns.append((f(x0 + e) - f(x0 - e)) / (2 * steps[i]))
        J = np.stack(columns, axis=-1)  # out.shape + (n,)
        out_shape = J.shape[:-1]
        result, offset = {}, 0
        for name, shape in zip(self.wrt, shapes):
            size = int(np.prod(shape, dtype=int))
            result[name] = J[..., offset:offset + size].reshape(out_shape + shape)
            offset += size
        return result

    def hvp(self, inputs, vectors):
        """Central difference of *exact* (tape) gradients along v, not of
        values: see :mod:`diffbench.engines.fd_hvp`."""
        from .fd_hvp import gradient_difference_hvp

        return gradient_difference_hvp(self.program, inputs, vectors)

    def evaluations(self, quantity: str, inputs) -> int:
        """Function evaluations one ``quantity`` costs at these inputs."""
        n = _flat_inputs(inputs, self.wrt)[0].size
        return 2 * n * (n + 1) if quantity == "hessian" else 2 * n

    def _split(self, flat, shapes):
        out, offset = {}, 0
        for name, shape in zip(self.wrt, shapes):
            size = int(np.prod(shape, dtype=int))
            out[name] = flat[offset:offset + size].reshape(shape)
            offset += size
        return out

    def _blocks(self, H, shapes):
        offsets, offset = [], 0
        for shape in shapes:
            offsets.append(offset)
            offset += int(np.prod(shape, dtype=int))
        out = {}
        for a, sa, oa in zip(self.wrt, shapes, offsets):
            for b, sb, ob in zip(self.wrt, shapes, offsets):
                na, nb = int(np.prod(sa, dtype=int)), int(np.prod(sb, dtype=int))
                out[(a, b)] = H[oa:oa + na, ob:ob + nb].reshape(sa + sb)
        return out


#: relative steps of the error-against-step sweep: truncation error falls
#: like h^2 to the right of the optimum, round-off grows like eps/h (or
#: eps/h^2 for a Hessian) to its left
SWEEP_STEPS = {"gradient": tuple(10.0 ** -k for k in range(1, 13)),
               "jacobian": tuple(10.0 ** -k for k in range(1, 13)),
               "hessian": tuple(10.0 ** -(k / 2) for k in range(2, 17))}


def step_sweep(prepared: FDPrepared, quantity: str, inputs, exact, compare) -> list[list[float]]:
    """``[[step, error against exact], ...]``: the U-shaped curve of the seed
    notes, measured at these inputs."""
    method = getattr(prepared, quantity)
    return [[h, compare(method(inputs, step=h), exact)] for h in SWEEP_STEPS[quantity]]


class FiniteDifferences(Engine):
    name = "fd"
    description = "central finite differences of function values (the referee)"
    max_evaluations = 400_000

    def prepare(self, fn, wrt, sizes, order=2):
        key = ("tape", tuple(wrt), tuple(sorted(sizes.items())), GENERATION[0])
        program = fn.cache.get(key)
        if program is None:
            program = fn.cache[key] = Program(fn, list(wrt), sizes)
        return FDPrepared(program, self.max_evaluations)


register(FiniteDifferences())
