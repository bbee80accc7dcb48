"""A validated job expanded into tasks: function x size x engine x quantity.

A task is a plain dict (JSON in the store, pickled to workers) so a run can
be resumed from the store alone, whatever became of the job file.  Its
``key`` is stable and unique within a run; that is what makes storing a
result idempotent.
"""
from __future__ import annotations

import hashlib

from .checks import resolve_function
from .spec import VERSION, JobSpec


def size_label(sizes: dict[str, int]) -> str:
    return ",".join(f"{d}={v}" for d, v in sizes.items()) or "-"


def cell_seed(job_seed: int, function: str, sizes: dict[str, int]) -> int:
    """One seed per (function, sizes): every engine and quantity of a cell
    sees the same inputs, so their accuracies are comparable."""
    text = f"{job_seed}|{function}|{size_label(sizes)}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def plan(job: JobSpec, source: str = "job") -> list[dict]:
    tasks = []
    for i, fspec in enumerate(job.functions):
        info = resolve_function(fspec, f"{source}: functions[{i}]")
        for sizes in info["sizes"]:
            for engine in fspec.engines or job.engines:
                for quantity in fspec.quantities or job.quantities:
                    task = _task(job, fspec, info, sizes, engine, quantity)
                    tasks.extend(_estimates(job, task) if quantity == "trace" else [task])
    return tasks


def _estimates(job: JobSpec, task: dict) -> list[dict]:
    """The exact trace task, then one per Hutchinson probe count and distribution."""
    out = [dict(task, key=task["key"].replace("|trace|", "|trace[exact]|"), probes=0)]
    if job.hutchinson is not None:
        for distribution in job.hutchinson.distributions:
            for probes in job.hutchinson.probes:
                label = f"trace[V={probes},{distribution}]"
                out.append(dict(task, key=task["key"].replace("|trace|", f"|{label}|"), probes=probes,
                                distribution=distribution))
    return out


def _task(job, fspec, info, sizes, engine, quantity) -> dict:
    function = fspec.label
    return {
        "key": f"{function}|{engine}|{quantity}|{size_label(sizes)}",
        "function": function, "catalogue": fspec.catalogue, "python": fspec.python,
        "expr": info["expr"], "shapes": info["shapes"], "wrt": info["wrt"], "domain": info["domain"],
        "engine": engine, "quantity": quantity, "sizes": sizes,
        "seed": cell_seed(job.seed, function, sizes),
        "repeat": job.repeat, "timeout": job.timeout_seconds, "memory": job.memory_bytes,
        "sample_time": job.sample_seconds,
        "reference": [r for r in job.reference if r != engine],
        "fd_max_evaluations": job.fd_max_evaluations,
        "skip_larger_after_give_out": job.skip_larger_after_give_out,
        "job_version": VERSION,
    }
