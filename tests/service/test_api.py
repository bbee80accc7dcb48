"""The real server, in its own process on 127.0.0.1 with an ephemeral port:
submit, poll, fetch the report; bad submissions; auth; the lock."""
from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import fault_engines
from service_helpers import job_text, request, wait_for_run


def test_submit_poll_and_fetch_the_report(server, tmp_path):
    srv = server("--db", "store.sqlite")
    status, body = request("POST", f"{srv.url}/api/runs", job_text("toml-job"))
    assert status == 202 and body["status"] == "queued" and body["planned"] == 2
    as_json = json.dumps({"version": 1, "name": "json-job", "engines": ["noop", "sleep", "boom"],
                          "quantities": ["gradient"], "repeat": 1, "reference": ["tape"],
                          "scaling": {"workers": [1], "mode": "strong"},
                          "functions": [{"catalogue": "quadratic_form", "sizes": {"n": [3]}}]})
    status, second = request("POST", f"{srv.url}/api/runs", as_json, content_type="application/json")
    assert status == 202, second

    done = wait_for_run(srv.url, body["run_id"])
    assert done["status"] == "finished" and done["counts"]["ok"] == 2 and done["job_name"] == "toml-job"
    assert done["summary"] == {"fastest": {}, "disagreements": [], "failures": [], "regressions": [], "to_watch": []}
    status, html = request("GET", f"{srv.url}{done['report']}")
    assert status == 200 and "<html" in html.lower() and body["run_id"] in html
    page = tmp_path / "reports" / f"{body['run_id']}.html"
    written = page.stat()
    assert request("GET", f"{srv.url}{done['report']}") == (200, html)
    assert (page.stat().st_ino, page.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)  # not redone
    all_runs = re.search(r'<a href="([^"]+)">all runs</a>', html).group(1)
    status, index = request("GET", urllib.parse.urljoin(f"{srv.url}{done['report']}", all_runs))
    assert status == 200 and "diffbench reports" in index

    done = wait_for_run(srv.url, second["run_id"])
    assert done["counts"]["ok"] == 2 and done["counts"]["failed"] == 1
    verdicts = done["summary"]  # zeros for a gradient: both test engines disagree with the tape
    assert verdicts["fastest"] == {"gradient": {"noop": 1}} and len(verdicts["disagreements"]) == 2
    assert [f["engine"] for f in verdicts["failures"]] == ["boom"] and verdicts["regressions"] == []
    status, html = request("GET", f"{srv.url}/api/runs/{second['run_id']}/report")
    assert "Throughput against workers" in html  # the job's worker-count sweep
    status, runs = request("GET", f"{srv.url}/api/runs")
    assert [r["job_name"] for r in runs] == ["toml-job", "json-job"]
    status, index = request("GET", f"{srv.url}/")
    assert status == 200 and f"/api/runs/{second['run_id']}/report" in index
    assert "<h2>Jobs</h2>" in index and "0 regressions, 0 to watch" in index
    status, spec = request("GET", f"{srv.url}/openapi.json")
    assert status == 200 and {"/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/report"} <= set(spec["paths"])
    assert request("GET", f"{srv.url}/api/runs/nope")[0] == 404
    status, history = request("GET", f"{srv.url}/api/jobs/toml-job/history")
    assert status == 200 and history["runs"][0]["machine"]["cores"] and len(history["cells"]) == 2


def test_bad_submissions_are_400_with_every_field_message(server):
    srv = server("--db", "store.sqlite", "--max-body", "4096")
    url = f"{srv.url}/api/runs"
    status, body = request("POST", url, job_text().replace('quantities = ["value"]', 'quantities = ["valu"]')
                           .replace("repeat = 1", "repeat = 0"))
    assert status == 400 and len(body["errors"]) == 2
    assert any(e.startswith("job: repeat:") for e in body["errors"])
    assert any(e.startswith("job: quantities[0]:") for e in body["errors"])
    status, body = request("POST", url, job_text(extra="").replace("noop", "tapee"))
    assert status == 400 and "unknown engine 'tapee'" in body["errors"][0]
    status, body = request("POST", url, job_text(extra='schedule = "every night"'))
    assert status == 400 and body["errors"][0].startswith("job: schedule: not a cron expression")
    status, body = request("POST", url, "version = 1\nname = ")
    assert status == 400 and "not valid TOML" in body["errors"][0]
    status, body = request("POST", url, '{"version": 1, "name": "__import__(\'os\')"}', content_type="application/json")
    assert status == 400 and any("name" in e for e in body["errors"])
    assert request("POST", url, "x" * 5000)[0] == 413
    assert chunked_post(srv.url, [b"x" * 1000] * 6) == 413  # no Content-Length: counted as it arrives
    assert request("GET", f"{srv.url}/api/runs")[1] == []  # nothing was recorded


