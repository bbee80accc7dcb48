"""HTML reports: one self-contained page per run, and an index of runs.

>>> from diffbench.jobs.store import Store                    # doctest: +SKIP
>>> write_report(Store("diffbench.sqlite"), run_id, "reports")  # doctest: +SKIP
PosixPath('reports/20261122-080828-7bb8.html')

``model`` reads a run from the store, ``summary`` computes the numbers
(slopes, ratios, verdicts), ``formulas`` and ``plots`` draw the math and
the SVG charts (``chart`` writes them), ``render`` fills the templates, ``index`` lists the runs.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["write_report", "write_report_file", "report_after_run"]


def write_report(store, run_id: str, out_dir: str | os.PathLike) -> Path:
    """Write ``<out_dir>/<run_id>.html``, refresh ``<out_dir>/index.html``; the page's path."""
    return write_report_file(store, run_id, Path(out_dir) / f"{run_id}.html")


def report_after_run(store, run_id: str, out_dir: str | os.PathLike) -> Path:
    """The report a submitter asks for once a run ends: written, or (if
    writing it fails) a warning and the path it will have, since the
    results are safe in the store and ``diffbench report`` can redo it."""
    try:
        return write_report(store, run_id, out_dir)
    except Exception as err:  # noqa: BLE001 -- a report bug must not cost the run's summary
        print(f"warning: the report could not be written ({type(err).__name__}: {err})", file=sys.stderr)
        return Path(out_dir) / f"{run_id}.html"


def write_report_file(store, run_id: str, path: str | os.PathLike) -> Path:
    """The report of ``run_id`` at ``path``; the index beside it is refreshed."""
    from .files import write_atomically
    from .index import write_index
    from .model import load
    from .render import render_report
    from .sections import contributed

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, render_report(load(store, run_id), contributed(store, run_id)))
    write_index(store, path.parent)
    return path
