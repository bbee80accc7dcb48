"""``diffbench compare``: engines side by side on one function."""
from __future__ import annotations

import time

import click
import numpy as np
from threadpoolctl import threadpool_limits

from ..catalogue import CATALOGUE, default_size
from ..checking import check_agree
from ..engines import get_engine
from ..errors import Unsupported, UserError
from ..operators import direction
from .common import echo_json, parse_assignments


def _function_and_inputs(expr, shapes, sizes, wrt, seed, domain):
    """A catalogue name or an expression, with sampled inputs and wrt."""
    if expr in CATALOGUE:
        entry = CATALOGUE[expr]
        sizes = {**default_size(entry), **sizes}
        return entry.function, entry.sample(sizes, seed), list(wrt or entry.wrt)
    from .. import parse
    from ..sampling import sample_inputs
    from ..tracing.loader import is_python_reference, load

    fn = load(expr, shapes) if is_python_reference(expr) else parse(expr, shapes or None)
    if not wrt:
        raise UserError("--wrt is required for an expression (the variable to differentiate)")
    missing = [d for d in fn.dims if d not in sizes]
    if missing:
        raise UserError(f"--size needed for dimension(s) {', '.join(missing)} (e.g. --size {missing[0]}=10)")
    unknown = [name for name in domain if name not in fn.shapes]
    if unknown:
        raise UserError(f"--domain names {', '.join(unknown)}, not a variable of the expression")
    try:
        return fn, sample_inputs(fn, sizes, seed, domain), list(wrt)
    except ValueError as err:
        raise UserError(f"--domain: {err}") from None


def _time(call, budget: float = 0.2) -> float:
    """Median seconds per call over a few samples, each long enough to time."""
    call()  # warm-up (and compile caches)
    loops, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        elapsed = time.perf_counter() - start
        if elapsed > budget / 5 or loops > 1e6:
            break
        loops *= 4
    samples = [elapsed / loops]
    for _ in range(4):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        samples.append((time.perf_counter() - start) / loops)
    return float(np.median(samples))


QUANTITIES = ("value", "gradient", "hessian", "jacobian", "hvp")


def _quantities(fn, order, asked):
    """The quantities to time: those asked for, or value and what ``order`` gives."""
    if asked:
        return ["value"] + [q for q in asked if q != "value"]
    return ["value"] + (["gradient", "hessian"][:order] if fn.is_scalar else ["jacobian"])


def _measure(engine, fn, inputs, wrt, order, asked=()):
    sizes = fn.bind(inputs)
    start = time.perf_counter()
    prepared = get_engine(engine).prepare(fn, wrt, sizes, order)
    out = {"prepare_seconds": time.perf_counter() - start}
    v = direction(inputs, wrt, 0)  # the direction check_agree's HVPs use
    for q in _quantities(fn, order, asked):
        call = (lambda: prepared.hvp(inputs, v)) if q == "hvp" else (lambda: getattr(prepared, q)(inputs))
        try:
            out[f"{q}_seconds"] = _time(call)
        except Unsupported as err:
            out[f"{q}_seconds"] = None
            out.setdefault("unsupported", str(err))
    if (getattr(prepared, "stats", None) or {}).get("mode"):
        out["mode"] = dict(prepared.stats["mode"])  # what ran: forward or reverse
    return out


@click.command("compare")
@click.argument("expr")
@click.option("--shape", "shapes", multiple=True, metavar="NAME=DIMS", help="declare a shape: x=n, A=m,n, c= (scalar)")
@click.option("--wrt", multiple=True, help="variable(s) to differentiate (default for catalogue names: its own)")
@click.option("--size", "sizes", multiple=True, metavar="DIM=N", help="size of a dimension, e.g. n=100")
@click.option("--engines", default="symbolic,tape,fd", show_default=True,
              help="comma-separated engine names (see `diffbench engines`)")
@click.option("--order", type=click.IntRange(1, 2), default=2, show_default=True)
@click.option("--domain", "domains", multiple=True, metavar="NAME=KIND",
              help="input domain: real, positive, nonzero, spd, invertible (e.g. A=spd)")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the sampled inputs")
@click.option("--quantities", default="", metavar="Q,..",
              help="quantities to time: value, gradient, hessian, jacobian, hvp (default: what --order gives)")
@click.option("--mode", type=click.Choice(["forward", "reverse", "auto"]), default="auto", show_default=True,
              help="accumulation mode of gradients and Jacobians in engines that have modes (tape)")
