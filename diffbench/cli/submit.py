"""``diffbench submit JOBFILE``: run every cell of a job on dask and store it."""
from __future__ import annotations

import importlib
import threading

import click

from ..jobs.limits import CLI
from .options import cluster_options, limit_options, run_and_report


@click.command("submit")
@click.argument("jobfile", type=click.Path(dir_okay=False))
@cluster_options
@limit_options(CLI)
@click.option("--only", metavar="NAME[,NAME...]", help="Run only these functions of the job.")
@click.option("--engines", metavar="NAME[,NAME...]", help="Run only these engines of the job.")
@click.option("--json", "as_json", is_flag=True, help="Print a stable JSON summary on stdout.")
def command(jobfile, workers, scheduler, db, reports, connect_timeout, only, engines, as_json, limits):
    """Run JOBFILE (a jobs/*.toml file) and store every result.

    Without --scheduler a local cluster is started (one single-threaded
    worker per core); with it, the job runs on that existing dask cluster.
    --only and --engines run part of the job; the run records that part.
    """
    from ..jobs.scheduler import Target, submit

    # the report's modules (jinja2, the engines the formulas use) load while the cluster
    # starts; the cells wait for them, so no timed sample shares a core with the import
    loading = _background_import(REPORT_MODULES)
    target = Target(workers, scheduler, db, reports, connect_timeout)
    narrowing = {"only": _names(only), "engines": _names(engines)}
    run_and_report(lambda progress: submit(jobfile, target, progress, limits, checked=loading.start,
                                           before_cells=loading.join, **narrowing), reports, as_json)


def _names(text: str | None) -> list[str] | None:
    return [name.strip() for name in text.split(",") if name.strip()] if text else None


REPORT_MODULES = ("diffbench.report.render", "diffbench.report.sections", "diffbench.report.index")


def _background_import(modules) -> threading.Thread:
    """A thread that imports ``modules`` once started (the submitter mostly
    waits on the cluster's processes meanwhile).  It is started only once the
    job is checked, so a bad job file's one-line error never races an import,
    and it is not a daemon: an interpreter that exits while a daemon thread
    is inside an import can abort."""
    def load():
        try:
            for module in modules:
                importlib.import_module(module)
        except Exception:  # the report's own import, later, says what is wrong
            pass

    return threading.Thread(target=load, name="report-import")
