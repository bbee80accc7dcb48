"""Per-job schedule state, kept in the results store itself (one more
table), so it travels with the results and the store lock covers it."""
from __future__ import annotations

import sqlite3
from datetime import datetime

from .cron import utc

_SCHEMA = """CREATE TABLE IF NOT EXISTS schedule_state (
    job_name TEXT PRIMARY KEY, last_tick TEXT, last_run_id TEXT)"""


class ScheduleState:
    def __init__(self, db_path):
        self.db = sqlite3.connect(db_path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db.execute(_SCHEMA)

    def last_tick(self, name: str) -> datetime | None:
        row = self.db.execute("SELECT last_tick FROM schedule_state WHERE job_name=?", (name,)).fetchone()
        return utc(datetime.fromisoformat(row[0])) if row else None

    def seen(self, name: str, moment: datetime) -> None:
        """First sight of a job: its ticks before ``moment`` do not count."""
        self.db.execute("INSERT OR IGNORE INTO schedule_state (job_name, last_tick) VALUES (?, ?)",
                        (name, utc(moment).isoformat()))

    def ran(self, name: str, tick: datetime, run_id: str | None) -> None:
        self.db.execute("INSERT OR REPLACE INTO schedule_state VALUES (?, ?, ?)",
                        (name, utc(tick).isoformat(), run_id))

    def all(self) -> dict[str, dict]:
        rows = self.db.execute("SELECT job_name, last_tick, last_run_id FROM schedule_state")
        return {name: {"last_tick": tick, "last_run_id": run} for name, tick, run in rows}

    def close(self) -> None:
        self.db.close()
