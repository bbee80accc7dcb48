"""``diffbench compare``: engines side by side on one function."""
from __future__ import annotations

import contextlib
import time

import click
import numpy as np
from threadpoolctl import threadpool_limits

from ..budget import TimeLimit, check_memory, time_limit
from ..catalogue import CATALOGUE, default_size
from ..checking import NotFinite, check_agree, check_finite, one_line
from ..errors import Unsupported, UserError
from ..jobs.registry import get_engine  # real engines (and the fault-injection ones in tests)
from ..jobs.units import parse_bytes
from ..operators import direction
from .common import echo_json, parse_assignments, parse_sizes, wrt_names

FD_OUT_OF_RANGE = 0.01  # an fd bar this loose no longer tells right from wrong


def _function_and_inputs(expr, shapes, sizes, wrt, seed, domain, guard):
    """A catalogue name or an expression, with sampled inputs and wrt;
    ``guard(fn, wrt, sizes)`` sees the full sizes before any input is drawn."""
    if expr in CATALOGUE:
        entry = CATALOGUE[expr]
        wrt = list(wrt or entry.wrt)
        full = _resolved(entry, {**default_size(entry), **sizes})
        fn = entry.function_at(full)  # an unrolled entry's text depends on the sizes
        _check_wrt(fn, wrt)
        guard(fn, wrt, full)
        _check_sizes(sizes, set(fn.dims) | set(entry.size_dims) | set(entry.derived))
        return fn, _sampled(lambda: entry.sample(full, seed), {}), wrt
    from .. import parse
    from ..sampling import sample_inputs
    from ..tracing.loader import is_python_reference, load

    fn = load(expr, shapes, sizes) if is_python_reference(expr) else parse(expr, shapes or None)
    if not wrt:
        raise UserError("--wrt is required for an expression (the variable to differentiate)")
    _check_wrt(fn, wrt)
    missing = [d for d in fn.dims if d not in sizes]
    if missing:
        raise UserError(f"--size needed for dimension(s) {', '.join(missing)} (e.g. --size {missing[0]}=10)")
    unknown = [name for name in domain if name not in fn.shapes]
    if unknown:
        raise UserError(f"--domain names {', '.join(unknown)}, not a variable of the expression")
    guard(fn, wrt, sizes)  # first: a size too large is the message even beside a stray --size
    _check_sizes(sizes, set(fn.dims))
    return fn, _sampled(lambda: sample_inputs(fn, sizes, seed, domain), domain), list(wrt)


def _check_sizes(sizes: dict, dims: set) -> None:
    """A size naming no dimension (a typo such as --size N=100) is an error, as in the API."""
    unknown = [d for d in sizes if d not in dims]
    if unknown:
        raise UserError(f"--size {unknown[0]}: not a dimension of the function "
                        f"(its dimensions: {', '.join(sorted(dims)) or 'none'})")


def _check_wrt(fn, wrt):
    unknown = [w for w in wrt if w not in fn.shapes]
    if unknown:
        raise UserError(f"--wrt {unknown[0]}: not a variable of the function "
                        f"(expected one of: {', '.join(fn.variables) or 'none'})")


def _resolved(entry, sizes):
    try:
        return entry.resolve_sizes(sizes)
    except ValueError as err:
        raise UserError(f"--size: {err}") from None


def _sampled(draw, domain):
    """Draw the inputs; a domain that cannot be drawn is the --domain's fault."""
    try:
        return draw()
    except ValueError as err:
        flag = "--domain" if domain else "the sampled inputs"
        raise UserError(f"{flag}: {err}") from None


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


def _measure(engine, fn, inputs, wrt, order, asked=(), given=None):
    sizes = fn.bind(inputs, given)
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


