"""A job narrowed to some of its functions and engines (``submit --only``,
``--engines``), so part of a long job runs without editing its file.  The run
records the narrowed job: its report, ``status`` and ``resume`` see what was
asked for, not the whole file."""
from __future__ import annotations

from ..errors import UserError
from .spec import JobSpec


def narrow(job: JobSpec, functions: list[str] | None = None, engines: list[str] | None = None,
           source: str = "job") -> JobSpec:
    """``job`` with only the named functions and engines; each name must be in the job."""
    if functions:
        known = [f.label for f in job.functions]
        _check(functions, known, f"{source}: --only", "function")
        job = job.model_copy(update={"functions": [f for f in job.functions if f.label in functions]})
    if engines:
        known = list(dict.fromkeys(job.engines + [e for f in job.functions for e in f.engines or []]))
        _check(engines, known, f"{source}: --engines", "engine")
        kept = [e for e in job.engines if e in engines]
        if not kept:
            raise UserError(f"{source}: --engines: none of {', '.join(engines)} is among the job's engines "
                            f"({', '.join(job.engines)}); expected at least one of them")
        picked = [f.model_copy(update={"engines": [e for e in f.engines if e in engines]}) if f.engines else f
                  for f in job.functions]
        job = job.model_copy(update={"engines": kept, "functions": [f for f in picked if f.engines != []]})
        if not job.functions:
            raise UserError(f"{source}: --engines: no function is left to run with {', '.join(engines)}")
    return job


def _check(names: list[str], known: list[str], where: str, kind: str) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"{where}: no {kind} {unknown[0]!r} in this job; expected one of: {', '.join(known)}")
