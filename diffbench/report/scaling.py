"""Report sections for scaling: throughput against workers (with the ideal
line, per engine) and time against size (with fitted exponents).  The
numbers come from :mod:`diffbench.scaling`; this module only draws."""
from __future__ import annotations

from ..scaling.passes import ALL, points
from ..scaling.sizes import size_fits
from .plots import run_colours, workers_plot


def workers_html(store, run_id: str) -> str:
    """'' when the run had no worker-count sweep."""
    from .render import environment

    sweep = [p for p in points(store, run_id) if p["throughput"]]
    if not sweep:
        return ""
    by_engine: dict[str, list[dict]] = {}
    for p in sweep:
        by_engine.setdefault(p["engine"], []).append(p)
    if len(by_engine) == 2:  # one engine: its line and the whole run's are the same
        by_engine.pop(ALL, None)
    chart = workers_plot({e: [(p["workers"], p["throughput"]) for p in ps] for e, ps in by_engine.items()},
                         run_colours(store, run_id))
    mode = sweep[0]["mode"]
    rows = [_row(engine, p, ps[0]) for engine, ps in _ordered(by_engine) for p in ps]
    return environment().get_template("workers.html.j2").render(
        mode=mode, explain=_explain(mode), skipped=_skipped(store.run(run_id), sweep), chart=chart, rows=rows)


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


def _row(engine: str, p: dict, base: dict) -> dict:
    speedup = p["throughput"] / base["throughput"]
    ideal = p["workers"] / base["workers"]
    return {**p, "engine": engine, "speedup": speedup, "of_ideal": 100 * speedup / ideal}


def sizes_html(results: list[dict]) -> str:
    """'' when no cell has three sizes or more (the server's plain page;
    the full report draws these as plots)."""
    from .render import environment

    fits = size_fits(results)
    return environment().get_template("sizes.html.j2").render(fits=fits) if fits else ""
