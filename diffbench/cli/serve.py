"""``diffbench serve``: run scheduled jobs and the HTTP API until stopped."""
from __future__ import annotations

import click

from .options import limit_options
from ..jobs.limits import HTTP
from ..jobs.store import DEFAULT_PATH
from .common import SECONDS, log_to_stderr


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True, help="Port (0: any free port, printed at start).")
@click.option("--jobs", default="jobs", show_default=True, help="Folder of job files; those with a schedule run on it.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Run on this dask cluster (default: a local one per run).")
@click.option("--workers", type=click.IntRange(1), help="Local cluster size (default: one per core).")
@click.option("--db", default=DEFAULT_PATH, show_default=True, help="Results store (SQLite).")
@click.option("--reports", default="reports", show_default=True, help="Folder for HTML reports.")
@click.option("--token", envvar="DIFFBENCH_TOKEN", help="Access token every request must carry "
              "(Authorization: Bearer ...); prefer the DIFFBENCH_TOKEN variable to keep it out of `ps`.")
@click.option("--max-body", type=click.IntRange(1), default=1 << 20, show_default=True, help="Largest request body, bytes.")
@click.option("--body-timeout", type=SECONDS, default=30.0, show_default=True,
              help="Seconds a request's body may take to arrive (408 after).")
@click.option("--poll", type=SECONDS, default=15.0, show_default=True, help="Seconds between looks at the schedules.")
@click.option("--connect-timeout", type=SECONDS, default=10.0, show_default=True, help="Seconds to wait for --scheduler.")
@click.option("--allow-python", "allow_python", multiple=True, metavar="MODULE",
              help="Let submitted job files name Python functions from MODULE (and its submodules); "
                   "by default the server never imports user-supplied Python.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A further name clients may use in the Host header (e.g. a proxy's); the bound "
                   "address (and localhost on loopback) is always allowed.")
@limit_options(HTTP)
def command(host, port, jobs, scheduler, workers, db, reports, token, max_body, body_timeout, poll, connect_timeout,
            allow_python, allowed_hosts, limits):
    """Serve the API and run scheduled jobs, one run at a time.

    A missed scheduled run is caught up once at start; only one server may
    use a store at a time.
    """
    from ..service.server import Settings, serve

    log_to_stderr()
    settings = Settings(host=host, port=port, jobs=jobs, db=db, reports=reports, scheduler=scheduler,
                        workers=workers, connect_timeout=connect_timeout, token=token or None,
                        max_bytes=max_body, body_timeout=body_timeout, poll=poll, allow_python=tuple(allow_python),
                        allowed_hosts=tuple(allowed_hosts), limits=limits)
    serve(settings, announce=lambda line: click.echo(line, err=True))
