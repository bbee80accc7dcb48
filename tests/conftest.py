import os
from pathlib import Path

# One BLAS thread everywhere: timings and cluster tests stay fair on 2 cores.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import hypothesis_profiles  # noqa: E402  (tests/ is on sys.path: pytest's rootdir conftest)

# Derandomized by default (the same examples on every run, machine and test
# order); DIFFBENCH_HYPOTHESIS_PROFILE=explore draws new ones, more of them.
hypothesis_profiles.load()

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
