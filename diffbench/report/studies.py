"""Report sections of the studies (diffbench.studies): a function and its first
six derivatives, and optimisation runs (f(x_k) - f* against k and time, with
fitted rates, and the seeds' claims checked against them)."""
from __future__ import annotations

import math
from html import escape

import numpy as np

from .memory import run_results
from .plots import _COLOURS, _axes, _figure, _legend, run_colours, to_svg


# ---------------------------------------------------------------- derivatives

def derivatives_html(store, run_id: str) -> str:
    rows = run_results(store, run_id, "curves")
    if not rows:
        return ""
    seen, figures = set(), []
    for r in rows:
        if r["function"] in seen:
            continue
        seen.add(r["function"])
        figures.append(f"<figure class='plot-derivatives'>{_curves_plot(r)}<figcaption>"
                       f"{escape(r['function'])} and its first six derivatives ({escape(r['engine'])} engine)"
                       "</figcaption></figure>")
    return ("<section id='derivatives'><h2>Higher derivatives</h2><p>The seeds plot tanh and its first six "
            "derivatives (autograd's egrad nested six times). Here each curve is computed by the engine "
            "named, at 141 points of [−7, 7].</p>"
            f"<div class='plots'>{''.join(figures)}</div></section>")


def _curves_plot(r: dict) -> str:
    curves = r["stats"]["curves"]
    fig = _figure()
    ax = _axes(fig, curves.get("variable", "x"), "value")
    for k, ys in enumerate(curves["derivatives"]):
        label = ("f", "f′", "f″", "f‴")[k] if k <= 3 else f"f^({k})"
        ax.plot(curves["x"], ys, color=_COLOURS[k % len(_COLOURS)], lw=1.4, label=label)
    _legend(ax)
    return to_svg(fig, "a function and its first six derivatives")


# ---------------------------------------------------------------- optimisation

def fitted_rate(trajectory: list, floor: float = 1e-12) -> dict:
    """Linear rate rho (gap ~ rho^k) and sublinear exponent p (gap ~ k^-p),
    fitted by least squares on the logged points above ``floor``."""
    points = [(k, gap) for k, _, gap in trajectory if k > 0 and gap is not None and gap > floor]
    if len(points) < 3:
        return {"rho": None, "power": None}
    k = np.array([p[0] for p in points], dtype=float)
    log_gap = np.log([p[1] for p in points])
    rho = float(np.exp(np.polyfit(k, log_gap, 1)[0]))
    power = float(-np.polyfit(np.log(k), log_gap, 1)[0])
    return {"rho": rho, "power": power}


def optimisation_html(store, run_id: str) -> str:
    rows = run_results(store, run_id, "trajectory")
    if not rows:
        return ""
    colours = run_colours(store, run_id)
    cells: dict = {}
    for r in rows:
        cells.setdefault((r["function"], r["size_label"]), []).append(r)
    figures = []
    for (function, size), rs in cells.items():
        for axis in ("k", "seconds"):
            svg = _trajectory_plot(rs, axis, colours)
            figures.append(f"<figure class='plot-optimisation'>{svg}<figcaption>{escape(function)} at "
                           f"{escape(size)}: f(x<sub>k</sub>) − f* against "
                           f"{'iteration k' if axis == 'k' else 'wall time'}</figcaption></figure>")
    return ("<section id='optimisation'><h2>Optimisation: exact gradients, zero-order estimates, Newton</h2>"
            "<p>Every engine descends the same function (values from the tape's interpreter) from the same "
            "start, with one step rule: x ← x − G / (L m), L the largest Hessian eigenvalue at the start, "
            "m = E|G|²/|∇f|² the estimator's second moment (1 for exact gradients, about n for one random "
            "direction). Newton uses Armijo backtracking from the full step. Time excludes the logging.</p>"
            f"<div class='plots'>{''.join(figures)}</div>{_rates_table(cells)}</section>")


def _trajectory_plot(rows: list[dict], axis: str, colours: dict) -> str:
    fig = _figure()
    ax = _axes(fig, "iteration k (log scale)" if axis == "k" else "seconds (log scale)",
               "f(x_k) − f* (log scale)")
    for r in rows:
        pts = [(k if axis == "k" else s, gap) for k, s, gap in r["stats"]["trajectory"]
               if gap is not None and gap > 0 and (k if axis == "k" else s) > 0]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, "-" if r["quantity"] == "descent" else "--", marker=".", markersize=3,
                    color=colours.get(r["engine"], "k"), label=f"{r['engine']} {r['quantity']}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _legend(ax)
    return to_svg(fig, f"optimality gap against {axis}")


def _rates_table(cells: dict) -> str:
    rows = []
    for (function, size), rs in cells.items():
        exact = [r for r in rs if r["quantity"] == "descent" and r["stats"]["optimisation"].get("second_moment") == 1.0]
        base = fitted_rate(exact[0]["stats"]["trajectory"])["rho"] if exact else None
        for r in rs:
            opt, fit = r["stats"]["optimisation"], fitted_rate(r["stats"]["trajectory"])
            reached = opt.get("reached")
            ratio = _exponent_ratio(fit["rho"], base)
            rows.append(
                f"<tr><td>{escape(function)}</td><td>{escape(size)}</td><td>{escape(r['engine'])}</td>"
                f"<td>{escape(r['quantity'])}</td><td class='num'>{opt.get('iterations')}</td>"
                f"<td class='num'>{_num(opt.get('seconds'))}</td>"
                f"<td class='num'>{reached['iterations'] if reached else '—'}</td>"
                f"<td class='num'>{_num(reached['seconds']) if reached else 'not reached'}</td>"
                f"<td class='num'>{_num(fit['rho'], 6)}</td><td class='num'>{_num(fit['power'])}</td>"
                f"<td class='num'>{_num(opt.get('second_moment'))}</td><td class='num'>{_num(ratio)}</td></tr>")
    return ("<div class='table-wrap'><table id='rates-table'><thead><tr><th>function</th><th>sizes</th><th>engine</th>"
            "<th>method</th><th class='num'>iterations</th><th class='num'>seconds</th>"
            "<th class='num'>k to 1e-10</th><th class='num'>s to 1e-10</th><th class='num'>ρ fitted</th>"
            "<th class='num'>p fitted</th><th class='num'>m (predicted slow-down)</th>"
            "<th class='num'>measured slow-down</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div><p>ρ: gap ≈ C ρ<sup>k</sup> fitted on the logged "
            "points; p: gap ≈ C k<sup>−p</sup>. The seeds predict (1 − μ/L)<sup>k</sup> for gradient descent and "
            "(1 − μ/(nL))<sup>k</sup> for a one-direction zero-order estimate: the measured slow-down "
            "log ρ<sub>exact</sub> / log ρ is to be compared with m ≈ n.</p>")


def _exponent_ratio(rho, base) -> float | None:
    if rho is None or base is None or not 0 < rho < 1 or not 0 < base < 1:
        return None
    return math.log(base) / math.log(rho)


def _num(v, digits: int = 3) -> str:
    if v is None:
        return "—"
    return f"{v:.{digits}g}"
