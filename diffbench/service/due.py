"""What is due: a job whose schedule has fired since it last ran.

The rule is "catch up once": if the server was down over several ticks of
a schedule, the job runs once when it comes back, not once per missed
tick.  That falls out of remembering the *tick* a job last ran for (not
the time it ran): a job is due when the latest tick at or before now is
later than that.  A job seen for the first time is not due at once; its
first run is at its next tick (otherwise every restart with a new job
file would start a run nobody asked for).

The clock is passed in, so tests can move time forward by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from ..jobs.cron import previous_tick, utc


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Due:
    name: str
    path: str
    tick: datetime


def due_tick(schedule: str, now: datetime, last: datetime) -> datetime | None:
    """The tick to run for, or None: the latest tick if it is after ``last``."""
    tick = previous_tick(schedule, now)
    return tick if tick > utc(last) else None


def due_jobs(scheduled: list, state, now: datetime) -> list[Due]:
    """Every scheduled job that is due at ``now``; jobs seen for the first
    time are remembered (from ``now``) and not run."""
    out = []
    for job in scheduled:
        last = state.last_tick(job.name)
        if last is None:
            state.seen(job.name, now)
            continue
        tick = due_tick(job.schedule, now, last)
        if tick is not None:
            out.append(Due(job.name, job.path, tick))
    return out
