"""Regressions of a job's latest run against its history.

Three kinds, each about *now* (the latest run, or the run asked about):

* ``slowdown``: the series of median times has stepped up into its
  current level by more than the threshold (:mod:`.steps`, which weighs
  every point by its spread), and the level holds for two runs or more;
* ``possible-slowdown``: the same step, but only the latest run is in
  it.  One slow run is as likely a busy machine as slower code: it is
  shown, not counted as a regression, and the next run confirms it (the
  slowdown is then dated from this run) or dismisses it;
* ``failure``: the cell was ``ok`` in the run before and is not now;
* ``disagreement``: the cell agreed with its reference in the run before
  and now differs from it beyond the tolerance of :mod:`diffbench.agreement`
  (the one rule the report and the API judge by too).

The last two compare with the run just before on purpose: they are events,
not noise, and an old failure that persists is no longer news.
"""
from __future__ import annotations

from ..agreement import disagrees, tolerance
from ..errors import UserError
from ..jobs.units import seconds
from .series import history
from .steps import regression

THRESHOLD = 0.10
CONFIRM_RUNS = 2            # runs a new level needs before it is a slowdown
WATCH = frozenset({"possible-slowdown"})  # shown, but not regressions (exit code 0)


def agrees(point, engine: str, quantity: str) -> bool | None:
    """True / False against the reference; None when there was nothing to compare."""
    if point.status != "ok" or point.accuracy is None or point.reference is None:
        return None
    return not disagrees(float(point.accuracy), quantity, engine, point.reference)


def cell_regressions(key: tuple, points: list, threshold: float = THRESHOLD) -> list[dict]:
    """What regressed in the last point of one cell's series."""
    function, engine, quantity, sizes = key
    base = {"function": function, "engine": engine, "quantity": quantity, "sizes": sizes,
            "run_id": points[-1].run_id}
    out = []
    if len(points) >= 2:
        before, now = points[-2], points[-1]
        if before.status == "ok" and now.status != "ok":
            out.append({**base, "kind": "failure", "before": "ok", "after": now.status,
                        "message": f"was ok in {before.run_id}, now {now.status}: {now.message}".rstrip(": ")})
        if agrees(before, engine, quantity) is True and agrees(now, engine, quantity) is False:
            out.append({**base, "kind": "disagreement", "before": before.accuracy, "after": now.accuracy,
                        "message": f"differs from {now.reference} by {now.accuracy:.3g} "
                                   f"(tolerance {tolerance(quantity, engine, now.reference):g})"})
    slow = slowdown(points, threshold)
    if slow is not None:
        out.append({**base, **slow})
    return out


def slowdown(points: list, threshold: float) -> dict | None:
    """A step up in time, judged over the ok points up to the latest one."""
    timed = [p for p in points if p.status == "ok" and p.median and p.median > 0]
    if len(timed) < 2 or timed[-1] is not points[-1]:
        return None
    step = regression([p.median for p in timed], [p.spread for p in timed], threshold)
    if step is None:
        return None
    since = timed[step.index]
    changed = _changed_versions(timed[step.index - 1].versions, since.versions)
    confirmed = step.runs >= CONFIRM_RUNS
    where = f"since run {since.run_id}" if confirmed else "in this run only (the next run confirms or dismisses it)"
    return {"kind": "slowdown" if confirmed else "possible-slowdown", "before": step.before, "after": step.after,
            "change": step.change, "since_run": since.run_id, "runs": step.runs, "versions_changed": changed,
            "message": f"{seconds(step.before)} -> {seconds(step.after)} (+{100 * step.change:.0f}%) {where}"
                       + (f" ({', '.join(changed)})" if changed else "")}


def is_regression(found: dict) -> bool:
    return found["kind"] not in WATCH


def _changed_versions(old: dict, new: dict) -> list[str]:
    return [f"{k} {old.get(k, '?')} -> {new.get(k, '?')}" for k in sorted(set(old) | set(new))
            if old.get(k) != new.get(k)]


def run_regressions(store, job_name: str, run_id: str | None = None, threshold: float = THRESHOLD) -> list[dict]:
    """Regressions of ``run_id`` (default: the job's latest finished run)."""
    runs, series = history(store, job_name, until=run_id)
    if not runs or (run_id is not None and runs[-1].run_id != run_id):
        return []
    latest = runs[-1].run_id
    out = []
    for key, points in sorted(series.items()):
        if points[-1].run_id == latest:
            out += [{"job": job_name, **r} for r in cell_regressions(key, points, threshold)]
    return out


def find_regressions(db, job: str | None = None, threshold: float = THRESHOLD) -> list[dict]:
    """Every job's (or one job's) current regressions, read from the store at ``db``."""
    from ..jobs.scheduler import open_store

    store = open_store(str(db))
    try:
        names = sorted({r["job_name"] for r in store.runs()})
        if job is not None and job not in names:
            raise UserError(f"no runs of job {job!r} in {db}" + (f" (jobs: {', '.join(names)})" if names else ""))
        return [r for name in ([job] if job else names) for r in run_regressions(store, name, None, threshold)]
    finally:
        store.close()
