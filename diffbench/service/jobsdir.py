"""The folder of job files a server watches (``--jobs``, default ``jobs/``).

It is read afresh on every look, so adding, editing or removing a file
needs no restart.  A file that does not validate is reported and left
out; it never stops the other jobs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    path: str
    schedule: str


def scan(folder: str | Path) -> tuple[list[ScheduledJob], list[str]]:
    """Jobs with a schedule in ``folder`` and one-line problems with the rest."""
    from ..jobs.checks import load_job

    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"--jobs {folder}: no such folder; expected a folder of job files (*.toml)")
    jobs, problems, names = [], [], {}
    for path in sorted(folder.glob("*.toml")):
        try:
            job, _ = load_job(path)
        except UserError as err:
            problems.append(str(err))
            continue
        schedule = getattr(job, "schedule", None)
        if not schedule:
            continue
        if job.name in names:
            problems.append(f"{path}: name: {job.name!r} is already scheduled by {names[job.name]}; "
                            "expected one file per job name (this one is skipped)")
            continue
        names[job.name] = str(path)
        jobs.append(ScheduledJob(job.name, str(path), schedule))
    return jobs, problems
