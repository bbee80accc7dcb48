"""``fd``: central finite differences, the independent referee.

Only function *values* are used (evaluated by the shared NumPy interpreter),
never a derivative rule, so fd checks the rules rather than repeating them.

Step choice (round-off vs truncation balance, see the seed's U-shaped error
curve): for the gradient ``h = eps^(1/3) * max(1, |x_i|)`` makes the O(h^2)
truncation and O(eps/h) round-off errors equal; for the Hessian's
four-point formula ``h = eps^(1/4) * max(1, |x_i|)`` balances O(h^2) against
O(eps/h^2).  Cost is 2 evaluations per gradient entry and 4 per Hessian
pair, so a guard refuses (``TooLarge``) beyond ``max_evaluations`` (a job
sets it with ``fd_max_evaluations``).

When an exact engine referees fd's Hessian anyway (a job's fd cell), the
Hessian can instead be central differences of that engine's *gradients*
(:meth:`FDPrepared.use_exact_gradients`): column ``i`` is
``(g(x + h e_i) - g(x - h e_i)) / 2h`` with the gradient step, then
symmetrised.  That is ``2 n`` gradient evaluations instead of ``2 n (n + 1)``
function evaluations, with the gradient's O(h^2) + O(eps/h) error instead of
O(h^2) + O(eps/h^2); it checks the engines' second-order machinery against
their first-order rules, and ``stats["hessian_method"]`` says which it was.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..canonical import canonical_root
from ..ir import size_of, topological
from ..tape import operators
from . import batched
from ..ops.core import GENERATION
from ..tape.core import Program
from ..errors import TooLarge
from .base import Engine, Prepared, register

EPS = np.finfo(float).eps
BATCH_BYTES = 32 * 2**20  # intermediates of one batch of perturbed points, roughly
VALUES_METHOD = "central differences of function values (four points per entry pair)"
GRADIENT_STEP = EPS ** (1 / 3)
HESSIAN_STEP = EPS ** (1 / 4)


def _flat_inputs(inputs: dict, wrt: list[str]):
    """The wrt variables stacked into one float vector, and how to split it back."""
    parts = [np.asarray(inputs[name], dtype=float).ravel() for name in wrt]
    shapes = [np.shape(inputs[name]) for name in wrt]
    return np.concatenate(parts) if parts else np.zeros(0), shapes


def _place(x: np.ndarray, wrt: list[str], shapes: list, into: dict) -> None:
    """Split the stacked vector ``x`` back into the wrt variables of ``into``."""
    offset = 0
    for name, shape in zip(wrt, shapes):
        size = int(np.prod(shape, dtype=int))
        into[name] = x[offset:offset + size].reshape(shape) if shape else float(x[offset])
        offset += size


def _four_points(x0: np.ndarray, steps: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The points ``x0 + s_i e_i + s_j e_j``, ``x0 + s_i e_i - s_j e_j``, ``x0 - s_i e_i + s_j e_j``,
    ``x0 - s_i e_i - s_j e_j`` of each pair ``(i, j)``, stacked in that order (``i == j`` allowed)."""
    k = len(i)
    points = np.tile(x0, (4 * k, 1))
    for block, (si, sj) in enumerate(((1, 1), (1, -1), (-1, 1), (-1, -1))):
        rows = np.arange(block * k, (block + 1) * k)
        points[rows, i] += si * steps[i]  # two separate updates: right when i == j
        points[rows, j] += sj * steps[j]
    return points


