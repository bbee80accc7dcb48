"""Zero-order engines: gradients from function values alone (see
:mod:`diffbench.zeroth`), beside ``fd`` (central coordinate differences).

* ``fd-forward``: one-sided coordinate differences (``d + 1`` evaluations);
* ``zo-sphere`` / ``zo-gauss``: the two-point random-direction estimator
  over ``V`` directions, uniform on the sphere or Gaussian, drawn from a
  seeded generator (``V = d`` by default: ``2d`` evaluations, as many as
  central differences).  The directions' seed, ``V`` and ``eps`` are in the
  result's stats.  These estimate; they are not meant to agree with the
  exact engines to round-off, and the report shows by how much they miss.
"""
from __future__ import annotations

import numpy as np

from .. import zeroth
from ..ops.core import GENERATION
from ..tape.core import Program
from .base import Engine, Unsupported, register
from .fd import FDPrepared


# the error sweep: directions V and steps eps at which an estimator is re-run
# against an exact gradient (the report's error-against-V plot, one line per eps)
SWEEP_COUNTS = (1, 4, 16, 64, 256)
SWEEP_EPS = (1e-2, 1e-4, 1e-6, 1e-8)


class ZerothPrepared(FDPrepared):
    def __init__(self, program: Program, max_evaluations: int, method: str, kind: str = "",
                 count: int | None = None, eps: float = 1e-6, seed: int = 0):
        super().__init__(program, max_evaluations)
        self.method, self.kind, self.count, self.eps, self.seed = method, kind, count, eps, seed
        # one stream per prepared engine: each call draws fresh directions, reproducibly
        self.rng = np.random.default_rng(seed)
        self.stats = {"estimator": method, "directions": kind or "coordinates", "eps": eps, "seed": seed}

    def second_moment(self, d: int) -> float:
        """``E|G|^2 / |grad f|^2`` of this estimator in ``d`` dimensions."""
        if self.method == "forward":
            return 1.0
        count = self.count or d
        return 1.0 + ((d - 1) if self.kind == "sphere" else (d + 1)) / count

    def gradient(self, inputs, step=None):
        f, x0, shapes = self._function(inputs)
        if self.method == "forward":
            self._guard(x0.size + 1, "gradient")
            return self._split(zeroth.forward_differences(f, x0), shapes)
        count = self.count or x0.size
        self._guard(2 * count, "gradient")
        self.stats["V"] = count
        return self._split(zeroth.two_point(f, x0, count, self.eps, self.kind, self.rng), shapes)

    def sweep_evaluations(self, inputs) -> int:
        """Function evaluations :meth:`error_sweep` would take."""
        d = self._function(inputs)[1].size
        per_eps = d + 1 if self.method == "forward" else 2 * sum(SWEEP_COUNTS)
        return per_eps * len(SWEEP_EPS)

    def error_sweep(self, inputs, exact: dict) -> list[list[float]]:
        """``[[V, eps, |G - g| / |g|], ...]``: the estimator re-run at each V of
        ``SWEEP_COUNTS`` (one-sided differences: V = d) and each step of
        ``SWEEP_EPS`` against the exact gradient ``g`` (per variable, as the
        engines return it), with directions from a generator seeded per V, so
        the sweep is reproducible and apart from the timed calls.  The norm
        ratio, unlike the agreement metric, does not saturate at 1: one
        random direction misses by about sqrt(d)."""
        f, x0, shapes = self._function(inputs)
        g = np.concatenate([np.ravel(np.asarray(exact[name], dtype=float)) for name in self.program.wrt])
        scale = max(float(np.linalg.norm(g)), 1e-300)
        out = []
        for eps in SWEEP_EPS:
            if self.method == "forward":
                out.append([x0.size, eps, float(np.linalg.norm(zeroth.forward_differences(f, x0, eps) - g)) / scale])
                continue
            for count in SWEEP_COUNTS:
                got = zeroth.two_point(f, x0, count, eps, self.kind, np.random.default_rng([self.seed, count]))
                out.append([count, eps, float(np.linalg.norm(got - g)) / scale])
        return out

    def hessian(self, inputs, step=None):
        raise Unsupported("unsupported: the zero-order engines estimate gradients only")

    def jacobian(self, inputs, step=None):
        raise Unsupported("unsupported: the zero-order engines estimate gradients only")


class Zeroth(Engine):
    max_evaluations = 400_000

    def __init__(self, name: str, description: str, method: str, kind: str = "", count: int | None = None):
        self.name, self.description, self.method, self.kind, self.count = name, description, method, kind, count

    def prepare(self, fn, wrt, sizes, order=2):
        key = ("tape", tuple(wrt), tuple(sorted(sizes.items())), GENERATION[0])
        program = fn.cache.get(key)
        if program is None:
            program = fn.cache[key] = Program(fn, list(wrt), sizes)
        return ZerothPrepared(program, self.max_evaluations, self.method, self.kind, self.count)


register(Zeroth("fd-forward", "one-sided finite differences (d + 1 function values per gradient)", "forward"))
register(Zeroth("zo-sphere", "two-point random-direction estimate, V = d directions uniform on the sphere (seeded)",
                "two_point", "sphere"))
register(Zeroth("zo-gauss", "two-point random-direction estimate, V = d Gaussian directions (seeded)",
                "two_point", "gauss"))
# the seeds' estimator as written: one direction, two function values per gradient
register(Zeroth("zo-sphere-v1", "two-point estimate from one direction uniform on the sphere (seeded)",
                "two_point", "sphere", 1))
register(Zeroth("zo-gauss-v1", "two-point estimate from one Gaussian direction (seeded)", "two_point", "gauss", 1))
