"""The local dask cluster a submit starts: no dashboard, no fixed port, and
the submitter's environment as it was once the cluster is gone."""
from __future__ import annotations

import os

from diffbench.jobs.cluster import connect, start_forkserver


def _http_ports(dask_scheduler) -> list[int]:
    return [sock.getsockname()[1] for sock in dask_scheduler.http_server._sockets.values()]


def _blas_threads() -> str | None:
    return os.environ.get("VECLIB_MAXIMUM_THREADS")


def test_a_local_cluster_takes_no_fixed_port_and_gives_the_environment_back(monkeypatch):
    monkeypatch.delenv("VECLIB_MAXIMUM_THREADS", raising=False)
    before = dict(os.environ)
    with connect(workers=1) as (client, info):
        ports = client.run_on_scheduler(_http_ports)
        on_workers = set(client.run(_blas_threads).values())
    assert info["kind"] == "local" and ports and 8787 not in ports  # `serve` may listen there meanwhile
    assert on_workers == {"1"}  # the workers still get one BLAS thread
    assert dict(os.environ) == before


def _idle_sandbox_children() -> int:
    from diffbench.jobs import sandbox

    return len(sandbox._idle)


def test_workers_start_their_sandbox_child_as_they_start():
    with connect(workers=1) as (client, info):
        children = set(client.run(_idle_sandbox_children).values())
    assert children == {1}  # started by the worker's preload, before any task or prewarm


def test_workers_are_forked_from_the_server_started_before_the_cluster(monkeypatch):
    from multiprocessing import forkserver

    monkeypatch.delenv("VECLIB_MAXIMUM_THREADS", raising=False)
    before = dict(os.environ)
    start_forkserver()
    assert dict(os.environ) == before  # the one-thread BLAS environment was the server's only
    with connect(workers=1) as (client, info):
        parents = set(client.run(os.getppid).values())
        on_workers = set(client.run(_blas_threads).values())
    assert parents == {forkserver._forkserver._forkserver_pid} and on_workers == {"1"}


def test_submit_closes_its_store(write_job, tmp_path):
    from diffbench.jobs.scheduler import Target, submit

    summary = submit(str(write_job()), Target(workers=1, db=str(tmp_path / "runs.sqlite")))
    assert summary["ok"] == summary["planned"] == 1
    assert not list(tmp_path.glob("runs.sqlite-*"))  # closed by submit: its write-ahead log folded in
