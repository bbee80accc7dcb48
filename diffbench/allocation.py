"""Peak memory one call allocates above what existed before it.

NumPy reports every array buffer it allocates to :mod:`tracemalloc` (as does
Python for its own objects), so the traced peak during a call, minus what was
traced when it began, is the memory the call itself needed at its worst
moment: its temporaries and its output, not its inputs (they existed before).
This is the figure the issue's targets speak of ("within 1.5x of the
Hessian's own bytes plus its inputs"), per call and deterministic, where the
resident-set high-water mark (:mod:`diffbench.jobs.memory`) also counts the
interpreter, imported libraries and pages the allocator keeps.

Libraries that allocate outside Python's allocator hooks (XLA, torch) are not
seen: for them the figure is a lower bound, and :func:`traced_engine` says so.
"""
from __future__ import annotations

import tracemalloc

#: engines whose arrays are NumPy's (seen by tracemalloc)
TRACED_ENGINES = {"symbolic", "tape", "fd", "closed-form", "sympy-scalar", "autograd"}


def traced_engine(engine: str) -> bool:
    return engine in TRACED_ENGINES


def peak_allocated(call, *args, **kwargs):
    """``(call(*args, **kwargs), peak bytes allocated above the start)``."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = call(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not tracing:
            tracemalloc.stop()
    return out, max(0, peak - base)


def nbytes(value) -> int:
    """Bytes of the arrays in a result (dicts and tuples of arrays summed)."""
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(nbytes(v) for v in value)
    return int(getattr(value, "nbytes", 8))
