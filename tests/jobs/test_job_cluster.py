"""The local dask cluster a submit starts: no dashboard, no fixed port, and
the submitter's environment as it was once the cluster is gone."""
from __future__ import annotations

import os

from diffbench.jobs.cluster import connect


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
