"""A client that declares a request body and never sends it: the real server
on 127.0.0.1, a raw socket that sends the headers and stops.  The server
answers 408 once the body timeout passes and lets the connection go, instead
of holding it open for good."""
from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from diffbench.service.server import Settings
from service_helpers import request, serving_in_thread


def _silent_request(url: str, headers: str, wait: float) -> tuple[bytes, float]:
    """What the server sends back to headers followed by silence, read until it
    closes the connection (or ``wait`` seconds pass); and how long that took."""
    parts = urlsplit(url)
    start = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as sock:
        sock.sendall(headers.format(host=parts.netloc).encode())
        received = b""
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except socket.timeout:
            pass
    return received, time.monotonic() - start


def test_a_body_that_never_arrives_is_answered_408(tmp_path):
    settings = Settings(port=0, jobs=None, db=str(tmp_path / "s.sqlite"), reports=str(tmp_path / "reports"),
                        workers=1, body_timeout=1.0)
    with serving_in_thread(settings) as (url, _):
        chunked = ("POST /api/runs HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/toml\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n")
        received, took = _silent_request(url, chunked, wait=20)
        assert received.startswith(b"HTTP/1.1 408"), received
        assert b"not received within 1 s" in received
        assert 0.9 <= took < 15  # answered after the timeout, and the connection closed
        declared = ("POST /api/runs HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/toml\r\n"
                    "Content-Length: 500\r\n\r\nversion = 1\n")
        received, _ = _silent_request(url, declared, wait=20)
        assert received.startswith(b"HTTP/1.1 408"), received
        status, _ = request("GET", f"{url}/api/runs")  # the server still serves
        assert status == 200
