"""One server per store.

Two servers on one store would both fire the same schedules and time
their runs against each other on the same cores.  The guard is an
advisory ``flock`` on ``<store>.lock``: the kernel drops it when the
holder dies however it dies, so a crashed server never leaves a stale
lock behind (a pid file would).  The file's text says who holds it, for
the error message only.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path

from ..errors import UserError


class StoreLock:
    def __init__(self, db: str | os.PathLike, what: str = "server"):
        self.path = Path(f"{db}.lock")
        self.what = what
        self._fh = None

    def acquire(self, **info) -> "StoreLock":
        """Take the lock or raise ``UserError`` naming the holder."""
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe(self.path)
            fh.close()
            raise UserError(f"the store {self._db()} is in use by {holder}; expected one diffbench server "
                            "per store (stop that one, or pass another --db)") from None
        self._fh = fh
        self.update(**info)
        return self

    def update(self, **info) -> None:
        """Say who holds the lock (e.g. the address once the port is known)."""
        data = {"what": self.what, "pid": os.getpid(), "host": socket.gethostname(), **info}
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(json.dumps(data))
        self._fh.flush()

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def _db(self) -> str:
        return str(self.path)[:-len(".lock")]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def _describe(path: Path) -> str:
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        data = {}
    who = f"another diffbench {data.get('what', 'process')}"
    if data.get("pid"):
        who += f" (pid {data['pid']} on {data.get('host', '?')}"
        who += f", {data['url']})" if data.get("url") else ")"
    return who
