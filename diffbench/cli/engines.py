"""``diffbench engines``: which engines exist and whether they can run here."""
from __future__ import annotations

import click

from ..engines import load_all
from .common import echo_json


@click.command("engines")
@click.option("--json", "as_json", is_flag=True, help="print as JSON")
def command(as_json):
    """List engines, marking those unavailable here (and why)."""
    rows = []
    for name, engine in sorted(load_all().items()):
        ok, why = engine.available()
        rows.append({"name": name, "available": ok, "why": why, "description": engine.description})
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        state = "available" if r["available"] else f"unavailable ({r['why']})"
        click.echo(f"{r['name']:<14} {state:<12} {r['description']}")
