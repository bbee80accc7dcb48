"""Firing schedules: find what is due in the jobs folder and record a run
for each, consuming its tick (see :mod:`.due`, :mod:`.upgrades`).  Shared by ``serve`` (every few seconds) and
``run-due`` (once)."""
from __future__ import annotations

import logging

from ..errors import UserError
from .due import due_jobs
from .jobsdir import scan

log = logging.getLogger("diffbench.service")


def fire_due(jobs_dir, state, runner, now, reported: set | None = None) -> list:
    """Record a run for every due job that is not already queued or running
    (due by its schedule, or by an upgrade since its last run); the list of
    them (``Pending``), to be enqueued or run by the caller."""
    free = [j for j in _scan(jobs_dir, reported) if not runner.busy(j.name)]
    fired, ticked = [], set()
    for due in due_jobs(free, state, now):
        pending = _fire(due.path, runner, f"tick {due.tick.isoformat()}")
        state.ran(due.name, due.tick, pending.run_id if pending else None)  # a bad file is not retried
        fired.append(pending)
        ticked.add(due.name)
    for job in free:
        changed = [] if job.name in ticked else _upgrades(runner, job.name)
        if changed:
            fired.append(_fire(job.path, runner, "upgrade: " + ", ".join(changed)))
    return [p for p in fired if p is not None]


def _scan(jobs_dir, reported: set | None) -> list:
    """Scheduled jobs; each problem with the folder logged once per server."""
    scheduled, problems = scan(jobs_dir)
    for problem in problems:
        if reported is None or problem not in reported:
            log.warning("skipped: %s", problem)
        if reported is not None:
            reported.add(problem)
    return scheduled


def _fire(path: str, runner, why: str):
    """A recorded run of the job file at ``path``; None if it no longer validates."""
    from ..jobs.plan import plan
    from ..jobs.checks import load_job

    try:
        job, text = load_job(path)
        pending = runner.record(job, text, plan(job, path), "schedule")
    except UserError as err:  # edited between the scan and now
        log.warning("not run: %s", err)
        return None
    log.info("%s is due (%s): run %s", job.name, why, pending.run_id)
    return pending


def _upgrades(runner, job_name: str) -> list[str]:
    from ..jobs.env import versions
    from ..jobs.store import Store
    from .upgrades import upgrades

    store = Store(runner.target.db)
    try:
        return upgrades(store, job_name, versions())
    finally:
        store.close()


def schedule_table(jobs_dir, state, now, count: int = 3) -> tuple[list[dict], list[str]]:
    """Each scheduled job with its next run times, and the files left out."""
    from ..jobs.cron import next_ticks

    scheduled, problems = scan(jobs_dir)
    known = state.all() if state is not None else {}
    rows = [{"job": j.name, "path": j.path, "schedule": j.schedule,
             "next": [t.isoformat() for t in next_ticks(j.schedule, now, count)],
             "last_tick": known.get(j.name, {}).get("last_tick"),
             "last_run_id": known.get(j.name, {}).get("last_run_id")} for j in scheduled]
    return rows, problems
