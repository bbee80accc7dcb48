"""diffbench's engines next to the AD frameworks, on the same functions and inputs.

    python benchmarks/bench_compare.py [--quick] [--functions a,b] [--engines e1,e2] [--rounds R]

Every catalogue function runs through every available engine (the
hand-written NumPy ``closed-form``, ``symbolic``, ``tape``, ``autograd``,
``jax``, ``jax-jit``, ``torch``): functions of a vector of n entries at
n = 10, 30 (per-op overhead dominates), 100, 300, 1000; the others at
their catalogue sizes.  One process, pinned to one core, one BLAS thread
(and one XLA / torch thread).  Timings are *side by side*: the engines of
one cell take turns, round after round, and each keeps the median of its
rounds, so drift on a shared machine hits them alike.

The table gives each engine's gradient and Hessian time as a ratio to the
closed form (= 1), or to ``tape`` where a function has no closed form.
Framework inputs are converted to the framework's arrays once, outside the
timing (as its users hold them); results are converted back to NumPy
inside it.  jit compilation happens at the warm-up call, outside the
timing.  Every result is checked against the baseline's; a wrong one is
flagged, never silently timed.

The targets then come out with ok / MISSED (and the reference figures of
the issue, measured on one core, for comparison).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time

import _common  # noqa: F401  (pins BLAS / XLA threads before NumPy loads)

if hasattr(os, "sched_setaffinity"):  # one core for everything, frameworks' pools included
    os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})


from diffbench.catalogue import CATALOGUE  # noqa: E402
from diffbench.engines import get_engine  # noqa: E402
from diffbench.errors import Unsupported  # noqa: E402
from diffbench.engines.frameworks.common import native_inputs  # noqa: E402
from diffbench.testing import relative_error  # noqa: E402

ENGINES = ("closed-form", "symbolic", "tape", "autograd", "jax", "jax-jit", "torch")
SHORT = {"closed-form": "closed", "symbolic": "symb", "autograd": "autograd", "jax-jit": "jax-jit"}
VECTOR_SIZES, QUICK_VECTOR_SIZES = (10, 30, 100, 300, 1000), (10, 300)
QUANTITIES = ("gradient", "hessian")
TOLERANCE = 1e-6

# (what, engine, over, comparison, target): the figure is time(engine) / time(over)
TARGETS = (
    ("symbolic Hessian / closed form, dense Hessians, n >= 300", "symbolic", "closed-form", "<=", 1.25),
    ("symbolic Hessian / jax-jit Hessian, dense Hessians, n >= 300", "symbolic", "jax-jit", "<", 1.0),
    ("tape gradient / autograd gradient, every cell", "tape", "autograd", "<", 1.0),
    ("autograd Hessian / tape Hessian, every cell", "autograd", "tape", ">=", 5.0),
    # round two: the symbolic engine beside jax-jit, the tape's gradient at large n
    ("symbolic Hessian / jax-jit Hessian, dense Hessians, n >= 300", "symbolic", "jax-jit", "<=", 1.1),
    ("tape gradient / jax-jit gradient, vector variables, n >= 1000", "tape", "jax-jit", "<=", 3.0),
)
PASSES = {"<=": lambda r, t: r <= t, "<": lambda r, t: r < t, ">=": lambda r, t: r >= t}
REFERENCES = (  # measured on one core for the issue: (what, engine, quantity, over, n, range)
    ("autograd Hessian / closed form", "autograd", "hessian", "closed-form", (300, 1000), "22-25x"),
    ("jax-jit Hessian / closed form", "jax-jit", "hessian", "closed-form", (300, 1000), "2.6-3.1x"),
    ("autograd gradient / closed-form value", "autograd", "gradient", "value", (1000,), "2.5x"),
    ("tape gradient / closed-form value", "tape", "gradient", "value", (1000,), ""),
)


# ------------------------------------------------------------------ set-up

def available_engines(names) -> tuple[list[str], dict[str, str]]:
    """Engines that can run here, and why the others cannot."""
    ok, skipped = [], {}
    for name in names:
        try:
            engine = get_engine(name)
        except KeyError:
            skipped[name] = "not registered in this tree"
            continue
        good, why = engine.available()
        (ok.append(name) if good else skipped.__setitem__(name, why))
    if "torch" in ok:
        import torch

        torch.set_num_threads(1)
    return ok, skipped


def is_vector_function(entry) -> bool:
    """Every wrt variable a vector of n entries: its Hessian is dense n x n."""
    return entry.size_dims == ("n",) and all(entry.shapes[w] == "n" for w in entry.wrt)


def plan(quick: bool, only=None):
    """(entry, user sizes) cells, in catalogue order."""
    cells = []
    for entry in CATALOGUE.values():
        if only and entry.name not in only:
            continue
        if is_vector_function(entry):
            sizes = [{"n": n} for n in (QUICK_VECTOR_SIZES if quick else VECTOR_SIZES)]
        elif not entry.size_dims:
            sizes = [{}]
        else:
            lists = [entry.default_sizes.get(d, [4]) for d in entry.size_dims]
            sizes = [dict(zip(entry.size_dims, combo)) for combo in zip(*lists)]
            sizes = sizes[:1] if quick else sizes
        cells.extend((entry, s) for s in sizes)
    return cells


def label(sizes: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sizes.items()) or "-"


# ------------------------------------------------------------------ timing

def _once(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def side_by_side(calls: dict, rounds: int, min_time: float) -> dict[str, float]:
    """Median seconds per call of each callable, measured in turns.

    After a warm-up (jit compiles here), each callable gets an inner loop
    long enough to last ``min_time``; then ``rounds`` rounds run every
    callable once each (slow ones, over a second a call, get three rounds)."""
    loops, samples = {}, {name: [] for name in calls}
    for name, call in calls.items():
        call()
        t = _once(call)
        loops[name] = 1 if t >= min_time else max(1, int(min_time / max(t, 1e-9)))
        if t >= 1.0:
            samples[name].append(t)  # the calibration call counts as a sample
    want = {name: (3 if samples[name] else rounds) for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            if len(samples[name]) >= want[name]:
                continue
            k = loops[name]
            start = time.perf_counter()
            for _ in range(k):
                call()
            samples[name].append((time.perf_counter() - start) / k)
    return {name: statistics.median(s) for name, s in samples.items()}


def measure_cell(entry, user_sizes, engines, rounds, min_time, seed=0):
    """``{quantity: {engine: seconds or a note}}`` for one function and size,
    plus the closed form's value time and any wrong results."""
    sizes = entry.resolve_sizes(user_sizes)
    inputs = entry.sample(user_sizes, seed)
    wrt = list(entry.wrt)
    prepared, notes = {}, {}
    for name in engines:
        try:
            prepared[name] = get_engine(name).prepare(entry.function, wrt, sizes, 2)
        except Unsupported as err:
            notes[name] = "n/a" if name == "closed-form" else "unsup"
            notes.setdefault("_why", {})[name] = str(err)
        except Exception as err:  # an engine under construction must not stop the suite
            notes[name] = "error"
            notes.setdefault("_why", {})[name] = f"{type(err).__name__}: {err}"
    result, wrong = {}, []
    for quantity in QUANTITIES:
        calls, outputs = {}, {}
        for name, p in prepared.items():
            native = native_inputs(p, inputs)
            method = getattr(p, quantity)
            try:
                outputs[name] = method(native)
            except Exception as err:
                result.setdefault(quantity, {})[name] = "error"
                notes.setdefault("_why", {})[name] = f"{quantity}: {type(err).__name__}: {err}"
                continue
            calls[name] = (lambda m, x: (lambda: m(x)))(method, native)
        base = "closed-form" if "closed-form" in outputs else "tape"
        for name, out in outputs.items():
            if base in outputs and name != base:
                err = max(relative_error(out[k], outputs[base][k]) for k in out)
                if err > TOLERANCE:
                    wrong.append(f"{name} {quantity} of {entry.name} at {label(user_sizes)}: "
                                 f"relative error {err:.2g} against {base}")
        timed = side_by_side(calls, rounds, min_time)
        cell = result.setdefault(quantity, {})
        for name in engines:
            cell.setdefault(name, timed.get(name, notes.get(name, "-")))
    if "closed-form" in prepared:
        p = prepared["closed-form"]
        result["value"] = {"closed-form": side_by_side({"v": lambda: p.value(inputs)}, rounds, min_time)["v"]}
    return result, wrong, notes.get("_why", {})


