"""Fixtures for the job tests: test-only engines switched on, job files
written to a temporary folder, real dask scheduler/worker processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HEADER = """version = 1
name = "{name}"
engines = {engines}
quantities = {quantities}
repeat = {repeat}
timeout = "{timeout}"
memory = "{memory}"
sample_time = "1ms"
reference = {reference}
"""
FUNCTION = """[[functions]]
name = "{fname}"
expr = "sum(x)"
shapes = {{ x = "n" }}
sizes = {{ n = {sizes} }}
"""


def job_text(name="t", engines=("noop",), quantities=("value",), sizes=(1,), repeat=1, timeout="20s",
             memory="1GiB", reference=(), fname="f") -> str:
    q = lambda xs: json.dumps(list(xs))  # noqa: E731  (TOML arrays of strings look like JSON ones)
    return (HEADER.format(name=name, engines=q(engines), quantities=q(quantities), repeat=repeat,
                          timeout=timeout, memory=memory, reference=q(reference))
            + FUNCTION.format(fname=fname, sizes=list(sizes)))


@pytest.fixture(autouse=True)
def test_engines(monkeypatch):
    """The fault-injection engines (tests/fault_engines.py), for this test and
    the processes it starts; taken out of the registry afterwards so no other
    test sees them."""
    import fault_engines

    for key, value in fault_engines.environ().items():
        monkeypatch.setenv(key, value)
    yield
    fault_engines.uninstall()


@pytest.fixture
def write_job(tmp_path):
    def write(text=None, name="job.toml", **kw) -> Path:
        path = tmp_path / name
        path.write_text(text if text is not None else job_text(**kw))
        return path
    return write


def diffbench(*args, cwd=None, timeout=120, check=False) -> subprocess.CompletedProcess:
    """Run the real command line in a fresh process."""
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"diffbench {' '.join(map(str, args))} failed:\n{proc.stderr}")
    return proc


class DaskProcesses:
    """A scheduler and workers started with the ``dask`` command, on 127.0.0.1."""

    def __init__(self, folder: Path):
        self.folder, self.workers = folder, []
        file = folder / "scheduler.json"
        self.scheduler = self._spawn(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                      "--scheduler-file", str(file)])
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = json.loads(file.read_text())["address"]

    def _spawn(self, args):
        log = open(self.folder / f"dask-{len(self.workers)}-{args[0]}.log", "w")
        return subprocess.Popen([sys.executable, "-m", "dask", *args],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def add_worker(self) -> subprocess.Popen:
        proc = self._spawn(["worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                            "--host", "127.0.0.1", "--death-timeout", "30"])
        self.workers.append(proc)
        return proc

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=60)

    def close(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in [*self.workers, self.scheduler]:
            try:  # a worker that talked to a SIGKILLed peer can hang in close: don't wait long
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler and two single-threaded workers, each its own process."""
    cluster = DaskProcesses(tmp_path)
    try:
        cluster.add_worker()
        cluster.add_worker()
        cluster.wait_for_workers(2)
        yield cluster
    finally:
        cluster.close()
