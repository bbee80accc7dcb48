"""Guards against what a web browser can be made to send, as ASGI middleware.

A server on loopback without a token trusts whoever can reach it, and a web
page the user visits can reach it too: by a cross-site form or ``fetch``
(which may send ``text/plain`` or form-encoded bodies without asking), or
by DNS rebinding (a name the attacker controls that resolves to 127.0.0.1,
so the page is "same-origin" with the server).  Three checks close these:

* **Host**: the ``Host`` header must name the address the server is bound
  to (on loopback also ``localhost``, ``127.0.0.1`` and ``::1``) or a name
  given with ``--allowed-host``; a rebinding name is refused with 421.  A
  server bound to every interface (``0.0.0.0``) needs a token anyway, and
  takes any name.
* **Origin**: a request that changes something (POST, PUT, PATCH, DELETE)
  carrying an ``Origin`` other than the server's own, or
  ``Sec-Fetch-Site: cross-site``, is refused with 403.  Clients that are not
  browsers send neither header and are not affected.
* **Content type**: a body must be ``application/json`` or a TOML type
  (``application/toml``); anything else is refused with 415.  Neither is a
  type a page may send cross-site without the browser first asking the
  server (a CORS preflight, which this server never grants).

Every response also carries security headers: no sniffing, no framing, no
referrer; the server's own pages a Content-Security-Policy allowing nothing
but inline style (reports carry their own, stricter for scripts).
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .limits import _reply

UNSAFE = {b"POST", b"PUT", b"PATCH", b"DELETE"}
BODY_TYPES = ("application/json", "application/toml", "application/x-toml", "text/toml", "text/x-toml")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
REPORT_POLICY = "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"  # reports: their own meta CSP
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"no-referrer"), (b"cross-origin-opener-policy", b"same-origin"),
           (b"cross-origin-resource-policy", b"same-origin")]


def allowed_hosts(bound: str, extra: tuple[str, ...] = ()) -> frozenset[str] | None:
    """Names the Host header may carry; None: any (bound to every interface)."""
    if bound in ("0.0.0.0", "::", ""):
        return None
    names = {bound.lower().strip("[]"), *(e.lower().strip("[]") for e in extra)}
    if _is_loopback(bound):
        names |= set(LOOPBACK_NAMES)
    return frozenset(names)


def host_name(header: str) -> str:
    """``example.org:8787`` -> ``example.org``; ``[::1]:80`` -> ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class BrowserGuard:
    def __init__(self, app, hosts: frozenset[str] | None):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = _headers(scope)
        host = headers.get("host", "")
        if self.hosts is not None and host_name(host) not in self.hosts:
            return await _reply(send, 421, "unexpected Host header; expected the address this server listens on "
                                           "(start it with --allowed-host NAME to allow another name)")
        if scope["method"].encode() in UNSAFE:
            refusal = _cross_site(headers, host) or _bad_type(headers)
            if refusal:
                return await _reply(send, *refusal)
        return await self.app(scope, receive, _with_headers(send, scope["path"]))


def _cross_site(headers: dict, host: str) -> tuple[int, str] | None:
    origin = headers.get("origin")
    if headers.get("sec-fetch-site") == "cross-site" or (origin is not None and not _same(origin, host)):
        return 403, "cross-origin request refused; submit from this server's own origin or a non-browser client"
    return None


def _same(origin: str, host: str) -> bool:
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def _bad_type(headers: dict) -> tuple[int, str] | None:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in BODY_TYPES or (not kind and headers.get("content-length", "0") == "0"):
        return None
    return 415, f"unsupported content type {kind or '(none)'!r}; expected application/json or application/toml"


def _with_headers(send, path: str):
    policy = REPORT_POLICY if path.endswith("/report") else PAGE_POLICY

    async def sending(message):
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k, v) for k, v in HEADERS if k not in present]
            if b"content-security-policy" not in present:
                extra.append((b"content-security-policy", policy.encode()))
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)
    return sending


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
