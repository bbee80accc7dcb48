"""Fixtures for the report tests: fabricated runs in a real store, written once per module."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # report_helpers

from report_helpers import full_run, partial_run, scheduled_history  # noqa: E402

from diffbench.report import write_report  # noqa: E402


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """``(store, run_id, path of its report)`` for the fabricated finished run."""
    folder = tmp_path_factory.mktemp("full")
    store = full_run(folder / "t.sqlite")
    run_id = store.runs()[0]["run_id"]
    path = write_report(store, run_id, folder / "reports")
    yield store, run_id, path
    store.close()


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("partial")
    store = partial_run(folder / "t.sqlite")
    run_id = store.runs()[0]["run_id"]
    path = write_report(store, run_id, folder / "reports")
    yield store, run_id, path
    store.close()


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    """``(store, run_id, path)``: the latest run of a job with a history and a worker sweep."""
    folder = tmp_path_factory.mktemp("scheduled")
    store = scheduled_history(folder / "t.sqlite")
    run_id = store.runs()[-1]["run_id"]
    path = write_report(store, run_id, folder / "reports")
    yield store, run_id, path
    store.close()
