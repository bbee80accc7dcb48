"""Finite differences: the fd Hessian of a 256-entry variable, old way and new ways, side by side.

    python benchmarks/bench_fd.py [--n 16] [--repeat 3]

Function ``logdet(X) + tr(A*X)`` with X a 16 x 16 SPD matrix (256 entries: the
quickstart's critical path).  Three fd Hessians, each timed and compared
with the exact (tape) Hessian at the same inputs:

* one pass per point (how fd worked before batching): 2 n (n + 1) = 131,584
  Python-level evaluations;
* batched points (the default where no exact engine referees): the same
  points and formula, a few hundred NumPy calls;
* differences of exact tape gradients (what a job's fd cell does when an
  exact engine referees it anyway): 2 n gradient evaluations.

Target: >= 10x faster than one pass per point, with an error against the
exact Hessian no larger.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402,F401  (one BLAS thread, before NumPy loads)

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def timed(call, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def main(argv=None) -> int:
    from diffbench import parse
    from diffbench.engines import get_engine
    from diffbench.testing import relative_error

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n = args.n
    fn = parse("logdet(X) + tr(A*X)", {"X": "n,n", "A": "n,n"})
    rng = np.random.default_rng(0)
    m = rng.normal(size=(n, n))
    inputs = {"X": m @ m.T + n * np.eye(n), "A": rng.normal(size=(n, n))}
    exact = get_engine("tape").prepare(fn, ["X"], {"n": n}).hessian(inputs)[("X", "X")]

    per_point = get_engine("fd").prepare(fn, ["X"], {"n": n})
    per_point.batched = False
    batched = get_engine("fd").prepare(fn, ["X"], {"n": n})
    from_gradients = get_engine("fd").prepare(fn, ["X"], {"n": n})
    from_gradients.use_exact_gradients(get_engine("tape").prepare(fn, ["X"], {"n": n}, 1), "tape")

    rows = []
    t_old, h_old = timed(lambda: per_point.hessian(inputs), 1)  # seconds per call: once is enough
    err_old = relative_error(h_old[("X", "X")], exact)
    for label, prepared in (("batched points", batched), ("exact-gradient differences", from_gradients)):
        t, h = timed(lambda: prepared.hessian(inputs), args.repeat)
        rows.append((label, t, relative_error(h[("X", "X")], exact)))
    print(f"fd Hessian of logdet(X) + tr(A*X), X {n}x{n} ({n * n} entries); error = max relative error vs tape")
    print(f"  {'one pass per point (before)':30} {t_old:9.3f} s   error {err_old:.1e}   "
          f"({2 * n * n * (n * n + 1):,} evaluations)")
    missed = 0
    for label, t, err in rows:
        speedup = t_old / t
        ok = speedup >= 10 and err <= max(err_old, 1e-12)
        missed += not ok
        print(f"  {label:30} {t:9.3f} s   error {err:.1e}   speed-up {speedup:7.1f}x  (target >= 10x, "
              f"error <= before)  {'ok' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
