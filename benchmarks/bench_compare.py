"""diffbench's engines next to the AD frameworks, on the same functions and inputs.

    python benchmarks/bench_compare.py [--quick] [--functions a,b] [--engines e1,e2] [--rounds R]
                                       [--sizes 300,1000] [--quantities gradient,hessian]
                                       [--clock cpu|wall] [--recheck K]

Every catalogue function runs through every available engine (the
hand-written NumPy ``closed-form``, ``symbolic``, ``tape``, ``autograd``,
``jax``, ``jax-jit``, ``torch``): functions of a vector of n entries at
n = 10, 30 (per-op overhead dominates), 100, 300, 1000; the others at
their catalogue sizes.  One process, pinned to one core, one BLAS thread
(and one XLA / torch thread).  Timings are *side by side*: the engines of
one cell take turns, round after round, and each keeps the median of its
rounds, so drift on a shared machine hits them alike.  ``--clock cpu`` (the
default) times the process's CPU seconds, which load on other cores does not
stretch (XLA's and BLAS's threads count, and are pinned to the same core);
``--clock wall`` the elapsed time.

Besides the catalogue, :data:`SPELLINGS` runs other spellings of its vector
functions, the ones users write (``sum(log(1 + exp(X*w))) - y'*X*w``,
``x'*A*x/2 - b'*x`` ...), on the catalogue entry's inputs; they have no
hand-written closed form, so their ratios are to ``tape``.

The table gives each engine's gradient and Hessian time as a ratio to the
closed form (= 1), or to ``tape`` where a function has no closed form.
Framework inputs are converted to the framework's arrays once, outside the
timing (as its users hold them); results are converted back to NumPy
inside it.  jit compilation happens at the warm-up call, outside the
timing.  Every result is checked against the baseline's; a wrong one is
flagged, never silently timed.

The targets then come out with ok / MISSED (and the reference figures of
the issue, measured on one core, for comparison).  A target's figure for a
cell is the median of its per-round ratios (the two engines timed in the same
round), not the ratio of two medians.  A cell that misses a target is measured
again ``--recheck`` times (default 1): a miss that a re-measure does not repeat
is reported as noise, one that every measure repeats as missed.
"""
from __future__ import annotations

import argparse
import dataclasses
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

