"""Fault-injection engines for tests and the scheduler benchmark.

Test code, outside the package: the job system loads it only when
``DIFFBENCH_ENGINE_MODULES`` names this module (see
``diffbench.jobs.registry``), in the submitting process, the workers and every
sandbox child, which inherit the variable; :func:`environ` sets it and puts
this folder on ``PYTHONPATH`` so those processes can import it.  Each engine
reads the dim ``n`` as its knob, so a job controls them through ``sizes``:

``noop``   returns zeros at once (measures the scheduler, not an engine)
``sleep``  each call sleeps n milliseconds
``spin``   each call burns n milliseconds of CPU
``hog``    each call allocates and touches n MiB
``boom``   ``prepare`` raises RuntimeError
``nope``   ``prepare`` raises Unsupported
``crash``  each call kills its own process with SIGSEGV
"""
from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np

from diffbench.engines.base import Engine, Prepared, register
from diffbench.errors import Unsupported

MODULE = "fault_engines"
FOLDER = os.path.dirname(os.path.abspath(__file__))


class _Zeros(Prepared):
    def __init__(self, wrt, knob):
        self.wrt, self.knob, self.stats = wrt, knob, {"knob": knob}

    def act(self):
        pass

    def value(self, inputs):
        self.act()
        return 0.0

    def gradient(self, inputs):
        self.act()
        return {w: np.zeros(np.shape(inputs[w])) for w in self.wrt}

    def hessian(self, inputs):
        self.act()
        return {(a, b): np.zeros(np.shape(inputs[a]) + np.shape(inputs[b])) for a in self.wrt for b in self.wrt}


class _Sleep(_Zeros):
    def act(self):
        time.sleep(self.knob / 1000)


class _Spin(_Zeros):
    def act(self):
        end = time.perf_counter() + self.knob / 1000
        while time.perf_counter() < end:
            pass


class _Hog(_Zeros):
    def act(self):
        block = np.ones(self.knob * 2**20 // 8)
        block[::512] = 2.0


class _Crash(_Zeros):
    def act(self):
        os.kill(os.getpid(), signal.SIGSEGV)


class _Test(Engine):
    def __init__(self, name, prepared=None, error=None):
        self.name, self.prepared, self.error = name, prepared, error
        self.description = "test-only engine (tests/fault_engines.py)"

    def prepare(self, fn, wrt, sizes, order=2):
        if self.error is not None:
            raise self.error
        return self.prepared(list(wrt), int(sizes.get("n", 1)))


ENGINES = (_Test("noop", _Zeros), _Test("sleep", _Sleep), _Test("spin", _Spin), _Test("hog", _Hog),
           _Test("crash", _Crash), _Test("boom", error=RuntimeError("boom: this engine always fails")),
           _Test("nope", error=Unsupported("nope: this engine supports nothing")))


def install() -> None:
    """Called by the job system's registry each time it loads the engines."""
    for engine in ENGINES:
        register(engine)


def uninstall() -> None:
    """Take them out of the registry again (tests: nothing leaks into other tests)."""
    from diffbench.engines.base import REGISTRY

    for engine in ENGINES:
        if REGISTRY.get(engine.name) is engine:
            del REGISTRY[engine.name]


def environ(base: dict | None = None) -> dict:
    """``base`` (default ``os.environ``) with these engines switched on for
    every process started with it."""
    from diffbench.jobs.registry import ENGINE_MODULES_VAR

    env = dict(os.environ if base is None else base)
    path = env.get("PYTHONPATH", "")
    return {**env, ENGINE_MODULES_VAR: MODULE, "PYTHONPATH": os.pathsep.join(filter(None, [FOLDER, path]))}


def switch_on() -> None:
    """:func:`environ` in this process's own environment (and import path)."""
    os.environ.update(environ())
    if FOLDER not in sys.path:
        sys.path.insert(0, FOLDER)