def test_token_guards_every_call(server):
    srv = server("--db", "store.sqlite", env={"DIFFBENCH_TOKEN": "s3cret"})
    for path in ("/", "/api/runs", "/openapi.json"):
        assert request("GET", f"{srv.url}{path}")[0] == 401
        assert request("GET", f"{srv.url}{path}", token="wrong")[0] == 401
        assert request("GET", f"{srv.url}{path}", token="s3cret")[0] == 200
    assert request("POST", f"{srv.url}/api/runs", job_text())[0] == 401
    # a browser: its login dialog sends HTTP Basic (any user name, the token as password), for reading only
    status, _, headers = _get(f"{srv.url}/", {})
    assert status == 401 and any(h.startswith("Basic ") for h in headers.get_all("WWW-Authenticate"))
    assert _get(f"{srv.url}/", {"Authorization": _basic("me", "s3cret")})[0] == 200
    assert _get(f"{srv.url}/", {"Authorization": _basic("me", "wrong")})[0] == 401
    submit = urllib.request.Request(f"{srv.url}/api/runs", data=job_text().encode(), method="POST",
                                    headers={"Authorization": _basic("me", "s3cret"),
                                             "Content-Type": "application/toml"})
    try:
        urllib.request.urlopen(submit, timeout=20)
    except urllib.error.HTTPError as err:
        assert err.code == 401  # submitting still needs the bearer header
    else:
        raise AssertionError("a Basic-authenticated POST was accepted")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _get(url: str, headers: dict):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=20) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers


def test_no_token_no_exposure(server):
    srv = server("--host", "0.0.0.0", "--db", "store.sqlite", wait=False)
    assert srv.wait() == 2 and "refusing to listen beyond this machine without an access token" in srv.output()


def test_two_servers_on_one_store(server, tmp_path):
    first = server("--db", "store.sqlite")
    second = server("--db", "store.sqlite", wait=False)
    assert second.wait() == 2
    assert "store.sqlite is in use by another diffbench server" in second.output()
    assert first.url in second.output()
    due = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "run-due", "--db", "store.sqlite"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert due.returncode == 2 and "in use by another diffbench server" in due.stderr
    other = server("--db", "other.sqlite")  # another store is fine
    assert request("GET", f"{other.url}/api/runs")[0] == 200


def chunked_post(url, chunks) -> int:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.request("POST", "/api/runs", body=iter(chunks), encode_chunked=True,
                     headers={"Content-Type": "application/toml"})
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_stopped_server_interrupts_its_run_cleanly(server, tmp_path):
    """SIGTERM mid-run: the server exits 0, the run is interrupted (not
    finished with made-up failures), what ran is kept, resume completes it."""
    import os
    import signal
    import time

    from diffbench.jobs.store import Store

    srv = server("--db", "store.sqlite")
    slow = job_text("slow").replace('engines = ["noop"]', 'engines = ["sleep"]').replace("[1, 2]", "[400, 401, 402, 403, 404, 405]")
    run_id = request("POST", f"{srv.url}/api/runs", slow)[1]["run_id"]
    deadline = time.monotonic() + 60
    while request("GET", f"{srv.url}/api/runs/{run_id}")[1]["done"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.kill(srv.proc.pid, signal.SIGTERM)
    assert srv.wait() == 0
    log = srv.output()
    assert f"interrupted, the service is stopping; `diffbench resume {run_id}` completes it" in log
    assert "Traceback" not in log
    store = Store(tmp_path / "store.sqlite")
    run, results = store.run(run_id), store.results(run_id)
    assert run["status"] == "interrupted" and 1 <= len(results) < 6
    assert {r["status"] for r in results} == {"ok"}
    store.close()
    resumed = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "resume", run_id, "--db", "store.sqlite",
                              "--workers", "1"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                             env=fault_engines.environ())
    assert resumed.returncode == 0 and "finished, 6/6 tasks: 6 ok" in resumed.stdout, resumed.stderr


def test_the_http_api_takes_the_lectures_quantities_and_modes(server, tmp_path):
    """Jacobians in each forced mode, HVPs and traces, submitted over HTTP
    like any job: every result ok, each recording the mode that ran."""
    srv = server("--db", "store.sqlite")
    job = json.dumps({"version": 1, "name": "modes-over-http", "engines": ["tape:forward", "tape:reverse", "symbolic"],
                      "quantities": ["jacobian"],
                      "repeat": 1, "sample_time": "1ms", "reference": ["tape"],
                      "functions": [{"name": "layer", "expr": "sigmoid(A*x)", "wrt": "x",
                                     "shapes": {"A": "m,n", "x": "n"}, "sizes": {"n": [3], "m": [2]},
                                     "quantities": ["jacobian"]},
                                    {"catalogue": "logistic_regression", "sizes": {"n": [3]},
                                     "quantities": ["hvp", "trace"]}]})
    status, body = request("POST", f"{srv.url}/api/runs", job, content_type="application/json")
    assert status == 202 and body["planned"] == 9, body
    done = wait_for_run(srv.url, body["run_id"])
    assert done["status"] == "finished" and done["counts"]["ok"] == 9, done
    import sqlite3

    with sqlite3.connect(tmp_path / "store.sqlite") as conn:
        records = [json.loads(r) for (r,) in conn.execute("select record from results where run_id = ?",
                                                           (body["run_id"],))]
    modes = {(r["engine"], r["quantity"]): r["stats"]["mode"] for r in records}
    assert modes[("tape:forward", "jacobian")] == "forward" and modes[("tape:reverse", "jacobian")] == "reverse"
    assert modes[("tape:reverse", "hvp")] == "forward-over-reverse"
