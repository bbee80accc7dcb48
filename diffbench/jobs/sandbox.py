"""The worker's side of task isolation: a warm child process per running
task slot, a deadline on every answer, and a kill on overrun.

dask has no per-task timeout and a worker that runs out of memory takes
every task on it down.  So the measuring happens in a child process
(:mod:`.child`): a task that overruns its time is killed (``timeout``); one
whose resident memory grows past its budget is killed too (``oom``; checked
every 20 ms while the worker waits, since an address-space limit alone
would refuse runtimes such as XLA that reserve far more than they use); one
that dies in C code, or is killed by the kernel's OOM killer, is recorded
from its exit signal.  The worker lives on and the next task gets a fresh
child.  Children are reused between tasks that end cleanly, so a trivial
task costs a pipe round trip, not an interpreter start.
"""
from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import sys
import threading
import time

import psutil

from . import wire
from .env import BLAS_ENV

STARTUP_SECONDS = 300.0  # importing numpy and every engine on a slow shared filesystem
POLL_SECONDS = 0.02  # how often a busy child's resident memory is checked


class Sandbox:
    """One child process and the protocol to drive it."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.env: dict | None = None
        self.resident = 0

    def start(self) -> None:
        """Spawn the child without waiting for it to warm up."""
        env = {**os.environ, **BLAS_ENV}
        self.proc = subprocess.Popen([sys.executable, "-m", "diffbench.jobs.child"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.env = None

    def ready(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        if self.env is None:
            try:
                hello = wire.recv(self.proc.stdout.fileno(), time.monotonic() + STARTUP_SECONDS)
            except (wire.Timeout, wire.Closed):
                self.kill()
                raise RuntimeError("the sandbox child did not start (see the worker's log)") from None
            self.env = hello["env"]

    def run(self, task: dict) -> dict:
        """Record fields for ``task``: status, message, timings, reference..."""
        try:
            self._send(task)
        except BrokenPipeError:  # the idle child died since (e.g. the OOM killer): once more
            self.kill()
            self._send(task)
        fields = self._answer(task, "measured")
        if fields.get("phase") != "measured":
            return fields
        fields = fields["fields"]
        fields.update(self._reference(task))  # the child always sends this second message
        if fields["status"] == "oom":
            self.kill()  # start the next task from a clean, unfragmented child
        return fields

    def _send(self, task: dict) -> None:
        self.ready()
        self.resident = _resident(self.proc.pid)  # idle baseline: the budget counts from here
        wire.send(self.proc.stdin.fileno(), task)

    def _answer(self, task: dict, phase: str) -> dict:
        try:
            return self._watch(task, time.monotonic() + task["timeout"])
        except _OverMemory as over:
            self.kill()
            return {"status": "oom", "message": f"exceeded the task's memory limit of {task['memory'] / 2**20:.0f} MiB "
                                                f"(resident memory up {over.args[0] / 2**20:.0f} MiB when stopped)"}
        except wire.Timeout:
            self.kill()
            doing = "measuring" if phase == "measured" else "computing the reference"
            return {"status": "timeout", "message": f"exceeded the {task['timeout']:g}s time limit while {doing}"}
        except wire.Closed:
            return _death(self.kill(), task)

    def _watch(self, task: dict, deadline: float):
        """The child's next message, checking its resident memory meanwhile."""
        fd = self.proc.stdout.fileno()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise wire.Timeout()
            if select.select([fd], [], [], min(POLL_SECONDS, left))[0]:
                return wire.recv(fd, deadline)
            grown = _resident(self.proc.pid) - self.resident
            if grown > task["memory"]:
                raise _OverMemory(grown)

    def _reference(self, task: dict) -> dict:
        answer = self._answer(task, "reference")
        if answer.get("phase") == "reference":
            answer.pop("phase")
            return answer
        return {"reference": None, "accuracy": None, "reference_note": answer["message"]}

    def kill(self) -> int | None:
        """Stop the child now; its exit code (negative: the signal)."""
        proc, self.proc, self.env = self.proc, None, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        return code


class _OverMemory(Exception):
    pass


def _resident(pid: int) -> int:
    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:  # it has just exited: the read of its pipe will say how
        return 0


def _death(code: int | None, task: dict) -> dict:
    """What a child's unexpected exit means for the task."""
    if code == -signal.SIGKILL:
        return {"status": "oom", "message": "the task's process was killed by SIGKILL "
                                            "(most likely the system's out-of-memory killer)"}
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        return {"status": "failed", "message": f"the task's process died with {name}"}
    return {"status": "failed", "message": f"the task's process exited with code {code}"}


# ------------------------------------------------------------------ pool
# One idle list per worker process: a task takes a warm child, gives it back.

_idle: list[Sandbox] = []
_lock = threading.Lock()


def acquire() -> Sandbox:
    with _lock:
        return _idle.pop() if _idle else Sandbox()


def release(box: Sandbox) -> None:
    with _lock:
        _idle.append(box)


def stop_all() -> None:
    """Kill the idle children now (the worker is closing): waiting for them to
    notice their parent is gone kept the cluster's close waiting seconds."""
    with _lock:
        boxes = list(_idle)
        _idle.clear()
    for box in boxes:
        box.kill()


atexit.register(stop_all)


def prewarm(count: int = 1) -> int:
    """Start children in the background so the first tasks find them warm."""
    with _lock:
        missing = max(0, count - len(_idle))
        for _ in range(missing):
            box = Sandbox()
            box.start()
            _idle.append(box)
    return missing
