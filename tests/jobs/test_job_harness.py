"""The measurement harness: timing logic, and the sandbox child enforcing
time and memory limits on real processes."""
from __future__ import annotations

import time

import pytest

from conftest import job_text
from diffbench.jobs.harness import measure, summarise
from diffbench.jobs.plan import plan
from diffbench.jobs.sandbox import Sandbox
from diffbench.jobs.checks import load_job


def test_summary_is_median_and_interquartile_range():
    assert summarise([5.0, 1.0, 3.0, 2.0, 4.0]) == (3.0, 2.0)
    assert summarise([7.0]) == (7.0, 0.0)


def test_inner_loops_lift_a_sample_above_sample_time():
    calls = []
    result = measure(lambda inputs: calls.append(1), {}, repeat=4, sample_time=0.002,
                     deadline=time.perf_counter() + 10)
    assert len(result["times"]) == 4 and not result["cut"]
    assert result["inner_loops"] > 10  # a no-op call needs many per 2 ms sample
    assert min(result["times"]) * result["inner_loops"] >= 0.002 * 0.5


def test_repeats_are_cut_to_fit_the_time_limit():
    result = measure(lambda inputs: time.sleep(0.05), {}, repeat=50, sample_time=0.0,
                     deadline=time.perf_counter() + 0.5)
    assert result["cut"] and 1 <= len(result["times"]) < 10
    assert result["inner_loops"] == 1


def make_task(write_job, engine, quantity="value", n=2, timeout="20s", memory="1GiB", reference=()):
    path = write_job(job_text(engines=(engine,), quantities=(quantity,), sizes=(n,), repeat=3,
                              timeout=timeout, memory=memory, reference=reference))
    job, _ = load_job(path)
    return plan(job)[0]


@pytest.fixture(scope="module")
def box():
    sandbox = Sandbox()
    yield sandbox
    sandbox.kill()


def test_ok_task_is_timed_and_checked_against_the_reference(box, write_job):
    fields = box.run(make_task(write_job, "tape", "gradient", n=5, reference=("fd",)))
    assert fields["status"] == "ok", fields
    assert len(fields["times"]) == 3 and fields["median"] > 0 and fields["inner_loops"] >= 1
    assert fields["prepare_seconds"] >= 0 and fields["peak_bytes"] >= 0
    assert fields["reference"] == "fd" and fields["accuracy"] < 1e-6
    blas = box.env["blas"]
    if blas["checked_with"] == "threadpoolctl":
        assert blas["pools"] and all(pool["threads"] == 1 for pool in blas["pools"])
    else:
        assert blas["OPENBLAS_NUM_THREADS"] == blas["OMP_NUM_THREADS"] == "1"


def test_engine_that_raises_or_refuses_is_a_result_and_the_child_lives_on(box, write_job):
    box.ready()
    pid = box.proc.pid
    failed = box.run(make_task(write_job, "boom"))
    assert failed["status"] == "failed" and "boom" in failed["message"]
    refused = box.run(make_task(write_job, "nope"))
    assert refused["status"] == "unsupported" and "supports nothing" in refused["message"]
    assert box.proc.pid == pid


def test_overrun_is_killed_as_a_timeout(box, write_job):
    start = time.monotonic()
    fields = box.run(make_task(write_job, "sleep", n=5000, timeout="1s"))
    assert fields["status"] == "timeout" and "1s time limit" in fields["message"]
    assert time.monotonic() - start < 4
    assert box.run(make_task(write_job, "noop"))["status"] == "ok"  # a fresh child took over


def test_memory_limit_is_enforced(box, write_job):
    fields = box.run(make_task(write_job, "hog", n=600, memory="200MiB"))
    assert fields["status"] == "oom" and "memory limit of 200 MiB" in fields["message"]
    huge = box.run(make_task(write_job, "hog", n=64 * 1024, memory="200MiB"))  # 64 GiB at once
    assert huge["status"] == "oom" and huge["message"].startswith("MemoryError")
    fine = box.run(make_task(write_job, "hog", n=50, memory="200MiB"))
    assert fine["status"] == "ok" and fine["peak_bytes"] >= 40 * 2**20


def test_a_child_that_dies_is_recorded(box, write_job):
    fields = box.run(make_task(write_job, "crash"))
    assert fields["status"] == "failed" and "SIGSEGV" in fields["message"]
    assert box.run(make_task(write_job, "noop"))["status"] == "ok"


def test_reference_outputs_are_kept_per_cell(write_job):
    from diffbench.jobs import reference
    from diffbench.jobs.harness import run_measured

    task = make_task(write_job, "tape", "hessian", n=4, reference=("fd",))
    fields, kept = run_measured(task, time.perf_counter() + 10)
    first = reference.run_reference(task, kept)
    key = reference.cell_key(task, "fd", kept[2])
    assert first["reference"] == "fd" and key in reference._outputs
    assert reference.run_reference(task, kept) == first  # the second time from the kept output
    assert len(reference._outputs) <= reference.KEEP


@pytest.mark.parametrize("quantity", ["gradient", "hessian"])
def test_fd_is_swept_over_steps_against_an_exact_reference(box, write_job, quantity):
    from diffbench.jobs.records import make_record
    from diffbench.report.summary import step_errors

    text = job_text(engines=("fd",), quantities=(quantity,), sizes=(4,), reference=("tape",))
    job, _ = load_job(write_job(text.replace('expr = "sum(x)"', 'expr = "logsumexp(x)"')))
    task = plan(job)[0]  # a function fd is not exact for (it is for sum(x) and any quadratic)
    fields = box.run(task)
    assert fields["status"] == "ok" and fields["reference"] == "tape", fields
    curve = dict(step_errors(make_record(task, "r", fields, {}, 1, "")))
    # the seed's U: truncation error at large steps, round-off at tiny ones, a valley at the default step
    best = min(curve, key=curve.get)
    assert min(curve) < best < max(curve) and curve[best] < 1e-5
    assert curve[max(curve)] > 100 * curve[best] and curve[min(curve)] > 100 * curve[best]


def test_no_step_sweep_where_it_would_be_costly(write_job):
    from diffbench.jobs import reference
    from diffbench.jobs.harness import run_measured

    task = make_task(write_job, "fd", "hessian", n=30, reference=("tape",))
    fields, kept = run_measured(task, time.perf_counter() + 30)
    found = reference.run_reference(task, kept)
    assert "step_errors" not in found and "no step sweep: it would take" in found["step_note"]
