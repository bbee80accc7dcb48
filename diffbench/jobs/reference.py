"""Accuracy of a measured output against a reference engine, inside the
sandbox child, at the very inputs that were timed.

The reference is the first engine in the job's ``reference`` list (default
fd, then tape, then symbolic; the task's own engine left out) that handles
the function at these sizes.  fd is the independent referee where it is
reliable; for Hessians of more than ``FD_HESSIAN_ENTRIES`` variable entries
it is tried last (its round-off grows with |f| / h^2), and it refuses large
Hessians outright (``TooLarge``), so big cells are refereed by an exact engine.  Reference outputs are the costly
part (an fd Hessian is 4 evaluations per entry pair), so the child keeps the
last few by cell: when the same child runs tape then symbolic on one cell,
fd runs once.  A measured fd output is kept the same way.
"""
from __future__ import annotations

import json
import math

from .curvature import quantity_call
from .harness import ORDERS, inputs_at_fault, line

KEEP = 3
# Beyond this many variable entries an fd Hessian's round-off (it grows like
# |f| eps / h^2) swamps the comparison, so exact engines referee first there.
FD_HESSIAN_ENTRIES = 32
# fd's error-against-step sweep re-runs fd at a dozen steps: only where that is cheap
FD_SWEEP_EVALUATIONS = 20_000
_outputs: dict[tuple, object] = {}


def cell_key(task: dict, engine: str, sizes: dict) -> tuple:
    return (engine, task["quantity"], task["expr"], json.dumps(task["shapes"], sort_keys=True),
            task.get("catalogue"), tuple(task["wrt"]), tuple(sorted(sizes.items())), task["seed"])


def remember(key: tuple, output) -> None:
    _outputs.pop(key, None)
    _outputs[key] = output
    while len(_outputs) > KEEP:
        _outputs.pop(next(iter(_outputs)))


def run_reference(task: dict, kept: tuple, deadline: float = math.inf) -> dict:
    """``{"reference": engine, "accuracy": error}``, or why there is none.
    ``deadline`` (``perf_counter`` seconds) bounds the optional extras (fd's
    step sweep), never the reference itself."""
    fn, inputs, sizes, out = kept
    if not task.get("probes"):  # an estimate is no engine's exact output
        remember(cell_key(task, task["engine"], sizes), out)
    notes = []
    for name in referees(task, inputs):
        try:
            expected = _output(task, name, fn, inputs, sizes)
            found = {"reference": name, "accuracy": compare(out, expected)}
            if task["engine"] == "fd" and name != "fd":
                found.update(fd_steps(task, fn, inputs, sizes, expected, deadline))
            if task["engine"] in ZERO_ORDER and task["quantity"] == "gradient" and name not in ZERO_ORDER:
                found.update(zero_order_sweep(task, fn, inputs, sizes, expected))
            if found["accuracy"] is not None and not math.isfinite(found["accuracy"]):  # a NaN value makes every engine disagree: whose fault?
                found.update(inputs_at_fault(task, fn, inputs, sizes))
            return found
        except MemoryError:
            notes.append(f"{name}: out of memory")
        except Exception as err:  # unsupported, too large, not installed: try the next one
            notes.append(f"{name}: {line(err)}")
    return {"reference": None, "accuracy": None, "reference_note": "; ".join(notes) or "none configured"}


def fd_steps(task: dict, fn, inputs: dict, sizes: dict, exact, deadline: float = math.inf) -> dict:
    """fd's error at a range of steps against an exact engine's output
    (``step_errors``, the report's error-against-step plot), when the sweep
    fits in ``FD_SWEEP_EVALUATIONS`` function evaluations; as many steps as
    fit before ``deadline`` (the rest is said in ``step_note``)."""
    from ..engines.fd import SWEEP_STEPS, step_sweep
    from .registry import get_engine

    if task["quantity"] not in SWEEP_STEPS:
        return {}
    prepared = get_engine("fd").prepare(fn, list(task["wrt"]), sizes, ORDERS[task["quantity"]])
    cost = prepared.evaluations(task["quantity"], inputs) * len(SWEEP_STEPS[task["quantity"]])
    if cost > FD_SWEEP_EVALUATIONS:
        return {"step_note": f"no step sweep: it would take {cost:,} function evaluations "
                             f"(limit {FD_SWEEP_EVALUATIONS:,})"}
    points = step_sweep(prepared, task["quantity"], inputs, exact, compare, deadline)
    found = {"step_errors": points}
    if len(points) < len(SWEEP_STEPS[task["quantity"]]):
        found["step_note"] = (f"step sweep stopped after {len(points)} of {len(SWEEP_STEPS[task['quantity']])} "
                              f"steps: the rest would pass half the cell's time limit")
    return found


ZERO_ORDER = ("fd-forward", "zo-sphere", "zo-gauss", "zo-sphere-v1", "zo-gauss-v1")


def zero_order_sweep(task: dict, fn, inputs: dict, sizes: dict, exact) -> dict:
    """A zero-order estimator's error against an exact gradient as V and eps
    vary (``zo_errors``, the report's error-against-V plot), when the sweep
    fits in ``FD_SWEEP_EVALUATIONS`` function evaluations."""
    from .registry import get_engine

    prepared = get_engine(task["engine"]).prepare(fn, list(task["wrt"]), sizes, 1)
    cost = prepared.sweep_evaluations(inputs)
    if cost > FD_SWEEP_EVALUATIONS:
        return {"step_note": f"no error sweep: it would take {cost:,} function evaluations "
                             f"(limit {FD_SWEEP_EVALUATIONS:,})"}
    return {"zo_errors": prepared.error_sweep(inputs, exact)}


def referees(task: dict, inputs: dict) -> list[str]:
    """The job's reference engines in the order to try them for this cell."""
    import numpy as np

    names = list(task["reference"])
    entries = sum(int(np.size(inputs[w])) for w in task["wrt"])
    if task["quantity"] in ("hessian", "trace") and entries > FD_HESSIAN_ENTRIES and "fd" in names:
        names.remove("fd")
        names.append("fd")
    return names


def _output(task: dict, name: str, fn, inputs: dict, sizes: dict):
    from .registry import get_engine

    key = cell_key(task, name, sizes)
    if key not in _outputs:
        engine = get_engine(name)
        ok, why = engine.available()
        if not ok:
            raise RuntimeError(f"not available: {why}")
        prepared = engine.prepare(fn, list(task["wrt"]), sizes, ORDERS[task["quantity"]])
        remember(key, quantity_call(prepared, task, inputs, exact=True)(inputs))
    return _outputs[key]


def compare(a, b) -> float:
    """Largest relative error over all blocks (a gradient or Hessian is a dict)."""
    from ..agreement import relative_error

    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return float("inf")
        return max((relative_error(a[k], b[k]) for k in a), default=0.0)
    return relative_error(a, b)
