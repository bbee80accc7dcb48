"""Getting a dask client: a local cluster (processes, one thread each, no
more workers than cores) or an existing scheduler at an address.

A local cluster serves no dashboard and takes no fixed port (dask's
default 8787 would stop ``diffbench serve`` from starting while any
``submit`` runs); its workers get the one-thread BLAS environment, and the
submitter's own environment is given back unchanged when the cluster closes."""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading

from ..errors import UserError
from .env import BLAS_ENV

WORKER_MODULE = "diffbench.jobs.worker"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@contextlib.contextmanager
def connect(address: str | None = None, workers: int | None = None, timeout: float = 10.0):
    """Yields ``(client, info)``; ``info`` is what the run records as its cluster."""
    if address and workers is not None:
        raise UserError("--workers sizes a local cluster; with --scheduler the cluster has its own workers")
    with contextlib.ExitStack() as stack:  # closed in reverse: client, cluster, environment
        if address:
            client, cluster = _remote(address, timeout), None
        else:
            stack.enter_context(_environ(BLAS_ENV))  # kept while a restarted worker may spawn
            stack.enter_context(_forked_workers())
            client, cluster = _local(workers)
            stack.callback(cluster.close)
        stack.callback(client.close)
        nthreads = client.nthreads()
        yield client, {"address": client.scheduler.address, "kind": "local" if cluster else "remote",
                       "workers": len(nthreads), "threads": sum(nthreads.values())}


def _remote(address: str, timeout: float):
    from distributed import Client

    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except Exception as err:  # refused, unresolvable, timed out, malformed: all mean "not there"
        why = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UserError(f"cannot reach the dask scheduler at {address} ({why}); "
                        "expected tcp://HOST:PORT of a running scheduler") from None


def _local(workers: int | None):
    from distributed import Client, LocalCluster

    cores = usable_cores()
    if workers is not None and workers < 1:
        raise UserError(f"--workers {workers}: expected at least 1")
    count = min(workers or cores, cores)
    if workers and workers > cores:
        print(f"note: {workers} workers asked for, {cores} cores here: using {cores} "
              "(more would time each other, not the engines)", file=sys.stderr)
    # no dashboard, and the scheduler's HTTP server on any free loopback port
    # (given no address, dask binds it to 8787)
    # and each worker starts its sandbox child as it starts (diffbench.jobs.worker.dask_setup)
    cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
                           scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                           silence_logs=logging.ERROR, env=dict(BLAS_ENV), preload=[WORKER_MODULE])
    return Client(cluster, set_as_default=False), cluster


# what the server that forks the workers imports once, for all of them: dask's own
# list (distributed.utils.get_mp_context) and the module the workers run
FORKSERVER_PRELOAD = ["distributed", "dask", "msgpack", "cloudpickle", "tornado", "toolz", "numpy", WORKER_MODULE]


def start_forkserver() -> None:
    """Start the server process a local cluster's workers are forked from
    (:func:`_forked_workers`) now, before the cluster: it imports dask,
    numpy and the worker's modules on the other core while the submitter
    checks and plans the job, and every worker forked from it has them
    already.  It starts with the one-thread BLAS environment, as the workers
    need; a submitter that stops before starting a cluster leaves nothing
    behind (the server exits with the process that started it)."""
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    with _environ(BLAS_ENV), _sigint_ignored():
        forkserver.set_forkserver_preload(FORKSERVER_PRELOAD)
        forkserver.ensure_running()


@contextlib.contextmanager
def _sigint_ignored():
    """SIGINT ignored while the fork server starts, so it and every worker it
    forks inherit that: Ctrl-C in a terminal signals the whole process group,
    and the workers' own KeyboardInterrupt tracebacks would bury the
    submitter's answer (it stops the run, writes the report, closes the
    cluster).  The sandbox children ignore it too (:mod:`.child`)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _forked_workers():
    """dask's worker processes forked from one server process that imported
    dask once (``forkserver``), not each started as a fresh interpreter that
    imports it again (``spawn``, dask's default): about half the cluster's
    start on two cores.  The server starts inside :func:`_environ`, so it and
    every worker it forks have the one-thread BLAS environment.  The cells
    themselves run in sandbox children started afresh (:mod:`.sandbox`)."""
    import multiprocessing

    import dask
    import distributed  # noqa: F401 -- loads dask's "distributed" defaults: set before that, they are lost

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return dask.config.set({"distributed.worker.multiprocessing-method": method})


@contextlib.contextmanager
def _environ(extra: dict):
    """``extra`` in ``os.environ`` (spawned workers inherit it before they
    load numpy), then the environment exactly as it was: dask's nannies
    write into it too."""
    saved = dict(os.environ)
    os.environ.update(extra)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
