"""Measuring one task, inside the sandbox child (see :mod:`.child`).

The protocol a benchmark engineer can check:

1. inputs are generated here from the task's seed (never shipped);
2. ``Engine.prepare`` (derivation, compilation, tape set-up) is timed once,
   apart, on a freshly parsed function so no earlier task's cache hides it
   (the libraries an engine ``requires`` are imported before the clock);
3. one warm-up call, whose output is the one checked for accuracy, traced by
   ``tracemalloc`` for its peak memory (so its ``warmup_seconds`` include tracing);
4. inner loops: calls per sample so that a sample lasts ``sample_time``
   (well above the timer's resolution): runs sized from the warm-up's time,
   then from the run before, until one lasts ``sample_time``; that run is a
   valid sample and counts as the first of the ``repeat`` (a call slower than
   a sample is not run once more just to learn that it is);
5. ``repeat`` samples in all with the garbage collector paused (as ``timeit``);
   each sample's per-call time is kept raw, reported as median and IQR.
   If ``repeat`` samples cannot fit the time limit, fewer are taken
   (``stats.repeat_cut``) rather than wasting the whole task on a timeout.
   ``stats.calibration_seconds`` is what finding the inner loops cost
   beyond the samples kept.
"""
from __future__ import annotations

import gc
import importlib
import math
import statistics
import traceback
from time import perf_counter

ORDERS = {"value": 0, "gradient": 1, "jacobian": 1, "hessian": 2, "hvp": 2, "trace": 2,
          "derivatives": 6, "descent": 1, "newton": 2}
MAX_INNER = 10**7


def build(task: dict):
    """A fresh Function and its inputs, drawn from the task's seed."""
    from ..api import parse
    from ..sampling import sample_inputs

    entry = None
    if task.get("catalogue"):
        from ..catalogue import get_entry

        entry = get_entry(task["catalogue"])
    if task.get("python"):  # imported and traced here, on the worker
        from ..tracing.loader import load

        fn = load(task["python"], task["shapes"], task["sizes"])  # at the sizes if it loops over dims
    elif entry is not None:  # parsed afresh; an unrolled entry's text depends on the sizes
        fn = parse(entry.expression_at(task["sizes"]), task["shapes"])
    else:
        fn = parse(task["expr"], task["shapes"])
    if entry is not None:
        inputs = entry.sample(task["sizes"], task["seed"])
    else:
        inputs = sample_inputs(fn, task["sizes"], task["seed"], task["domain"])
    return fn, inputs


def measure(call, inputs, repeat: int, sample_time: float, deadline: float, trace: bool = False) -> dict:
    """Warm up, calibrate inner loops, take ``repeat`` samples of per-call seconds.
    With ``trace``, the warm-up call also measures its peak memory (``call_peak``)."""
    from ..allocation import peak_allocated

    start = perf_counter()
    out, peak = peak_allocated(call, inputs) if trace else (call(inputs), None)
    first = perf_counter() - start
    start = perf_counter()
    number, per_call, times = _calibrate(call, inputs, sample_time, first)
    calibration = perf_counter() - start - sum(times) * number
    room = deadline - perf_counter()
    fits = max(1, int(0.8 * room / max(per_call * number, 1e-9)))
    more = min(repeat - len(times), fits)
    times += _samples(call, inputs, number, more)
    return {"out": out, "times": times, "inner_loops": number, "call_peak": peak,
            "cut": len(times) < repeat, "warmup_seconds": first, "calibration_seconds": calibration}


MARGIN = 1.1  # calls per sample aimed a little above sample_time: a run that falls short is wasted
SLOWED = 2.0  # a run that lasts more than this times its aim was slowed down (a busy machine)


