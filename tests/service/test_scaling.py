"""Worker-count sweeps: strong and weak, on local clusters of each size and
on an existing cluster (pinned to its first N workers); the report section
and the size-exponent fit."""
from __future__ import annotations

import html

import pytest

from service_helpers import job_text

from diffbench.jobs.plan import plan
from diffbench.jobs.scheduler import Target, record_run
from diffbench.jobs.spec import parse_job
from diffbench.jobs.store import Store
from diffbench.report.scaling import sizes_html, workers_html
from diffbench.scaling.sizes import exponent, size_fits
from diffbench.jobs.scaling_spec import ScalingSpec
from diffbench.scaling.passes import ALL, points
from diffbench.scaling.sweep import run_sweep


def recorded(tmp_path, engines='["noop"]', scaling=""):
    job = parse_job(job_text("sweep").replace('engines = ["noop"]', f"engines = {engines}") + scaling, "job")
    store = Store(tmp_path / "s.sqlite")
    return store, record_run(store, job, "", plan(job), {})


def test_strong_sweep_on_local_clusters_times_each_engine(tmp_path):
    store, run_id = recorded(tmp_path, '["noop", "tape"]')
    out = run_sweep(ScalingSpec(workers=[2, 1]), store, run_id, Target(db=str(store.path)))
    assert [(p["engine"], p["workers"], p["tasks"], p["failed"]) for p in out] == [
        ("noop", 1, 2, 0), ("tape", 1, 2, 0), (ALL, 1, 4, 0), ("noop", 2, 2, 0), ("tape", 2, 2, 0), (ALL, 2, 4, 0)]
    stored = points(store, run_id)
    assert len(stored) == 6 and all(p["throughput"] > 0 for p in stored)
    for count in (1, 2):  # the whole run's pass is the sum of its engines' passes
        at = {p["engine"]: p for p in stored if p["workers"] == count}
        assert at[ALL]["seconds"] == pytest.approx(at["noop"]["seconds"] + at["tape"]["seconds"])
    page = workers_html(store, run_id)
    assert "strong scaling" in page and "<svg" in page and "ideal" in page
    assert page.count("<tr><td>tape</td>") == 2 and page.count(f"<tr><td>{ALL}</td>") == 2


def test_counts_beyond_the_cores_are_named_not_measured(tmp_path):
    from diffbench.jobs.cluster import usable_cores

    job = parse_job(job_text("sweep") + f"\n[scaling]\nworkers = [1, {usable_cores() + 2}]\n", "job")
    store = Store(tmp_path / "s.sqlite")
    run_id = record_run(store, job, "", plan(job), {})
    out = run_sweep(job.scaling, store, run_id, Target(db=str(store.path)))
    assert sorted({p["workers"] for p in out}) == sorted({1, usable_cores()})
    assert f"Not measured: {usable_cores() + 2} workers, more than this machine's cores: {usable_cores()}" in \
        html.unescape(workers_html(store, run_id))


def test_weak_sweep_on_an_existing_cluster(tmp_path):
    from distributed import Client, LocalCluster

    store, run_id = recorded(tmp_path, scaling='\n[scaling]\nworkers = [1, 2, 3]\nmode = "weak"\n')
    local = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address="127.0.0.1:0", host="127.0.0.1")
    with local as cluster, Client(cluster) as client:
        out = run_sweep(ScalingSpec(workers=[1, 2, 3], mode="weak"), store, run_id, Target(), client)
    assert [(p["engine"], p["workers"], p["tasks"], p["kind"]) for p in out] == [
        ("noop", 1, 2, "remote"), (ALL, 1, 2, "remote"), ("noop", 2, 4, "remote"), (ALL, 2, 4, "remote")]
    page = workers_html(store, run_id)
    assert "weak scaling" in page and f"<td>{ALL}</td>" not in page  # one engine: one line
    assert "Not measured: 3 workers, more than the cluster's 2" in html.unescape(page)


def test_sweeps_stored_by_the_first_format_are_still_shown(tmp_path):
    store, run_id = recorded(tmp_path)
    store.db.execute("CREATE TABLE scaling (run_id TEXT, mode TEXT, workers INTEGER, tasks INTEGER, "
                     "failed INTEGER, seconds REAL, kind TEXT, PRIMARY KEY (run_id, workers))")
    store.db.executemany("INSERT INTO scaling VALUES (?,?,?,?,?,?,?)",
                         [(run_id, "strong", 1, 10, 0, 2.0, "local"), (run_id, "strong", 2, 10, 0, 1.25, "local")])
    assert [(p["engine"], p["workers"], p["throughput"]) for p in points(store, run_id)] == [
        (ALL, 1, 5.0), (ALL, 2, 8.0)]
    assert "80%" in workers_html(store, run_id)


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
    assert "<td>2.00</td>" in sizes_html(rows)
