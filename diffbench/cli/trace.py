"""``diffbench trace``: the evaluation trace (Wengert list) of one function at one point."""
from __future__ import annotations

import click
import numpy as np

from ..errors import UserError
from .common import echo_json, parse_assignments, parse_sizes


def _number(flag: str, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{flag} {name}={text}: expected a number") from None
    if not np.isfinite(value):
        raise UserError(f"{flag} {name}={text}: expected a finite number")
    return value


#: a trace is read by a person: sizes whose values need more than this are refused before drawing
TRACE_BYTES = 1 << 30


def _small_enough(fn, sizes) -> None:
    from ..budget import estimate_bytes

    need = estimate_bytes(fn, fn.variables, sizes, 1)
    if need > TRACE_BYTES:
        raise UserError(f"--size: these sizes need at least {need / 2**30:.3g} GiB for a trace of one point; "
                        "expected smaller sizes (a trace is read entry by entry)")


def _function_and_inputs(expr, shapes, sizes, at, seed):
    from ..catalogue import CATALOGUE
    from ..sampling import sample_inputs

    if expr in CATALOGUE and not shapes:
        entry = CATALOGUE[expr]
        fn = entry.function
        # the dims the entry lets a user set (default 3); derived ones (m = 2n) follow from them
        try:
            dims = entry.resolve_sizes({**{d: 3 for d in entry.size_dims}, **sizes})
        except ValueError as err:
            raise UserError(f"--size: {err}") from None
        fn = entry.function_at(dims)
        _small_enough(fn, dims)
        inputs = entry.sample(dims, seed)
    else:
        from .. import parse

        # a variable given a number by --at and declared nowhere is a scalar, as in the lectures
        declared = {**{name: "" for name in at}, **shapes}
        fn = parse(expr, declared)
        missing = [d for d in fn.dims if d not in sizes]
        if missing:
            raise UserError(f"--size needed for dimension(s) {', '.join(missing)} (e.g. --size {missing[0]}=3)")
        _small_enough(fn, sizes)
        inputs = sample_inputs(fn, sizes, seed, {})
    unknown = [n for n in at if n not in fn.shapes]
    if unknown:
        raise UserError(f"--at {unknown[0]}: not a variable of the expression (variables: {', '.join(fn.variables)})")
    for name, value in at.items():  # a number fills every entry of a vector or matrix
        inputs[name] = value if not fn.shapes[name] else np.full(np.shape(inputs[name]), value)
    return fn, inputs


@click.command("trace", context_settings={"ignore_unknown_options": True})  # "-x'*x" is an expression
@click.argument("expr")
@click.option("--at", "at", multiple=True, metavar="NAME=NUMBER",
              help="the point: w1=2 (a number fills a vector or matrix; the rest is sampled from --seed)")
@click.option("--direction", "directions", multiple=True, metavar="NAME=NUMBER",
              help="the forward tangent's seed per variable (default: 1 on the alphabetically first variable, 0 elsewhere)")
@click.option("--shape", "shapes", multiple=True, metavar="NAME=DIMS", help="declare a shape: x=n, A=m,n, c=")
@click.option("--size", "sizes", multiple=True, metavar="DIM=N", help="size of a dimension (default 3 for catalogue)")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True, help="seed of the inputs not given by --at")
@click.option("--json", "as_json", is_flag=True, help="print the rows as JSON")
def command(expr, at, directions, shapes, sizes, seed, as_json):
    """Print the Wengert list of EXPR: each intermediate with its operation,
    value, forward tangent and adjoint, in evaluation order.

    \b
    Example (the lectures' graph):
      diffbench trace "w2*log(w1) + sqrt(w2*log(w1))" --at w1=2 --at w2=1.5
    """
    from ..tape.wengert import wengert

    size_values = parse_sizes(sizes)
    point = {k: _number("--at", k, v) for k, v in parse_assignments(at, "--at").items()}
    fn, inputs = _function_and_inputs(expr, parse_assignments(shapes, "--shape"), size_values, point, seed)
    direction = None
    if directions:
        given = {k: _number("--direction", k, v) for k, v in parse_assignments(directions, "--direction").items()}
        unknown = [n for n in given if n not in fn.shapes]
        if unknown:
            raise UserError(f"--direction {unknown[0]}: not a variable of the expression")
        direction = {n: np.full(np.shape(inputs[n]), given.get(n, 0.0)) for n in fn.variables}
    with np.errstate(all="ignore"):
        trace = wengert(fn, inputs, direction, {d: v for d, v in size_values.items() if d in fn.dims})
    if as_json:
        echo_json(trace)
    else:
        _print(trace)


def _print(trace: dict) -> None:
    from ..tape.wengert import shown

    along = ", ".join(f"{n}={shown(v, np.shape(v))}" for n, v in trace["direction"].items())
    click.echo(f"{trace['expr']}   (tangent v̇ along {along}; adjoint v̄ = ∂f/∂v)")
    rows = [(r["name"] + (" = f" if r["output"] else ""), r["operation"], shown(r["value"], r["shape"]),
             shown(r["tangent"], r["shape"]), shown(r["adjoint"], r["shape"])) for r in trace["rows"]]
    header = ("v", "operation", "value", "tangent v̇", "adjoint v̄")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(5)]
    for row in [header] + rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
