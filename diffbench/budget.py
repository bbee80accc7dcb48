"""Guards for work done in this process (``diffbench compare``): a memory
estimate checked before any input is drawn, and a wall-clock limit.

Jobs run each task in a sandbox child with its own time and memory limit;
``compare`` runs in the user's own process, so it refuses up front what
cannot fit and stops, with a reason, what runs too long.
"""
from __future__ import annotations

import contextlib
import math
import signal
import threading

from .errors import UserError
from .function import Function
from .ir import size_of, topological

BYTES = 8  # float64


def estimate_bytes(fn: Function, wrt: list[str], sizes: dict[str, int], order: int) -> int:
    """A lower bound on the memory comparing engines needs: every intermediate
    once, every derivative once (a Hessian is wrt entries squared; a
    Jacobian is output entries times wrt entries)."""
    nodes = sum(size_of(n.shape, sizes) for n in topological(fn.root))
    wrt_entries = sum(size_of(fn.shapes[w], sizes) for w in wrt)
    outputs = size_of(fn.shape, sizes)
    derivative = outputs * wrt_entries * (wrt_entries if order == 2 and fn.is_scalar else 1)
    return BYTES * (nodes + derivative)


def check_memory(fn: Function, wrt: list[str], sizes: dict[str, int], order: int, limit: int,
                 flag: str = "--max-memory") -> None:
    need = estimate_bytes(fn, wrt, sizes, order)
    if need > limit:
        raise UserError(f"these sizes need at least {_human(need)} (inputs, intermediates and derivatives), "
                        f"over the {_human(limit)} of {flag}; expected smaller sizes or a larger {flag}")


class TimeLimit(UserError):
    """The work took longer than it was allowed."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str, flag: str = "--timeout"):
    """Raise :class:`TimeLimit` in this thread after ``seconds`` (SIGALRM: the
    main thread only, elsewhere no limit).  Python code is interrupted between
    bytecodes, so a long derivation or a loop of NumPy calls stops promptly."""
    if not math.isfinite(seconds) or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise TimeLimit(f"{what} took longer than {seconds:g}s; expected smaller sizes or expression, "
                        f"or a larger {flag}")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _human(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024:
            return f"{count:.3g} {unit}"
        count /= 1024
    return f"{count:.3g} EiB"
