"""Report sections for scaling: throughput against workers (with the ideal
line, per engine) and time against size (with fitted exponents), as HTML."""
from __future__ import annotations

from html import escape

from .sizes import size_fits
from .store import ALL, points


def workers_html(store, run_id: str) -> str:
    """'' when the run had no worker-count sweep."""
    from ..report.plots import run_colours, workers_plot

    sweep = [p for p in points(store, run_id) if p["throughput"]]
    if not sweep:
        return ""
    by_engine: dict[str, list[dict]] = {}
    for p in sweep:
        by_engine.setdefault(p["engine"], []).append(p)
    if len(by_engine) == 2:  # one engine: its line and the whole run's are the same
        by_engine.pop(ALL, None)
    colours = run_colours(store, run_id)
    chart = workers_plot({e: [(p["workers"], p["throughput"]) for p in ps] for e, ps in by_engine.items()},
                         colours)
    mode = sweep[0]["mode"]
    skipped = _skipped(store.run(run_id), sweep)
    rows = "".join(_row(engine, p, ps[0]) for engine, ps in _ordered(by_engine) for p in ps)
    return (f"<section id='workers'><h2>Throughput against workers ({escape(mode)} scaling)</h2>"
            f"<p>{escape(_explain(mode))}{escape(skipped)}</p><div class='plots'><figure class='plot-workers'>{chart}<figcaption>Solid: measured. "
            "Dashed: ideal, throughput in proportion to workers from the smallest count.</figcaption></figure></div>"
            "<div class='table-wrap'><table id='workers-table'><thead><tr><th>engine</th><th class='num'>workers"
            "</th><th class='num'>tasks</th><th class='num'>failed</th><th class='num'>seconds</th>"
            "<th class='num'>tasks/s</th><th class='num'>speed-up</th><th class='num'>of ideal</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div></section>")


def _skipped(run: dict, sweep: list[dict]) -> str:
    """The worker counts asked for but not measured: a local sweep stops at
    the cores of the machine, since more workers would only time-share them."""
    asked = ((run.get("job") or {}).get("scaling") or {}).get("workers") or []
    measured = {p["workers"] for p in sweep}
    missing = [c for c in asked if c not in measured]
    if not missing:
        return ""
    where = ("the cluster's" if any(p["kind"] == "remote" for p in sweep) else "this machine's cores:")
    return (f" Not measured: {', '.join(map(str, missing))} workers, more than {where} {max(measured)} "
            "(a local sweep stops at the cores; run on a larger cluster with --scheduler to sweep further).")


def _explain(mode: str) -> str:
    if mode == "weak":
        return ("Weak scaling: N copies of the run's tasks on N workers, each engine timed as one pass "
                "(wall clock, scheduling included). Ideal: the time stays flat, so throughput grows with N.")
    return ("Strong scaling: the run's tasks again on each worker count, each engine timed as one pass "
            "(wall clock, scheduling included). Ideal: N workers finish N times sooner.")


def _ordered(by_engine: dict) -> list:
    return sorted(by_engine.items(), key=lambda kv: (kv[0] == ALL, kv[0]))


def _row(engine: str, p: dict, base: dict) -> str:
    speedup = p["throughput"] / base["throughput"]
    ideal = p["workers"] / base["workers"]
    return (f"<tr><td>{escape(engine)}</td><td class='num'>{p['workers']}</td><td class='num'>{p['tasks']}</td>"
            f"<td class='num'>{p['failed']}</td><td class='num'>{p['seconds']:.2f}</td>"
            f"<td class='num'>{p['throughput']:.1f}</td><td class='num'>{speedup:.2f}×</td>"
            f"<td class='num'>{100 * speedup / ideal:.0f}%</td></tr>")


def sizes_html(results: list[dict]) -> str:
    """'' when no cell has three sizes or more (the server's plain page;
    the full report draws these as plots)."""
    fits = size_fits(results)
    if not fits:
        return ""
    parts = ["<h2>Time against size</h2><p>Exponent k of time ~ size<sup>k</sup>, fitted on the largest sizes."
             "</p><table><tr><th>function</th><th>engine</th><th>quantity</th><th>dim</th><th>k</th></tr>"]
    parts += [f"<tr><td>{escape(f['function'])}</td><td>{escape(f['engine'])}</td><td>{escape(f['quantity'])}</td>"
              f"<td>{escape(f['dim'])}</td><td>{f['exponent']:.2f}</td></tr>" for f in fits]
    parts.append("</table>")
    return "".join(parts)
