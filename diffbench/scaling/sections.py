"""Report sections for scaling: throughput against workers (with the ideal
line) and time against size (with fitted exponents), as data and HTML."""
from __future__ import annotations

from html import escape

from ..history.svg import loglog
from .sizes import size_fits
from .store import points


def workers_html(store, run_id: str) -> str:
    """'' when the run had no worker-count sweep."""
    sweep = [p for p in points(store, run_id) if p["throughput"]]
    if not sweep:
        return ""
    base = sweep[0]
    ideal = [(p["workers"], base["throughput"] * p["workers"] / base["workers"]) for p in sweep]
    chart = loglog({"measured": [(p["workers"], p["throughput"]) for p in sweep]}, "workers", "tasks / s", ideal)
    rows = "".join(f"<tr><td>{p['workers']}</td><td>{p['tasks']}</td><td>{p['seconds']:.2f}</td>"
                   f"<td>{p['throughput']:.2f}</td><td>{100 * p['throughput'] / i[1]:.0f}%</td></tr>"
                   for p, i in zip(sweep, ideal))
    return (f"<h2>Throughput against workers ({escape(base['mode'])} scaling)</h2>{chart}"
            "<table><tr><th>workers</th><th>tasks</th><th>seconds</th><th>tasks/s</th><th>of ideal</th></tr>"
            f"{rows}</table><p>Dashed: ideal (throughput proportional to workers).</p>")


def sizes_html(results: list[dict]) -> str:
    """'' when no cell has three sizes or more."""
    fits = size_fits(results)
    if not fits:
        return ""
    parts = ["<h2>Time against size</h2><p>Exponent k of time ~ size<sup>k</sup>, fitted on the largest sizes."
             "</p><table><tr><th>function</th><th>engine</th><th>quantity</th><th>dim</th><th>k</th></tr>"]
    parts += [f"<tr><td>{escape(f['function'])}</td><td>{escape(f['engine'])}</td><td>{escape(f['quantity'])}</td>"
              f"<td>{escape(f['dim'])}</td><td>{f['exponent']:.2f}</td></tr>" for f in fits]
    parts.append("</table>")
    for function in sorted({f["function"] for f in fits}):
        lines = {f"{f['engine']} {f['quantity']} (k={f['exponent']:.2f})": f["points"]
                 for f in fits if f["function"] == function}
        parts.append(f"<h3>{escape(function)}</h3>" + loglog(lines, "size", "seconds"))
    return "".join(parts)
