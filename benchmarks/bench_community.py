"""The community problems' targets, measured side by side in one process.

    python benchmarks/bench_community.py [--rounds R] [--table]

Targets (issue: "Real functions"):
  * llsq (n = 16392, m = 128) and lse (n = 1,280,000) gradients: symbolic within
    1.25x and tape within 3x of a hand-written NumPy gradient;
  * GMM gradient at d = 10, K = 25, n = 1000: tape within 3x and symbolic
    within 1.5x of jax-jit (diffbench's JAX engine, jit-compiled, on the same
    expression); a JAX jit of the published per-component formula is shown beside it.

Each target's ratio is the median over ``--rounds`` rounds of the engine's time over the
baseline's time in the same round (``paired_ratios``), by the process's CPU time (all its
threads) for the verdict with ``--clock cpu`` (the default: on a loaded machine the wall
clock also counts the waits for a core, which fall on the engines unevenly by chance) and
by the wall clock with ``--clock wall``; the other clock's ratio is printed beside it.

``--malloc steady`` (the default) has glibc keep freed memory (``_common.keep_freed_memory``)
so the NumPy engines are timed without the page faults whose number depends on what ran
before in the process; ``--malloc default`` times them as glibc comes.

``--table`` adds, per problem and size, each engine's objective and gradient
time and the gradient / objective ratio ADBench plots, or why an engine gave
out (unsupported, error, over the time budget).  One core, one BLAS / XLA
thread; the engines of a cell take turns round after round (see
bench_compare.side_by_side), so load on a shared machine hits them alike.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import _common  # (pins BLAS / XLA threads before NumPy loads)

if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})

import numpy as np  # noqa: E402
from bench_compare import side_by_side  # noqa: E402

from diffbench.budget import TimeLimit, time_limit  # noqa: E402
from diffbench.catalogue import get_entry  # noqa: E402
from diffbench.engines import get_engine  # noqa: E402
from diffbench.engines.base import Unsupported  # noqa: E402
from diffbench.engines.frameworks.common import native_inputs  # noqa: E402
from diffbench.testing import relative_error  # noqa: E402


def hand_llsq(inputs):
    T, s, x = inputs["T"], inputs["s"], inputs["x"]
    return lambda: T.T @ (T @ x - s)


def hand_lse(inputs):
    x = inputs["x"]

    def gradient():
        e = np.exp(x - x.max())
        return e / e.sum()
    return gradient


def jax_gmm(inputs):
    """jax.jit(jax.grad) of the published formula written per component
    (GradBench's vectorised form), for context beside the jax-jit engine."""
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    jax.config.update("jax_enable_x64", True)
    K, d = inputs["q"].shape
    rows, cols = np.tril_indices(d, -1)
    order = np.lexsort((rows, cols))  # l fills the lower triangle column by column
    rows, cols = rows[order], cols[order]
    X, wg, wm = jnp.asarray(inputs["X"]), inputs["wg"], inputs["wm"]

    def objective(alpha, mu, q, l):
        Q = jnp.zeros((K, d, d)).at[:, rows, cols].set(l) + jax.vmap(jnp.diag)(jnp.exp(q))
        z = X[:, None, :] - mu[None, :, :]
        quad = jnp.sum(jnp.einsum("kij,nkj->nki", Q, z) ** 2, axis=2)
        beta = alpha - logsumexp(alpha) + q.sum(1) - 0.5 * quad
        return (logsumexp(beta, axis=1).sum() + inputs["c0"] + wg * (jnp.exp(2 * q).sum() + (l * l).sum())
                - wm * q.sum())

    grad = jax.jit(jax.grad(objective, argnums=(0, 1, 2, 3)))
    args = [jnp.asarray(inputs[k]) for k in ("alpha", "mu", "q", "l")]
    return lambda: [np.asarray(g) for g in grad(*args)]


TARGETS = [  # name, sizes, baseline, {engine: allowed ratio}
    ("gradbench-llsq", {"n": 16392}, ("numpy", hand_llsq), {"symbolic": 1.25, "tape": 3.0}),
    ("gradbench-lse", {"n": 1280000}, ("numpy", hand_lse), {"symbolic": 1.25, "tape": 3.0}),
    ("adbench-gmm", {"d": 10, "K": 25, "n": 1000}, ("jax-jit", None), {"symbolic": 1.5, "tape": 3.0}),
]


def _gradient_call(name, fn, wrt, inputs, sizes):
    prepared = get_engine(name).prepare(fn, wrt, sizes, 1)
    native = native_inputs(prepared, inputs)
    return lambda: prepared.gradient(native)


def paired_ratios(calls: dict, base: str, rounds: int, min_time: float) -> dict[str, tuple[float, float]]:
    """Per engine, the median over ``rounds`` of (its time / the baseline's time) in the same
    round, by the wall clock and by the process's CPU clock (every thread, XLA's too).

    A ratio of two medians taken minutes apart moves with the machine's load (it did by
    50 % here); a ratio of neighbours in time does not, and the engines' order turns each
    round so none always runs just after another.  CPU time leaves out the time the process
    waited for a core, the larger part of the noise on a loaded machine."""
    loops = {}
    for name, call in calls.items():
        call()
        start = time.perf_counter()
        call()
        loops[name] = max(1, int(min_time / max(time.perf_counter() - start, 1e-9)))
    names, samples = list(calls), []
    for r in range(rounds):
        took = {}
        for name in names[r % len(names):] + names[:r % len(names)]:
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(loops[name]):
                calls[name]()
            took[name] = ((time.perf_counter() - wall) / loops[name], (time.process_time() - cpu) / loops[name])
        samples.append(took)
    return {name: tuple(statistics.median(s[name][k] / s[base][k] for s in samples) for k in (0, 1))
            for name in calls}


def run_targets(rounds: int, only: set | None = None, clock: str = "cpu") -> list[str]:
    misses = []
    print(f"{'problem':<16}{'sizes':<22}{'baseline':>16}{'engine':>10}{'ratio':>8}  target ({clock} time)")
    for name, user_sizes, (base_name, hand), allowed in TARGETS:
        if only and name not in only:
            continue
        entry = get_entry(name)
        inputs = entry.sample(user_sizes, seed=0)
        fn, wrt = entry.function_at(user_sizes), list(entry.wrt)
        sizes = fn.bind(inputs)
        calls = {engine: _gradient_call(engine, fn, wrt, inputs, sizes) for engine in allowed}
        if hand is not None:
            calls[base_name] = hand(inputs)
        else:
            calls[base_name] = _gradient_call(base_name, fn, wrt, inputs, sizes)
            if name.endswith("gmm"):
                calls["jax-published"] = jax_gmm(inputs)
        _check(calls, base_name, wrt)
        timed = side_by_side(calls, 1, min_time=0.05)  # the baseline's own time, for the label
        ratios = paired_ratios(calls, base_name, rounds, min_time=0.05)
        label = ",".join(f"{k}={v}" for k, v in user_sizes.items())
        for engine, bound in allowed.items():
            wall, cpu = ratios[engine]
            ratio, other = (cpu, f"wall clock: {wall:.2f}") if clock == "cpu" else (wall, f"CPU time: {cpu:.2f}")
            verdict = "ok" if ratio <= bound else "MISSED"
            print(f"{name:<16}{label:<22}{base_name + ' ' + _fmt(timed[base_name]):>16}{engine:>10}"
                  f"{ratio:>8.2f}  <= {bound:g}x {verdict}   ({other})")
            if verdict != "ok":
                misses.append(f"{name} {engine}: {ratio:.2f}x {base_name} (target {bound:g}x)")
        if "jax-published" in ratios:
            print(f"{'':<38}{'':>16}{'jax-publ.':>10}{ratios['jax-published'][0]:>8.2f}"
                  "  (per-component JAX formula, for context)")
    return misses


def _check(calls, base_name, wrt):
    """Every gradient must agree with the baseline's before it is timed."""
    reference = _flat(calls[base_name](), wrt)
    for engine, call in calls.items():
        err = relative_error(_flat(call(), wrt), reference)
        if err > 1e-8:
            raise SystemExit(f"{engine} gradient disagrees with {base_name}: {err:.2g}")


def _flat(out, wrt):
    if isinstance(out, dict):
        return np.concatenate([np.ravel(out[k]) for k in wrt])
    if isinstance(out, list):
        return np.concatenate([np.ravel(v) for v in out])
    return np.ravel(out)


def _fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g}{unit}"
    return f"{seconds / 1e-9:.3g}ns"


