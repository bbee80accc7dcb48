"""Memory limit and peak memory of one task, inside the sandbox child.

The budget is enforced on resident memory by the worker (see
:mod:`.sandbox`).  Here RLIMIT_AS is only a backstop against an allocation
so fast and large the worker's polling could miss it: the child's current
address space plus four times the budget (at least budget + 8 GiB), loose
because runtimes such as XLA reserve gigabytes of address space they never
touch.  Beyond it an allocation raises MemoryError (``oom``).  Peak is the resident high-water mark (VmHWM), reset before
the task by writing 5 to /proc/self/clear_refs (Linux >= 4.0), minus the
resident size when the task began.  Elsewhere: no limit, peak from
ru_maxrss (which cannot be reset, so it may be an over-estimate).
"""
from __future__ import annotations

import contextlib
import resource

BACKSTOP = 8 * 2**30


def _status(field: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


class Probe:
    def __init__(self):
        self.restart()

    def restart(self) -> None:
        """Count from here (after the inputs are built: they are not the engine's)."""
        self.exact = _reset_peak()
        self.start = _status("VmRSS") or 0

    def peak(self) -> int:
        high = _status("VmHWM") if self.exact else None
        if high is None:
            high = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return max(0, high - self.start)


@contextlib.contextmanager
def limited(budget: int):
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    base = _status("VmSize")
    if base is not None:
        limit = base + max(4 * budget, budget + BACKSTOP)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        yield Probe()
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