@click.option("--json", "as_json", is_flag=True, help="print the stable JSON summary")
def command(expr, shapes, wrt, sizes, engines, order, domains, seed, quantities, mode, as_json):
    """Compare engines on EXPR (an expression, a catalogue name, or a Python
    function as module:function with a --shape for each parameter): agreement and time.

    Agreement is the max relative error |a-b| / max(1, |a|+|b|) against the other engines;
    times are medians per call with one BLAS thread; prepare is derivation, compilation or
    tape set-up, done once per function and sizes.
    """
    shape_decl = parse_assignments(shapes, "--shape")
    size_values = {}
    for dim, text in parse_assignments(sizes, "--size").items():
        if not text.isdigit() or int(text) < 1:
            raise UserError(f"--size {dim}={text}: expected a positive integer")
        size_values[dim] = int(text)
    names = [_with_mode(e.strip(), mode) for e in engines.split(",") if e.strip()]
    asked = [q.strip() for q in quantities.split(",") if q.strip()]
    bad = [q for q in asked if q not in QUANTITIES]
    if bad:
        raise UserError(f"--quantities: unknown quantity {bad[0]!r} (known: {', '.join(QUANTITIES)})")
    wrt = [w for item in wrt for w in item.split(",") if w]
    fn, inputs, wrt = _function_and_inputs(expr, shape_decl, size_values, wrt, seed,
                                           parse_assignments(domains, "--domain"))
    # one BLAS thread, as in every benchmark and job worker: timings stay comparable
    with np.errstate(all="ignore"), threadpool_limits(1):
        _check_finite(fn, inputs, wrt)
        summary = _compare(fn, inputs, wrt, names, order, seed, asked)
    if as_json:
        echo_json(summary)
    else:
        _print_table(summary)
    if not summary["agree"]:
        raise SystemExit(1)


def _with_mode(name: str, mode: str) -> str:
    """``tape`` with ``--mode forward`` is the engine ``tape:forward``."""
    try:
        engine = get_engine(name)
        if mode != "auto" and mode in engine.modes:
            return f"{name}:{mode}"
    except KeyError as err:
        raise UserError(str(err.args[0])) from None
    return name


def _check_finite(fn, inputs, wrt):
    sizes = fn.bind(inputs)
    value = get_engine("tape").prepare(fn, wrt, sizes).value(inputs)
    if not np.all(np.isfinite(value)):
        raise UserError(f"{fn.expr!r} is not finite at the sampled inputs (outside its domain?); "
                        "declare input domains, e.g. --domain A=spd or --domain x=positive")


def _compare(fn, inputs, wrt, names, order, seed, asked=()):
    # time first, so each engine's prepare (derive, compile, tape set-up) is a cold one
    timings = {}
    for name in names:
        try:
            timings[name] = _measure(name, fn, inputs, wrt, order, asked)
        except Unsupported as err:
            timings[name] = {"unsupported": str(err)}
    extra = ("hvp",) if "hvp" in asked and fn.is_scalar else ()
    agreement = check_agree(fn, inputs, wrt, engines=names, order=max(order, 2 if extra else 1), strict=False,
                            allow_unsupported=tuple(names), extra=extra)
    rows = []
    for name in names:
        row = {"engine": name, "max_relative_error": None, "unsupported": agreement.unsupported.get(name)}
        if name in agreement.results and len(agreement.results) > 1:
            row["max_relative_error"] = agreement.max_error(name)
        row.update(timings[name])
        row["unsupported"] = row["unsupported"] or timings[name].get("unsupported")
        row["at_fault"] = sorted(q for q, e in agreement.culprits.items() if e == name)
        rows.append(row)
    return {"expr": fn.expr, "wrt": wrt, "sizes": fn.bind(inputs), "order": order, "seed": seed,
            "engines": rows, "agree": not agreement.culprits}


def _fmt_seconds(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _print_table(summary):
    click.echo(f"{summary['expr']}  wrt {', '.join(summary['wrt'])}  sizes "
               + ", ".join(f"{k}={v}" for k, v in summary["sizes"].items()))
    quantities = [q for q in QUANTITIES
                  if any(f"{q}_seconds" in r for r in summary["engines"])]
    header = f"{'engine':<14}{'max rel err':>12}" + "".join(f"{q:>12}" for q in quantities) + f"{'prepare':>12}"
    click.echo(header)
    for r in summary["engines"]:
        err = r["max_relative_error"]
        line = f"{r['engine']:<14}{('-' if err is None else f'{err:.2g}'):>12}"
        line += "".join(f"{_fmt_seconds(r.get(f'{q}_seconds')):>12}" for q in quantities)
        line += f"{_fmt_seconds(r.get('prepare_seconds')):>12}"
        if r.get("mode"):
            line += "  mode: " + ", ".join(f"{q} {m}" for q, m in r["mode"].items())
        if r["unsupported"]:
            line += f"  unsupported: {r['unsupported']}"
        if r["at_fault"]:
            line += f"  DISAGREES on {', '.join(r['at_fault'])}"
        click.echo(line)
    click.echo("engines agree" if summary["agree"] else "engines DISAGREE")
