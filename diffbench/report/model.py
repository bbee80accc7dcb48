"""A run, read from the store into plain data the report is drawn from.

Everything the report knows about the store's record layout lives here:
if a key is renamed or missing in an older store, this is the one place
to adapt.  The rest of the package reads the dicts built below.
"""
from __future__ import annotations

from datetime import datetime

#: defaults for result keys an older (or partial) record may lack
_RESULT_DEFAULTS = {
    "message": "", "times": [], "median": None, "spread": None, "inner_loops": None,
    "prepare_seconds": None, "peak_bytes": None, "accuracy": None, "reference": None,
    "stats": {}, "env": {}, "attempts": None, "started": None, "finished": None,
    "sizes": {}, "wrt": [], "expr": "",
}
_RUN_DEFAULTS = {"job_name": "", "description": "", "job": {}, "job_text": "", "planned": 0, "done": 0,
                 "status": "unknown", "started": None, "finished": None, "cluster": {}, "env": {}}
QUANTITY_ORDER = ("value", "gradient", "jacobian", "hvp", "hessian")


def load(store, run_id: str) -> dict:
    """``{"run", "raw", "results", "missing", "functions", "partial"}`` for ``run_id``.

    ``raw`` are the store's records untouched (the page's downloads);
    ``results`` the same with defaults filled in.  ``missing`` are planned
    tasks without a result (a run in progress or interrupted);
    ``functions`` groups results by function, in plan order.
    """
    run = run_record(store.run(run_id))
    tasks = _tasks(store, run_id)
    raw = store.results(run_id)
    results = [_result(r, i) for i, r in enumerate(raw)]
    done = {r["task_key"] for r in results}
    missing = [t for t in tasks if t.get("key") not in done]
    run["duration"] = seconds_between(run.get("started"), run.get("finished"))
    return {"run": run, "raw": raw, "results": results, "missing": missing,
            "functions": _functions(tasks, results, missing),
            "partial": run.get("status") != "finished" or bool(missing)}


def run_record(run: dict) -> dict:
    """The store's run with every key the pages use (``None`` -> its default)."""
    return {**_RUN_DEFAULTS, **{k: v for k, v in run.items() if v is not None}}


def _tasks(store, run_id: str) -> list[dict]:
    # the plan carries each function's declared shapes, which results lack
    try:
        return store.tasks(run_id)
    except AttributeError:
        return []


def _result(record: dict, index: int) -> dict:
    r = {**_RESULT_DEFAULTS, **record}
    r["sizes"] = {str(k): int(v) for k, v in (r["sizes"] or {}).items()}
    r["size_label"] = ", ".join(f"{k}={v}" for k, v in r["sizes"].items()) or "-"
    r["anchor"] = f"r{index}"
    return r


def _functions(tasks: list[dict], results: list[dict], missing: list[dict]) -> list[dict]:
    order: dict[str, dict] = {}
    for source in (tasks, results):
        for item in source:
            name = item["function"]
            if name not in order:
                order[name] = {"name": name, "expr": item.get("expr", ""), "wrt": list(item.get("wrt") or []),
                               "shapes": item.get("shapes"), "catalogue": item.get("catalogue"),
                               "python": item.get("python")}
    out = []
    for i, fn in enumerate(order.values()):
        fn["anchor"] = f"f{i}"
        fn["results"] = [r for r in results if r["function"] == fn["name"]]
        fn["missing"] = [t for t in missing if t["function"] == fn["name"]]
        fn["dim"] = leading_dim(fn["results"] + fn["missing"])
        fn["quantities"] = sorted({r["quantity"] for r in fn["results"] + fn["missing"]}, key=_quantity_rank)
        out.append(fn)
    return out


def leading_dim(items: list[dict]) -> str | None:
    """The dim plotted on the x axis: the one taking the most distinct values."""
    values: dict[str, set] = {}
    for item in items:
        for dim, v in (item.get("sizes") or {}).items():
            values.setdefault(dim, set()).add(v)
    if not values:
        return None
    return max(values, key=lambda d: (len(values[d]), -list(values).index(d)))


def _quantity_rank(q: str) -> tuple:
    return (QUANTITY_ORDER.index(q) if q in QUANTITY_ORDER else len(QUANTITY_ORDER), q)


def seconds_between(start: str | None, end: str | None) -> float | None:
    try:
        return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    except (TypeError, ValueError):
        return None
