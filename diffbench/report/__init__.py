"""HTML reports: one self-contained page per run, and an index of runs.

>>> from diffbench.jobs.store import Store                    # doctest: +SKIP
>>> write_report(Store("diffbench.sqlite"), run_id, "reports")  # doctest: +SKIP
PosixPath('reports/20261122-080828-7bb8.html')

``model`` reads a run from the store, ``summary`` computes the numbers
(slopes, ratios, verdicts), ``formulas`` and ``plots`` draw the math and
the SVG charts, ``render`` fills the templates, ``index`` lists the runs.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_report", "write_report_file"]


def write_report(store, run_id: str, out_dir: str | os.PathLike) -> Path:
    """Write ``<out_dir>/<run_id>.html``, refresh ``<out_dir>/index.html``; the page's path."""
    return write_report_file(store, run_id, Path(out_dir) / f"{run_id}.html")


def write_report_file(store, run_id: str, path: str | os.PathLike) -> Path:
    """The report of ``run_id`` at ``path``; the index beside it is refreshed."""
    from .index import write_index
    from .model import load
    from .render import render_report
    from .sections import contributed

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, render_report(load(store, run_id), contributed(store, run_id)))
    write_index(store, path.parent)
    return path


def _write(path: Path, text: str) -> None:
    # write then rename: a browser (or the service) never sees half a page
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
