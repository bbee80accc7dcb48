"""The environment a result was measured in, recorded with every result.

``BLAS_ENV`` pins BLAS/OpenMP to one thread; it is the environment each
sandbox child is spawned with, so it holds before numpy loads there (and,
for a local cluster, the workers' too).
"""
from __future__ import annotations

import os
import platform
import socket
import time
from importlib import metadata

BLAS_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1"}
_PACKAGES = ("diffbench", "numpy", "scipy", "sympy", "dask", "distributed", "pydantic")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_threads() -> dict:
    """Thread counts as the BLAS libraries report them (threadpoolctl), or
    failing that the pinning variables as they are set in this process."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info = {"checked_with": "environment", **{k: os.environ.get(k) for k in BLAS_ENV}}
    else:
        pools = threadpool_info()
        info = {"checked_with": "threadpoolctl",
                "pools": [{"api": p.get("internal_api"), "threads": p.get("num_threads")} for p in pools]}
    info["library"] = _blas_name()
    return info


def _blas_name() -> str | None:
    try:
        import numpy as np

        config = np.show_config(mode="dicts")
        return config["Build Dependencies"]["blas"]["name"]
    except Exception:  # old numpy, or a build without that section
        return None


def environment() -> dict:
    """Called once per sandbox child, after numpy and the engines have loaded."""
    return {"versions": versions(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "hostname": socket.gethostname(), "pid": os.getpid(),
            "blas": blas_threads(), "timer_resolution": time.get_clock_info("perf_counter").resolution}
