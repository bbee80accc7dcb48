"""Symbolic engine speed, measured side by side in one run.

    python benchmarks/bench_symbolic.py [--n 1000] [--repeat 7] [--skip-sympy]

Prints, for logistic regression ``sum(softplus(X*w)) - y'*X*w`` with X of
shape (2n, n):

* compiled symbolic gradient / Hessian vs hand-written NumPy
  (``X.T @ (s - y)`` and ``(X.T * (s*(1-s))) @ X``), as time ratios
  (target: <= 1.25);
* derive + compile seconds of gradient and Hessian for every catalogue
  function (target: < 1 s), at each of its default sizes;
* the naive ``sympy-scalar`` baseline's derive time at small n, and its
  size guard.

BLAS threads are pinned to 1 (env vars set before NumPy is imported), so
ratios compare the same single-threaded kernels.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def best_of(call, repeat: int) -> float:
    """Median wall seconds of ``repeat`` calls after one warm-up."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def side_by_side(a, b, repeat: int) -> tuple[float, float]:
    """Interleaved medians of two calls (drift hits both alike)."""
    a(), b()
    ta, tb = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        a()
        ta.append(time.perf_counter() - start)
        start = time.perf_counter()
        b()
        tb.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def logistic(n: int, repeat: int) -> None:
    from diffbench import parse
    from diffbench.engines import get_engine

    m = 2 * n
    rng = np.random.default_rng(0)
    X = rng.normal(size=(m, n)) / np.sqrt(n)
    w = rng.normal(size=n)
    y = rng.integers(0, 2, size=m).astype(float)
    inputs = {"X": X, "w": w, "y": y}
    fn = parse("sum(softplus(X*w)) - y'*X*w", {"w": "n", "X": "m,n", "y": "m"})
    prepared = get_engine("symbolic").prepare(fn, ["w"], {"n": n, "m": m}, 2)

    def hand_gradient():
        s = 1.0 / (1.0 + np.exp(-(X @ w)))
        return X.T @ (s - y)

    def hand_hessian():
        s = 1.0 / (1.0 + np.exp(-(X @ w)))
        return (X.T * (s * (1 - s))) @ X

    assert np.allclose(prepared.gradient(inputs)["w"], hand_gradient())
    assert np.allclose(prepared.hessian(inputs)[("w", "w")], hand_hessian())
    print(f"logistic regression, X {m}x{n}, 1 BLAS thread, median of {repeat}")
    for label, ours, theirs, target in (
            ("gradient", lambda: prepared.gradient(inputs), hand_gradient, "X.T @ (s - y)"),
            ("hessian", lambda: prepared.hessian(inputs), hand_hessian, "(X.T * (s*(1-s))) @ X")):
        t_ours, t_hand = side_by_side(ours, theirs, repeat)
        ratio = t_ours / t_hand
        verdict = "ok" if ratio <= 1.25 else "SLOWER THAN TARGET"
        print(f"  {label:9s} symbolic {t_ours * 1e3:9.3f} ms   hand-written {t_hand * 1e3:9.3f} ms   "
              f"ratio {ratio:5.2f}  (target <= 1.25, vs {target}) {verdict}")


def catalogue_derive_times() -> None:
    from diffbench import parse
    from diffbench.catalogue import CATALOGUE
    from diffbench.engines import get_engine

    print("derive + compile of gradient and Hessian, fresh parse each time (target < 1 s)")
    worst = 0.0
    for name, entry in CATALOGUE.items():
        sizes_list = [{d: v for d, v in zip(entry.size_dims, vals)}
                      for vals in zip(*[entry.default_sizes.get(d, [4]) for d in entry.size_dims])] or [{}]
        cells = []
        for sizes in sizes_list:
            fn = parse(entry.expr, entry.shapes)  # a new Function: nothing cached
            start = time.perf_counter()
            prepared = get_engine("symbolic").prepare(fn, list(entry.wrt), entry.resolve_sizes(sizes), 2)
            seconds = time.perf_counter() - start
            worst = max(worst, seconds)
            cells.append(f"{'/'.join(map(str, sizes.values())) or '-'}: {seconds * 1e3:6.1f} ms")
        st = prepared.stats
        print(f"  {name:24s} {'  '.join(cells)}   tree {st['tree_nodes']:4d}  dag {st['dag_nodes']:3d}")
    print(f"  slowest: {worst * 1e3:.1f} ms ({'ok' if worst < 1.0 else 'OVER 1 s'})")


def sympy_baseline(ns=(4, 6, 8)) -> None:
    from diffbench import parse
    from diffbench.engines import TooLarge, get_engine

    print("sympy-scalar baseline, logistic regression Hessian (m = 2n)")
    for n in list(ns) + [20]:
        fn = parse("sum(softplus(X*w)) - y'*X*w", {"w": "n", "X": "m,n", "y": "m"})
        sizes = {"n": n, "m": 2 * n}
        start = time.perf_counter()
        try:
            p = get_engine("sympy-scalar").prepare(fn, ["w"], sizes, 2)
        except TooLarge as err:
            print(f"  n={n:3d}: refused after {time.perf_counter() - start:.3f} s: {err}")
            continue
        total = time.perf_counter() - start
        start = time.perf_counter()
        get_engine("symbolic").prepare(parse(fn.expr, {"w": "n", "X": "m,n", "y": "m"}), ["w"], sizes, 2)
        ours = time.perf_counter() - start
        print(f"  n={n:3d}: sympy-scalar {total:7.2f} s ({p.stats['operations']:,} operations)   "
              f"symbolic {ours * 1e3:6.1f} ms   ratio {total / ours:,.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-sympy", action="store_true")
    args = parser.parse_args()
    logistic(args.n, args.repeat)
    catalogue_derive_times()
    if not args.skip_sympy:
        sympy_baseline()


if __name__ == "__main__":
    main()
