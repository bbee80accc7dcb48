"""Shared set-up for benchmark scripts: one BLAS thread, and a fair timer."""
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS"):
    os.environ.setdefault(_var, "1" if _var != "XLA_FLAGS" else
                          "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import statistics  # noqa: E402
import time  # noqa: E402


def seconds_per_call(call, repeat: int = 7, min_time: float = 0.05) -> float:
    """Median over ``repeat`` samples; each sample loops until it lasts
    ``min_time`` so the timer's resolution does not matter.  Warm-up first."""
    call()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        if time.perf_counter() - start >= min_time:
            break
        loops *= 2
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def keep_freed_memory(limit: int = 256 << 20) -> bool:
    """Ask glibc's malloc to keep up to ``limit`` freed bytes instead of giving them back to
    the system; True if it took the settings (glibc only).

    By default glibc trims the top of its heap once more than twice the largest freed
    mmap-ed block lies free there, and that threshold moves with whatever the process freed
    before.  A NumPy program whose temporaries add up to a few MB then pays a page fault per
    4 KiB on every call, or none, depending on what ran earlier in the same process: the
    symbolic GMM gradient at d = 10, K = 25, n = 1000 took about 1,000 faults a call (2.3 to
    2.9 ms of system time on a loaded machine, as much as its own arithmetic) in one process
    and none in another, the tape's about 2,500 in a loop of its own.  XLA and torch keep
    their own pools.  That cost is real for a plain process, but it measures the allocator
    and the process's history, not the engine; a benchmark that calls this times the
    engines' own work, and says so.  Called before anything is timed.
    """
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3  # malloc.h
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20) and libc.mallopt(m_trim_threshold, limit))
    except (OSError, AttributeError):
        return False


def optional(module: str):
    try:
        return __import__(module)
    except ImportError:
        return None


def fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.3f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"
