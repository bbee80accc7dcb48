"""``diffbench catalogue``: the named seed functions."""
from __future__ import annotations

import click

from ..catalogue import CATALOGUE
from .common import echo_json


@click.command("catalogue")
@click.option("--json", "as_json", is_flag=True, help="print as JSON")
def command(as_json):
    """List the catalogue: name, expression, variables and default sizes."""
    rows = [{"name": e.name, "title": e.title, "expr": e.expr, "wrt": list(e.wrt), "shapes": e.shapes,
             "size_dims": list(e.size_dims), "derived": e.derived, "default_sizes": e.default_sizes,
             "source": e.source} for e in CATALOGUE.values()]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        sizes = ", ".join(f"{d}={v}" for d, v in r["default_sizes"].items()) or "scalars"
        click.echo(f"{r['name']:<24} {r['expr']}")
        click.echo(f"{'':<24} wrt {', '.join(r['wrt'])}; sizes {sizes}; {r['title']}")
