"""What is due: cron validation, catch-up once, first sight, busy jobs."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from diffbench.jobs.cron import check_schedule, next_ticks, previous_tick
from diffbench.service.due import due_jobs, due_tick
from service_helpers import ManualClock
from diffbench.service.jobsdir import ScheduledJob
from diffbench.jobs.store import ScheduleState

UTC = timezone.utc
NIGHTLY = "0 3 * * *"


def at(day, hour, minute=0):
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("expr", ["0 3 * * *", "*/15 * * * 1-5", "@daily", " 0 3 * * * "])
def test_valid_schedules(expr):
    assert check_schedule(expr) == expr.strip()


@pytest.mark.parametrize("expr", ["", "0 3 * *", "61 * * * *", "* * * * * *", "nightly", "@sometimes"])
def test_invalid_schedules_say_what_is_expected(expr):
    with pytest.raises(ValueError, match="cron expression"):
        check_schedule(expr)


def test_ticks():
    assert previous_tick(NIGHTLY, at(2, 5)) == at(2, 3)
    assert previous_tick(NIGHTLY, at(2, 3)) == at(2, 3)  # a tick is due at its own minute
    assert next_ticks(NIGHTLY, at(2, 5), 2) == [at(3, 3), at(4, 3)]


def test_missed_ticks_are_caught_up_once():
    assert due_tick(NIGHTLY, at(2, 4), last=at(1, 3)) == at(2, 3)
    assert due_tick(NIGHTLY, at(9, 4), last=at(1, 3)) == at(9, 3)  # a week away: one run, for the latest tick
    assert due_tick(NIGHTLY, at(9, 4), last=at(9, 3)) is None


def test_due_jobs_remember_first_sight_and_consume_ticks(tmp_path):
    state, clock = ScheduleState(tmp_path / "s.sqlite"), ManualClock(at(1, 12))
    jobs = [ScheduledJob("nightly", "jobs/n.toml", NIGHTLY), ScheduledJob("hourly", "jobs/h.toml", "@hourly")]
    assert due_jobs(jobs, state, clock.now()) == []  # first sight: the clock starts, nothing runs
    clock.advance(minutes=30)
    assert due_jobs(jobs, state, clock.now()) == []
    clock.advance(hours=1)
    assert [d.name for d in due_jobs(jobs, state, clock.now())] == ["hourly"]
    clock.set(at(4, 8))  # down for three nights
    due = due_jobs(jobs, state, clock.now())
    assert [(d.name, d.tick) for d in due] == [("nightly", at(4, 3)), ("hourly", at(4, 8))]
    for d in due:
        state.ran(d.name, d.tick, "run-1")
    assert due_jobs(jobs, state, clock.now()) == []


def test_an_upgrade_since_the_last_run_makes_a_job_due(tmp_path):
    from diffbench.jobs.store import Store
    from diffbench.service.upgrades import upgrades

    store = Store(tmp_path / "s.sqlite")
    assert upgrades(store, "nightly", {"numpy": "2.4.0"}) == []  # never ran: waits for its tick
    store.create_run({"run_id": "r1", "job_name": "nightly", "description": "", "job": {}, "job_text": "",
                      "started": "2026-01-01T03:00:00+00:00", "cluster": {},
                      "env": {"versions": {"numpy": "2.3.1", "sympy": "1.14.0"}}}, [])
    assert upgrades(store, "nightly", {"numpy": "2.4.0", "sympy": "1.14.0"}) == ["numpy 2.3.1 -> 2.4.0"]
    assert upgrades(store, "nightly", {"numpy": "2.3.1", "sympy": "1.14.0"}) == []