class FDPrepared(Prepared):
    accumulation = "central differences"

    def __init__(self, program: Program, max_evaluations: int):
        self.program = program
        self.wrt = program.wrt
        self.max_evaluations = max_evaluations
        self.exact_gradient = None  # a Prepared whose gradient the Hessian differences
        self.root = canonical_root(program.fn)
        # one batched pass over many points where every primitive allows it (and the value is a scalar)
        self.batched = program.fn.is_scalar and batched.batchable(self.root)
        self.active_entries = sum(size_of(n.shape, program.sizes)
                                  for n, active in zip(topological(self.root), program.active) if active)
        self.stats = {"gradient_step": "eps^(1/3)*max(1,|x|)", "hessian_step": "eps^(1/4)*max(1,|x|)",
                      "hessian_method": VALUES_METHOD, "max_evaluations": max_evaluations}

    def use_exact_gradients(self, prepared: Prepared, engine: str) -> None:
        """Take the Hessian from central differences of ``prepared``'s exact gradients."""
        self.exact_gradient = prepared
        self.stats.update(hessian_method=f"central differences of exact {engine} gradients, symmetrised",
                          hessian_step="eps^(1/3)*max(1,|x|)")

    def limit(self, max_evaluations: int) -> None:
        """Refuse (``TooLarge``) a quantity needing more than ``max_evaluations`` evaluations."""
        self.max_evaluations = self.stats["max_evaluations"] = int(max_evaluations)

    def _function(self, inputs: dict):
        x0, shapes = _flat_inputs(inputs, self.wrt)
        fixed = dict(inputs)

        def f(x):
            _place(x, self.wrt, shapes, fixed)
            return np.asarray(operators.value(self.program, fixed), dtype=float)

        return f, x0, shapes

    def _guard(self, count: int, what: str, kind: str = "function"):
        if count > self.max_evaluations:
            raise TooLarge(f"too large: fd {what} needs {count:,} {kind} evaluations "
                           f"(limit {self.max_evaluations:,})")

    def value(self, inputs):
        return operators.value(self.program, inputs)

    def _values(self, inputs: dict, points: np.ndarray, shapes) -> np.ndarray:
        """The (scalar) function at each row of ``points`` (stacked wrt entries): in
        batches through :mod:`.batched` where every primitive allows it, else one
        pass per point.  Batches are sized so their intermediates stay near
        ``BATCH_BYTES``."""
        if not self.batched:
            f = self._function(inputs)[0]
            return np.array([f(x) for x in points], dtype=float)
        rows = self.batch_rows()
        out = np.empty(len(points))
        for start in range(0, len(points), rows):
            chunk = points[start:start + rows]
            varied, offset = {}, 0
            for name, shape in zip(self.wrt, shapes):
                size = int(np.prod(shape, dtype=int))
                varied[name] = chunk[:, offset:offset + size].reshape((len(chunk),) + tuple(shape))
                offset += size
            out[start:start + rows] = batched.evaluate(self.root, self.program.sizes, inputs, varied)
        return out

    def batch_rows(self) -> int:
        """Points per batch: their intermediates stay near ``BATCH_BYTES``."""
        return max(1, BATCH_BYTES // (8 * max(1, self.active_entries))) if self.batched else 1024

    def gradient(self, inputs, step: float = GRADIENT_STEP):
        x0, shapes = _flat_inputs(inputs, self.wrt)
        n = x0.size
        self._guard(2 * n, "gradient")
        steps = step * np.maximum(1.0, np.abs(x0))
        grad = np.empty(n)
        # a few coordinates at a time: all 2n perturbed points at once are 2n x n numbers
        # (48 GiB at n = 80,000); each chunk's points stay near BATCH_BYTES
        chunk = max(1, min(self.batch_rows(), BATCH_BYTES // (8 * n)) // 2)
        for start in range(0, n, chunk):
            idx = np.arange(start, min(n, start + chunk))
            shifts = np.zeros((len(idx), n))
            shifts[np.arange(len(idx)), idx] = steps[idx]
            values = self._values(inputs, np.concatenate([x0 + shifts, x0 - shifts]), shapes)
            grad[idx] = (values[:len(idx)] - values[len(idx):]) / (2 * steps[idx])
        return self._split(grad, shapes)

    def hessian(self, inputs, step: float | None = None):
        if self.exact_gradient is not None:
            return self._hessian_from_gradients(inputs, GRADIENT_STEP if step is None else step)
        step = HESSIAN_STEP if step is None else step
        x0, shapes = _flat_inputs(inputs, self.wrt)
        n = x0.size
        self._guard(2 * n * (n + 1), "Hessian")
        steps = step * np.maximum(1.0, np.abs(x0))
        H = np.empty((n, n))
        rows, cols = np.triu_indices(n)
        per_batch = max(1, self.batch_rows() // 4)
        for start in range(0, len(rows), per_batch):  # pairs (i <= j), four points each, batched
            i, j = rows[start:start + per_batch], cols[start:start + per_batch]
            v = self._values(inputs, _four_points(x0, steps, i, j), shapes).reshape(4, len(i))
            H[i, j] = H[j, i] = (v[0] - v[1] - v[2] + v[3]) / (4 * steps[i] * steps[j])
        return self._blocks(H, shapes)

    def _hessian_from_gradients(self, inputs, step: float):
        x0, shapes = _flat_inputs(inputs, self.wrt)
        n = x0.size
        self._guard(2 * n, "Hessian", "gradient")
        steps = step * np.maximum(1.0, np.abs(x0))
        fixed = dict(inputs)

        def gradient(x):
            _place(x, self.wrt, shapes, fixed)
            g = self.exact_gradient.gradient(fixed)
            return np.concatenate([np.asarray(g[name], dtype=float).ravel() for name in self.wrt])

        H = np.empty((n, n))
        for i in range(n):
            e = np.zeros(n)
            e[i] = steps[i]
            H[:, i] = (gradient(x0 + e) - gradient(x0 - e)) / (2 * steps[i])
        H += H.T  # the two estimates of each entry, averaged
        H *= 0.5
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
        """Function (or exact-gradient) evaluations one ``quantity`` costs at these inputs."""
        n = _flat_inputs(inputs, self.wrt)[0].size
        return 2 * n * (n + 1) if quantity == "hessian" and self.exact_gradient is None else 2 * n

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


def step_sweep(prepared: FDPrepared, quantity: str, inputs, exact, compare,
               deadline: float = math.inf) -> list[list[float]]:
    """``[[step, error against exact], ...]``: the U-shaped curve of the seed
    notes, measured at these inputs.  It stops early (fewer points) when the
    next step, timed like the one before, would end past ``deadline``
    (``perf_counter`` seconds): an expensive function's sweep must not cost
    its cell the time limit."""
    method = getattr(prepared, quantity)
    points = []
    for h in SWEEP_STEPS[quantity]:
        start = time.perf_counter()
        points.append([h, compare(method(inputs, step=h), exact)])
        if 2 * time.perf_counter() - start > deadline:
            break
    return points


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
