"""fd's Hessian-vector product: a central difference of exact gradients.

    H v ≈ (∇f(x + h v) − ∇f(x − h v)) / 2h

Unlike fd's other quantities this is not computed from function values
alone: the gradients are the tape's (exact to round-off), so the only error
is the difference's, O(h²) truncation against O(eps |∇f| / h) round-off,
balanced by ``h = eps^(1/3) max(1, |x|) / |v|``.  Two gradient evaluations,
whatever the size: the classic trick of truncated-Newton methods, and a
referee for HVPs that shares no second-order rule with the engines it checks.
"""
from __future__ import annotations

import numpy as np

from ..tape import operators

STEP = np.finfo(float).eps ** (1 / 3)


def gradient_difference_hvp(program, inputs: dict, vectors: dict, step: float = STEP) -> dict:
    norm_x = np.sqrt(sum(float(np.sum(np.square(inputs[n]))) for n in program.wrt))
    norm_v = np.sqrt(sum(float(np.sum(np.square(vectors[n]))) for n in program.wrt))
    h = step * max(1.0, norm_x) / max(norm_v, 1e-300)

    def moved(sign):
        return {**inputs, **{n: np.asarray(inputs[n], dtype=float) + sign * h * np.asarray(vectors[n], dtype=float)
                             for n in program.wrt}}

    plus = operators.grad(program, moved(1.0))
    minus = operators.grad(program, moved(-1.0))
    return {n: (plus[n] - minus[n]) / (2 * h) for n in program.wrt}
