"""Careless or hostile job files and damaged stores: each is one line naming
the file and what to do, never a traceback, and nothing is recorded.
The command line runs in this process (``main(argv)``): the same code as
the installed command, without a process start per case."""
from __future__ import annotations

import sqlite3

import pytest

from conftest import job_text
from diffbench.cli.main import main
from test_job_store import TASKS, new_run, record
from diffbench.jobs.store import Store


def cli(capsys, *args) -> tuple[int, str]:
    """Exit code and stderr of ``diffbench ARGS``."""
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    return done.value.code, capsys.readouterr().err


def assert_one_line(code: int, err: str, *fragments: str) -> None:
    assert code == 2 and "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 400, err
    for fragment in fragments:
        assert fragment in lines[0], err


BASE = job_text()
BAD_FILES = {
    "toml nested 20k deep": (BASE + "[extra]\nx = " + "[" * 20000 + "]" * 20000 + "\n", "nested more than"),
    "dotted keys 5k deep": (BASE.replace("reference", ".".join(["a"] * 5000) + " = 1\nreference"),
                            "nested more than"),
    "deep size formula": (BASE.replace("sizes = { n = [1] }", 'sizes = { n = "' + "(" * 5000 + "1" + ")" * 5000 + '" }'),
                          "deeper than"),
    "timeout nan": (BASE.replace('timeout = "20s"', "timeout = nan"), "timeout"),
    "timeout inf": (BASE.replace('timeout = "20s"', "timeout = inf"), "timeout"),
    "timeout 0": (BASE.replace('timeout = "20s"', "timeout = 0"), "timeout"),
    "timeout -1": (BASE.replace('timeout = "20s"', "timeout = -1"), "timeout"),
    "memory 0": (BASE.replace('memory = "1GiB"', "memory = 0"), "memory"),
    "memory -1": (BASE.replace('memory = "1GiB"', "memory = -1"), "memory"),
    "memory huge": (BASE.replace('memory = "1GiB"', 'memory = "99999999TiB"'), "memory"),
    "sample_time nan": (BASE.replace('sample_time = "1ms"', "sample_time = nan"), "sample_time"),
    "version true": (BASE.replace("version = 1", "version = true"), "version"),
    "version 1.0": (BASE.replace("version = 1", "version = 1.0"), "version"),
    # indices are checked against the job's sizes before a run is recorded, not cell by cell
    "index past the size": (BASE.replace('expr = "sum(x)"', 'expr = "x[2]"'), "index 2 is out of range"),
    "slice past the size": (BASE.replace('expr = "sum(x)"', 'expr = "sum(x[1:3])"').replace("[1]", "[2]"),
                            "index 3 is out of range"),
    "huge index": (BASE.replace('expr = "sum(x)"', 'expr = "x[99999999999999999999]"'), "out of range"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_job_file_is_one_line_and_records_nothing(capsys, tmp_path, case):
    text, fragment = BAD_FILES[case]
    path = tmp_path / "job.toml"
    path.write_text(text)
    code, err = cli(capsys, "submit", path, "--db", tmp_path / "s.sqlite", "--workers", "1")
    assert_one_line(code, err, "job.toml", fragment)
    assert not (tmp_path / "s.sqlite").exists()


def test_latin1_job_file_names_the_byte(capsys, tmp_path):
    path = tmp_path / "job.toml"
    path.write_bytes(BASE.replace('name = "t"', 'name = "t"\ndescription = "caf\xe9"').encode("latin-1"))
    code, err = cli(capsys, "submit", path, "--db", tmp_path / "s.sqlite")
    assert_one_line(code, err, "job.toml", "not UTF-8", "0xe9")


def test_json_body_nested_100k_deep_is_refused():
    from diffbench.errors import UserError
    from diffbench.jobs.reading import load_data

    with pytest.raises(UserError, match="nested more than"):
        load_data('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "job", as_json=True)


# ---------------------------------------------------------------- damaged stores

def good_store(path) -> None:
    store = Store(path)
    new_run(store)
    store.put(record(TASKS[0]))
    store.close()


def truncated(path) -> None:
    good_store(path)
    _checkpoint(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def corrupted(path) -> None:
    good_store(path)
    _checkpoint(path)
    data = bytearray(path.read_bytes())
    data[:100] = b"\xff" * 100  # the header: SQLite no longer recognises the file
    path.write_bytes(bytes(data))


def bad_json(path) -> None:
    good_store(path)
    db = sqlite3.connect(path)
    db.execute("UPDATE results SET record = '{not json' WHERE run_id = 'r1'")
    db.execute("UPDATE runs SET env = '{not json' WHERE run_id = 'r1'")
    db.commit()
    db.close()


def empty(path) -> None:
    path.write_bytes(b"")


def _checkpoint(path) -> None:
    """Fold the write-ahead log into the file, so cutting the file loses data."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()


DAMAGE = {"truncated": truncated, "corrupted": corrupted, "bad json": bad_json, "empty": empty}
READERS = [("runs",), ("status", "r1"), ("report", "r1"), ("export", "r1", "--format", "csv")]


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_damaged_store_is_one_line_naming_the_file(capsys, tmp_path, monkeypatch, damage, command):
    monkeypatch.chdir(tmp_path)  # report and export write beside the store
    path = tmp_path / "s.sqlite"
    DAMAGE[damage](path)
    size = path.stat().st_size
    code, err = cli(capsys, *command, "--db", path)
    assert_one_line(code, err, "s.sqlite")
    assert "store" in err
    assert path.stat().st_size == size  # an empty file is not silently made into a store