# ------------------------------------------------------------------ output

def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def baseline_of(cell: dict) -> str:
    return "closed-form" if isinstance(cell.get("closed-form"), float) else "tape"


def print_table(rows, engines):
    shown = [e for e in engines if e != "closed-form"]
    head = f"{'function':<22}{'size':<8}{'quantity':<10}{'baseline':>18}" + "".join(
        f"{SHORT.get(e, e):>10}" for e in shown)
    print(head)
    print("-" * len(head))
    for entry, sizes, result in rows:
        for quantity in QUANTITIES:
            cell = result.get(quantity, {})
            base = baseline_of(cell)
            t0 = cell.get(base)
            base_text = (f"{fmt_time(t0)} {'(closed)' if base == 'closed-form' else '(tape)'}"
                         if isinstance(t0, float) else "-")
            line = f"{entry.name:<22}{label(sizes):<8}{quantity:<10}{base_text:>18}"
            for e in shown:
                v = cell.get(e, "-")
                line += f"{(f'{v / t0:.2f}x' if isinstance(v, float) and isinstance(t0, float) else v):>10}"
            print(line)


def ratio(result, quantity, engine, over):
    cell = result.get(quantity, {})
    a = cell.get(engine)
    b = result.get("value", {}).get("closed-form") if over == "value" else cell.get(over)
    return a / b if isinstance(a, float) and isinstance(b, float) else None