@click.command("compare", context_settings={"ignore_unknown_options": True})
@click.argument("expr")
@click.option("--shape", "shapes", multiple=True, metavar="NAME=DIMS", help="declare a shape: x=n, A=m,n, c= (scalar)")
@click.option("--wrt", multiple=True, help="variable(s) to differentiate (default for catalogue names: its own)")
@click.option("--size", "sizes", multiple=True, metavar="DIM=N", help="size of a dimension, e.g. n=100")
@click.option("--engines", default="symbolic,tape,fd", show_default=True,
              help="comma-separated engine names (see `diffbench engines`)")
@click.option("--order", type=click.IntRange(1, 2), default=2, show_default=True)
@click.option("--domain", "domains", multiple=True, metavar="NAME=KIND",
              help="input domain: real, positive, nonzero, spd, invertible (e.g. A=spd)")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
              help="seed of the sampled inputs")
@click.option("--quantities", default="", metavar="Q,..",
              help="quantities to time: value, gradient, hessian, jacobian, hvp (default: what --order gives)")
@click.option("--mode", type=click.Choice(["forward", "reverse", "auto"]), default="auto", show_default=True,
              help="accumulation mode of gradients and Jacobians in engines that have modes (tape)")
@click.option("--max-memory", default="4GiB", show_default=True,
              help="refuse sizes whose inputs, intermediates and derivatives need more")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=300.0, show_default=True,
              help="seconds the whole comparison may take")
@click.option("--json", "as_json", is_flag=True, help="print the stable JSON summary")
def command(expr, shapes, wrt, sizes, engines, order, domains, seed, quantities, mode, max_memory, timeout,
            as_json):
    """Compare engines on EXPR (an expression, a catalogue name, or a Python
    function as module:function with a --shape for each parameter): agreement and time.

    Agreement is the max relative error |a-b| / max(1, |a|+|b|) against the other engines;
    times are medians per call with one BLAS thread; prepare is derivation, compilation or
    tape set-up, done once per function and sizes.  An expression may start with '-'
    ("-x'*x"); `--` before it works too.
    """
    if timeout != timeout:  # NaN passes every range check click makes, and no alarm is set for it
        raise UserError("--timeout nan: expected a number of seconds above 0")
    shape_decl = parse_assignments(shapes, "--shape")
    size_values = parse_sizes(sizes)
    names = [_with_mode(name, mode) for name in _engines(engines)]
    asked = [q.strip() for q in quantities.split(",") if q.strip()]
    bad = [q for q in asked if q not in QUANTITIES]
    if bad:
        raise UserError(f"--quantities: unknown quantity {bad[0]!r} (known: {', '.join(QUANTITIES)})")
    limit = _memory(max_memory)
    wrt = wrt_names(wrt)

    def guard(fn, wrt, full_sizes):
        check_memory(fn, wrt, full_sizes, order, limit)

    with time_limit(timeout, "the comparison"), _out_of_memory():
        fn, inputs, wrt = _function_and_inputs(expr, shape_decl, size_values, wrt, seed,
                                               parse_assignments(domains, "--domain"), guard)
        # one BLAS thread, as in every benchmark and job worker: timings stay comparable
        with np.errstate(all="ignore"), threadpool_limits(1):
            _check_finite(fn, inputs, wrt, size_values)
            summary = _compare(fn, inputs, wrt, names, order, seed, asked, size_values)
    if as_json:
        echo_json(summary)
    else:
        _print_table(summary)
    if not summary["agree"] or summary["failed"]:
        raise SystemExit(1)


def _engines(engines: str) -> list[str]:
    names = list(dict.fromkeys(e.strip() for e in engines.split(",") if e.strip()))  # tape,tape: one row
    if not names:
        raise UserError(f"--engines {engines!r}: expected at least one engine name (see `diffbench engines`)")
    for name in names:
        try:
            get_engine(name)
        except KeyError as err:
            raise UserError(str(err.args[0])) from None
    return names


def _memory(text: str) -> int:
    try:
        return parse_bytes(text)
    except ValueError as err:
        raise UserError(f"--max-memory: {err}") from None


@contextlib.contextmanager
def _out_of_memory():
    """The estimate is a lower bound: running out anyway is still one line."""
    try:
        yield
    except MemoryError as err:
        raise UserError(f"out of memory ({err or 'MemoryError'}); expected smaller sizes") from None


