"""Length-prefixed pickle messages over pipes between a worker and its
sandbox child.  Reads take a deadline: that is how time limits are kept."""
from __future__ import annotations

import os
import pickle
import select
import struct
import time

_HEADER = struct.Struct(">Q")


class Timeout(Exception):
    """The other side did not answer before the deadline."""


class Closed(Exception):
    """The other side has gone (the pipe hit end of file)."""


def send(fd: int, message) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def recv(fd: int, deadline: float | None = None):
    """The next message; ``deadline`` is a ``time.monotonic()`` value."""
    (size,) = _HEADER.unpack(_read(fd, _HEADER.size, deadline))
    return pickle.loads(_read(fd, size, deadline))


def _read(fd: int, size: int, deadline: float | None) -> bytes:
    chunks, left = [], size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise Timeout()
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise Closed()
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
