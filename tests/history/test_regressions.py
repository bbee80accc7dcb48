"""Regressions over a synthetic history, through the library and through
``diffbench regressions`` (exit codes 0 none, 1 found, 2 error)."""
from __future__ import annotations

import json
import subprocess
import sys

from history_helpers import ENV, Key, add_run, make_history, task

from diffbench.history.regressions import find_regressions
from diffbench.report.history import history_html
from diffbench.jobs.store import Store

OK = ("ok", 1e-3, 2e-5, 1e-9)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "diffbench.cli.main", "regressions", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_a_slowdown_is_found_with_the_run_it_began(tmp_path):
    ids = make_history(tmp_path / "s.sqlite", [OK] * 8 + [("ok", 1.6e-3, 2e-5, 1e-9)] * 3)
    found = find_regressions(tmp_path / "s.sqlite")
    assert [r["kind"] for r in found] == ["slowdown"]
    assert found[0]["since_run"] == ids[8] and found[0]["run_id"] == ids[-1]
    assert abs(found[0]["change"] - 0.6) < 0.01


def test_one_slow_latest_run_is_to_watch_until_the_next_confirms_it(tmp_path):
    slow = ("ok", 1.6e-3, 2e-5, 1e-9)
    ids = make_history(tmp_path / "a.sqlite", [OK] * 8 + [slow])
    [found] = find_regressions(tmp_path / "a.sqlite")
    assert found["kind"] == "possible-slowdown" and found["runs"] == 1 and "in this run only" in found["message"]
    listed = cli("--db", tmp_path / "a.sqlite")
    assert listed.returncode == 0 and "no regressions" in listed.stdout and "to watch (1" in listed.stdout
    html = history_html(Store(tmp_path / "a.sqlite"), ids[-1])
    assert "No regressions in this run" in html and "To watch (1)" in html and "id='watch-table'" in html
    # the next run is as slow: a slowdown, dated from the first slow run
    make_history(tmp_path / "b.sqlite", [OK] * 8 + [slow] * 2)
    [found] = find_regressions(tmp_path / "b.sqlite")
    assert found["kind"] == "slowdown" and found["since_run"] == ids[8]
    # the next run is fast again: the slow one was a lone outlier
    make_history(tmp_path / "c.sqlite", [OK] * 8 + [slow, OK])
    assert find_regressions(tmp_path / "c.sqlite") == []


def test_noise_is_not_a_regression(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    series = [("ok", float(1e-3 * np.exp(rng.normal(0, 0.04))), 4e-5, 1e-9) for _ in range(15)]
    make_history(tmp_path / "s.sqlite", series)
    assert find_regressions(tmp_path / "s.sqlite") == []


def test_new_failure_and_new_disagreement(tmp_path):
    make_history(tmp_path / "a.sqlite", [OK] * 3 + [("timeout", None, None, None)])
    assert [r["kind"] for r in find_regressions(tmp_path / "a.sqlite")] == ["failure"]
    make_history(tmp_path / "b.sqlite", [OK] * 3 + [("ok", 1e-3, 2e-5, 0.3)])
    found = find_regressions(tmp_path / "b.sqlite")
    assert [r["kind"] for r in found] == ["disagreement"] and "differs from fd" in found[0]["message"]
    # an old failure that persists is no longer news
    make_history(tmp_path / "c.sqlite", [OK] * 3 + [("failed", None, None, None)] * 2)
    assert find_regressions(tmp_path / "c.sqlite") == []


def test_runs_on_another_machine_are_left_out(tmp_path):
    store, key = Store(tmp_path / "s.sqlite"), Key(task())
    for i in range(6):
        add_run(store, i, {key: ("ok", 0.5e-3, 1e-5, 1e-9)}, env={**ENV, "cpu_count": 64})
    for i in range(6, 10):
        add_run(store, i, {key: ("ok", 1e-3, 1e-5, 1e-9)}, env={**ENV, "hostname": "b"})
    assert find_regressions(tmp_path / "s.sqlite") == []  # slower machine, not a slowdown


def test_history_section_marks_the_regression(tmp_path):
    ids = make_history(tmp_path / "s.sqlite", [OK] * 6 + [("ok", 2e-3, 2e-5, 1e-9)] * 2)
    html = history_html(Store(tmp_path / "s.sqlite"), ids[-1])
    assert "Regressions in this run (1)" in html and "slowdown" in html and "every cell: 1 (1 regressed)" in html
    assert html.count("<svg") == 2  # the function's chart and the cell's sparkline
    assert "8 runs from 2026-01-01 00:00 UTC to 2026-01-01 07:00 UTC" in html
    assert "+100%" in html  # now against the first run
    assert history_html(Store(tmp_path / "s.sqlite"), ids[0]) == ""  # one run: no history yet
    calm = history_html(Store(tmp_path / "s.sqlite"), ids[5])  # as of a run before the step
    assert "No regressions in this run" in calm and "6 runs" in calm


def test_history_section_names_version_changes_and_other_machines(tmp_path):
    store, key = Store(tmp_path / "s.sqlite"), Key(task())
    add_run(store, 0, {key: OK}, env={**ENV, "cpu_count": 64})  # another machine: left out
    ids = [add_run(store, i, {key: OK}) for i in range(1, 5)]
    newer = {**ENV, "versions": {**ENV["versions"], "numpy": "2.1"}}
    ids += [add_run(store, i, {key: ("ok", 1.5e-3, 2e-5, 1e-9)}, env=newer) for i in range(5, 9)]
    html = history_html(store, ids[-1])
    assert "8 runs from" in html and "1 run on another machine is left out" in html
    assert "numpy 2.0 → 2.1" in html and ids[4] in html
    [found] = find_regressions(tmp_path / "s.sqlite")
    assert found["since_run"] == ids[4] and found["versions_changed"] == ["numpy 2.0 -> 2.1"]


def test_cli_exit_codes(tmp_path):
    make_history(tmp_path / "bad.sqlite", [OK] * 6 + [("ok", 2e-3, 2e-5, 1e-9)] * 2)
    make_history(tmp_path / "good.sqlite", [OK] * 6)
    found = cli("--db", tmp_path / "bad.sqlite", "--json")
    assert found.returncode == 1 and json.loads(found.stdout)[0]["kind"] == "slowdown"
    assert cli("nightly", "--db", tmp_path / "good.sqlite").returncode == 0
    missing = cli("nope", "--db", tmp_path / "good.sqlite")
    assert missing.returncode == 2 and "no runs of job 'nope'" in missing.stderr
    assert cli("--db", tmp_path / "none.sqlite").returncode == 2
