"""Checkpointed reverse mode against the plain tape, as ratios measured in one run.

    python benchmarks/bench_checkpointing.py [--quick]

The recurrence h_{t+1} = tanh(W h_t + x), loss sum(h_T), written
``sum(iterate(T, h -> tanh(W*h + x), h0))``, gradient in W, x and h0, at
T = 10^4 (``--quick``: 10^3) and widths n = 32 and 128.  For each schedule:
the tape bytes it counts (everything kept for the reverse sweep, inputs
included), their ratio to the plain tape's, the gradient time and its ratio
to the plain tape's (the interleaved medians of several runs), the largest
difference of the gradients from the plain tape's, and the steps the reverse
sweep ran again (in units of T; the revolve schedules' count is the published
binomial minimum, checked in tests/test_iterate.py).

Targets (the seeds' trade-off, GPT-2's 60 GB -> 8 GB for a third more
compute): at T = 10^4 sqrt(T) checkpointing keeps <= 3 % of the plain tape's
bytes at <= 2x its time, with the same gradients (rho <= 1e-12).
"""
import statistics
import sys
import time

import _common  # noqa: F401  (pins BLAS threads first)

import numpy as np

import diffbench
from diffbench.engines import get_engine

ENGINES = ("tape", "tape-sqrt", "tape-every32", "tape-every4", "tape-revolve", "tape-revolve8")
SHAPES = {"W": "n,n", "x": "n", "h0": "n"}
BYTES_TARGET, TIME_TARGET = 0.03, 2.0


def prepared(T: int, n: int):
    rng = np.random.default_rng(0)
    inputs = {"W": 0.9 * rng.normal(size=(n, n)) / np.sqrt(n), "x": rng.normal(size=n), "h0": rng.normal(size=n)}
    fn = diffbench.parse(f"sum(iterate({T}, h -> tanh(W*h + x), h0))", SHAPES)
    return inputs, {e: get_engine(e).prepare(fn, ["W", "x", "h0"], fn.bind(inputs)) for e in ENGINES}


def interleaved_times(engines: dict, inputs: dict, rounds: int) -> dict:
    """Median gradient seconds per engine, the engines taking turns each round
    so a change of load hits all of them alike."""
    times = {e: [] for e in engines}
    for _ in range(rounds):
        for e, p in engines.items():
            start = time.perf_counter()
            p.gradient(inputs)
            times[e].append(time.perf_counter() - start)
    return {e: statistics.median(ts) for e, ts in times.items()}


def bench(T: int, n: int, rounds: int) -> list[tuple]:
    inputs, engines = prepared(T, n)
    plain = engines["tape"].gradient(inputs)
    seconds = interleaved_times(engines, inputs, rounds)
    stats = {e: p.tape_stats(inputs) for e, p in engines.items()}
    counted = {e: st["tape_bytes"] for e, st in stats.items()}
    rows = []
    for e, p in engines.items():
        grads = p.gradient(inputs)
        rho = max(float(np.max(np.abs(grads[k] - plain[k]) / np.maximum(1, np.abs(grads[k]) + np.abs(plain[k]))))
                  for k in plain)
        rows.append((T, n, e, counted[e], counted[e] / counted["tape"], seconds[e],
                     seconds[e] / seconds["tape"], rho, stats[e].get("recomputed_steps", 0) / T))
    return rows


def main(quick: bool) -> int:
    T = 1_000 if quick else 10_000
    rounds = 3 if quick else 5
    print(f"{'T':>6} {'n':>4} {'engine':<13} {'tape bytes':>12} {'of plain':>9} {'seconds':>9} "
          f"{'x plain':>8} {'rho':>8} {'recomputed':>11}")
    ok = True
    for n in (32, 128):
        for T_, n_, e, b, br, s, sr, rho, rec in bench(T, n, rounds):
            print(f"{T_:>6} {n_:>4} {e:<13} {b:>12,} {100 * br:>8.2f}% {s:>9.3f} {sr:>7.2f}x {rho:>8.1e} "
                  f"{rec:>9.2f} T")
            if e == "tape-sqrt":
                ok &= br <= BYTES_TARGET and sr <= TIME_TARGET and rho <= 1e-12
    if quick:
        print("(--quick: the targets are set at T = 10^4; run without --quick to judge them)")
        return 0
    print(f"targets (tape-sqrt): bytes <= {100 * BYTES_TARGET:.0f}% of plain, time <= {TIME_TARGET:.0f}x, "
          f"rho <= 1e-12: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main("--quick" in sys.argv))
