"""Worker-count sweeps: strong and weak, on local clusters of each size and
on an existing cluster (pinned to its first N workers); the report section
and the size-exponent fit."""
from __future__ import annotations

import pytest

from service_helpers import job_text

from diffbench.jobs.plan import plan
from diffbench.jobs.scheduler import Target, record_run
from diffbench.jobs.spec import parse_job
from diffbench.jobs.store import Store
from diffbench.scaling.sections import sizes_html, workers_html
from diffbench.scaling.sizes import exponent, size_fits
from diffbench.scaling.spec import ScalingSpec
from diffbench.scaling.store import points
from diffbench.scaling.sweep import run_sweep


def recorded(tmp_path):
    job = parse_job(job_text("sweep"), "job")
    store = Store(tmp_path / "s.sqlite")
    return store, record_run(store, job, "", plan(job), {})


def test_strong_sweep_on_local_clusters(tmp_path):
    store, run_id = recorded(tmp_path)
    out = run_sweep(ScalingSpec(workers=[2, 1]), store, run_id, Target(db=str(store.path)))
    assert [(p["workers"], p["tasks"], p["failed"]) for p in out] == [(1, 2, 0), (2, 2, 0)]
    stored = points(store, run_id)
    assert [p["workers"] for p in stored] == [1, 2] and all(p["throughput"] > 0 for p in stored)
    html = workers_html(store, run_id)
    assert "strong scaling" in html and "<svg" in html and "ideal" in html


def test_weak_sweep_on_an_existing_cluster(tmp_path):
    from distributed import Client, LocalCluster

    store, run_id = recorded(tmp_path)
    local = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0", host="127.0.0.1")
    with local as cluster, Client(cluster) as client:
        out = run_sweep(ScalingSpec(workers=[1, 2], mode="weak"), store, run_id, Target(), client)
    assert [(p["workers"], p["tasks"], p["kind"]) for p in out] == [(1, 2, "remote"), (2, 4, "remote")]


def test_bad_sweeps_are_refused():
    with pytest.raises(ValueError, match="distinct worker counts"):
        ScalingSpec(workers=[1, 1])
    with pytest.raises(ValueError):
        ScalingSpec(workers=[1], mode="sideways")


def test_size_exponents():
    assert exponent([(10, 1e-4), (20, 8e-4), (40, 6.4e-3)]) == pytest.approx(3.0)
    rows = [{"function": "f", "engine": "tape", "quantity": "hessian", "status": "ok", "sizes": {"n": n},
             "median": 1e-6 * n ** 2} for n in (10, 30, 100, 300)]
    [fit] = size_fits(rows)
    assert fit["dim"] == "n" and fit["exponent"] == pytest.approx(2.0)
    assert "k=2.00" in sizes_html(rows)
