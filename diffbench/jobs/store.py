"""The results store: one SQLite file (WAL), default ``diffbench.sqlite``.

This module owns the schema, the reading of older formats and every SQL
statement of the project; the rest of the house calls its methods.

``runs`` holds one row per submitted job; ``tasks`` every planned task of a
run (the plan itself, so ``resume`` needs nothing but the store);
``results`` at most one row per ``(run_id, task_key)``.  Each result is its
own transaction and a second result for a key is ignored, so a task dask
re-ran after a worker died, or one that a resumed run repeats, can never be
counted twice: once a run has finished, its result count equals its planned
count.  ``sweep_passes`` holds a scaling sweep's passes (run, worker count,
engine); ``schedule_state`` each scheduled job's last tick (see
:class:`ScheduleState`), so it travels with the results and the store lock
covers it.

Read API for the report writer: ``Store(path)``, ``.runs()``,
``.run(run_id)``, ``.results(run_id)``.  Record keys: see
:mod:`diffbench.jobs.records`.
"""
from __future__ import annotations

import functools
import json
import os
import socket
import sqlite3
from datetime import datetime
from pathlib import Path

from ..errors import UserError
from .cron import utc as _utc

DEFAULT_PATH = "diffbench.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, job_name TEXT, description TEXT, job TEXT, job_text TEXT,
    planned INTEGER, status TEXT, started TEXT, finished TEXT, cluster TEXT, env TEXT, owner TEXT);
CREATE TABLE IF NOT EXISTS tasks (
    run_id TEXT, task_key TEXT, idx INTEGER, spec TEXT, submissions INTEGER DEFAULT 0,
    PRIMARY KEY (run_id, task_key));
CREATE TABLE IF NOT EXISTS results (
    run_id TEXT, task_key TEXT, status TEXT, function TEXT, engine TEXT, quantity TEXT, record TEXT,
    PRIMARY KEY (run_id, task_key));
CREATE TABLE IF NOT EXISTS sweep_passes (
    run_id TEXT, mode TEXT, workers INTEGER, engine TEXT, tasks INTEGER, failed INTEGER, seconds REAL,
    kind TEXT, PRIMARY KEY (run_id, workers, engine));
CREATE TABLE IF NOT EXISTS schedule_state (
    job_name TEXT PRIMARY KEY, last_tick TEXT, last_run_id TEXT);
"""
_JSON_FIELDS = ("job", "cluster", "env")
SWEEP_FIELDS = ("run_id", "mode", "workers", "engine", "tasks", "failed", "seconds", "kind")
#: the engine name of a sweep pass over every task of the run at once
ALL_ENGINES = "all engines"


class DamagedStore(UserError):
    """The store file is not a readable diffbench store: truncated, corrupted,
    another program's database, or a record that is not JSON."""


def _transient(err: Exception) -> bool:
    """Locked or busy: another process holds the file, nothing is damaged."""
    return isinstance(err, sqlite3.OperationalError) and any(w in str(err) for w in ("locked", "busy"))