def _with_mode(name: str, mode: str) -> str:
    """``tape`` with ``--mode forward`` is the engine ``tape:forward``."""
    try:
        engine = get_engine(name)
        if mode != "auto" and mode in engine.modes:
            return f"{name}:{mode}"
    except KeyError as err:
        raise UserError(str(err.args[0])) from None
    return name


def _check_finite(fn, inputs, wrt, given=None):
    try:
        check_finite(fn, inputs, wrt, fn.bind(inputs, given))
    except NotFinite as err:
        raise UserError(f"{err}; declare input domains, e.g. --domain A=spd or --domain x=positive") from None


def _compare(fn, inputs, wrt, names, order, seed, asked=(), given=None):
    # ``given``: the --size values, for dims no input shows (``b*ones(n)``)
    # time first, so each engine's prepare (derive, compile, tape set-up) is a cold one
    timings = {}
    for name in names:
        try:
            timings[name] = _measure(name, fn, inputs, wrt, order, asked, given)
        except Unsupported as err:
            timings[name] = {"unsupported": str(err)}
        except TimeLimit:  # --timeout ends the whole comparison, with its one line
            raise
        except Exception as err:  # noqa: BLE001  (one engine's crash must not hide the others)
            timings[name] = {"failed": one_line(err)}
    extra = ("hvp",) if "hvp" in asked and fn.is_scalar else ()
    agreement = check_agree(fn, inputs, wrt, engines=names, order=max(order, 2 if extra else 1), strict=False,
                            allow_unsupported=tuple(names), extra=extra, keep_going=True, sizes=given)
    rows = []
    for name in names:
        row = {"engine": name, "max_relative_error": None, "unsupported": agreement.unsupported.get(name),
               "failed": agreement.failed.get(name) or timings[name].get("failed")}
        if name in agreement.results and len(agreement.results) > 1:
            row["max_relative_error"] = agreement.max_error(name)
        row.update(timings[name])
        row["unsupported"] = row["unsupported"] or timings[name].get("unsupported")
        row["at_fault"] = sorted(q for q, e in agreement.culprits.items() if e == name)
        if name == "fd" and agreement.fd_noise:
            # fd's round-off grows with |f|: its bar was raised to it, and the table says so
            row["fd_range"] = {q: float(f"{bar:.2g}") for q, bar in sorted(agreement.fd_noise.items())}
        rows.append(row)
    return {"expr": fn.expr, "wrt": wrt, "sizes": fn.bind(inputs, given), "order": order, "seed": seed,
            "engines": rows, "agree": not agreement.culprits,
            "failed": sorted(r["engine"] for r in rows if r["failed"])}


def _fmt_seconds(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def _fd_range_note(bars: dict) -> str:
    """fd's bar was raised to its round-off at this |f|; past 1% it checks nothing."""
    out = [q for q, bar in bars.items() if bar >= FD_OUT_OF_RANGE]
    raised = ", ".join(f"{q} {bar:.2g}" for q, bar in bars.items() if bar < FD_OUT_OF_RANGE)
    notes = [f"out of its accurate range for the {', '.join(out)} (|f| too large): not a check there"] if out else []
    notes += [f"round-off bar raised with |f|: {raised}"] if raised else []
    return "(fd " + "; ".join(notes) + ")"


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
        if r["failed"]:
            line += f"  FAILED: {r['failed']}"
        elif r["unsupported"]:
            line += f"  unsupported: {r['unsupported']}"
        if r["at_fault"]:
            line += f"  DISAGREES on {', '.join(r['at_fault'])}"
        if r.get("fd_range"):
            line += "  " + _fd_range_note(r["fd_range"])
        click.echo(line)
    verdict = "engines agree" if summary["agree"] else "engines DISAGREE"
    if summary["failed"]:
        verdict += f" ({', '.join(summary['failed'])} failed)"
    click.echo(verdict)
