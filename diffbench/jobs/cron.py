"""Cron expressions for ``schedule = "..."`` in a job file.

Five fields (minute hour day-of-month month day-of-week) or one of the
``@hourly``/``@daily``/``@weekly``/``@monthly``/``@yearly`` aliases, read by
croniter.  All times are UTC: a service whose schedules move with the
server's time zone (and twice a year with daylight saving) would make
"nightly" histories hard to line up.
"""
from __future__ import annotations

from datetime import datetime, timezone

from croniter import croniter

ALIASES = ("@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually")


def check_schedule(expr: str) -> str:
    """``expr`` if it is a valid schedule; ``ValueError`` saying what is expected."""
    text = expr.strip() if isinstance(expr, str) else expr
    if not isinstance(text, str) or not text:
        raise ValueError("expected a cron expression such as '0 3 * * *' (every day at 03:00 UTC)")
    fields = text.split()
    # croniter also takes a sixth (seconds) field: a benchmark has no use for it
    if not (text in ALIASES or len(fields) == 5) or not croniter.is_valid(text):
        raise ValueError(f"not a cron expression: {expr!r}; expected five fields "
                         "'minute hour day month weekday' such as '0 3 * * *', or @daily, @hourly, ...")
    return text


def utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def previous_tick(expr: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` when ``expr`` fires."""
    now = utc(now)
    if croniter.match(expr, now) and now.second == 0 and now.microsecond == 0:
        return now
    return croniter(expr, now).get_prev(datetime)


def next_ticks(expr: str, after: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` times after ``after`` when ``expr`` fires."""
    it = croniter(expr, utc(after))
    return [it.get_next(datetime) for _ in range(count)]
