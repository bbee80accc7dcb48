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

import contextlib
import os
import signal
import sys
import threading
import time
import warnings


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
        with noted_warnings() as noted:
            fields, kept = run_measured(task, deadline, probe)
        if noted:
            fields["stats"]["warnings"] = noted
        wire.send(out, {"phase": "measured", "fields": fields})
        ref = {"reference": None, "accuracy": None}
        if kept is not None and task["reference"]:
            # the reference phase has its own time limit (the worker's); its optional
            # extras stop at half of it, so they never cost the cell its accuracy
            with noted_warnings() as noted:
                ref = run_reference(task, kept, time.perf_counter() + task["timeout"] / 2)
            if noted:
                ref["reference_warnings"] = noted
        del kept
    wire.send(out, {"phase": "reference", **ref})


MAX_WARNINGS = 5  # distinct ones per phase; a cell outside its domain warns at every call


@contextlib.contextmanager
def noted_warnings():
    """The warnings raised inside, as short distinct lines kept for the
    cell's record, instead of printed: the child's stderr is the submitter's
    terminal, where NumPy's 'overflow encountered in exp' from a cell outside
    its function's domain said nothing about which cell.  Each distinct
    warning is taken once (the 'default' action), so a timed loop that warns
    at every call does not pile them up."""
    noted: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            yield noted
        finally:
            lines = dict.fromkeys(f"{w.category.__name__}: {w.message} ({_where(w.filename)}:{w.lineno})"
                                  for w in caught)
            noted.extend(list(lines)[:MAX_WARNINGS])


def _where(filename: str) -> str:
    """A warning's file, from the package down (no path of this machine in a record)."""
    parts = filename.replace(os.sep, "/").split("/")
    return "/".join(parts[parts.index("diffbench"):]) if "diffbench" in parts else parts[-1]


def _watch_parent(parent: int) -> None:
    """Exit when the worker dies (e.g. SIGKILL): never outlive it as an orphan."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
