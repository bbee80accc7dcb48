"""The hypothesis profiles of the test suite, and what keeps the default one
deterministic.

``default`` is derandomized: the same examples on every run, on every machine
and in any test order, so a CI failure reproduces and CI never fails on an
example nobody changed code for.  ``explore`` (``DIFFBENCH_HYPOTHESIS_PROFILE=
explore``; ``HYPOTHESIS_PROFILE`` is read too) draws new examples each run, and
more of them, to hunt for bugs.

``derandomize`` alone does not give order independence.  Hypothesis mixes
"local constants" into its draws: the literals of every non-test module of
this project that happens to be in ``sys.modules`` when a draw is made
(``_get_local_constants`` in ``hypothesis.internal.conjecture.providers``).
Which diffbench modules earlier tests (or earlier examples) imported changed
that pool, the pool changes how much randomness a draw consumes, and so the
whole stream of examples differed between running a test file alone and in
the full suite.  The derandomized profile therefore pins the pool empty;
``tests/test_random_expressions.py`` checks the stream no longer depends on
what was imported.  The explore profile keeps the constants: they help find
bugs, and its examples are new each run anyway.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXPLORE = "explore"


def profile_name() -> str:
    return os.environ.get("DIFFBENCH_HYPOTHESIS_PROFILE") or os.environ.get("HYPOTHESIS_PROFILE") or "default"


def pin_local_constants() -> None:
    """Draw without hypothesis's pool of this project's literals (see above)."""
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants

    if not hasattr(providers, "_get_local_constants"):  # the check in test_random_expressions says so
        return
    empty = Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()


def load() -> str:
    """Register both profiles and load the one the environment asks for."""
    settings.register_profile("default", deadline=None, max_examples=40, derandomize=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile(EXPLORE, deadline=None, max_examples=200,
                              suppress_health_check=[HealthCheck.too_slow])
    name = profile_name()
    settings.load_profile(name)
    if settings.default.derandomize:
        pin_local_constants()
    return name
