"""Gradient descent and Newton's method driven by an engine's derivatives.

The objective's *values* always come from the tape's interpreter, so every
engine descends the same function; only the direction differs: the exact
gradient (``tape``, ``symbolic``), a zero-order estimate (``fd-forward``,
``zo-*``), or a Newton step with the engine's Hessian.

One step rule for every gradient engine: ``x <- x - G / (L m)``, where ``L``
is the largest Hessian eigenvalue at the start (power iteration on the
tape's Hessian-vector products) and ``m = E|G|^2 / |grad f|^2`` is the
estimator's second-moment factor (1 for an exact gradient, about
``1 + d/V`` for V random directions in d dimensions): the step that makes
``E f(x_{k+1}) <= f(x_k) - |grad f|^2 / (2 L m)``, hence the seeds'
``O(1/k)`` against ``O(n/k)`` (``V = 1``) rates.  Newton uses Armijo
backtracking from the full step.

``f*`` is known for the quadratic and the MDS stress of exact distances (0);
otherwise it is found once per task by Newton-CG on the tape's
Hessian-vector products, to a gradient norm of 1e-12.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..tape import operators as tape_ops
from ..tape.core import Program

BASE_ITERATIONS = 300  # for an exact gradient; zero-order runs get m times more
MAX_ITERATIONS = 20_000
TIME_BUDGET = 20.0  # seconds of descent per run, whatever the budget of iterations
NEWTON_ITERATIONS = 60
TARGET = 1e-10  # f(x_k) - f* that counts as solved


class Objective:
    """f, its tape gradient and Hessian-vector products, on one flat vector."""

    def __init__(self, fn, wrt: list[str], inputs: dict):
        self.fn, self.wrt, self.inputs = fn, list(wrt), dict(inputs)
        self.program = Program(fn, self.wrt, fn.bind(inputs))
        self.shapes = [np.shape(inputs[w]) for w in self.wrt]
        self.x0 = np.concatenate([np.ravel(np.asarray(inputs[w], dtype=float)) for w in self.wrt])

    def unflat(self, x: np.ndarray) -> dict:
        out, offset = dict(self.inputs), 0
        for name, shape in zip(self.wrt, self.shapes):
            size = int(np.prod(shape, dtype=int))
            out[name] = x[offset:offset + size].reshape(shape) if shape else float(x[offset])
            offset += size
        return out

    def flat(self, parts: dict) -> np.ndarray:
        return np.concatenate([np.ravel(np.asarray(parts[w], dtype=float)) for w in self.wrt])

    def value(self, x) -> float:
        return float(tape_ops.value(self.program, self.unflat(x)))

    def gradient(self, x) -> np.ndarray:
        return self.flat(tape_ops.grad(self.program, self.unflat(x)))

    def hvp(self, x, v) -> np.ndarray:
        return self.flat(tape_ops.hvp(self.program, self.unflat(x), self.unflat(v)))

    def top_eigenvalue(self, x, iterations: int = 30) -> float:
        v = np.random.default_rng(0).standard_normal(x.size)
        v /= np.linalg.norm(v)
        top = 1.0
        for _ in range(iterations):
            w = self.hvp(x, v)
            top = float(np.linalg.norm(w))
            if top == 0:
                return 1.0
            v = w / top
        return top


def minimum(obj: Objective, task: dict) -> float:
    if task.get("catalogue") == "mds_stress":
        return 0.0  # the distances are those of points in the plane: stress 0 is reached
    x = obj.x0.copy()
    for _ in range(100):  # Newton-CG with backtracking
        g = obj.gradient(x)
        if np.linalg.norm(g) <= 1e-12 * max(1.0, abs(obj.value(x))):
            break
        step = _cg(lambda v: obj.hvp(x, v), -g)
        x = _backtrack(obj, x, step, g)
    return obj.value(x)


def _cg(apply, b, iterations: int = 200, tol: float = 1e-14) -> np.ndarray:
    x = np.zeros_like(b)
    r, p = b.copy(), b.copy()
    rr = r @ r
    for _ in range(iterations):
        Ap = apply(p)
        curvature = p @ Ap
        if curvature <= 0:  # not convex here: fall back to the steepest descent direction
            return x if x.any() else b
        alpha = rr / curvature
        x += alpha * p
        r -= alpha * Ap
        new = r @ r
        if math.sqrt(new) <= tol * max(1.0, math.sqrt(b @ b)):
            break
        p = r + (new / rr) * p
        rr = new
    return x


def _backtrack(obj: Objective, x, step, g, c: float = 1e-4) -> np.ndarray:
    f0, t, slope = obj.value(x), 1.0, float(g @ step)
    while t > 1e-12:
        candidate = x + t * step
        value = obj.value(candidate)
        if np.isfinite(value) and value <= f0 + c * t * slope:
            return candidate
        t /= 2
    return x


class _Run:
    """Shared by both methods: the objective, f*, and the trajectory log."""

    def __init__(self, prepared, task: dict):
        self.prepared, self.task = prepared, task
        self.trajectory: list = []
        self.summary: dict = {}
        self._setup = None

    def setup(self, inputs: dict):
        if self._setup is None:
            from ..api import as_function

            fn = getattr(self.prepared, "program", None)
            fn = fn.fn if fn is not None else as_function(self.task["expr"], inputs)
            obj = Objective(fn, list(self.task.get("wrt") or self.prepared.wrt), inputs)
            self._setup = (obj, minimum(obj, self.task))
        return self._setup

    def direction(self, obj: Objective, x) -> np.ndarray:
        return obj.flat(self.prepared.gradient(obj.unflat(x)))

    def record(self, inputs: dict) -> dict:
        return {"trajectory": self.trajectory, "optimisation": self.summary}


class DescentRun(_Run):
    def __call__(self, inputs: dict) -> np.ndarray:
        obj, f_star = self.setup(inputs)
        x = obj.x0.copy()
        L = obj.top_eigenvalue(x)
        m = getattr(self.prepared, "second_moment", lambda d: 1.0)(x.size)
        step = 1.0 / (L * m)
        budget = min(MAX_ITERATIONS, math.ceil(BASE_ITERATIONS * m))
        logged = _log_points(budget)
        trajectory, elapsed, k = [[0, 0.0, obj.value(x) - f_star]], 0.0, 0
        for k in range(1, budget + 1):
            start = time.perf_counter()
            x = x - step * self.direction(obj, x)
            elapsed += time.perf_counter() - start
            if k in logged or elapsed > TIME_BUDGET:
                trajectory.append([k, elapsed, obj.value(x) - f_star])  # off the clock
                if elapsed > TIME_BUDGET or not np.isfinite(trajectory[-1][2]):
                    break
        self.trajectory = trajectory
        self.summary = {"method": "descent", "L": L, "step": step, "second_moment": m, "iterations": k,
                        "budget": budget, "f_star": f_star, "seconds": elapsed,
                        "reached": _first_below(trajectory)}
        return x


class NewtonRun(_Run):
    def __call__(self, inputs: dict) -> np.ndarray:
        obj, f_star = self.setup(inputs)
        x = obj.x0.copy()
        trajectory, elapsed = [[0, 0.0, obj.value(x) - f_star]], 0.0
        for k in range(1, NEWTON_ITERATIONS + 1):
            start = time.perf_counter()
            at = obj.unflat(x)
            g = obj.flat(self.prepared.gradient(at))
            H = _matrix(self.prepared.hessian(at), obj)
            try:
                step = np.linalg.solve(H, -g)
            except np.linalg.LinAlgError:
                step = -g
            moved = _backtrack(obj, x, step, g)
            elapsed += time.perf_counter() - start
            trajectory.append([k, elapsed, obj.value(moved) - f_star])
            gap, before = trajectory[-1][2], trajectory[-2][2]
            # solved; stalled at round-off; or below the target and no longer falling (f* is
            # itself known to round-off only, so the gap need not reach TARGET * 1e-3)
            if gap <= TARGET * 1e-3 or np.array_equal(moved, x) or (gap <= TARGET and gap >= before):
                break
            x = moved
        self.trajectory = trajectory
        self.summary = {"method": "newton", "iterations": trajectory[-1][0], "f_star": f_star,
                        "seconds": elapsed, "reached": _first_below(trajectory)}
        return x


def _matrix(blocks: dict, obj: Objective) -> np.ndarray:
    sizes = [int(np.prod(s, dtype=int)) for s in obj.shapes]
    return np.block([[np.asarray(blocks[(a, b)]).reshape(sa, sb) for b, sb in zip(obj.wrt, sizes)]
                     for a, sa in zip(obj.wrt, sizes)])


def _log_points(budget: int, count: int = 60) -> set[int]:
    return {int(round(v)) for v in np.geomspace(1, budget, count)} | {budget}


def _first_below(trajectory: list, target: float = TARGET) -> dict | None:
    """Iterations and seconds when f - f* first fell to ``target``, if it did."""
    for k, seconds, gap in trajectory:
        if gap <= target:
            return {"iterations": k, "seconds": seconds}
    return None
