"""Helpers for the service tests: job files, a real server subprocess,
and a tiny HTTP client (urllib: what any user has)."""
from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import fault_engines
from diffbench.jobs.cron import utc

JOB = """version = 1
name = "{name}"
engines = ["noop"]
quantities = ["value"]
repeat = 1
sample_time = "1ms"
reference = []
{extra}
[[functions]]
name = "f"
expr = "sum(x)"
shapes = {{ x = "n" }}
sizes = {{ n = [1, 2] }}
"""


def job_text(name="t", extra="") -> str:
    return JOB.format(name=name, extra=extra)


def request(method, url, body=None, token=None, content_type="application/toml", timeout=20):
    """``(status, parsed body)``; JSON bodies parsed, others as text."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, _parse(resp)
    except urllib.error.HTTPError as err:
        return err.code, _parse(err)


def _parse(resp):
    text = resp.read().decode()
    return json.loads(text) if "json" in (resp.headers.get("content-type") or "") else text


def wait_for_run(url, run_id, token=None, timeout=90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = request("GET", f"{url}/api/runs/{run_id}", token=token)
        assert status == 200, body
        if body["status"] in ("finished", "interrupted"):
            return body
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


class Server:
    """``diffbench serve --port 0`` in a fresh process; ``url`` once it listens."""

    def __init__(self, folder, *args, env=None, wait=True):
        self.log = folder / f"serve-{time.monotonic_ns()}.log"
        environ = {**fault_engines.environ(), **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "diffbench.cli.main", "serve", "--port", "0", "--workers", "1", *map(str, args)],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"), env=environ, start_new_session=True)
        self.url = self._wait_for_url() if wait else None

    def _wait_for_url(self, timeout=60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"serving on (http://127\.0\.0\.1:\d+)", self.log.read_text())
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}:\n{self.log.read_text()}")
            time.sleep(0.1)
        raise AssertionError("server did not start")

    def wait(self, timeout=60) -> int:
        return self.proc.wait(timeout)

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)


@contextlib.contextmanager
def serving_in_thread(settings, clock=None, timeout: float = 30.0):
    """The real server on a background thread: ``(url, service)``."""
    from diffbench.service.server import listening, make_server

    with listening(settings, clock) as (sock, url, service):
        server = make_server(service)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            yield url, service
        finally:
            server.should_exit = True
            thread.join(timeout)


class ManualClock:
    """A clock that only moves when told to: a test drives the service's schedules with it."""

    def __init__(self, start: datetime):
        self._now = utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = utc(moment)

    def advance(self, **delta) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now
