"""How much one symbolic derivation may take on: a size checked before it
starts and a wall-clock limit checked as it goes.

An unrolled loop (the LSTM's characters, the ODE's RK4 steps) makes a
function of tens of thousands of nodes; its gradient is derived in time
linear in that size (about a millisecond a node), but its Hessian, or a
function past the size limit, would run for many minutes.  The engine then
says so, as ``TooLarge`` with the reason, instead of running into a job's
timeout (or, in ``derive``, never answering).  Both limits can be raised:
``DIFFBENCH_SYMBOLIC_MAX_NODES`` and ``DIFFBENCH_SYMBOLIC_TIME_LIMIT``
(seconds).
"""
from __future__ import annotations

import contextlib
import os
import threading
import time

from ..errors import TooLarge

#: nodes of the (unrolled) function beyond which nothing is derived
MAX_NODES = 20_000
#: seconds one derivation may run
TIME_LIMIT = 40.0

_LOCAL = threading.local()  # .active: (deadline, limit, what) of this thread's derivation


def max_nodes() -> int:
    return int(os.environ.get("DIFFBENCH_SYMBOLIC_MAX_NODES", MAX_NODES))


def time_limit() -> float:
    return float(os.environ.get("DIFFBENCH_SYMBOLIC_TIME_LIMIT", TIME_LIMIT))


def check_size(nodes: int, what: str) -> None:
    """Refuse, before any work, a function too large to derive in time."""
    limit = max_nodes()
    if nodes > limit:
        raise TooLarge(f"too large: {what} has {nodes:,} nodes, over the symbolic engine's limit of "
                       f"{limit:,} (about a millisecond of derivation per node, more for Hessians); "
                       "the tape engine differentiates it, or set DIFFBENCH_SYMBOLIC_MAX_NODES")


@contextlib.contextmanager
def deadline(what: str):
    """Let :func:`check_time` refuse once the derivation of ``what`` has run
    past the time limit (nested derivations keep the outer deadline)."""
    if getattr(_LOCAL, "active", None) is not None:
        yield
        return
    limit = time_limit()
    _LOCAL.active = (time.perf_counter() + limit, limit, what)
    try:
        yield
    finally:
        _LOCAL.active = None


def check_time(phase: str) -> None:
    """Called in the derivation's loops: cheap, and raises ``TooLarge`` once late."""
    active = getattr(_LOCAL, "active", None)
    if active is not None and time.perf_counter() > active[0]:
        _, limit, what = active
        raise TooLarge(f"too large: the symbolic derivation of {what} ran past its {limit:g} s limit "
                       f"(in the {phase}); the tape engine differentiates it, or set "
                       "DIFFBENCH_SYMBOLIC_TIME_LIMIT")