def _calibrate(call, inputs, sample_time: float, first: float) -> tuple[int, float, list[float]]:
    """Calls per sample, a call's seconds, and the calibrating sample: runs of
    ``number`` calls, each sized from the time per call the run before it
    showed (the first from the warm-up ``first``, which tracing makes slower
    than a call), until one lasts ``sample_time``.  That run is a valid
    sample, the first of the ``repeat``; the shorter ones are thrown away.
    A short run rarely loses the processor, a whole sample on a busy machine
    often does: a run slowed past ``SLOWED`` times its aim is thrown away too,
    once, and the next is sized from it, so that samples last about
    ``sample_time`` at the pace the machine now gives, not several times it."""
    number = 1 if first >= sample_time else _calls(sample_time, first)
    resized = False
    while True:
        per_call = _samples(call, inputs, number, 1)[0]
        if per_call * number >= sample_time or number >= MAX_INNER:
            if number == 1 or resized or per_call * number <= SLOWED * MARGIN * sample_time:
                return number, per_call, [per_call]
            number, resized = _calls(sample_time, per_call), True
            continue
        number = max(number + 1, _calls(sample_time, per_call))


def _calls(sample_time: float, per_call: float) -> int:
    return min(MAX_INNER, math.ceil(MARGIN * sample_time / max(per_call, 1e-9)))


def _samples(call, inputs, number: int, count: int) -> list[float]:
    collecting = gc.isenabled()
    gc.disable()
    try:
        times = []
        for _ in range(count):
            start = perf_counter()
            for _ in range(number):
                call(inputs)
            times.append((perf_counter() - start) / number)
        return times
    finally:
        if collecting:
            gc.enable()


def summarise(times: list[float]) -> tuple[float, float]:
    """Median and spread (interquartile range; 0 for one sample)."""
    if len(times) < 2:
        return times[0], 0.0
    q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive")
    return statistics.median(times), q3 - q1


# ---------------------------------------------------------------- one task

def run_measured(task: dict, deadline: float, probe=None) -> tuple[dict, tuple | None]:
    """The timed part.  Returns the record fields and, when it went well,
    what the reference phase needs: ``(fn, inputs, sizes, out)``.  ``probe``
    (see :mod:`.memory`) measures peak memory of prepare plus evaluation."""
    from ..checking import NotFinite
    from ..errors import Unsupported

    fields: dict = {"stats": {}}
    try:
        return _timed(task, deadline, probe or _NoProbe(), fields)
    except Unsupported as err:
        fields.update(status="unsupported", message=line(err))
    except NotFinite as err:  # the inputs are at fault, not the engine: no traceback
        fields.update(status="failed", message=not_finite_message(err))
    except MemoryError:
        fields.update(status="oom", message="MemoryError: an allocation beyond the address-space "
                                            f"backstop of the {task['memory'] / 2**20:.0f} MiB memory limit")
    except Exception as err:  # an engine that raises is a result, not a crash
        fields.update(status="failed", message=f"{type(err).__name__}: {line(err)}")
        fields["stats"]["traceback"] = traceback.format_exc(limit=-6)
    return fields, None


def _timed(task: dict, deadline: float, probe, fields: dict) -> tuple[dict, tuple]:
    from ..checking import check_finite

    fn, inputs = build(task)
    sizes = fn.bind(inputs, task["sizes"])  # the task's sizes: a dim no input shows too
    fields["stats"]["bound_sizes"] = sizes
    probe.restart()  # the inputs are not the engine's memory
    prepared = _prepare(task, fn, sizes, fields)
    from .curvature import quantity_call, trace_stats

    call = quantity_call(prepared, task, inputs)
    m = measure(call, inputs, task["repeat"], task["sample_time"], deadline, trace=True)
    if not _all_finite(m["out"]):  # the inputs' fault (compare's check) or the engine's (then left to accuracy)
        check_finite(fn, inputs, task["wrt"], sizes)
    median, spread = summarise(m["times"])
    fields.update(status="ok", message="", times=m["times"], median=median, spread=spread,
                  inner_loops=m["inner_loops"], peak_bytes=probe.peak())
    fields["stats"].update(engine=_jsonable(getattr(prepared, "stats", {}) or {}),
                           mode=prepared.mode_ran(task["quantity"]),
                           **({"hvp_direction": {"seed": task["seed"], "entries": "standard normal"}}
                              if task["quantity"] == "hvp" else {}),
                           **trace_stats(task, fn, inputs, sizes, prepared, m["out"]),
                           warmup_seconds=m["warmup_seconds"], repeat_cut=m["cut"],
                           calibration_seconds=m["calibration_seconds"])
    fields["stats"].update(call_memory(task, m["call_peak"]))
    tape_stats = getattr(prepared, "tape_stats", None)
    if tape_stats is not None:  # counted after the peak was read: one more sweep, off the clock
        fields["stats"]["tape"] = _jsonable(tape_stats(inputs))
    if hasattr(call, "record"):  # a study (diffbench.studies): what its report section draws
        fields["stats"].update(_jsonable(call.record(inputs)))
    return fields, (fn, inputs, sizes, m["out"])


