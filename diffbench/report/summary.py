"""The numbers a report states: fitted exponents, cost ratios and verdicts.

Pure functions over result dicts (as :mod:`.model` builds them), so each
number on the page can be unit tested without a store or a browser.
"""
from __future__ import annotations

import math
from collections import defaultdict

from ..agreement import disagrees as _beyond_bar
from ..agreement import tolerance


def fit_slope(xs, ys) -> float | None:
    """Least-squares slope of log(y) against log(x): the k in y ~ x^k.

    None when fewer than two distinct positive sizes have a positive time.
    """
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys)
           if x and y and x > 0 and y > 0 and math.isfinite(y)]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def _rest(sizes: dict, dim: str | None, follows: set[str]) -> str:
    """The sizes that are independent axes of a grid job, beside the plotted dim."""
    return ", ".join(f"{k}={v}" for k, v in sizes.items() if k != dim and k not in follows)


def following_dims(results: list[dict], dim: str | None) -> set[str]:
    """Dims fixed by the plotted one (m = 2n in a catalogue entry, or a
    constant): they must not split a line into one-point series."""
    seen: dict[str, dict] = defaultdict(dict)
    follows = set()
    for r in results:
        for k, v in r["sizes"].items():
            if k != dim and dim in r["sizes"]:
                seen[k].setdefault(r["sizes"][dim], set()).add(v)
    for k, by_value in seen.items():
        if all(len(vs) == 1 for vs in by_value.values()):
            follows.add(k)
    return follows


def series(results: list[dict], dim: str | None, field: str = "median") -> dict[tuple, list[tuple]]:
    """``{(engine, quantity, rest): [(size, field), ...]}`` sorted by size, ok results only."""
    out: dict[tuple, list[tuple]] = defaultdict(list)
    follows = following_dims(results, dim)
    for r in results:
        if r["status"] == "ok" and r.get(field) is not None and dim in r["sizes"]:
            out[(r["engine"], r["quantity"], _rest(r["sizes"], dim, follows))].append((r["sizes"][dim], r[field]))
    return {k: sorted(v) for k, v in out.items()}


def slopes(results: list[dict], dim: str | None) -> list[dict]:
    """One fitted exponent per engine x quantity (x other sizes) of a function."""
    out = []
    for (engine, quantity, rest), pts in series(results, dim).items():
        k = fit_slope([p[0] for p in pts], [p[1] for p in pts])
        out.append({"engine": engine, "quantity": quantity, "rest": rest, "dim": dim,
                    "slope": k, "points": pts})
    return out


def ratios(results: list[dict]) -> list[dict]:
    """Per engine and sizes: time of each derivative over time of the value.

    The cheap-gradient principle says reverse mode's gradient / value stays
    a small constant; a ratio that grows with size says it does not here.
    """
    medians: dict[tuple, dict] = defaultdict(dict)
    for r in results:
        if r["status"] == "ok" and r.get("median"):
            key = (r["function"], r["engine"], tuple(r["sizes"].items()))
            medians[key][r["quantity"]] = r["median"]
    out = []
    for (function, engine, sizes), by_q in medians.items():
        if "value" not in by_q:
            continue
        row = {"function": function, "engine": engine, "sizes": dict(sizes)}
        row.update({q: t / by_q["value"] for q, t in by_q.items() if q != "value"})
        if len(row) > 3:
            out.append(row)
    return out


def _size_order(sizes: dict) -> tuple:
    return tuple(sizes.values())


def speed_cells(results: list[dict]) -> list[dict]:
    """Per function x quantity x sizes with two engines or more: who won, by how much."""
    cells: dict[tuple, list[dict]] = defaultdict(list)
    for r in results:
        if r["status"] == "ok" and r.get("median"):
            cells[(r["function"], r["quantity"], tuple(r["sizes"].items()))].append(r)
    out = []
    for (function, quantity, sizes), rs in cells.items():
        if len(rs) < 2:
            continue
        ranked = sorted(rs, key=lambda r: r["median"])
        out.append({"function": function, "quantity": quantity, "sizes": dict(sizes),
                    "winner": ranked[0]["engine"], "runner_up": ranked[1]["engine"],
                    "factor": ranked[1]["median"] / ranked[0]["median"],
                    "medians": {r["engine"]: r["median"] for r in ranked}})
    return sorted(out, key=lambda c: (c["function"], c["quantity"], _size_order(c["sizes"])))


def speed_verdicts(results: list[dict]) -> list[dict]:
    """One line per function x quantity: the winner at the largest size and
    by how much, and whether the same engine won at every size."""
    grouped: dict[tuple, list[dict]] = defaultdict(list)
    for cell in speed_cells(results):
        grouped[(cell["function"], cell["quantity"])].append(cell)
    out = []
    for (function, quantity), cells in grouped.items():
        last = max(cells, key=lambda c: _size_order(c["sizes"]))
        winners = list(dict.fromkeys(c["winner"] for c in cells))
        out.append({"function": function, "quantity": quantity, "winner": last["winner"],
                    "runner_up": last["runner_up"], "factor": last["factor"], "sizes": last["sizes"],
                    "consistent": len(winners) == 1, "winners": [(c["sizes"], c["winner"]) for c in cells],
                    "factors": [c["factor"] for c in cells if c["winner"] == last["winner"]]})
    return out


def tally(cells: list[dict]) -> dict[str, dict[str, int]]:
    """``{quantity: {engine: cells won}}``: the one-line answer to "who is faster"."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in cells:
        out[c["quantity"]][c["winner"]] += 1
    return {q: dict(sorted(w.items(), key=lambda kv: -kv[1])) for q, w in out.items()}


def threshold(r: dict) -> float:
    """The disagreement bar of a result: :func:`diffbench.agreement.tolerance`."""
    return tolerance(r["quantity"], r["engine"], r.get("reference"))


def disagrees(r: dict) -> bool:
    """An ok result whose error against its reference is beyond the one bar."""
    return r["status"] == "ok" and _beyond_bar(r.get("accuracy"), r["quantity"], r["engine"], r.get("reference"))


def disagreements(results: list[dict]) -> list[dict]:
    """Ok results whose error against their reference is above the bar, worst first."""
    bad = [r for r in results if disagrees(r)]
    return sorted(bad, key=lambda r: -(r["accuracy"] if math.isfinite(r["accuracy"]) else math.inf))


def failures(results: list[dict]) -> list[dict]:
    """Results that produced no measurement: failed, timeout, oom, unsupported, skipped."""
    return [r for r in results if r["status"] != "ok"]


def counts(results: list[dict]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in results:
        out[r["status"]] += 1
    return dict(out)


def step_errors(r: dict) -> list[tuple[float, float]]:
    """fd's error at several steps, when the record's ``stats`` carry them.

    Accepted forms (see docs/reports.md): ``stats["step_errors"]`` as a list
    of ``[step, error]`` pairs, a list of ``{"step", "error"}`` dicts, or a
    ``{step: error}`` mapping.  Anything unreadable gives no points.
    """
    raw = (r.get("stats") or {}).get("step_errors")
    if isinstance(raw, dict):
        raw = list(raw.items())
    pts = []
    for item in raw or []:
        try:
            step, err = (item["step"], item["error"]) if isinstance(item, dict) else item
            pts.append((float(step), float(err)))
        except (KeyError, TypeError, ValueError):
            continue
    return sorted(p for p in pts if p[0] > 0 and math.isfinite(p[1]))
