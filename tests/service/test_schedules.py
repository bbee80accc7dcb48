"""A schedule firing, with a clock the test moves: the real server (on a
background thread, 127.0.0.1, ephemeral port) runs the job once per tick,
catches a missed stretch up once, and never runs a job twice at a time.
Also ``schedule list`` and ``run-due``."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime, timezone

from service_helpers import ManualClock, job_text, request, serving_in_thread, wait_for_run

from diffbench.service.server import Settings

NIGHTLY = 'schedule = "0 3 * * *"'


def write_jobs(tmp_path, extra=NIGHTLY):
    folder = tmp_path / "jobs"
    folder.mkdir(exist_ok=True)
    (folder / "nightly.toml").write_text(job_text("nightly", extra))
    (folder / "plain.toml").write_text(job_text("plain"))  # no schedule: never fired
    return folder


def runs_of(url, job="nightly"):
    return [r for r in request("GET", f"{url}/api/runs")[1] if r["job_name"] == job]


def wait_for_runs(url, count, timeout=30):
    deadline = time.monotonic() + timeout
    while len(runs := runs_of(url)) < count:
        assert time.monotonic() < deadline, f"expected {count} runs, have {len(runs)}"
        time.sleep(0.1)
    return runs


def test_a_schedule_fires_on_its_tick_and_catches_up_once(tmp_path):
    clock = ManualClock(datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc))
    settings = Settings(port=0, jobs=str(write_jobs(tmp_path)), db=str(tmp_path / "s.sqlite"),
                        reports=str(tmp_path / "reports"), workers=1, poll=0.1)
    with serving_in_thread(settings, clock) as (url, service):
        time.sleep(0.5)
        assert runs_of(url) == []                       # first sight: nothing yet
        clock.advance(hours=1, seconds=5)               # 03:00:05, the tick
        first = wait_for_runs(url, 1)[0]
        assert wait_for_run(url, first["run_id"])["counts"]["ok"] == 2
        clock.advance(days=3)                           # three missed nights
        runs = wait_for_runs(url, 2)
        time.sleep(1.0)
        assert len(runs_of(url)) == 2                   # caught up once, not three times
        wait_for_run(url, runs[1]["run_id"])
        status, body = request("GET", f"{url}/api/schedules")
        row = body["schedules"][0]
        assert row["job"] == "nightly" and row["last_run_id"] == runs[1]["run_id"]
        assert row["next"][0] == "2026-01-05T03:00:00+00:00"
        assert runs_of(url, "plain") == []


def test_a_busy_job_is_not_started_twice(tmp_path):
    clock = ManualClock(datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc))
    settings = Settings(port=0, jobs=str(write_jobs(tmp_path, 'schedule = "* * * * *"')),
                        db=str(tmp_path / "s.sqlite"), reports=str(tmp_path / "reports"), workers=1, poll=3600)
    with serving_in_thread(settings, clock) as (url, service):
        service.tick()
        clock.advance(minutes=1)
        assert len(service.tick()) == 1                 # queued (and starting)
        clock.advance(minutes=1)
        assert service.tick() == []                     # still queued or running: left due
        wait_for_run(url, runs_of(url)[0]["run_id"])
        assert len(service.tick()) == 1                 # free again: the pending tick runs once
        wait_for_run(url, runs_of(url)[1]["run_id"])


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "diffbench.cli.main", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_schedule_list_and_run_due(tmp_path):
    write_jobs(tmp_path)
    (tmp_path / "jobs" / "broken.toml").write_text(job_text("broken", 'schedule = "0 25 * * *"'))
    listed = cli("schedule", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [r["job"] for r in data["schedules"]] == ["nightly"] and len(data["schedules"][0]["next"]) == 3
    assert "broken.toml: schedule:" in data["problems"][0] and "cron expression" in data["problems"][0]

    first = cli("run-due", "--workers", "1", "--now", "2026-01-01T02:00", cwd=tmp_path)
    assert first.returncode == 0 and "nothing due" in first.stdout, first.stderr
    ran = cli("run-due", "--workers", "1", "--now", "2026-01-03T04:00", "--json", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    [summary] = json.loads(ran.stdout)
    assert summary["job"] == "nightly" and summary["status"] == "finished" and summary["ok"] == 2
    again = cli("run-due", "--workers", "1", "--now", "2026-01-03T05:00", cwd=tmp_path)
    assert "nothing due" in again.stdout
