"""What a hostile web page or a greedy job file can do to a loopback server
without a token: a real ``diffbench serve`` process, raw HTTP requests with
the headers a browser would send (http.client: nothing sets them for us)."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from service_helpers import Server, job_text, wait_for_run

JOB = job_text()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    server = Server(folder, "--jobs", folder / "none", "--max-tasks", "50", "--max-expression", "300")
    yield server
    server.stop()


def send(url, method, path, body=None, headers=None, host=None) -> tuple[int, dict, str]:
    """``(status, headers, body text)`` of one request, with exactly these headers."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host or parts.netloc)
    data = body.encode() if isinstance(body, str) else body
    for name, value in {**({"Content-Length": str(len(data))} if data is not None else {}), **(headers or {})}.items():
        conn.putheader(name, value)
    conn.endheaders(data)
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    conn.close()
    return out


def runs(srv) -> int:
    return len(json.loads(send(srv.url, "GET", "/api/runs")[2]))


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_only_json_and_toml_bodies_are_accepted(srv, content_type):
    before = runs(srv)
    headers = {"Content-Type": content_type} if content_type else {}
    status, _, body = send(srv.url, "POST", "/api/runs", JOB, headers)
    assert status == 415 and "application/toml" in body
    assert runs(srv) == before


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_cross_origin_submissions_are_refused(srv, headers):
    before = runs(srv)
    status, _, body = send(srv.url, "POST", "/api/runs", JOB, {"Content-Type": "application/toml", **headers})
    assert status == 403 and "cross-origin" in body
    assert runs(srv) == before


def test_same_origin_and_non_browser_submissions_still_work(srv):
    origin = f"http://{urlsplit(srv.url).netloc}"
    for headers in ({"Origin": origin, "Sec-Fetch-Site": "same-origin"}, {}):
        status, _, body = send(srv.url, "POST", "/api/runs", JOB, {"Content-Type": "application/toml", **headers})
        assert status == 202, body


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8787", "127.0.0.1.evil.example"])
def test_a_rebinding_host_is_refused(srv, host):
    for method, path in (("GET", "/"), ("GET", "/api/runs")):
        status, _, _ = send(srv.url, method, path, host=host)
        assert status == 421


def test_loopback_names_are_accepted(srv):
    port = urlsplit(srv.url).port
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert send(srv.url, "GET", "/api/runs", host=host)[0] == 200


def test_pages_carry_security_headers(srv):
    status, headers, _ = send(srv.url, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_regressions_404_echoes_no_path_and_no_job_names(srv):
    status, _, body = send(srv.url, "GET", "/api/regressions?job=nope")
    assert status == 404
    assert "sqlite" not in body and "/" not in json.loads(body)["detail"] and '"t"' not in body
    assert json.loads(body)["detail"] == "no runs of job 'nope'"


def test_tasks_per_run_are_limited(srv):
    grid = JOB.replace("sizes = { n = [1, 2] }", "grid = true\nsizes = { n = [" + ", ".join(map(str, range(1, 61))) + "] }")
    status, _, body = send(srv.url, "POST", "/api/runs", grid, {"Content-Type": "application/toml"})
    assert status == 400 and "limit of 50 tasks per run" in body and "--max-tasks" in body


def test_expression_length_is_limited(srv):
    long = JOB.replace('expr = "sum(x)"', 'expr = "' + "+".join(["sum(x)"] * 100) + '"')
    status, _, body = send(srv.url, "POST", "/api/runs", long, {"Content-Type": "application/toml"})
    assert status == 400 and "limit of 300" in body and "--max-expression" in body


def test_validation_time_is_limited():
    from diffbench.jobs.limits import Limits
    from diffbench.service.submission import Invalid, parse_submission

    two = JOB + JOB[JOB.index("[[functions]]"):].replace('name = "f"', 'name = "g"')
    parse_submission(two.encode(), "application/toml")  # fine under the default limits
    with pytest.raises(Invalid, match="validation time"):
        parse_submission(two.encode(), "application/toml", limits=Limits(validation_seconds=1e-9))


def test_the_command_line_may_allow_more_than_http(tmp_path):
    from diffbench.jobs.limits import CLI, HTTP
    from diffbench.jobs.checks import load_job

    assert CLI.max_tasks > HTTP.max_tasks and CLI.max_expression > HTTP.max_expression
    path = tmp_path / "big.toml"
    path.write_text(JOB.replace("sizes = { n = [1, 2] }", "sizes = { n = [" + ", ".join(map(str, range(1, HTTP.max_tasks + 2))) + "] }"))
    job, _ = load_job(path)  # the CLI's own limit is higher
    assert len(job.functions) == 1


PYTHON_JOB = JOB.replace('expr = "sum(x)"', 'python = "user_losses:total"')
USER_MODULE = '''import diffbench.numpy as np

open("imported-by-the-server", "w").close()  # a side effect, as any module may have


def total(x):
    return np.sum(x)
'''


def test_python_jobs_are_refused_over_http_unless_the_module_is_allowed(srv, server, tmp_path):
    """The module sits where the server would find it; refused, it is never
    imported (no side effect).  Allowed by name, the same body runs."""
    folder = srv.log.parent
    (folder / "user_losses.py").write_text(USER_MODULE)
    before = runs(srv)
    status, _, body = send(srv.url, "POST", "/api/runs", PYTHON_JOB, {"Content-Type": "application/toml"})
    assert status == 400 and "--allow-python user_losses" in body and "functions[0].python" in body
    assert runs(srv) == before and not (folder / "imported-by-the-server").exists()
    from diffbench.service.submission import Invalid, parse_submission

    with pytest.raises(Invalid, match="not allowed"):  # allowing another module is no allowance
        parse_submission(PYTHON_JOB.encode(), "application/toml", ("other_package", "user"))
    (tmp_path / "user_losses.py").write_text(USER_MODULE)
    allowed = server("--allow-python", "user_losses", "--jobs", tmp_path / "none")
    status, _, body = send(allowed.url, "POST", "/api/runs", PYTHON_JOB, {"Content-Type": "application/toml"})
    assert status == 202, body
    assert wait_for_run(allowed.url, json.loads(body)["run_id"])["status"] == "finished"
    assert (tmp_path / "imported-by-the-server").exists()