# ---------------------------------------------------------------- the table

TABLE = [
    ("gradbench-llsq", [{"n": 16}, {"n": 1024}, {"n": 16392}]),
    ("gradbench-lse", [{"n": 2500}, {"n": 80000}, {"n": 1280000}]),
    ("gradbench-det", [{"l": 5}, {"l": 11}]),
    ("adbench-gmm", [{"d": 2, "K": 5, "n": 1000}, {"d": 10, "K": 25, "n": 1000}, {"d": 20, "K": 50, "n": 1000}]),
    ("adbench-ba", [{}]),
    ("gradbench-ode", [{"n": 1000, "s": 1}, {"n": 1000, "s": 10}, {"n": 1000, "s": 100}]),
    ("adbench-lstm", [{"l": 2, "c": 16}, {"l": 2, "c": 64}, {"l": 2, "c": 1024}]),
]
TABLE_ENGINES = ("symbolic", "tape", "autograd", "jax-jit", "torch")
PREPARE_BUDGET = 60.0  # seconds an engine may take to derive, compile or jit one cell


def run_table(rounds: int, only: set | None = None, engines=TABLE_ENGINES):
    print(f"\n{'problem':<16}{'sizes':<18}{'engine':<10}{'objective':>11}{'gradient':>11}{'ratio':>7}  note")
    for name, grid in TABLE:
        if only and name not in only:
            continue
        entry = get_entry(name)
        for user_sizes in grid:
            _table_cell(entry, user_sizes, rounds, engines)