def check_targets(rows, engines):
    """Rows of (what, worst figure, case, target, verdict) and the misses."""
    out, misses = [], []
    for what, engine, over, comparison, target in TARGETS:
        quantity = "hessian" if "Hessian" in what else "gradient"
        least = re.search(r"n >= (\d+)", what)
        least = int(least.group(1)) if least else 0
        cases = []
        for entry, sizes, result in rows:
            if least and not (is_vector_function(entry) and sizes.get("n", 0) >= least):
                continue
            r = ratio(result, quantity, engine, over)
            if r is not None:
                cases.append((r, f"{entry.name} {label(sizes)}"))
        if not cases:
            why = ", ".join(e for e in (engine, over) if e not in engines) or "no cell"
            out.append((what, None, "", f"{comparison} {target:g}x", f"not run ({why})"))
            continue
        bad = [(r, c) for r, c in cases if not PASSES[comparison](r, target)]
        misses.extend(f"{what}: {c} {r:.2f}x" for r, c in bad)
        worst = min(cases) if comparison == ">=" else max(cases)
        verdict = f"ok ({len(cases)} cells)" if not bad else f"MISSED {len(bad)}/{len(cases)}"
        out.append((what, worst[0], worst[1], f"{comparison} {target:g}x", verdict))
    return out, misses


def print_targets(rows, engines):
    results, misses = check_targets(rows, engines)
    print(f"\n{'target (worst cell shown)':<62}{'figure':>9}  {'cell':<26}{'target':>9}  verdict")
    for what, figure, case, target, verdict in results:
        fig = f"{figure:.2f}x" if figure is not None else "-"
        print(f"{what:<62}{fig:>9}  {case:<26}{target:>9}  {verdict}")
    print(f"\n{'reference figure (issue, one core)':<62}{'figure':>9}  {'cell':<26}{'ref':>9}")
    for what, engine, quantity, over, sizes, ref in REFERENCES:
        for entry, s, result in rows:
            if entry.name == "logistic_regression" and s.get("n") in sizes:
                r = ratio(result, quantity, engine, over)
                if r is not None:
                    print(f"{what:<62}{r:>8.2f}x  {'logistic_regression ' + label(s):<26}{ref:>9}")
    if misses:
        print("\nMISSED:")
        for m in misses:
            print("  " + m)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = []
    for mod in ("numpy", "autograd", "jax", "torch"):
        try:
            from importlib.metadata import version

            versions.append(f"{mod} {version(mod)}")
        except Exception:
            pass
    return (f"{model}, {os.cpu_count()} cores (this run pinned to 1), Python {platform.python_version()}, "
            + ", ".join(versions))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 10 and 300 only, fewer rounds")
    parser.add_argument("--functions", help="comma-separated catalogue names (default: all)")
    parser.add_argument("--engines", help=f"comma-separated (default: {','.join(ENGINES)})")
    parser.add_argument("--rounds", type=int, help="timed rounds per engine (default 5, quick 3)")
    args = parser.parse_args(argv)
    wanted = args.engines.split(",") if args.engines else list(ENGINES)
    engines, skipped = available_engines(wanted)
    only = set(args.functions.split(",")) if args.functions else None
    rounds = args.rounds or (3 if args.quick else 5)
    min_time = 0.01 if args.quick else 0.03
    print(f"machine: {machine()}")
    print(f"engines: {', '.join(engines)}")
    for name, why in skipped.items():
        print(f"skipped: {name} ({why})")
    print(flush=True)
    rows, wrong, whys = [], [], {}
    start = time.perf_counter()
    for entry, sizes in plan(args.quick, only):
        result, bad, why = measure_cell(entry, sizes, engines, rounds, min_time)
        rows.append((entry, sizes, result))
        wrong.extend(bad)
        for name, text in why.items():
            whys.setdefault((name, text.split(" at sizes")[0][:160]), []).append(f"{entry.name} {label(sizes)}")
        print(f"  measured {entry.name} {label(sizes)}", file=sys.stderr, flush=True)
    print_table(rows, engines)
    print_targets(rows, engines)
    if wrong:
        print("\nWRONG RESULTS (timed anyway, check them):")
        for w in wrong:
            print("  " + w)
    notes = [(n, t, c) for (n, t), c in whys.items() if n != "closed-form"]
    if notes:
        print("\nnot measured:")
        for name, text, cells in notes:
            print(f"  {name}: {text} ({len(cells)} cells, e.g. {cells[0]})")
    print(f"\n{time.perf_counter() - start:.0f} s; closed = hand-written NumPy (= 1); "
          "n/a: no closed form, ratios against tape; unsup: engine refused the function")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
