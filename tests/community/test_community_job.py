"""jobs/community.toml: every community problem on its published grid, and a
smoke run of the smallest cell of each through the real sandboxed harness."""
from pathlib import Path

import pytest

from diffbench.community.problems import NAMES, PUBLISHED_SIZES
from diffbench.jobs.plan import plan
from diffbench.jobs.sandbox import Sandbox
from diffbench.jobs.checks import load_job

# the cheapest cell of each kind; the LSTM and ODE grids start at thousands of unrolled steps
SMOKE = ("gradbench-llsq", "gradbench-lse", "gradbench-det", "adbench-gmm", "adbench-ba")
JOB = Path(__file__).resolve().parents[2] / "jobs" / "community.toml"


def test_community_job_runs_every_problem_on_its_published_grid():
    job, _ = load_job(JOB)
    grids = {f.catalogue: f.sizes for f in job.functions}
    assert set(grids) == set(NAMES)
    assert job.skip_larger_after_give_out  # "as far as each engine gets": past a give-out, skipped
    for name, published in PUBLISHED_SIZES.items():
        for dim, values in (grids[name] or {}).items():
            assert list(values) == published[dim], (name, dim)
    tasks = plan(job)
    assert {"value", "gradient", "jacobian"} == {t["quantity"] for t in tasks}
    assert {t["function"] for t in tasks if t["quantity"] == "jacobian"} == {"adbench-ba"}


@pytest.fixture(scope="module")
def box():
    sandbox = Sandbox()
    yield sandbox
    sandbox.kill()


def test_smallest_cell_of_each_problem_runs_in_the_harness(box):
    job, _ = load_job(JOB)
    tasks = plan(job)
    for name in SMOKE:
        first = next(t for t in tasks if t["function"] == name and t["engine"] == "tape"
                     and t["quantity"] in ("gradient", "jacobian"))
        smoke = {**first, "repeat": 1, "sample_time": 0.001, "timeout": 60}
        fields = box.run(smoke)
        assert fields["status"] == "ok", (name, fields.get("message"))
        assert fields["reference"] == "symbolic" and fields["accuracy"] <= 1e-8, (name, fields)


def test_an_unrolled_entry_is_expanded_at_the_task_sizes(box):
    job, _ = load_job(JOB)
    first = next(t for t in plan(job) if t["function"] == "gradbench-ode" and t["engine"] == "tape"
                 and t["quantity"] == "gradient")
    fields = box.run({**first, "sizes": {"n": 6, "s": 2}, "repeat": 1, "sample_time": 0.001, "timeout": 60})
    assert fields["status"] == "ok", fields.get("message")
    assert fields["stats"]["bound_sizes"]["n"] == 6 and fields["accuracy"] <= 1e-8
