"""The curvature quantities of a task: ``hvp`` and ``trace``.

An HVP's direction and Hutchinson's probes are drawn from the task's seed
(recorded with the result), so every engine of a cell multiplies the same
vectors and a run can be repeated exactly.  A ``trace`` task is either
exact (``probes == 0``: the symbolic engine's closed form, other engines
their Hessian's diagonal) or Hutchinson's estimate over ``probes`` vectors
of the task's ``distribution``.
"""
from __future__ import annotations

import numpy as np


def quantity_call(prepared, task: dict, inputs: dict, exact: bool = False):
    """``call(inputs)`` computing the task's quantity with ``prepared``;
    ``exact=True`` asks a reference for the exact trace whatever the probes."""
    quantity = task["quantity"]
    if quantity == "hvp":
        from ..operators import direction

        v = direction(inputs, list(task["wrt"]), task["seed"])
        return lambda at: prepared.hvp(at, v)
    if quantity == "trace":
        if exact or not task.get("probes"):
            return lambda at: np.array(prepared.hessian_trace(at))
        return _hutchinson(prepared, task, inputs)
    from ..studies import quantity_call as study_or_method  # derivatives, descent, newton, or a method

    return study_or_method(prepared, quantity, task)


def _hutchinson(prepared, task: dict, inputs: dict):
    from ..operators import hutchinson_samples, probe_vectors

    names = list(task["wrt"])
    probes = probe_vectors(inputs, names, task["probes"], task["seed"], task.get("distribution", "rademacher"))
    return lambda at: np.array(hutchinson_samples(prepared, at, names, probes).mean())


def trace_stats(task: dict, fn, inputs: dict, sizes: dict, prepared, out) -> dict:
    """What the Hutchinson study plots: the estimate, its standard error
    and the exact trace (closed form where the symbolic engine has one)."""
    if task["quantity"] != "trace":
        return {}
    from ..operators import hutchinson_samples, probe_vectors

    probes = int(task.get("probes") or 0)
    stats = {"probes": probes, "estimate": float(out), "method": f"Hutchinson, {probes} HVPs" if probes else "exact"}
    if stats["probes"]:
        names = list(task["wrt"])
        probes = probe_vectors(inputs, names, stats["probes"], task["seed"], task.get("distribution", "rademacher"))
        samples = hutchinson_samples(prepared, inputs, names, probes)
        stats.update(distribution=task.get("distribution", "rademacher"),
                     stderr=float(samples.std(ddof=1) / np.sqrt(len(samples))) if len(samples) > 1 else None,
                     exact=_exact_trace(task, fn, inputs, sizes, prepared))
    return stats


def _exact_trace(task: dict, fn, inputs: dict, sizes: dict, prepared) -> float:
    from ..errors import Unsupported
    from .registry import get_engine

    try:
        return float(get_engine("symbolic").prepare(fn, list(task["wrt"]), sizes, 2).hessian_trace(inputs))
    except Unsupported:
        return float(prepared.hessian_trace(inputs))