# (what, engine, over, comparison, target): the figure is time(engine) / time(over);
# "dense Hessians" and "vector variables" are the functions of one vector of n entries
TARGETS = (
    ("symbolic Hessian / closed form, dense Hessians, n >= 300", "symbolic", "closed-form", "<=", 1.25),
    ("symbolic Hessian / jax-jit Hessian, dense Hessians, n >= 300", "symbolic", "jax-jit", "<", 1.0),
    ("tape gradient / autograd gradient, every cell", "tape", "autograd", "<", 1.0),
    ("autograd Hessian / tape Hessian, every cell", "autograd", "tape", ">=", 5.0),
    # round two: the symbolic engine beside jax-jit in every dense cell, the tape's gradient at large n
    ("symbolic Hessian / jax-jit Hessian, dense Hessians, n >= 10", "symbolic", "jax-jit", "<=", 1.1),
    ("symbolic gradient / jax-jit gradient, vector variables, n >= 10", "symbolic", "jax-jit", "<=", 1.1),
    ("tape gradient / jax-jit gradient, vector variables, n >= 1000", "tape", "jax-jit", "<=", 3.0),
)
# Other spellings of catalogue functions, what users write:
# (name, the catalogue entry whose sizes and inputs it takes, expression, labels in {-1, 1}?)
SPELLINGS = (
    ("logistic_log1exp", "logistic_regression", "sum(log(1 + exp(X*w))) - y'*X*w", False),
    ("logistic_pm_diag", "logistic_regression", "sum(log(1+exp(-diag(y)*X*w)))", True),
    ("logistic_pm_sigm", "logistic_regression", "-sum(log(sigmoid(diag(y)*X*w)))", True),
    ("quadratic_half", "quadratic_form", "x'*A*x/2 - b'*x", False),
    ("least_squares_sum", "least_squares", "0.5*sum((A*x - b).^2)", False),
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


def _plus_minus_labels(sizes, rng):
    return {"y": rng.choice([-1.0, 1.0], size=sizes["m"])}


def spelling_entries() -> dict:
    """:data:`SPELLINGS` as catalogue entries: the base entry's sizes and inputs, another text."""
    out = {}
    for name, base, expr, plus_minus in SPELLINGS:
        entry = CATALOGUE[base]
        shapes = {k: v for k, v in entry.shapes.items() if re.search(rf"\b{k}\b", expr)}
        out[name] = dataclasses.replace(entry, name=name, expr=expr, shapes=shapes,
                                        sampler=_plus_minus_labels if plus_minus else entry.sampler)
    return out


def is_vector_function(entry) -> bool:
    """Every wrt variable a vector of n entries: its Hessian is dense n x n."""
    return entry.size_dims == ("n",) and all(entry.shapes[w] == "n" for w in entry.wrt)


def plan(quick: bool, only=None, vector_sizes=None):
    """(entry, user sizes) cells, in catalogue order, then the other spellings."""
    cells = []
    vector_sizes = vector_sizes or (QUICK_VECTOR_SIZES if quick else VECTOR_SIZES)
    for entry in [*CATALOGUE.values(), *spelling_entries().values()]:
        if only and entry.name not in only:
            continue
        if is_vector_function(entry):
            sizes = [{"n": n} for n in vector_sizes]
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

CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["wall"]  # main() sets --clock's


def _once(call) -> float:
    start = clock()
    call()
    return clock() - start


def interleaved_samples(calls: dict, rounds: int, min_time: float) -> dict[str, list[float]]:
    """Seconds per call of each callable, one sample per round, measured in turns.

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
            start = clock()
            for _ in range(k):
                call()
            samples[name].append((clock() - start) / k)
    return samples


def side_by_side(calls: dict, rounds: int, min_time: float) -> dict[str, float]:
    """Median seconds per call of each callable, measured in turns (:func:`interleaved_samples`)."""
    return {name: statistics.median(s) for name, s in interleaved_samples(calls, rounds, min_time).items()}


def measure_cell(entry, user_sizes, engines, rounds, min_time, seed=0, quantities=QUANTITIES):
    """``{quantity: {engine: seconds or a note}}`` for one function and size,
    plus the closed form's value time, each engine's per-round samples
    (``result["rounds"][quantity][engine]``) and any wrong results."""
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
    for quantity in quantities:
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
        samples = interleaved_samples(calls, rounds, min_time)
        result.setdefault("rounds", {})[quantity] = samples
        cell = result.setdefault(quantity, {})
        for name in engines:
            timed = statistics.median(samples[name]) if name in samples else None
            cell.setdefault(name, timed if timed is not None else notes.get(name, "-"))
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
        for quantity in [q for q in QUANTITIES if q in result]:
            cell = result.get(quantity, {})
            base = baseline_of(cell)
            t0 = cell.get(base)
            base_text = (f"{fmt_time(t0)} {'(closed)' if base == 'closed-form' else '(tape)'}"
                         if isinstance(t0, float) else "-")
            line = f"{entry.name:<22}{label(sizes):<8}{quantity:<10}{base_text:>18}"
            for e in shown:
                v, r = cell.get(e, "-"), ratio(result, quantity, e, base)
                line += f"{(f'{r:.2f}x' if r is not None else v):>10}"
            print(line)


def ratio(result, quantity, engine, over):
    """time(engine) / time(over) in one cell: the median of the per-round ratios
    where both were timed round by round, else the ratio of the medians."""
    cell = result.get(quantity, {})
    a = cell.get(engine)
    b = result.get("value", {}).get("closed-form") if over == "value" else cell.get(over)
    if not (isinstance(a, float) and isinstance(b, float)):
        return None
    rounds = result.get("rounds", {}).get(quantity, {})
    if engine in rounds and over in rounds:
        return statistics.median(x / y for x, y in zip(rounds[engine], rounds[over]))
    return a / b


def _cases(rows, target):
    """(figure, entry, sizes) of every cell a target covers."""
    what, engine, over, _, _ = target
    quantity = "hessian" if "Hessian" in what else "gradient"
    least = re.search(r"n >= (\d+)", what)
    least = int(least.group(1)) if least else 0
    cases = []
    for entry, sizes, result in rows:
        if least and not (is_vector_function(entry) and sizes.get("n", 0) >= least):
            continue
        r = ratio(result, quantity, engine, over)
        if r is not None:
            cases.append((r, entry, sizes))
    return cases


def _passes(target, figure) -> bool:
    _, _, _, comparison, bound = target
    return PASSES[comparison](figure, bound)


def missed_cells(rows) -> list:
    """(entry, sizes) of every cell that misses some target, once each."""
    seen, out = set(), []
    for target in TARGETS:
        for r, entry, sizes in _cases(rows, target):
            key = (entry.name, label(sizes))
            if not _passes(target, r) and key not in seen:
                seen.add(key)
                out.append((entry, sizes))
    return out


def check_targets(rows, engines, again=None):
    """Rows of (what, worst figure, case, target, verdict) and the misses, each
    ``(what, cell, figures)``: the first measure's figure, then the re-measures'
    (``again``: cell -> [result of each re-measure])."""
    out, misses = [], []
    again = again or {}
    for target in TARGETS:
        what, engine, over, comparison, bound = target
        quantity = "hessian" if "Hessian" in what else "gradient"
        cases = _cases(rows, target)
        if not cases:
            why = ", ".join(e for e in (engine, over) if e not in engines) or "no cell"
            out.append((what, None, "", f"{comparison} {bound:g}x", f"not run ({why})"))
            continue
        repeated = noise = 0
        for r, entry, sizes in cases:
            if _passes(target, r):
                continue
            cell = f"{entry.name} {label(sizes)}"
            figures = [r] + [ratio(res, quantity, engine, over) for res in again.get(cell, [])]
            misses.append((what, cell, figures))
            if any(f is not None and _passes(target, f) for f in figures[1:]):
                noise += 1
            else:
                repeated += 1
        worst = min(cases, key=lambda c: c[0]) if comparison == ">=" else max(cases, key=lambda c: c[0])
        verdict = (f"MISSED {repeated}/{len(cases)}" if repeated else f"ok ({len(cases)} cells)")
        if noise:
            verdict += f", {noise} noise (met when measured again)"
        out.append((what, worst[0], f"{worst[1].name} {label(worst[2])}", f"{comparison} {bound:g}x", verdict))
    return out, misses


def print_targets(rows, engines, again=None):
    results, misses = check_targets(rows, engines, again)
    print(f"\n{'target (worst cell shown)':<64}{'figure':>9}  {'cell':<26}{'target':>9}  verdict")
    for what, figure, case, target, verdict in results:
        fig = f"{figure:.2f}x" if figure is not None else "-"
        print(f"{what:<64}{fig:>9}  {case:<26}{target:>9}  {verdict}")
    print(f"\n{'reference figure (issue, one core)':<64}{'figure':>9}  {'cell':<26}{'ref':>9}")
    for what, engine, quantity, over, sizes, ref in REFERENCES:
        for entry, s, result in rows:
            if entry.name == "logistic_regression" and s.get("n") in sizes:
                r = ratio(result, quantity, engine, over)
                if r is not None:
                    print(f"{what:<64}{r:>8.2f}x  {'logistic_regression ' + label(s):<26}{ref:>9}")
    if misses:
        print("\nMISSED (first measure, then each re-measure):")
        for what, cell, figures in misses:
            shown = ", ".join(f"{f:.2f}x" if f is not None else "-" for f in figures)
            print(f"  {what}: {cell} {shown}")


def print_spellings(rows):
    names = {entry.name for entry, _, _ in rows}
    spelled = [(name, base, expr) for name, base, expr, _ in SPELLINGS if name in names]
    if spelled:
        print("\nother spellings (the catalogue entry's sizes and inputs; labels ±1 where y multiplies a sign):")
        for name, base, expr in spelled:
            print(f"  {name:<20}{expr}   (inputs of {base})")


def load() -> str:
    try:
        return "load average %.1f, %.1f, %.1f" % os.getloadavg()
    except OSError:
        return "load average unknown"


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
    parser.add_argument("--sizes", help=f"comma-separated n for the vector functions (default {VECTOR_SIZES})")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="cpu: the process's CPU seconds (default; load elsewhere does not stretch it), "
                             "wall: elapsed seconds")
    parser.add_argument("--quantities", default=",".join(QUANTITIES),
                        help="comma-separated: gradient, hessian (default both)")
    parser.add_argument("--recheck", type=int, default=1,
                        help="measure a cell that misses a target this many more times (default 1)")
    args = parser.parse_args(argv)
    global clock
    clock = CLOCKS[args.clock]
    vector_sizes = tuple(int(n) for n in args.sizes.split(",")) if args.sizes else None
    quantities = tuple(q for q in QUANTITIES if q in args.quantities.split(","))
    wanted = args.engines.split(",") if args.engines else list(ENGINES)
    engines, skipped = available_engines(wanted)
    only = set(args.functions.split(",")) if args.functions else None
    rounds = args.rounds or (3 if args.quick else 5)
    min_time = 0.01 if args.quick else 0.03
    print(f"machine: {machine()}")
    print(f"engines: {', '.join(engines)}")
    for name, why in skipped.items():
        print(f"skipped: {name} ({why})")
    print(f"clock: {args.clock}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {load()}", flush=True)
    rows, wrong, whys = [], [], {}
    start = time.perf_counter()
    for entry, sizes in plan(args.quick, only, vector_sizes):
        result, bad, why = measure_cell(entry, sizes, engines, rounds, min_time, quantities=quantities)
        rows.append((entry, sizes, result))
        wrong.extend(bad)
        for name, text in why.items():
            whys.setdefault((name, text.split(" at sizes")[0][:160]), []).append(f"{entry.name} {label(sizes)}")
        print(f"  measured {entry.name} {label(sizes)}", file=sys.stderr, flush=True)
    again = {}
    for entry, sizes in missed_cells(rows)[:20] if args.recheck > 0 else []:
        for _ in range(args.recheck):
            again.setdefault(f"{entry.name} {label(sizes)}", []).append(
                measure_cell(entry, sizes, engines, rounds, min_time, quantities=quantities)[0])
        print(f"  measured again {entry.name} {label(sizes)}", file=sys.stderr, flush=True)
    print_table(rows, engines)
    print_targets(rows, engines, again)
    print_spellings(rows)
    if wrong:
        print("\nWRONG RESULTS (timed anyway, check them):")
        for w in wrong:
            print("  " + w)
    notes = [(n, t, c) for (n, t), c in whys.items() if n != "closed-form"]
    if notes:
        print("\nnot measured:")
        for name, text, cells in notes:
            print(f"  {name}: {text} ({len(cells)} cells, e.g. {cells[0]})")
    print(f"\nfinished {time.strftime('%H:%M UTC', time.gmtime())}, {load()}")
    print(f"\n{time.perf_counter() - start:.0f} s; closed = hand-written NumPy (= 1); "
          "n/a: no closed form, ratios against tape; unsup: engine refused the function")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