def not_finite_message(err) -> str:
    return f"{line(err)}; declare input domains in the job file, e.g. domain = {{x = \"positive\"}}"


def inputs_at_fault(task: dict, fn, inputs: dict, sizes: dict) -> dict:
    """A failed status when ``fn`` is not finite at the cell's inputs (compare's check),
    else nothing: asked only of a cell whose output or accuracy is not finite, since the
    check costs a tape evaluation (tens of seconds on the largest community cells)."""
    from ..checking import NotFinite, check_finite

    try:
        check_finite(fn, inputs, task["wrt"], sizes)
    except NotFinite as err:
        return {"status": "failed", "message": not_finite_message(err), "reference": None, "accuracy": None}
    return {}


def _all_finite(out) -> bool:
    """Whether a measured output (an array, a number, dicts and lists of them) has no NaN or infinity."""
    import numpy as np

    if isinstance(out, dict):
        return all(_all_finite(v) for v in out.values())
    if isinstance(out, (list, tuple)):
        return all(_all_finite(v) for v in out)
    try:
        return bool(np.all(np.isfinite(np.asarray(out, dtype=float))))
    except (TypeError, ValueError):  # not numbers (a study's record): nothing to check
        return True


def call_memory(task: dict, peak: int | None) -> dict:
    """The warm-up call's peak bytes above its inputs (see :mod:`diffbench.allocation`):
    traced on the call that is never timed (tracing slows Python down), at no extra call."""
    from ..allocation import traced_engine

    if peak is None:
        return {}
    measure = "tracemalloc" if traced_engine(task["engine"]) else \
        "tracemalloc (a lower bound: this engine allocates outside Python's allocator)"
    return {"call_peak_bytes": peak, "call_peak_measure": measure, "warmup_traced": True}


def _prepare(task: dict, fn, sizes: dict, fields: dict):
    """``Engine.prepare``, timed on its own into ``prepare_seconds``."""
    from ..errors import Unsupported
    from .registry import get_engine

    engine = get_engine(task["engine"])
    ok, why = engine.available()
    if not ok:
        raise Unsupported(f"engine {task['engine']!r} is not available here: {why}")
    for module in getattr(engine, "requires", ()):  # importing jax is not deriving: off the clock
        importlib.import_module(module)
    start = perf_counter()
    prepared = engine.prepare(fn, list(task["wrt"]), sizes, ORDERS[task["quantity"]])
    if task["engine"] == "fd":
        _fd_settings(task, prepared, fn, sizes)
    fields["prepare_seconds"] = perf_counter() - start
    return prepared


def _fd_settings(task: dict, prepared, fn, sizes: dict) -> None:
    """The job's bound on fd's evaluations; and a Hessian that an exact engine
    referees anyway is taken from differences of that engine's gradients
    (``stats.engine.hessian_method`` says so)."""
    from .registry import get_engine

    if task.get("fd_max_evaluations"):
        prepared.limit(task["fd_max_evaluations"])
    if task["quantity"] != "hessian" or not task["reference"] or task["reference"][0] == "fd":
        return
    # any exact referee's gradients will do; compiled symbolic ones are the cheapest to call
    for name in sorted(task["reference"], key=lambda e: e != "symbolic"):
        if name == "fd":
            continue
        try:
            engine = get_engine(name)
            if engine.available()[0]:
                prepared.use_exact_gradients(engine.prepare(fn, list(task["wrt"]), sizes, 1), name)
                return
        except Exception:  # this referee cannot do the function: try the next one
            continue


class _NoProbe:
    def restart(self) -> None:
        pass

    def peak(self) -> None:
        return None


def line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text if "\n" not in text else text.splitlines()[0] + " ..."


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
