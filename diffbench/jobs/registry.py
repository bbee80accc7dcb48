"""Engines as the job system sees them: every real engine, plus the
fault-injection engines of :mod:`diffbench.jobs.testing_engines` when
``DIFFBENCH_TEST_ENGINES=1`` is set (tests and the scheduler benchmark set
it; a user's job can never name them by accident)."""
from __future__ import annotations

import os

TEST_ENGINES_VAR = "DIFFBENCH_TEST_ENGINES"


def test_engines_enabled() -> bool:
    return os.environ.get(TEST_ENGINES_VAR, "") not in ("", "0")


def load_engines() -> dict:
    from ..engines import load_all

    registry = load_all()
    if test_engines_enabled():
        from . import testing_engines

        testing_engines.install()
    return registry


def get_engine(name: str):
    """The engine called ``name``; ``KeyError`` with a did-you-mean otherwise."""
    from ..engines import get_engine as lookup

    load_engines()
    return lookup(name)
