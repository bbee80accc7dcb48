"""``diffbench serve``: the API, the runner and the schedule ticker in one
process, holding the store's lock for as long as it lives."""
from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import logging
import signal
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..jobs.scheduler import Target
from ..jobs.store import DEFAULT_PATH, ScheduleState
from .due import SystemClock
from ..jobs.limits import HTTP, Limits
from .limits import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BYTES
from .lock import StoreLock
from .runner import Runner
from .schedules import fire_due, schedule_table

log = logging.getLogger("diffbench.service")


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8787
    jobs: str | None = "jobs"
    db: str = DEFAULT_PATH
    reports: str = "reports"
    scheduler: str | None = None
    workers: int | None = None
    connect_timeout: float = 10.0
    token: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    body_timeout: float = DEFAULT_BODY_TIMEOUT  # seconds for a request's whole body
    poll: float = 15.0          # seconds between looks at the schedules
    # modules whose functions submitted job files may name (python = "module:function")
    allow_python: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()  # Host header names beyond the bound address
    limits: Limits = HTTP


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Safe by default: anything but loopback needs an access token."""
    if not is_loopback(settings.host) and not settings.token:
        raise UserError(f"--host {settings.host}: refusing to listen beyond this machine without an access "
                        "token; expected --token (or DIFFBENCH_TOKEN), or --host 127.0.0.1")


class Service:
    """Everything but the HTTP server: the runner and the schedule ticker."""

    def __init__(self, settings: Settings, clock=None):
        self.settings, self.clock = settings, clock or SystemClock()
        self.runner = Runner(Target(settings.workers, settings.scheduler, settings.db, settings.reports,
                                    settings.connect_timeout))
        self._stop = threading.Event()
        self._reported: set = set()

    def tick(self) -> list[str]:
        """Queue every due job; their run ids."""
        if not self.settings.jobs:
            return []
        state = ScheduleState(self.settings.db)
        try:
            fired = fire_due(self.settings.jobs, state, self.runner, self.clock.now(), self._reported)
        finally:
            state.close()
        return [self.runner.enqueue(p) for p in fired]

    def schedules(self) -> tuple[list[dict], list[str]]:
        if not self.settings.jobs:
            return [], []
        state = ScheduleState(self.settings.db)
        try:
            return schedule_table(self.settings.jobs, state, self.clock.now())
        finally:
            state.close()

    def start(self) -> None:
        self.runner.start()
        threading.Thread(target=self._ticker, name="diffbench-ticker", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.runner.stop()

    def _ticker(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except UserError as err:  # e.g. the jobs folder was removed
                log.warning("schedules: %s", err)
            except Exception:  # a bug here must not end the server
                log.exception("schedule check failed")
            self._stop.wait(self.settings.poll)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise UserError(f"cannot listen on {host}:{port} ({err.strerror or err}); "
                        "expected a free port (--port 0 picks one)") from None
    sock.listen(64)
    return sock


@contextlib.contextmanager
def listening(settings: Settings, clock=None):
    """Lock first, then bind: a second server on the same store fails
    before it takes a port.  Yields the socket, its URL and the started
    service; stops the service on the way out."""
    check_exposure(settings)
    if settings.jobs and not Path(settings.jobs).is_dir():  # an API-only server needs no jobs folder
        log.warning("no jobs folder %s: no schedules will run", settings.jobs)
        settings = dataclasses.replace(settings, jobs=None)
    with StoreLock(settings.db).acquire() as lock:
        init_store(settings.db)
        sock = bind(settings.host, settings.port)
        url = _url(settings.host, sock.getsockname()[1])
        lock.update(url=url)
        service = Service(settings, clock)
        service.start()
        try:
            yield sock, url, service
        finally:
            service.stop()
            sock.close()


def make_server(service):
    """The uvicorn server of ``service``'s API (not started)."""
    import uvicorn

    from .api import create_app

    return uvicorn.Server(uvicorn.Config(create_app(service), log_level="warning", access_log=False, lifespan="off"))


class _Stopped(Exception):
    """SIGINT or SIGTERM, once uvicorn has shut its server down."""


def _stopped(signum, frame):
    raise _Stopped(signum)


def serve(settings: Settings, clock=None, announce=print) -> None:
    """Run until SIGINT or SIGTERM, then stop cleanly: uvicorn closes the
    server, the running run is cut short and marked interrupted, the local
    cluster is closed.  (uvicorn re-raises the signal it caught once it is
    done; without a handler of ours that would end the process before any
    of that.)"""
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with listening(settings, clock) as (sock, url, service):
            announce(f"diffbench serving on {url} (store {settings.db}, jobs {settings.jobs or '-'})")
            try:
                make_server(service).run(sockets=[sock])
            except _Stopped:
                pass
            log.info("stopping")
    except _Stopped:  # a second signal while stopping: leave at once
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def init_store(db: str) -> None:
    from ..jobs.store import Store

    Store(db).close()  # every table, the schedule state's too


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
