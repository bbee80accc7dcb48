"""``diffbench derive``: closed-form gradient and Hessian formulas of an expression."""
from __future__ import annotations

import click

from ..engines.base import MAX_ORDER
from ..errors import UserError
from .common import parse_assignments, wrt_names

FORMATS = ("text", "expr", "latex", "mathml", "python", "json")


@click.command("derive", context_settings={"ignore_unknown_options": True})  # "-x'*x" is an expression
@click.argument("expr")
@click.option("--shape", "shapes", multiple=True, metavar="NAME=DIMS",
              help="declare a shape: x=n, A=m,n, c= (scalar)")
@click.option("--wrt", multiple=True, help="variable(s) to differentiate (default: every variable, "
                                           "or a catalogue function's own)")
@click.option("--order", type=click.IntRange(1, MAX_ORDER), default=2, show_default=True,
              help="1: gradient only; 2: gradient and Hessian; 3 and up: every derivative up to "
                   "that order along one scalar variable")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="matrix notation, diffbench's own input language (expr), LaTeX, "
                   "presentation MathML, the generated NumPy code, or JSON")
@click.option("--hvp", "with_hvp", is_flag=True,
              help="also the closed-form Hessian-vector product ∇²f·v (derived without the Hessian)")
@click.option("--trace", "with_trace", is_flag=True, help="also the closed-form trace of the Hessian")
def command(expr, shapes, wrt, order, fmt, with_hvp, with_trace):
    """Derive closed-form derivatives of EXPR (an expression or a catalogue name).

    \b
    Example:
      diffbench derive "log(x'*A*x)" --shape x=n --shape A=n,n --wrt x

    An expression may start with '-' ("-x'*x"); `--` before it works too.
    """
    from ..catalogue import CATALOGUE
    from ..symbolic.api import derive

    declared = parse_assignments(shapes, "--shape")
    wrt = wrt_names(wrt)  # --wrt x,c as compare takes it
    if expr in CATALOGUE and not declared:
        entry = CATALOGUE[expr]
        fn, names = entry.function, list(wrt or entry.wrt)
    else:
        from .. import parse

        fn = parse(expr, declared or None)
        names = list(wrt) or fn.variables
    unknown = [n for n in names if n not in fn.shapes]
    if unknown:
        raise UserError(f"--wrt {', '.join(unknown)}: not a variable of the expression "
                        f"(variables: {', '.join(fn.variables)})")
    d = derive(fn, names, order=order)
    out = {"text": str, "expr": lambda x: x.expr(), "latex": lambda x: x.latex(), "mathml": lambda x: x.mathml(),
           "python": lambda x: x.source, "json": lambda x: x.to_json()}[fmt](d)
    if with_hvp or with_trace:
        out = _with_curvature(out, fn, names, fmt, with_hvp, with_trace)
    click.echo(out)


def _with_curvature(out: str, fn, names: list[str], fmt: str, with_hvp: bool, with_trace: bool) -> str:
    """The derivation followed by the closed-form HVP and/or trace rows."""
    import json

    from ..errors import Unsupported
    from ..symbolic.curvature import curvature_programs, curvature_rows

    if not fn.is_scalar:
        raise UserError("--hvp and --trace need a scalar function")
    try:
        if fmt == "expr":  # programs of the input language, like the derivation above them
            rows = curvature_programs(fn, names, trace=with_trace)
            rows = rows if with_hvp else rows[-1:]
            return out + "\n" + "\n".join(f"# {l}: {r}" if isinstance(r, Unsupported) else f"# {l}\n{r}"
                                            for l, r in rows)
        rows = curvature_rows(fn, names, "text" if fmt in ("json", "python") else fmt, trace=with_trace)
    except Unsupported as err:
        raise UserError(str(err)) from None
    rows = rows if with_hvp else rows[-1:]
    if fmt == "json":
        data = json.loads(out)
        data["curvature"] = {lhs: rhs for lhs, rhs in rows}
        return json.dumps(data, indent=2, sort_keys=True)
    if fmt == "latex":
        return out + "\n" + "\\begin{aligned}\n" + " \\\\\n".join(f"{l} &= {r}" for l, r in rows) + "\n\\end{aligned}"
    if fmt == "mathml":
        from ..symbolic.printing import math_block

        return out + "\n" + math_block(rows)
    return out + "\n" + "\n".join(f"{l} = {r}" for l, r in rows)
