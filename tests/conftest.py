import os
from pathlib import Path

# One BLAS thread everywhere: timings and cluster tests stay fair on 2 cores.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from hypothesis import HealthCheck, settings  # noqa: E402

# The default is derandomized: the same examples on every run and machine, so
# a CI failure reproduces and CI never fails on an example nobody changed code
# for.  HYPOTHESIS_PROFILE=explore draws new examples each run (and more of them)
# to hunt for bugs.
settings.register_profile("default", deadline=None, max_examples=40, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=200,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Tests write only into their temporary folders: never a report or a store
# into the project itself (a user's reports/index.html would list them).
PROJECT = Path(__file__).resolve().parents[1]


def _project_outputs() -> set[Path]:
    return {p for pattern in ("reports/**/*", "diffbench.sqlite*") for p in PROJECT.glob(pattern)}


_BEFORE = _project_outputs()


def pytest_sessionfinish(session, exitstatus):
    written = sorted(str(p.relative_to(PROJECT)) for p in _project_outputs() - _BEFORE)
    if written:
        print(f"\nerror: the tests wrote into the project: {', '.join(written)}")
        session.exitstatus = 1
