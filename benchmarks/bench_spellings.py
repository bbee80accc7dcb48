"""The same function however it is spelled: symbolic and tape against the hand-written closed form.

    python benchmarks/bench_spellings.py [--n 300,1000] [--repeat 7] [--functions a,b] [--api-only]

For every spelling in :data:`SPELLINGS` (what users write: ``log(1 + exp(X*w))``
or ``softplus``, ``sum`` or ``ones'*``, norms as ``x'*x``, ``sqrt(sum(x.^2))``,
``diag(y)*X*w`` or ``y.*(X*w)``, ``1/2*x'*A*x``, ``tr(solve(X, A))`` or ``tr(inv(X)*A)`` ...)
prints, measured side by side in one run (calls interleaved, fastest of ``--repeat`` samples;
the API rows: of 10 x ``--repeat`` samples of ~5 ms):

* symbolic gradient and Hessian / the hand-written closed form at the largest n
  (target <= 1.25x, every spelling; a matrix variable at :data:`HESSIAN_N`), and
  beside them, not judged, the tape's (``--no-tape`` leaves them out);
* through the public API (``diffbench.derivatives(..., order=1)``, so the cache of
  prepared computations and the one-pass value + gradient are what is timed):
  tape value+gradient / hand-written value (target <= 3x) and symbolic
  value+gradient / hand-written value+gradient (target <= 1.25x), at every n;
* whether every spelling of a function gives the same generated Hessian code;
* not judged, to read the API rows by: what the API adds per call to the prepared
  engine's own one-pass call (its one-name form, what the API's cached path ends in;
  ``evaluate`` in trees without it), in microseconds, and the times themselves.

Grow the list: a new spelling is one line (``bench_spelling_sweep.py`` generates
many more and finds the ones worth a line).  BLAS is pinned to one thread.
``--api-only`` prints the API rows alone (a quicker run of the API's targets).
``--malloc steady`` (the default) has glibc keep freed memory: the Hessians are
megabytes, and whether each call page-faults them in depends on what the process
freed before (the same generated code measured 0.5x and 1.45x of the hand-written
in one process); ``--malloc default`` times them as glibc comes.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402,F401  (one BLAS thread, before NumPy loads)

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

# ------------------------------------------------------------------ the list
# function -> (shapes, wrt, spellings)
SPELLINGS = {
    "logistic": ({"X": "m,n", "w": "n", "y": "m"}, "w", [
        "sum(softplus(X*w)) - y'*X*w",
        "sum(log(1 + exp(X*w))) - y'*X*w",
        "sum(log(exp(X*w) + 1)) - (X*w)'*y",
        "ones(m)'*log(1 + exp(X*w)) - y'*(X*w)",
        "-(y'*log(sigmoid(X*w)) + (ones(m) - y)'*log(1 - sigmoid(X*w)))",
        "sum(log1p(exp(X*w))) - y'*X*w",
        "-sum(log(sigmoid(-X*w))) - y'*X*w",
        "sum(softplus(X*w)) - w'*X'*y",
        "z = X*w; sum(softplus(z)) - sum(y.*z)",
    ]),
    # labels in {-1, 1}: the diagonal spellings were 43x (tape) and 2.6x (symbolic) slower
    "logistic_pm": ({"X": "m,n", "w": "n", "y": "m"}, "w", [
        "sum(softplus(-y.*(X*w)))",
        "sum(log(1 + exp(-diag(y)*X*w)))",
        "sum(softplus(-diag(y)*(X*w)))",
        "-sum(log(sigmoid(diag(y)*X*w)))",
        "z = diag(y)*X*w; sum(softplus(-z))",
        "sum(softplus(-(X'*diag(y))'*w))",
        "ones(m)'*log(1 + exp(-(X*w).*y))",
    ]),
    "log_one_plus_exp": ({"a": "n", "x": "n"}, "x", [
        "log(1 + exp(a'*x))",
        "softplus(a'*x)",
        "log(exp(x'*a) + 1)",
        "-log(sigmoid(-a'*x))",
        "log1p(exp(a'*x))",
        "log(1 + exp(sum(a.*x)))",
    ]),
    "least_squares": ({"A": "m,n", "x": "n", "b": "m"}, "x", [
        "0.5*norm2(A*x - b)^2",
        "0.5*(A*x - b)'*(A*x - b)",
        "0.5*sum((A*x - b).^2)",
        "0.5*sum((A*x - b).*(A*x - b))",
        "0.5*x'*A'*A*x - b'*A*x + 0.5*b'*b",
        "0.5*x'*(A'*A)*x - (A'*b)'*x + 0.5*b'*b",
        "r = A*x - b; 0.5*sum(square(r))",
    ]),
    "gaussian_bump": ({"x": "n"}, "x", [
        "-exp(-x'*x)",
        "-exp(-norm2(x)^2)",
        "-exp(-sum(x.^2))",
        "-exp(-sum(x.*x))",
        "-exp(-sqrt(sum(x.^2))^2)",
        "-1/exp(x'*x)",
        "-exp(-x'*eye(n)*x)",
        "-exp(-sum(square(x)))",
    ]),
    # the symbolic gradient built A + A' on every call (8x the tape's at n = 1000)
    "quadratic": ({"A": "n,n", "x": "n", "b": "n"}, "x", [
        "0.5*x'*A*x - b'*x",
        "1/2*x'*A*x - b'*x",
        "x'*A*x/2 - x'*b",
        "0.5*sum(x.*(A*x)) - sum(b.*x)",
        "0.5*x'*A'*x - <b, x>",
    ]),
    # a matrix variable (its Hessian has n^4 entries: timed at HESSIAN_N); the solve
    # spelling's symbolic Hessian solved against an n^4 right-hand side (8-10x)
    "trace_solve": ({"X": "n,n", "A": "n,n"}, "X", [
        "tr(solve(X, A))",
        "tr(inv(X)*A)",
        "sum(diag(solve(X, A)))",
        "tr(A*inv(X))",
    ]),
}

# the size at which a matrix variable's gradient and Hessian are timed (n = 40: 2.6
# million Hessian entries, 20 MB); the API rows run at the sizes asked for
HESSIAN_N = {"trace_solve": 40}


def sizes_of(function: str, n: int) -> dict:
    return {"n": n, "m": 2 * n}


def draw(function: str, n: int, rng) -> dict:
    m = 2 * n
    if function == "logistic":
        return {"X": rng.normal(size=(m, n)) / np.sqrt(n), "w": rng.normal(size=n),
                "y": rng.integers(0, 2, size=m).astype(float)}
    if function == "log_one_plus_exp":
        return {"a": rng.normal(size=n) / np.sqrt(n), "x": rng.normal(size=n)}
    if function == "least_squares":
        return {"A": rng.normal(size=(m, n)), "x": rng.normal(size=n), "b": rng.normal(size=m)}
    if function == "logistic_pm":
        return {"X": rng.normal(size=(m, n)) / np.sqrt(n), "w": rng.normal(size=n),
                "y": 2.0 * rng.integers(0, 2, size=m) - 1.0}
    if function == "quadratic":
        return {"A": rng.normal(size=(n, n)) / np.sqrt(n), "x": rng.normal(size=n), "b": rng.normal(size=n)}
    if function == "trace_solve":
        return {"X": 3 * np.eye(n) + rng.normal(size=(n, n)) / np.sqrt(n), "A": rng.normal(size=(n, n))}
    return {"x": rng.normal(size=n) / np.sqrt(n)}


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def hand_written(function: str):
    """(value, value+gradient, gradient, Hessian) written directly in NumPy."""
    if function == "logistic":
        def value(p):
            z = p["X"] @ p["w"]
            return np.sum(np.logaddexp(0.0, z)) - p["y"] @ z

        def value_grad(p):
            z = p["X"] @ p["w"]
            return np.sum(np.logaddexp(0.0, z)) - p["y"] @ z, p["X"].T @ (_sigmoid(z) - p["y"])

        def hessian(p):
            s = _sigmoid(p["X"] @ p["w"])
            return (p["X"].T * (s * (1 - s))) @ p["X"]
    elif function == "log_one_plus_exp":
        def value(p):
            return np.logaddexp(0.0, p["a"] @ p["x"])

        def value_grad(p):
            z = p["a"] @ p["x"]
            return np.logaddexp(0.0, z), _sigmoid(z) * p["a"]

        def hessian(p):
            s = _sigmoid(p["a"] @ p["x"])
            return np.multiply.outer(s * (1 - s) * p["a"], p["a"])
    elif function == "least_squares":
        def value(p):
            r = p["A"] @ p["x"] - p["b"]
            return 0.5 * (r @ r)

        def value_grad(p):
            r = p["A"] @ p["x"] - p["b"]
            return 0.5 * (r @ r), p["A"].T @ r

        def hessian(p):
            return p["A"].T @ p["A"]
    elif function == "logistic_pm":  # labels ±1, so y² = 1 in the Hessian
        def value(p):
            return np.sum(np.logaddexp(0.0, -p["y"] * (p["X"] @ p["w"])))

        def value_grad(p):
            t = -p["y"] * (p["X"] @ p["w"])
            return np.sum(np.logaddexp(0.0, t)), p["X"].T @ (-p["y"] * _sigmoid(t))

        def hessian(p):
            s = _sigmoid(-p["y"] * (p["X"] @ p["w"]))
            return (p["X"].T * (s * (1 - s))) @ p["X"]
    elif function == "quadratic":
        def value(p):
            return 0.5 * (p["x"] @ (p["A"] @ p["x"])) - p["b"] @ p["x"]

        def value_grad(p):
            x, Ax = p["x"], p["A"] @ p["x"]
            return 0.5 * (x @ Ax) - p["b"] @ x, 0.5 * (Ax + x @ p["A"]) - p["b"]

        def hessian(p):
            return 0.5 * (p["A"] + p["A"].T)
    elif function == "trace_solve":
        def value(p):
            return np.trace(np.linalg.solve(p["X"], p["A"]))

        def value_grad(p):
            inverse = np.linalg.inv(p["X"])
            s = inverse @ p["A"]
            return np.trace(s), -(s @ inverse).T  # d tr(X⁻¹A) = -tr(X⁻¹ A X⁻¹ dX)

        def hessian(p):
            # ∂²/∂X_ab ∂X_cd = (X⁻¹)_bc M_da + M_bc (X⁻¹)_da, M = X⁻¹ A X⁻¹
            inverse = np.linalg.inv(p["X"])
            m = inverse @ p["A"] @ inverse
            return np.einsum("bc,da->abcd", inverse, m) + np.einsum("bc,da->abcd", m, inverse)
    else:
        def value(p):
            return -np.exp(-(p["x"] @ p["x"]))

        def value_grad(p):
            e = np.exp(-(p["x"] @ p["x"]))
            return -e, 2 * e * p["x"]

        def hessian(p):
            x = p["x"]
            e = np.exp(-(x @ x))
            h = np.multiply.outer(-4 * e * x, x)
            h.flat[::x.size + 1] += 2 * e
            return h

    def gradient(p):
        return value_grad(p)[1]

    return value, value_grad, gradient, hessian


def side_by_side(calls, repeat: int, min_time: float = 0.05, per_repeat: int = 1) -> list[float]:
    """Per-call times of several calls, interleaved so load drift hits all alike; the
    fastest sample of each (on a shared machine the others measure the neighbours).
    ``repeat`` x ``per_repeat`` samples of ~``min_time`` each.  The API rows take 10 x
    more samples of 5 ms: a few-microsecond call needs windows the neighbours on a
    loaded machine leave alone (50 ms ones rarely are).  The gradient and Hessian rows
    keep 50 ms: interleaved with an n = 1000 Hessian that sweeps the caches, a sample of
    two or three gradient calls would time mostly cold ones (1.4-2x, measured)."""
    loops = []
    for call in calls:
        call()
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < min_time:
            call()
            count += 1
        loops.append(max(1, count))
    samples = [[] for _ in calls]
    for _ in range(repeat * per_repeat):
        for i, call in enumerate(calls):
            start = time.perf_counter()
            for _ in range(loops[i]):
                call()
            samples[i].append((time.perf_counter() - start) / loops[i])
    return [min(s) for s in samples]


def _hessian_code(fn, wrt: str) -> str:
    from diffbench.symbolic.api import derive_function

    source = derive_function(fn, [wrt], 2).source
    return source.split("def hessian")[1].split("\ndef ")[0]


def _engine_call(engine: str, fn, wrt: str, sizes: dict):
    """What the API's cached path ends in: the prepared engine's value+gradient in the
    one-name form (``one_name``), or its ``evaluate`` in a tree without that method."""
    import diffbench

    prepared = diffbench.engines.get_engine(engine).prepare(fn, [wrt], sizes, 1)
    if hasattr(prepared, "one_name"):
        return prepared.one_name(1, True, wrt)
    return lambda p: prepared.evaluate(p, 1)


def _engine_rows(function: str, fn, wrt: str, n: int, rng, repeat: int, tape: bool) -> list[tuple]:
    """The prepared engines' gradient and Hessian against the hand-written ones at ``n``:
    symbolic judged (<= 1.25x), the tape (``tape``) printed beside it, not judged."""
    import diffbench

    _, _, gradient, hessian = hand_written(function)
    p = draw(function, n, rng)
    engines = ("symbolic", "tape") if tape else ("symbolic",)
    calls = [lambda: gradient(p), lambda: hessian(p)]
    for e in engines:
        prepared = diffbench.engines.get_engine(e).prepare(fn, [wrt], sizes_of(function, n))
        calls += [lambda prepared=prepared: prepared.gradient(p), lambda prepared=prepared: prepared.hessian(p)]
    # milliseconds to a second a call: ``repeat`` samples, not the short ones of the API rows
    hg, hh, *times = side_by_side(calls, repeat, per_repeat=1)
    rows = [("symbolic gradient / hand-written", times[0] / hg, 1.25, n),
            ("symbolic Hessian / hand-written", times[1] / hh, 1.25, n)]
    if tape:
        rows += [("tape gradient / hand-written", times[2] / hg, None, n),
                 ("tape Hessian / hand-written", times[3] / hh, None, n)]
    return rows


def run(functions, ns, repeat: int, api_only: bool = False, tape: bool = True) -> list[tuple]:
    import diffbench
    from diffbench import parse

    verdicts = []
    rng = np.random.default_rng(0)
    largest = max(ns)
    print(f"{'function':17} {'spelling':62} {'n':>5} {'measure':34} {'ratio':>7}  target")
    for function in functions:
        shapes, wrt, spellings = SPELLINGS[function]
        value, value_grad, _, _ = hand_written(function)
        codes = set()
        for expr in spellings:
            fn = parse(expr, shapes)
            if not api_only:
                codes.add(_hessian_code(fn, wrt))
            for n in ns:
                p = draw(function, n, rng)
                rows = []
                if n == largest and not api_only:
                    rows += _engine_rows(function, fn, wrt, HESSIAN_N.get(function, n), rng, repeat, tape)
                own = {e: _engine_call(e, fn, wrt, sizes_of(function, n)) for e in ("tape", "symbolic")}
                api_tape, api_sym, hv, hvg, own_tape, own_sym = side_by_side([
                    lambda: diffbench.derivatives(fn, p, wrt=wrt, engine="tape", order=1),
                    lambda: diffbench.derivatives(fn, p, wrt=wrt, engine="symbolic", order=1),
                    lambda: value(p), lambda: value_grad(p), lambda: own["tape"](p), lambda: own["symbolic"](p)],
                    repeat, min_time=0.005, per_repeat=10)
                rows += [("API tape value+grad / hand value", api_tape / hv, 3.0),
                         ("API symbolic value+grad / hand v+g", api_sym / hvg, 1.25)]
                for measure, ratio, target, *size in rows:
                    size = size[0] if size else n
                    if target is None:  # not judged: read beside the judged rows
                        print(f"{function:17} {expr:62} {size:5d} {measure:34} {ratio:6.2f}x  (not judged)")
                        continue
                    ok = ratio <= target
                    verdicts.append((function, expr, size, measure, ratio, target, ok))
                    print(f"{function:17} {expr:62} {size:5d} {measure:34} {ratio:6.2f}x  <= {target}x"
                          f"  {'ok' if ok else 'MISSED'}", flush=True)
                # not judged: what the API adds to the prepared engine's own one-pass call, and that call
                print(f"{function:17} {expr:62} {n:5d} {'API overhead, us (tape, symbolic)':34} "
                      f"{(api_tape - own_tape) * 1e6:6.1f} {(api_sym - own_sym) * 1e6:6.1f}   engine call "
                      f"{own_tape * 1e6:.1f} {own_sym * 1e6:.1f} us, hand v {hv * 1e6:.1f} v+g {hvg * 1e6:.1f} us",
                      flush=True)
        if api_only:
            continue
        same = len(codes) == 1
        print(f"{function:17} {len(spellings)} spellings -> {len(codes)} distinct generated Hessian"
              f"{'' if same else 's'}", flush=True)
    return verdicts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="300,1000", help="sizes, comma-separated (largest: symbolic vs hand)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--functions", default=",".join(SPELLINGS))
    parser.add_argument("--api-only", action="store_true", help="only the rows through the public API")
    parser.add_argument("--no-tape", action="store_true", help="leave out the tape's (unjudged) rows")
    parser.add_argument("--malloc", choices=("steady", "default"), default="steady",
                        help="steady: glibc keeps freed memory (a Hessian's page faults on every call "
                             "or on none, by the process's history, measure the allocator)")
    args = parser.parse_args(argv)
    steady = args.malloc == "steady" and _common.keep_freed_memory()
    print(f"malloc: {'steady (glibc keeps freed memory)' if steady else 'default'}; "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    ns = [int(v) for v in args.n.split(",")]
    start = time.perf_counter()
    verdicts = run(args.functions.split(","), ns, args.repeat, args.api_only, not args.no_tape)
    missed = [v for v in verdicts if not v[-1]]
    count = sum(len(SPELLINGS[f][2]) for f in args.functions.split(","))
    print(f"\n{count} spellings, {len(verdicts)} ratios, {len(missed)} missed; {time.perf_counter() - start:.0f} s; "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for function, expr, n, measure, ratio, target, _ in missed:
        print(f"  MISSED {function} {expr!r} n={n}: {measure} {ratio:.2f}x > {target}x")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
