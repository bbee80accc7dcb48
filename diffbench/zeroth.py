"""Zero-order gradient estimators: gradients from function values alone.

Given ``f`` on a flat vector ``x`` of ``d`` entries:

* ``forward_differences``: one-sided coordinate differences,
  ``G_i = (f(x + h e_i) - f(x)) / h`` with ``h = sqrt(eps) max(1, |x_i|)``
  (truncation O(h) against round-off O(eps/h)); ``d + 1`` evaluations;
* ``central_differences``: ``G_i = (f(x + h e_i) - f(x - h e_i)) / 2h`` with
  ``h = eps^(1/3) max(1, |x_i|)``; ``2d`` evaluations (the seeds' finite-
  difference estimator, and the ``fd`` engine's);
* ``two_point``: the seeds' random-direction estimator,
  ``G = (1/V) sum_v c (f(x + eps v) - f(x - eps v)) / (2 eps) v`` over ``V``
  directions drawn from a seeded generator: ``v`` uniform on the unit sphere
  with ``c = d`` ("sphere"), or ``v ~ N(0, I)`` with ``c = 1`` ("gauss"); both
  make ``E[c v v^T] = I``, so ``G`` is unbiased up to O(eps^2); ``2V``
  evaluations, and a variance that grows with ``d / V``.
"""
from __future__ import annotations

import numpy as np

EPS = np.finfo(float).eps
DIRECTIONS = ("sphere", "gauss")


def forward_differences(f, x: np.ndarray, step: float | None = None) -> np.ndarray:
    """One-sided differences, step ``step`` (default sqrt(machine eps)) scaled by max(1, |x_i|)."""
    steps = (np.sqrt(EPS) if step is None else step) * np.maximum(1.0, np.abs(x))
    f0 = f(x)
    out = np.empty(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = steps[i]
        out[i] = (f(x + e) - f0) / steps[i]
    return out


def central_differences(f, x: np.ndarray) -> np.ndarray:
    steps = EPS ** (1 / 3) * np.maximum(1.0, np.abs(x))
    out = np.empty(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = steps[i]
        out[i] = (f(x + e) - f(x - e)) / (2 * steps[i])
    return out


def directions(kind: str, count: int, d: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """``count`` directions (rows) and the factor ``c`` with ``E[c v v^T] = I``."""
    if kind not in DIRECTIONS:
        raise ValueError(f"unknown direction distribution {kind!r} (known: {', '.join(DIRECTIONS)})")
    v = rng.standard_normal((count, d))
    if kind == "gauss":
        return v, 1.0
    return v / np.linalg.norm(v, axis=1, keepdims=True), float(d)


def two_point(f, x: np.ndarray, count: int, eps: float = 1e-6, kind: str = "sphere",
              rng: np.random.Generator | None = None) -> np.ndarray:
    """The two-point estimator averaged over ``count`` random directions."""
    rng = rng if rng is not None else np.random.default_rng(0)
    vs, c = directions(kind, count, x.size, rng)
    out = np.zeros(x.size)
    for v in vs:
        out += c * (f(x + eps * v) - f(x - eps * v)) / (2 * eps) * v
    return out / count
