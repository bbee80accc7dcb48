"""Report sections of the studies (diffbench.studies): a function and its first
six derivatives, and optimisation runs (f(x_k) - f* against k and time, with
fitted rates, and the seeds' claims checked against them)."""
from __future__ import annotations

import math
from html import escape

import numpy as np

from .memory import run_results
from .plots import COLOURS, SMALL, new_chart, run_colours


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
    chart = new_chart(curves.get("variable", "x"), "value")
    for k, ys in enumerate(curves["derivatives"]):
        label = ("f", "f′", "f″", "f‴")[k] if k <= 3 else f"f^({k})"
        chart.line(curves["x"], ys, colour=COLOURS[k % len(COLOURS)], width=1.9, label=label)
    return chart.svg("a function and its first six derivatives")


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
            f"<div class='plots'>{''.join(figures)}</div>{_rates_table(cells)}{_newton_table(cells)}</section>")


def _trajectory_plot(rows: list[dict], axis: str, colours: dict) -> str:
    chart = new_chart("iteration k (log scale)" if axis == "k" else "seconds (log scale)",
                      "f(x_k) − f* (log scale)", "log", "log")
    for r in rows:
        pts = [(k if axis == "k" else s, gap) for k, s, gap in r["stats"]["trajectory"]
               if gap is not None and gap > 0 and (k if axis == "k" else s) > 0]
        if pts:
            xs, ys = zip(*pts)
            chart.line(xs, ys, style="-" if r["quantity"] == "descent" else "--", marker=".", size=SMALL,
                       colour=colours.get(r["engine"], "#000"), label=f"{r['engine']} {r['quantity']}")
    return chart.svg(f"optimality gap against {axis}")


#: a zero-order run's measured slow-down within this factor of m (about n) counts as the seeds' claim holding
CLAIM_FACTOR = 2.0


def _rates_table(cells: dict) -> str:
    rows, verdicts = [], []
    for (function, size), rs in cells.items():
        exact = [r for r in rs if r["quantity"] == "descent" and r["stats"]["optimisation"].get("second_moment") == 1.0]
        base = fitted_rate(exact[0]["stats"]["trajectory"])["rho"] if exact else None
        for r in rs:
            opt, fit = r["stats"]["optimisation"], fitted_rate(r["stats"]["trajectory"])
            newton = r["quantity"] == "newton"  # quadratic convergence: no linear rate to fit
            rho = None if newton else fit["rho"]
            ratio = None if newton else _exponent_ratio(rho, base)
            verdict = _claim(opt.get("second_moment"), ratio)
            if verdict:
                verdicts.append(verdict)
            rows.append(_rate_row(function, size, r, opt, rho, None if newton else fit["power"], ratio, verdict))
    return ("<div class='table-wrap'><table id='rates-table'><thead><tr><th>function</th><th>sizes</th><th>engine</th>"
            "<th>method</th><th class='num'>iterations</th><th class='num'>seconds</th>"
            "<th class='num'>k to 1e-10</th><th class='num'>s to 1e-10</th><th class='num'>ρ fitted</th>"
            "<th class='num'>p fitted</th><th class='num'>m (predicted slow-down)</th>"
            "<th class='num'>measured slow-down</th><th>seeds' n× slower</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div><p>ρ: gap ≈ C ρ<sup>k</sup> fitted on the logged "
            "points; p: gap ≈ C k<sup>−p</sup> (neither for Newton, which converges quadratically). The seeds "
            "predict (1 − μ/L)<sup>k</sup> for gradient descent and (1 − μ/(nL))<sup>k</sup> for a one-direction "
            "zero-order estimate, i.e. O(1/k) against O(n/k): the measured slow-down log ρ<sub>exact</sub> / "
            f"log ρ is compared with m ≈ n, and the claim counts as holding within a factor {CLAIM_FACTOR:g}.</p>"
            f"{_claim_summary(verdicts)}")


def _rate_row(function, size, r, opt, rho, power, ratio, verdict) -> str:
    reached = opt.get("reached")
    return (f"<tr><td>{escape(function)}</td><td>{escape(size)}</td><td>{escape(r['engine'])}</td>"
            f"<td>{escape(r['quantity'])}</td><td class='num'>{opt.get('iterations')}</td>"
            f"<td class='num'>{_num(opt.get('seconds'))}</td>"
            f"<td class='num'>{reached['iterations'] if reached else '—'}</td>"
            f"<td class='num'>{_num(reached['seconds']) if reached else 'not reached'}</td>"
            f"<td class='num'>{_num(rho, 6)}</td><td class='num'>{_num(power)}</td>"
            f"<td class='num'>{_num(opt.get('second_moment'))}</td><td class='num'>{_num(ratio)}</td>"
            f"<td>{verdict or '—'}</td></tr>")


def _claim(second_moment, ratio) -> str | None:
    """Whether a zero-order run's slow-down is the predicted m (about n) within CLAIM_FACTOR."""
    if second_moment is None or second_moment <= 1.0 or ratio is None:
        return None
    return "holds" if 1 / CLAIM_FACTOR <= ratio / second_moment <= CLAIM_FACTOR else "does not hold"


def _claim_summary(verdicts: list[str]) -> str:
    if not verdicts:
        return ""
    held = verdicts.count("holds")
    return (f"<p id='rates-verdict'>The seeds' claim (zero-order descent about n times slower per iteration) "
            f"<strong>holds in {held} of {len(verdicts)}</strong> zero-order runs here.</p>")


def _newton_table(cells: dict) -> str:
    """What a Hessian buys: iterations and seconds to f − f* ≤ 1e-10, Newton with each
    engine's Hessian against gradient descent, per problem and size."""
    rows = []
    for (function, size), rs in cells.items():
        if not any(r["quantity"] == "newton" for r in rs):
            continue
        parts = []
        for r in sorted(rs, key=lambda r: (r["quantity"] != "newton", r["engine"])):
            reached = r["stats"]["optimisation"].get("reached")
            figure = f"{reached['iterations']} it, {_num(reached['seconds'])} s" if reached else \
                f"not reached in {r['stats']['optimisation'].get('iterations')} it"
            parts.append(f"<td>{escape(r['quantity'])} ({escape(r['engine'])}): {figure}</td>")
        rows.append(f"<tr><td>{escape(function)}</td><td>{escape(size)}</td>{''.join(parts)}</tr>")
    if not rows:
        return ""
    return ("<h3>What a Hessian buys</h3><div class='table-wrap'><table id='newton-table'><thead><tr>"
            "<th>function</th><th>sizes</th><th colspan='4'>iterations and seconds to f − f* ≤ 1e-10</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _exponent_ratio(rho, base) -> float | None:
    if rho is None or base is None or not 0 < rho < 1 or not 0 < base < 1:
        return None
    return math.log(base) / math.log(rho)


def _num(v, digits: int = 3) -> str:
    if v is None:
        return "—"
    return f"{v:.{digits}g}"
