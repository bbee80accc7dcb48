"""From model data to one self-contained HTML page.

Jinja2 with autoescape on for everything: user text (names, descriptions,
expressions, messages, the job file) can only ever be text.  The few
``|safe`` insertions are built from trusted parts: sanitised MathML
(:mod:`.formulas`), the SVG of :mod:`.chart` (which escapes its text) and the escaped HTML of contributed
sections (:mod:`.sections`).  The embedded results JSON goes
through ``|tojson``, which escapes ``<``, ``>`` and ``&``, so ``</script>``
inside a string cannot close the tag.  A Content-Security-Policy allows
only the page's own script (by hash) and loads nothing from anywhere.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import math
from datetime import datetime, timezone
from importlib import resources

import jinja2

from ..agreement import FD_TOLERANCE, TOLERANCE
from ..jobs.records import KEYS  # the record keys, in the CSV's column order
from . import experiments, plots, summary
from .format import FILTERS
from .formulas import formulas


@functools.cache
def environment() -> jinja2.Environment:
    """The one template environment (built once: sections and sparklines render many times a page)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("diffbench.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=False, lstrip_blocks=False)
    env.filters.update(FILTERS)
    return env


def script() -> tuple[str, str]:
    """The page's script and its CSP hash (``'sha256-...'``)."""
    text = resources.files("diffbench.report").joinpath("templates/report.js").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()
    return text, f"'sha256-{digest}'"


def render_report(data: dict, sections: list[dict] = ()) -> str:
    """The HTML page for a run loaded by :func:`.model.load`; ``sections``
    are ready HTML from other packages (see :mod:`.sections`)."""
    page = context(data)
    return environment().get_template("report.html.j2").render(**page, sections=list(sections))


def context(data: dict) -> dict:
    run, results = data["run"], data["results"]
    colours = plots.engine_colours(plots.run_engines(run, results))
    js, js_hash = script()
    # Hutchinson estimates differ by probe count: they have their own section, not speed verdicts
    speed = summary.speed_verdicts([r for r in results if not experiments.is_estimate(r)])
    anchors = {fn["name"]: fn["anchor"] for fn in data["functions"]}
    for v in speed:
        v["anchor"] = f"{anchors.get(v['function'], '')}-{v['quantity']}"
    for r in results:
        r["disagrees"] = summary.disagrees(r)
        r["threshold"] = summary.threshold(r)
    return {
        "run": run, "partial": data["partial"], "missing": data["missing"],
        "counts": summary.counts(results), "cluster": _cluster(run), "machine": _machine(run, results),
        "versions": (run.get("env") or {}).get("versions") or {}, "results_count": len(results),
        "speed": speed, "tally": summary.tally(summary.speed_cells(results)),
        "disagreements": summary.disagreements(results), "failures": summary.failures(results),
        "compared": sum(r["accuracy"] is not None for r in results),
        "thresholds": {"exact": TOLERANCE, "fd": FD_TOLERANCE},
        "functions": [_function(*_split_estimates(fn), colours) for fn in data["functions"]],
        "data": {"keys": list(KEYS), "results": _finite(data["raw"])},
        "script": js, "script_hash": js_hash, "version": _version(),
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _split_estimates(fn: dict) -> tuple[dict, list[dict]]:
    """A copy of ``fn`` without its estimates (they have their own section), and the estimates."""
    fn = dict(fn)
    estimates = [r for r in fn["results"] if experiments.is_estimate(r)]
    fn["results"] = [r for r in fn["results"] if not experiments.is_estimate(r)]
    fn["missing"] = [t for t in fn["missing"] if not (t["quantity"] == "trace" and t.get("probes"))]
    return fn, estimates


def _function(fn: dict, estimates: list[dict], colours: dict) -> dict:
    """One function's section: its experiments, formulas, plots and tables."""
    fn["experiments"] = experiments.sections(fn, estimates)
    fn["formulas"] = formulas(fn)
    fn["plots"] = [dict(p, caption=_CAPTIONS[p["kind"]]) for p in plots.function_plots(fn, colours)]
    fn["slopes"] = [s for s in summary.slopes(fn["results"], fn["dim"]) if s["slope"] is not None]
    fn["tables"] = [_table(fn, q) for q in fn["quantities"]]
    fn["bad"] = sum(r["status"] != "ok" for r in fn["results"])
    return fn


_CAPTIONS = {
    "time": "Median time per call against size, log-log; k is the fitted slope (time ∝ size^k).",
    "memory": "Peak bytes one call allocates above its inputs (its temporaries and its output; "
              "tracemalloc), against size, log-log: what the time plot costs in memory.",
    "cost": "Time of each derivative divided by the time of the value, same engine and size "
            "(the cheap-gradient principle: reverse mode keeps gradient ÷ value small and flat).",
    "accuracy": "Largest relative error against the reference engine. Grey lines: the tolerance of each "
                "quantity plotted (dashed: between exact engines; dash-dot: when fd is involved).",
    "finite-difference": "Central-difference error against the step h: truncation error grows with h, "
                         "round-off error grows as h shrinks.",
    "zero-order": "A zero-order estimator's error against an exact gradient as its number of random "
                  "directions V grows, one line per step eps (each V from its own seeded directions); "
                  "dotted: the V^(-1/2) of a mean of V independent estimates. One-sided differences "
                  "have V = d and vary with eps only.",
}


def _table(fn: dict, quantity: str) -> dict:
    """One quantity's rows, grouped by size, the fastest engine of each size marked."""
    rows = [dict(r) for r in fn["results"] if r["quantity"] == quantity]
    rows += [_pending(t, fn, i) for i, t in enumerate(fn["missing"]) if t["quantity"] == quantity]
    rows.sort(key=lambda r: (tuple(r["sizes"].values()), r["engine"]))
    best: dict[str, float] = {}
    for r in rows:
        if r["status"] == "ok" and r.get("median"):
            best[r["size_label"]] = min(best.get(r["size_label"], math.inf), r["median"])
    previous = None
    for r in rows:
        r["fastest"] = r["status"] == "ok" and r.get("median") is not None and r["median"] == best.get(r["size_label"])
        r["group_start"] = previous is not None and r["size_label"] != previous
        previous = r["size_label"]
    return {"quantity": quantity, "anchor": f"{fn['anchor']}-{quantity}", "rows": rows}


def _pending(task: dict, fn: dict, i: int) -> dict:
    sizes = dict(task.get("sizes") or {})
    return {"engine": task["engine"], "quantity": task["quantity"], "sizes": sizes, "status": "pending",
            "size_label": ", ".join(f"{k}={v}" for k, v in sizes.items()) or "-",
            "message": "no result yet", "median": None, "spread": None, "peak_bytes": None, "accuracy": None,
            "reference": None, "prepare_seconds": None, "anchor": f"{fn['anchor']}-pending{i}", "disagrees": False}


def _cluster(run: dict) -> str:
    c = run.get("cluster") or {}
    if not c:
        return "—"
    workers = c.get("workers")
    parts = [f"{workers} worker{'s' if workers != 1 else ''}" if workers is not None else None,
             f"{c['threads']} threads" if c.get("threads") is not None else None,
             c.get("kind"), c.get("address")]
    return ", ".join(str(p) for p in parts if p)


def _machine(run: dict, results: list[dict]) -> str:
    """Where the results were measured (a worker's env), else where it was submitted."""
    env = next((r["env"] for r in results if r.get("env")), None) or run.get("env") or {}
    parts = [env.get("hostname"), env.get("cpu"),
             f"{env['cpu_count']} cores" if env.get("cpu_count") else None, env.get("platform"),
             f"BLAS {env['blas'].get('library')}" if isinstance(env.get("blas"), dict) else None]
    return ", ".join(str(p) for p in parts if p) or "—"


def _finite(value):
    """JSON has no inf/NaN (JSON.parse rejects them): write them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _version() -> str:
    try:
        from .. import __version__
        return __version__
    except ImportError:  # pragma: no cover
        return "?"