def _guarded(method):
    """Damage found while reading or writing becomes one line naming the file."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.DatabaseError, json.JSONDecodeError) as err:
            if _transient(err):
                raise
            raise damaged(self.path, err) from None
    return call


def damaged(path, err: Exception) -> DamagedStore:
    what = f"a record is not valid JSON ({err.msg})" if isinstance(err, json.JSONDecodeError) else str(err)
    return DamagedStore(f"{path}: not a readable results store ({what}); expected a store written by "
                        "diffbench: restore it from a backup or pass --db with another file "
                        "(a new file is created by `diffbench submit`)")


class Store:
    @_guarded
    def __init__(self, path: str | os.PathLike = DEFAULT_PATH):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: durable against a killed process (what we guard against);
        # a power cut may lose the last results, which `resume` then re-runs
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    @_guarded
    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ writing

    @_guarded
    def create_run(self, run: dict, tasks: list[dict]) -> None:
        owner = {"pid": os.getpid(), "host": socket.gethostname()}
        with self._transaction():
            self.db.execute(
                "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (run["run_id"], run["job_name"], run["description"], json.dumps(run["job"]),
                 run["job_text"], len(tasks), "running", run["started"], None,
                 json.dumps(run.get("cluster", {})), json.dumps(run.get("env", {})), json.dumps(owner)))
            self.db.executemany("INSERT INTO tasks (run_id, task_key, idx, spec) VALUES (?,?,?,?)",
                                [(run["run_id"], t["key"], i, json.dumps(t)) for i, t in enumerate(tasks)])

    @_guarded
    def claim(self, run_id: str, cluster: dict) -> None:
        """A (resumed) run is being driven by this process now."""
        owner = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
        self.db.execute("UPDATE runs SET status='running', finished=NULL, owner=?, cluster=? WHERE run_id=?",
                        (owner, json.dumps(cluster), run_id))

    @_guarded
    def submitted(self, run_id: str, keys: list[str]) -> dict[str, int]:
        """Count one more submission of each task; its attempt numbers."""
        with self._transaction():
            self.db.executemany("UPDATE tasks SET submissions = submissions + 1 WHERE run_id=? AND task_key=?",
                                [(run_id, k) for k in keys])
        rows = self.db.execute("SELECT task_key, submissions FROM tasks WHERE run_id=?", (run_id,))
        return dict(rows.fetchall())

    @_guarded
    def put(self, record: dict) -> bool:
        """Store one result (its own transaction); False if the key already has one."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO results VALUES (?,?,?,?,?,?,?)",
            (record["run_id"], record["task_key"], record["status"], record["function"], record["engine"],
             record["quantity"], json.dumps(record)))
        return cur.rowcount == 1

    @_guarded
    def finish(self, run_id: str, status: str, finished: str | None) -> None:
        self.db.execute("UPDATE runs SET status=?, finished=? WHERE run_id=?", (status, finished, run_id))

    def _transaction(self):
        return _Transaction(self.db)

    # ------------------------------------------------------------ reading

    @_guarded
    def runs(self) -> list[dict]:
        """Every run, oldest first, with ``done`` (results stored so far)."""
        rows = self.db.execute("SELECT run_id FROM runs ORDER BY started, run_id").fetchall()
        return [self.run(r[0]) for r in rows]

    @_guarded
    def run(self, run_id: str) -> dict:
        row = self.db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(run_id)
        names = [d[0] for d in self.db.execute("SELECT * FROM runs LIMIT 0").description]
        run = dict(zip(names, row))
        for field in _JSON_FIELDS:
            run[field] = json.loads(run[field]) if run[field] else {}
        owner = json.loads(run.pop("owner") or "{}")
        if run["status"] == "running" and _gone(owner):
            run["status"] = "interrupted"
        run["done"] = self.db.execute("SELECT COUNT(*) FROM results WHERE run_id=?", (run_id,)).fetchone()[0]
        return run

    @_guarded
    def results(self, run_id: str) -> list[dict]:
        """Result records of a run, in plan order."""
        rows = self.db.execute(
            "SELECT r.record FROM results r JOIN tasks t USING (run_id, task_key) "
            "WHERE r.run_id=? ORDER BY t.idx", (run_id,))
        return [json.loads(r[0]) for r in rows]

    @_guarded
    def counts(self, run_id: str) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM results WHERE run_id=? GROUP BY status", (run_id,))
        return dict(rows.fetchall())

    @_guarded
    def tasks(self, run_id: str, missing_only: bool = False) -> list[dict]:
        """Planned tasks in plan order; ``missing_only``: those without a result."""
        sql = "SELECT spec FROM tasks t WHERE run_id=?"
        if missing_only:
            sql += " AND NOT EXISTS (SELECT 1 FROM results r WHERE r.run_id=t.run_id AND r.task_key=t.task_key)"
        return [json.loads(r[0]) for r in self.db.execute(sql + " ORDER BY idx", (run_id,))]

    @_guarded
    def resolve(self, run_id: str | None) -> str:
        """A full run id from ``run_id`` (or a unique prefix), or the latest run."""
        if run_id is None:
            row = self.db.execute("SELECT run_id FROM runs ORDER BY started DESC, run_id DESC LIMIT 1").fetchone()
            if row is None:
                raise KeyError("no runs in this store yet")
            return row[0]
        found = self._starting_with(run_id)
        if len(found) != 1:
            raise KeyError(f"no run {run_id!r}" if not found else f"{run_id!r} matches {len(found)} runs")
        return found[0]


    def _starting_with(self, prefix: str) -> list[str]:
        """Run ids starting with ``prefix`` (taken literally: ``_`` and ``%`` are no wildcards)."""
        rows = self.db.execute("SELECT run_id FROM runs WHERE substr(run_id, 1, length(?)) = ?",
                               (prefix, prefix)).fetchall()
        return [r[0] for r in rows]

    def last_versions(self, job_name: str) -> dict | None:
        """Versions recorded by the job's latest run, or None if it never ran."""
        row = self.db.execute("SELECT env FROM runs WHERE job_name=? ORDER BY started DESC, run_id DESC LIMIT 1",
                              (job_name,)).fetchone()
        if row is None:
            return None
        return (json.loads(row[0] or "{}") or {}).get("versions", {})

    # ------------------------------------------------------------ sweeps

    def put_sweep_pass(self, point: dict) -> None:
        """One pass of a scaling sweep (a second one for the same key replaces it)."""
        self.db.execute(f"INSERT OR REPLACE INTO sweep_passes VALUES ({', '.join('?' * len(SWEEP_FIELDS))})",
                        tuple(point[k] for k in SWEEP_FIELDS))

    def sweep_passes(self, run_id: str) -> list[dict]:
        """A run's sweep passes by engine, then worker count."""
        rows = self.db.execute(f"SELECT {', '.join(SWEEP_FIELDS)} FROM sweep_passes WHERE run_id=? "
                               "ORDER BY engine, workers", (run_id,)).fetchall()
        return [dict(zip(SWEEP_FIELDS, row)) for row in rows] or self._first_sweep_format(run_id)

    def _first_sweep_format(self, run_id: str) -> list[dict]:
        """Sweeps stored by diffbench 0.1 (table ``scaling``: one pass of all engines)."""
        if not self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='scaling'").fetchone():
            return []
        rows = self.db.execute("SELECT run_id, mode, workers, tasks, failed, seconds, kind FROM scaling "
                               "WHERE run_id=? ORDER BY workers", (run_id,))
        return [dict(zip(SWEEP_FIELDS, (r[0], r[1], r[2], ALL_ENGINES, *r[3:]))) for r in rows]


