"""A job's history: its runs in time order, and for every cell (function ×
engine × quantity × sizes) one point per run, with what the point was
measured with (versions) and on (machine fingerprint)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..jobs.plan import size_label
from .fingerprint import Fingerprint, fingerprint

WINDOW = 60     # runs of history looked at; older ones rarely matter for "now"
VERSIONED = ("diffbench", "numpy", "sympy", "scipy", "python")


@dataclass
class Point:
    run_id: str
    started: str
    status: str
    median: float | None
    spread: float | None
    accuracy: float | None
    reference: str | None
    message: str = ""
    versions: dict = field(default_factory=dict)


@dataclass
class RunInfo:
    run_id: str
    started: str
    versions: dict
    machine: Fingerprint | None


def cell_key(record: dict) -> tuple:
    return (record["function"], record["engine"], record["quantity"], size_label(record["sizes"]))


def job_runs(store, job_name: str, until: str | None = None) -> list[dict]:
    """Finished runs of ``job_name``, oldest first, up to run ``until``."""
    out = []
    for run in store.runs():
        if run["job_name"] == job_name and run["status"] == "finished":
            out.append(run)
        if run["run_id"] == until:
            break
    return out


def run_info(run: dict, results: list[dict]) -> RunInfo:
    env = next((r["env"] for r in results if r.get("env", {}).get("cpu")), {})
    versions = (env or run.get("env", {})).get("versions", {})
    return RunInfo(run["run_id"], run["started"], {k: versions[k] for k in VERSIONED if k in versions},
                   fingerprint(env) if env else None)


def history(store, job_name: str, until: str | None = None, window: int = WINDOW):
    """``(runs, series)``: the ``RunInfo`` of each run kept, and per cell key
    its points in run order.  Only runs on a machine matching the latest
    one are kept: timings from another machine are not a regression."""
    runs = job_runs(store, job_name, until)[-window:]
    loaded = [(run, store.results(run["run_id"])) for run in runs]
    infos = [run_info(run, results) for run, results in loaded]
    here = infos[-1].machine if infos else None
    kept, series = [], {}
    for info, (run, results) in zip(infos, loaded):
        if here is not None and info.machine is not None and not info.machine.matches(here):
            continue
        kept.append(info)
        for r in results:
            series.setdefault(cell_key(r), []).append(_point(r, info))
    return kept, series


def _point(r: dict, info: RunInfo) -> Point:
    return Point(r["run_id"], info.started, r["status"], r.get("median"), r.get("spread"), r.get("accuracy"),
                 r.get("reference"), r.get("message") or "", info.versions)


def history_json(store, job_name: str) -> dict:
    """The whole history of a job as plain data (the API's ``/history``)."""
    runs, series = history(store, job_name)
    return {"job": job_name,
            "runs": [{"run_id": r.run_id, "started": r.started, "versions": r.versions,
                      "machine": r.machine.as_dict() if r.machine else None} for r in runs],
            "cells": [{"function": k[0], "engine": k[1], "quantity": k[2], "sizes": k[3],
                       "points": [{"run_id": p.run_id, "status": p.status, "median": p.median, "spread": p.spread,
                                   "accuracy": p.accuracy} for p in points]}
                      for k, points in sorted(series.items())]}
