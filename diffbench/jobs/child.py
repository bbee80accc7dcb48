"""The sandbox child: a long-lived process that measures tasks one at a time.

Started by :mod:`.sandbox` with BLAS thread counts pinned in the
environment it is spawned with, so they hold before any import (importing
this package already loads numpy).  It warms up once
(numpy, every engine), then loops: read a task, set the address-space
backstop (see :mod:`.memory`), measure, send the timed record, compute the
accuracy reference, send that, lift the backstop.  The worker kills it on a deadline overrun; it exits by itself when
the worker goes (end of file on stdin, or its parent changes).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time


def main() -> None:
    out = os.dup(1)
    os.dup2(2, 1)  # engines that print write to stderr, never into the protocol
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the submitter's to handle
    _watch_parent(os.getppid())
    from . import wire
    from .env import environment
    from .registry import load_engines

    load_engines()
    wire.send(out, {"ready": True, "env": environment()})
    while True:
        try:
            task = wire.recv(0)
            _run(task, out)
        except (wire.Closed, BrokenPipeError):  # the worker went away (stopped, or killed): so do we
            return


def _run(task: dict, out: int) -> None:
    from . import memory, wire
    from .harness import run_measured
    from .reference import run_reference

    deadline = time.perf_counter() + task["timeout"]
    with memory.limited(task["memory"]) as probe:
        fields, kept = run_measured(task, deadline, probe)
        wire.send(out, {"phase": "measured", "fields": fields})
        ref = {"reference": None, "accuracy": None}
        if kept is not None and task["reference"]:
            # the reference phase has its own time limit (the worker's); its optional
            # extras stop at half of it, so they never cost the cell its accuracy
            ref = run_reference(task, kept, time.perf_counter() + task["timeout"] / 2)
        del kept
    wire.send(out, {"phase": "reference", **ref})


def _watch_parent(parent: int) -> None:
    """Exit when the worker dies (e.g. SIGKILL): never outlive it as an orphan."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