class ScheduleState:
    """Per-job schedule state, in the store's ``schedule_state`` table.  Its
    own connection, usable from the server's threads."""

    def __init__(self, db_path):
        self.db = sqlite3.connect(db_path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db.executescript(_SCHEMA)

    def last_tick(self, name: str) -> datetime | None:
        row = self.db.execute("SELECT last_tick FROM schedule_state WHERE job_name=?", (name,)).fetchone()
        return _utc(datetime.fromisoformat(row[0])) if row else None

    def seen(self, name: str, moment: datetime) -> None:
        """First sight of a job: its ticks before ``moment`` do not count."""
        self.db.execute("INSERT OR IGNORE INTO schedule_state (job_name, last_tick) VALUES (?, ?)",
                        (name, _utc(moment).isoformat()))

    def ran(self, name: str, tick: datetime, run_id: str | None) -> None:
        self.db.execute("INSERT OR REPLACE INTO schedule_state VALUES (?, ?, ?)",
                        (name, _utc(tick).isoformat(), run_id))

    def all(self) -> dict[str, dict]:
        rows = self.db.execute("SELECT job_name, last_tick, last_run_id FROM schedule_state")
        return {name: {"last_tick": tick, "last_run_id": run} for name, tick, run in rows}

    def close(self) -> None:
        self.db.close()


class _Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind, value, tb):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _gone(owner: dict) -> bool:
    """Is the process driving a 'running' run dead?  Only knowable on its host."""
    if owner.get("host") != socket.gethostname() or not owner.get("pid"):
        return False
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
