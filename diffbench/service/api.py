"""The HTTP API (FastAPI, so the OpenAPI description at ``/openapi.json``
is generated from these very functions).

Every request, pages and ``/openapi.json`` included, is checked against
what a browser can be made to send (Host, Origin, content type: see
:mod:`.browser`) and for the bearer token (when the server has one) by
:class:`.limits.TokenGuard`, before routing; the ``HTTPBearer`` dependency below only declares the
scheme in the OpenAPI description.  The interactive docs pages are off:
they load scripts from a CDN, which a server meant to sit on a private
network should not depend on.
"""
from __future__ import annotations

import logging
import re

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ..jobs.store import Store
from . import pages
from .browser import BrowserGuard, allowed_hosts
from .limits import BodyLimit, TokenGuard
from .submission import Invalid, parse_submission

log = logging.getLogger("diffbench.service")
RUN_ID = r"^[0-9A-Za-z][0-9A-Za-z\-]*$"
SUBMIT_BODY = {"requestBody": {"required": True, "description": "A job file, as in jobs/*.toml.", "content": {
    "application/toml": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object", "description": "the job file's tables as JSON"}}}}}


def create_app(service):
    """The ASGI app: the FastAPI routes behind the token and size guards."""
    bearer = HTTPBearer(auto_error=False, description="Needed when the server was started with a token.")

    def declared(creds: HTTPAuthorizationCredentials | None = Depends(bearer)):
        return creds

    app = FastAPI(title="diffbench", version=_version(), docs_url=None, redoc_url=None,
                  dependencies=[Depends(declared)],
                  description="Submit diffbench job files, follow their runs, read their reports.")
    _routes(app, service)
    _history(app, service)
    settings = service.settings
    hosts = allowed_hosts(settings.host, settings.allowed_hosts)
    return BrowserGuard(TokenGuard(BodyLimit(app, settings.max_bytes, settings.body_timeout), settings.token), hosts)


def _routes(app: FastAPI, service) -> None:
    @app.get("/", response_class=HTMLResponse, summary="Index of runs and their reports")
    def index():
        from ..history.overview import job_overview

        store = Store(service.settings.db)
        try:
            jobs = job_overview(store)
        finally:
            store.close()
        return pages.index(_runs(service), jobs)

    @app.post("/api/runs", status_code=202, summary="Submit a job file (TOML or JSON)", openapi_extra=SUBMIT_BODY,
              responses={400: {"description": "the job file does not validate; `errors` lists each problem"},
                         413: {"description": "request body too large"}})
    async def submit(request: Request):
        body = await request.body()
        try:  # off the event loop: the first check loads every engine
            job, text, tasks = await run_in_threadpool(parse_submission, body, request.headers.get("content-type"),
                                                         service.settings.allow_python, service.settings.limits)
        except Invalid as err:
            return JSONResponse({"detail": "invalid job file", "errors": err.errors}, status_code=400)
        pending = await run_in_threadpool(service.runner.record, job, text, tasks, "api")
        run_id = service.runner.enqueue(pending)
        return {"run_id": run_id, "job": job.name, "status": "queued", "planned": len(tasks),
                "links": {"status": f"/api/runs/{run_id}", "report": f"/api/runs/{run_id}/report"}}

    @app.get("/api/runs", summary="Every run in the store, oldest first")
    def runs():
        return _runs(service)

    @app.get("/api/runs/{run_id}", summary="A run's status and summary")
    def run(run_id: str):
        return _status(service, _resolve(service, run_id))

    @app.get("/api/runs/{run_id}/report", response_class=FileResponse, summary="A run's HTML report")
    def report(run_id: str):
        path = pages.report_file(service, _resolve(service, run_id))
        if path is None:
            raise HTTPException(409, "the run has not finished; no report yet")
        return FileResponse(path, media_type="text/html")

    @app.get("/api/runs/{run_id}/index.html", include_in_schema=False)
    def all_runs(run_id: str):
        """A report's "all runs" link (``index.html`` beside it on disk) leads to the index here."""
        return RedirectResponse("/", status_code=303)

    @app.get("/api/schedules", summary="Scheduled jobs in the jobs folder, with their next run times")
    def schedules():
        rows, problems = service.schedules()
        return {"schedules": rows, "problems": problems}

    @app.get("/api/regressions", summary="Regressions over the history of each job (or one job)")
    def regressions(job: str | None = None):
        from ..errors import UserError
        from ..history.regressions import find_regressions
        from ..jobs.store import DamagedStore

        try:
            return find_regressions(service.settings.db, job)
        except DamagedStore as err:  # the detail names a server path: the log has it, the client does not
            log.error("regressions: %s", err)
            raise HTTPException(503, "the results store cannot be read; see the server's log") from None
        except UserError:  # never the store's path or the other jobs' names
            raise HTTPException(404, f"no runs of job {job!r}" if job else "no runs yet") from None


def _history(app: FastAPI, service) -> None:
    @app.get("/api/jobs/{job}/history", summary="A job's runs (versions, machine) and each cell's series")
    def job_history(job: str):
        from ..history.series import history_json

        store = Store(service.settings.db)
        try:
            data = history_json(store, job)
        finally:
            store.close()
        if not data["runs"]:
            raise HTTPException(404, f"no finished runs of job {job!r}")
        return data


def _runs(service) -> list[dict]:
    keys = ("run_id", "job_name", "status", "planned", "done", "started", "finished")
    store = Store(service.settings.db)
    try:
        return [{**{k: r[k] for k in keys}, "status": service.runner.state(r["run_id"]) or r["status"]}
                for r in store.runs()]
    finally:
        store.close()


def _resolve(service, run_id: str) -> str:
    store = Store(service.settings.db)
    try:
        if not re.match(RUN_ID, run_id):
            raise KeyError(run_id)
        return store.resolve(run_id)
    except KeyError:
        raise HTTPException(404, f"no run {run_id!r}") from None
    finally:
        store.close()


def _status(service, run_id: str) -> dict:
    from ..jobs.records import STATUSES

    store = Store(service.settings.db)
    try:
        info, counts = store.run(run_id), store.counts(run_id)
        status = service.runner.state(run_id) or info["status"]
        verdicts = _verdicts(store, info) if status == "finished" else None
    finally:
        store.close()
    out = {k: info[k] for k in ("run_id", "job_name", "description", "planned", "done", "started", "finished")}
    out.update(status=status, cluster=info["cluster"], counts={s: counts.get(s, 0) for s in STATUSES},
               error=service.runner.errors.get(run_id), report=f"/api/runs/{run_id}/report", summary=verdicts)
    return out


def _verdicts(store: Store, info: dict) -> dict:
    """What the report's verdicts say, as data: which engine was fastest
    where, what disagreed or failed, and what regressed against the history."""
    from ..history.regressions import is_regression, run_regressions
    from ..report import summary

    results = store.results(info["run_id"])
    found = run_regressions(store, info["job_name"], info["run_id"])
    keys = ("function", "engine", "quantity", "sizes", "status", "accuracy", "reference", "message")
    return {"fastest": summary.tally(summary.speed_cells(results)),
            "disagreements": [{k: r.get(k) for k in keys} for r in summary.disagreements(results)],
            "failures": [{k: r.get(k) for k in keys} for r in summary.failures(results)],
            "regressions": [r for r in found if is_regression(r)],
            "to_watch": [r for r in found if not is_regression(r)]}


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("diffbench")
    except metadata.PackageNotFoundError:
        return "0"
