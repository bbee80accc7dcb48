"""Fixtures for the report tests: fabricated runs in a real store, written once per module."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # report_helpers

from report_helpers import full_run, partial_run, scheduled_history  # noqa: E402

from diffbench.report import write_report  # noqa: E402


def _written(tmp_path_factory, name: str, build, which: int):
    """``(store, run_id, path of its report)`` for run ``which`` of the store ``build`` makes."""
    folder = tmp_path_factory.mktemp(name)
    store = build(folder / "t.sqlite")
    run_id = store.runs()[which]["run_id"]
    return store, run_id, write_report(store, run_id, folder / "reports")


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The fabricated finished run."""
    written = _written(tmp_path_factory, "full", full_run, 0)
    yield written
    written[0].close()


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    """A run still in progress."""
    written = _written(tmp_path_factory, "partial", partial_run, 0)
    yield written
    written[0].close()


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    """The latest run of a job with a history and a worker sweep."""
    written = _written(tmp_path_factory, "scheduled", scheduled_history, -1)
    yield written
    written[0].close()
