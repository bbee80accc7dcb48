"""fd inside a job: a Hessian refereed by an exact engine comes from that engine's
gradients (and the result says so); a job bounds fd's evaluations."""
from __future__ import annotations

import time

from conftest import job_text
from diffbench.jobs.harness import run_measured
from diffbench.jobs.plan import plan
from diffbench.jobs.checks import load_job


def _fd_task(write_job, quantity, header=""):
    text = job_text(engines=("fd",), quantities=(quantity,), sizes=(3,), reference=("tape",))
    text = header + text.replace('expr = "sum(x)"', 'expr = "logsumexp(x)"')
    job, _ = load_job(write_job(text))
    return plan(job)[0]


def test_a_job_s_fd_hessian_comes_from_its_exact_referee_s_gradients_and_says_so(write_job):
    fields, _ = run_measured(_fd_task(write_job, "hessian"), time.perf_counter() + 30)
    assert fields["status"] == "ok", fields
    assert fields["stats"]["engine"]["hessian_method"].startswith("central differences of exact tape gradients")
    task = _fd_task(write_job, "hessian")
    task["reference"] = ["tape", "symbolic"]  # both exact: the compiled symbolic gradients are cheaper
    fields, _ = run_measured(task, time.perf_counter() + 30)
    assert fields["stats"]["engine"]["hessian_method"].startswith("central differences of exact symbolic")
    assert fields["stats"]["call_peak_bytes"] > 0 and fields["stats"]["call_peak_measure"] == "tracemalloc"


def test_a_job_bounds_fd_s_evaluations(write_job):
    task = _fd_task(write_job, "gradient", header="fd_max_evaluations = 4\n")
    assert task["fd_max_evaluations"] == 4
    fields, _ = run_measured(task, time.perf_counter() + 30)
    assert fields["status"] == "unsupported" and fields["message"].startswith("too large: fd gradient needs 6")
