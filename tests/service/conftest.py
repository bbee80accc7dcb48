"""Fixtures for the service tests: test-only engines, a folder with a small
job file, and the real server as a subprocess on 127.0.0.1."""
from __future__ import annotations

import pytest

import fault_engines

fault_engines.switch_on()  # before any engine registry loads


@pytest.fixture
def server(tmp_path):
    """Start ``diffbench serve`` processes; all are stopped at the end."""
    from service_helpers import Server

    started = []

    def start(*args, env=None, **kw):
        proc = Server(tmp_path, *args, env=env, **kw)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()
