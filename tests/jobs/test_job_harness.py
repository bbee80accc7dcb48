"""The measurement harness: timing logic, and the sandbox child enforcing
time and memory limits on real processes."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings, strategies as st

from conftest import job_text
from diffbench.jobs import harness
from diffbench.jobs.harness import MARGIN, measure, summarise
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
    # the calibrating run, kept as the first sample, lasts a whole sample_time by
    # construction; the later samples may be shorter if the machine got faster
    # since (load that comes and goes), so they are not held to it here: the
    # accounting is checked exactly on SteadyClock below
    assert result["times"][0] * result["inner_loops"] >= 0.002 * (1 - 1e-9)


def test_repeats_are_cut_to_fit_the_time_limit():
    result = measure(lambda inputs: time.sleep(0.05), {}, repeat=50, sample_time=0.0,
                     deadline=time.perf_counter() + 0.5)
    assert result["cut"] and 1 <= len(result["times"]) < 10
    assert result["inner_loops"] == 1


class SteadyClock:
    """A clock that only the measured call moves: each call costs ``cost``
    seconds, the first (the traced warm-up) ``warmup`` seconds, and from call
    number ``busy_from`` on ``busy`` seconds (the machine got busy).  It makes
    the sample accounting exact, where the machine's clock would add its noise."""

    def __init__(self, cost: float, warmup: float, busy_from: int | None = None, busy: float = 0.0):
        self.now, self.cost, self.warmup, self.calls = 0.0, cost, warmup, 0
        self.busy_from, self.busy = busy_from, busy

    def __call__(self) -> float:
        return self.now

    def call(self, inputs):
        if self.calls == 0:
            self.now += self.warmup
        elif self.busy_from is not None and self.calls >= self.busy_from:
            self.now += self.busy
        else:
            self.now += self.cost
        self.calls += 1


def steady_measure(monkeypatch, cost, warmup, repeat, sample_time, room=60.0, **busy):
    clock = SteadyClock(cost, warmup, **busy)
    monkeypatch.setattr(harness, "perf_counter", clock)
    result = measure(clock.call, {}, repeat=repeat, sample_time=sample_time, deadline=room)
    return result, clock.calls


def test_a_calibrating_run_that_lasts_a_sample_is_counted_as_one(monkeypatch):
    # 4 ms calls, 10 ms samples: 3 calls a sample, found by the first run, which is kept
    result, calls = steady_measure(monkeypatch, cost=0.004, warmup=0.004, repeat=5, sample_time=0.010)
    assert result["inner_loops"] == 3 and len(result["times"]) == 5 and not result["cut"]
    assert calls == 1 + 5 * 3  # the warm-up and five samples: no call spent on calibration alone
    assert result["calibration_seconds"] == 0


def test_a_call_slower_than_a_sample_is_not_run_again_to_calibrate(monkeypatch):
    result, calls = steady_measure(monkeypatch, cost=0.020, warmup=0.030, repeat=3, sample_time=0.010)
    assert result["inner_loops"] == 1 and result["times"] == pytest.approx([0.020] * 3)
    assert calls == 1 + 3


def test_a_slow_traced_warm_up_costs_one_short_run(monkeypatch):
    # tracing made the warm-up 5x a call: the first run falls short, is thrown
    # away, and the one sized from it is the first sample
    result, calls = steady_measure(monkeypatch, cost=1e-6, warmup=5e-6, repeat=5, sample_time=0.001)
    short = harness._calls(0.001, 5e-6)
    assert result["inner_loops"] == harness._calls(0.001, 1e-6) and len(result["times"]) == 5
    assert calls == 1 + short + 5 * result["inner_loops"]
    assert result["calibration_seconds"] == pytest.approx(short * 1e-6)


def test_samples_are_sized_to_the_pace_of_a_machine_that_got_busy(monkeypatch):
    # 1 us calls that take 3 us from the second calibrating run on: that run lasts
    # three times its aim and is thrown away; the samples are sized from it
    result, calls = steady_measure(monkeypatch, cost=1e-6, warmup=5e-6, repeat=5, sample_time=0.001,
                                   busy_from=1 + harness._calls(0.001, 5e-6), busy=3e-6)
    assert result["inner_loops"] == harness._calls(0.001, 3e-6) and len(result["times"]) == 5
    for per_call in result["times"]:
        assert 0.001 <= per_call * result["inner_loops"] <= MARGIN * 0.001 + 3e-6


@settings(max_examples=200, deadline=None)
@given(cost=st.floats(1e-7, 0.05), slower=st.floats(1.0, 50.0), repeat=st.integers(1, 9),
       sample_time=st.sampled_from([0.0, 0.001, 0.01, 0.05]))
