"""Guards in front of every request, as ASGI middleware.

Size: a declared ``Content-Length`` over the limit is refused before any
byte is read, and any other body is read (counted as it arrives) before
the app sees it, so no request can make the server hold more than the
limit.

Time: the body must arrive within ``body_timeout`` seconds (408 otherwise),
so a client that declares a body and never sends it cannot hold a connection
open for good.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json

DEFAULT_MAX_BYTES = 1 << 20  # a job file is a few KiB; 1 MiB is generous
DEFAULT_BODY_TIMEOUT = 30.0  # seconds; a job file arrives in far less on any link


class BodyLimit:
    def __init__(self, app, max_bytes: int = DEFAULT_MAX_BYTES, body_timeout: float = DEFAULT_BODY_TIMEOUT):
        self.app, self.max_bytes, self.body_timeout = app, max_bytes, body_timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send)
        try:
            body = await asyncio.wait_for(self._read(receive), self.body_timeout)
        except asyncio.TimeoutError:
            return await _reply(send, 408, f"request body not received within {self.body_timeout:g} s")
        if body is None:
            return await self._refuse(send)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()  # e.g. the client going away
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive) -> bytes | None:
        """The whole body, or None once it passes the limit."""
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return None
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def _refuse(self, send):
        await _reply(send, 413, f"request body over {self.max_bytes} bytes")


class TokenGuard:
    """Every request needs the token when one is set: all or nothing, so no
    route can be forgotten.  Programs send ``Authorization: Bearer <token>``.
    A person opens the pages in a browser, which asks for a user name (any)
    and a password (the token): HTTP Basic, accepted for reading only (GET,
    HEAD), so a page another site makes the browser load can never submit."""

    CHALLENGE = [(b"www-authenticate", b"Bearer"),
                 (b"www-authenticate", b'Basic realm="diffbench: any user name, the access token as password"')]

    def __init__(self, app, token: str | None):
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.token and not self._allowed(scope):
            return await _reply(send, 401, "missing or wrong access token", self.CHALLENGE)
        return await self.app(scope, receive, send)

    def _allowed(self, scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer":
            return self._matches(given.strip())
        if scheme.lower() == "basic" and scope.get("method") in ("GET", "HEAD"):
            return self._matches(_basic_password(given.strip()))
        return False

    def _matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode())


def _basic_password(credentials: str) -> str:
    """The password of ``base64(user:password)``; '' when it is not that."""
    try:
        return base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        return ""


async def _reply(send, status: int, detail: str, headers=()) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})