def _table_cell(entry, user_sizes, rounds, engines=TABLE_ENGINES):
    inputs = entry.sample(user_sizes, seed=0)
    fn, wrt = entry.function_at(user_sizes), list(entry.wrt)
    sizes = fn.bind(inputs)
    quantity = "gradient" if fn.is_scalar else "jacobian"
    label = ",".join(f"{k}={v}" for k, v in user_sizes.items()) or "-"
    for engine in engines:
        start = time.perf_counter()
        try:
            with time_limit(PREPARE_BUDGET, f"{engine}'s prepare"):  # a cell never hangs the table
                prepared = get_engine(engine).prepare(fn, wrt, sizes, 1)
            native = native_inputs(prepared, inputs)
            calls = {"value": lambda: prepared.value(native),
                     quantity: (lambda m: lambda: m(native))(getattr(prepared, quantity))}
            prep = time.perf_counter() - start
            timed = side_by_side(calls, rounds, min_time=0.02)
        except TimeLimit:
            print(f"{entry.name:<16}{label:<18}{engine:<10}{'-':>11}{'-':>11}{'-':>7}  "
                  f"gave out: prepare over {PREPARE_BUDGET:g} s")
            continue
        except Unsupported as err:
            print(f"{entry.name:<16}{label:<18}{engine:<10}{'-':>11}{'-':>11}{'-':>7}  unsupported: {err}")
            continue
        except Exception as err:  # noqa: BLE001 -- a table row, not a crash
            print(f"{entry.name:<16}{label:<18}{engine:<10}{'-':>11}{'-':>11}{'-':>7}  "
                  f"error: {type(err).__name__}: {str(err)[:80]}")
            continue
        note = f"prepare {_fmt(prep)}"
        print(f"{entry.name:<16}{label:<18}{engine:<10}{_fmt(timed['value']):>11}{_fmt(timed[quantity]):>11}"
              f"{timed[quantity] / timed['value']:>7.2f}  {note}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--table", action="store_true", help="also every engine per problem and size")
    parser.add_argument("--only", default="", help="comma-separated problems: only these targets and table rows")
    parser.add_argument("--engines", default=",".join(TABLE_ENGINES), help="the table's engines")
    parser.add_argument("--no-targets", action="store_true", help="the table alone")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="the clock of the targets' verdicts")
    parser.add_argument("--malloc", choices=("steady", "default"), default="steady",
                        help="steady: glibc keeps freed memory (no page faults that depend on what ran before)")
    args = parser.parse_args(argv)
    steady = args.malloc == "steady" and _common.keep_freed_memory()
    print(f"malloc: {'steady (glibc keeps freed memory)' if steady else 'default'}; "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    misses = [] if args.no_targets else run_targets(args.rounds, only, args.clock)
    if args.table:
        run_table(max(3, args.rounds // 2), only, tuple(e.strip() for e in args.engines.split(",")))
    if misses:
        print("\nMISSED:\n  " + "\n  ".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