def test_samples_last_sample_time_and_little_more(cost, slower, repeat, sample_time):
    """Every sample lasts at least ``sample_time`` and not much more (MARGIN
    and one call), there are ``repeat`` of them, and calibrating wastes less
    than one sample."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        result, calls = steady_measure(monkeypatch, cost, cost * slower, repeat, sample_time)
    number = result["inner_loops"]
    assert len(result["times"]) == repeat and not result["cut"]
    for per_call in result["times"]:
        assert sample_time <= per_call * number * (1 + 1e-9)
        assert per_call * number <= max(MARGIN * sample_time + cost, cost) * (1 + 1e-9)
    wasted = (calls - 1 - repeat * number) * cost
    assert wasted < max(sample_time, cost)


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
    task = make_task(write_job, "sleep", n=600_000, timeout="1s")  # a 10-minute call
    box.ready()  # a child started afresh warms up first; its time limit starts with the task
    start = time.monotonic()
    fields = box.run(task)
    assert fields["status"] == "timeout" and "1s time limit" in fields["message"]
    assert time.monotonic() - start < 120  # stopped, not waited out, however busy the machine
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


def test_a_dim_no_input_shows_is_sized_from_the_task(write_job):
    from diffbench.jobs import reference
    from diffbench.jobs.harness import run_measured

    text = job_text(engines=("symbolic",), quantities=("gradient",), sizes=(4,), reference=("tape",))
    text = text.replace('expr = "sum(x)"', 'expr = "logsumexp(b*ones(n))"').replace('x = "n"', 'b = ""')
    task = plan(load_job(write_job(text))[0])[0]
    fields, kept = run_measured(task, time.perf_counter() + 10)
    assert fields["status"] == "ok" and fields["stats"]["bound_sizes"] == {"n": 4}, fields
    assert reference.run_reference(task, kept)["accuracy"] < 1e-9


def test_a_function_not_finite_at_the_drawn_inputs_is_a_failed_cell_saying_why(box, write_job):
    # log(-sum(x.*x)) is NaN wherever x is drawn: it was recorded ok, with an accuracy of inf.  Its
    # gradient is finite (fd's is not: found by the accuracy); its value is not (found by the output)
    for quantity, reference in (("gradient", ("fd",)), ("value", ())):
        text = job_text(engines=("tape",), quantities=(quantity,), sizes=(3,), reference=reference)
        task = plan(load_job(write_job(text.replace('expr = "sum(x)"', 'expr = "log(-sum(x.*x))"')))[0])[0]
        fields = box.run(task)
        assert fields["status"] == "failed" and fields["accuracy"] is None, fields
        assert fields["message"].startswith("'log(-sum(x.*x))' is not finite at the sampled inputs (outside its "
                                            "domain?); declare input domains in the job file"), fields["message"]
        assert "traceback" not in fields["stats"]


def test_a_cell_outside_its_domain_keeps_no_timings_and_notes_its_warnings(write_job):
    """Its NumPy warnings go into the record, not onto the submitter's terminal
    (the child's stderr); its timings are dropped with its failure, so no plot
    or table reads them as a valid cell's."""
    from diffbench.jobs.env import BLAS_ENV
    from diffbench.jobs.records import make_record

    text = job_text(engines=("tape",), quantities=("gradient",), sizes=(3,), reference=("fd",))
    task = plan(load_job(write_job(text.replace('expr = "sum(x)"', 'expr = "log(-sum(x.*x))"')))[0])[0]
    box = Sandbox()  # a child of its own, its stderr captured
    box.proc = subprocess.Popen([sys.executable, "-m", "diffbench.jobs.child"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **BLAS_ENV})
    try:
        fields = box.run(task)
    finally:
        proc = box.proc
        proc.stdin.close()  # the child exits at end of file
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert "Warning" not in err, err
    record = make_record(task, "r", fields, {}, 1, "")
    assert record["status"] == "failed" and "not finite" in record["message"], record
    assert record["times"] == [] and record["median"] is None and record["spread"] is None
    assert record["peak_bytes"] is None and "step_errors" not in record["stats"]
    noted = record["stats"]["warnings"] + record["stats"]["reference_warnings"]
    assert any(w.startswith("RuntimeWarning: invalid value encountered in log (diffbench/") for w in noted), noted


def test_noted_warnings_are_distinct_and_few():
    import warnings

    from diffbench.jobs.child import MAX_WARNINGS, noted_warnings

    with noted_warnings() as noted:
        for _ in range(1000):  # a timed loop warning at every call: one line
            warnings.warn("overflow encountered in exp", RuntimeWarning)
        for i in range(20):
            warnings.warn(f"number {i}", UserWarning)
    assert noted[0].startswith("RuntimeWarning: overflow encountered in exp (")
    assert len(noted) == MAX_WARNINGS


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


def test_step_sweep_stops_where_it_would_pass_the_time_it_was_given(write_job):
    from diffbench.engines.fd import SWEEP_STEPS
    from diffbench.jobs import reference
    from diffbench.jobs.harness import run_measured

    task = make_task(write_job, "fd", "gradient", n=4, reference=("tape",))
    fields, kept = run_measured(task, time.perf_counter() + 30)
    reference._outputs.clear()  # the tape's output computed here, not remembered from another test
    unbounded = reference.run_reference(task, kept)
    assert len(unbounded["step_errors"]) == len(SWEEP_STEPS["gradient"]) and "step_note" not in unbounded
    bounded = reference.run_reference(task, kept, deadline=time.perf_counter())  # no time left
    assert bounded["reference"] == "tape" and bounded["accuracy"] == unbounded["accuracy"]
    assert len(bounded["step_errors"]) == 1 and "step sweep stopped after 1 of 12" in bounded["step_note"]
