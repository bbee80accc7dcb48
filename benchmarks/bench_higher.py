"""Derivatives of order 1 to 6 of functions of one scalar: the tape's Taylor
arithmetic against the symbolic engine's compiled closed forms, side by side.

    python benchmarks/bench_higher.py

For each expression: seconds per call of ``derivatives(order=6)`` in each
engine (CPU time, the fastest of interleaved samples), their ratio, and the
largest relative difference of the six numbers.  No target in the issue;
the figure is what a closed form saves over re-running the program on
truncated power series.  The symbolic engine refuses formulas that swell past
its node limit (TooLarge); the tape answers those too.
"""
import time

import _common  # noqa: F401  (pins BLAS threads first)

import numpy as np

import diffbench
from diffbench.engines import get_engine
from diffbench.errors import TooLarge

EXPRESSIONS = ["tanh(x)", "sigmoid(x)", "exp(-x^2)", "sqrt(x) + x^3*log(x)", "sin(x)*exp(x)/(1 + x*x)"]
ORDER, AT = 6, {"x": 0.3}


def fastest(calls: dict, rounds: int = 9, min_time: float = 0.005) -> dict:
    """The fastest CPU-time sample of each call, the calls taking turns."""
    loops = {}
    for name, call in calls.items():
        call()
        n = 1
        while True:
            start = time.process_time()
            for _ in range(n):
                call()
            if time.process_time() - start >= min_time:
                break
            n *= 2
        loops[name] = n
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.process_time()
            for _ in range(loops[name]):
                call()
            best[name] = min(best[name], (time.process_time() - start) / loops[name])
    return best


def main():
    print(f"{'expression':<28}{'tape':>11}{'symbolic':>11}{'tape/symb':>11}{'rho':>10}")
    for expr in EXPRESSIONS:
        fn = diffbench.parse(expr, {"x": ""})
        tape = get_engine("tape").prepare(fn, ["x"], {}, ORDER)
        try:
            symbolic = get_engine("symbolic").prepare(fn, ["x"], {}, ORDER)
        except TooLarge:
            t = fastest({"tape": lambda: tape.derivatives(AT, ORDER)})["tape"]
            print(f"{expr:<28}{t * 1e3:>9.3f}ms{'too large':>11}")
            continue
        best = fastest({"tape": lambda: tape.derivatives(AT, ORDER),
                        "symbolic": lambda: symbolic.derivatives(AT, ORDER)})
        a, b = np.array(tape.derivatives(AT, ORDER)), np.array(symbolic.derivatives(AT, ORDER))
        rho = float(np.max(np.abs(a - b) / np.maximum(1, np.abs(a) + np.abs(b))))
        print(f"{expr:<28}{best['tape'] * 1e3:>9.3f}ms{best['symbolic'] * 1e3:>9.3f}ms"
              f"{best['tape'] / best['symbolic']:>10.1f}x{rho:>10.1e}")


if __name__ == "__main__":
    main()
