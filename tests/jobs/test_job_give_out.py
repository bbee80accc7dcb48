"""skip_larger_after_give_out: once an engine gives out on a function, its
larger sizes are stored as skipped, never sent and never silently missing."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from conftest import HEADER, diffbench

from diffbench.jobs.frontier import Frontier, at_most, series
from diffbench.jobs.scheduler import Target, submit
from diffbench.jobs.store import Store

# sleep n ms per call against a 5 s limit: n = 60000 and 120000 (a minute and two) time out,
# n = 5 and every noop cell finish well inside it on a busy machine too.  Tied sizes: (120000, 2)
# is larger than (60000, 3) in n only, so it runs; (240000, 4) is larger than both and is skipped.
GIVE_OUT_JOB = HEADER.format(name="give-out", engines='["sleep", "noop"]', quantities='["value"]', repeat=1,
                             timeout="5s", memory="1GiB", reference="[]") + """
skip_larger_after_give_out = true

[[functions]]
name = "f"
expr = "sum(x) + sum(y)"
shapes = { x = "n", y = "m" }
sizes = { n = [5, 60000, 120000, 240000], m = [1, 3, 2, 4] }
"""


def test_a_give_out_skips_the_larger_sizes_of_its_engine_on_a_real_cluster(dask_cluster, tmp_path):
    job = tmp_path / "job.toml"
    job.write_text(GIVE_OUT_JOB)
    db = tmp_path / "t.sqlite"
    result = submit(str(job), Target(address=dask_cluster.address, db=str(db)))
    assert (result["status"], result["done"], result["planned"]) == ("finished", 8, 8)
    assert (result["ok"], result["timeout"], result["skipped"]) == (5, 2, 1)
    by_key = {r["task_key"]: r for r in Store(db).results(result["run_id"])}
    skipped = by_key["f|sleep|value|n=240000,m=4"]
    assert skipped["status"] == "skipped" and skipped["attempts"] == 0
    assert re.fullmatch(r"gave out at n=(60000,m=3|120000,m=2): timeout", skipped["message"])
    assert by_key["f|sleep|value|n=60000,m=3"]["status"] == by_key["f|sleep|value|n=120000,m=2"]["status"] == "timeout"
    assert by_key["f|noop|value|n=240000,m=4"]["status"] == "ok"  # another engine goes on
    # small sizes first: a series' larger task is sent only once the smaller one has its result
    assert by_key["f|sleep|value|n=60000,m=3"]["started"] >= by_key["f|sleep|value|n=5,m=1"]["finished"]

    status = diffbench("status", "--db", db, check=True).stdout
    assert "1 skipped" in status.splitlines()[0]
    assert re.search(r"sleep\s+value\s+1 ok 1 skipped 2 timeout", status)

    from diffbench.report import write_report

    html = write_report(Store(db), result["run_id"], tmp_path / "reports").read_text()
    failures = html[html.index('id="failure-table"'):]
    failures = failures[: failures.index("</table>")]
    assert sorted(re.findall(r'data-status="(\w+)"', failures)) == ["skipped", "timeout", "timeout"]
    assert 'id="skipped-note"' in html and skipped["message"] in failures


def _task(engine: str, sizes: dict) -> dict:
    label = ",".join(f"{d}={v}" for d, v in sizes.items())
    return {"key": f"f|{engine}|value|{label}", "function": "f", "expr": "sum(x)", "wrt": ["x"],
            "engine": engine, "quantity": "value", "sizes": sizes}


grids = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)), min_size=1, max_size=12, unique=True)


@settings(max_examples=60, deadline=None)
@given(grids, st.sets(st.tuples(st.integers(1, 4), st.integers(1, 4))), st.booleans())
def test_every_task_runs_or_is_skipped_by_a_smaller_give_out(cells, giving_out, resumed):
    """Whatever gives out, in whatever order: each task ends run or skipped,
    a skipped one is at least as large as a give-out of its own series, a run
    one is not, and nothing is sent before its smaller relatives finished."""
    tasks = [_task(e, {"n": n, "m": m}) for e in ("a", "b") for n, m in cells]
    gives_out = lambda t: (t["sizes"]["n"], t["sizes"]["m"]) in giving_out and t["engine"] == "a"  # noqa: E731
    done = []
    if resumed:  # a resumed run: the first task already has its result
        first, tasks = tasks[0], tasks[1:]
        done = [{"task_key": first["key"], "sizes": first["sizes"], "status": "timeout" if gives_out(first) else "ok"}]
    frontier, results = Frontier(tasks, done, order=lambda t: sum(t["sizes"].values())), {}
    for record in done:
        results[record["task_key"]] = record
    while True:
        for record in frontier.skips("r"):
            results[record["task_key"]] = record
        batch = frontier.take(3)
        if not batch:
            break
        for task in batch:  # sent only once every smaller task of its series has a result
            assert all(o["key"] in results for o in tasks
                       if o is not task and series(o) == series(task) and at_most(o["sizes"], task["sizes"]))
        for task in batch:
            record = {"task_key": task["key"], "sizes": task["sizes"], "status": "timeout" if gives_out(task) else "ok"}
            results[task["key"]] = record
            frontier.finished(task, record)
    assert frontier.empty() and set(results) == {t["key"] for t in tasks} | {r["task_key"] for r in done}
    gave_out = [r for r in results.values() if r["status"] == "timeout"]
    for task in tasks:
        covered = any(at_most(g["sizes"], task["sizes"]) and series({"key": g["task_key"]}) == series(task)
                      and g["task_key"] != task["key"] for g in gave_out)
        assert (results[task["key"]]["status"] == "skipped") == covered, task["key"]


def test_resume_keeps_skipping_past_a_give_out_the_store_holds(tmp_path):
    from diffbench.jobs.plan import plan
    from diffbench.jobs.records import make_record, now
    from diffbench.jobs.scheduler import record_run, resume
    from diffbench.jobs.spec import parse_job

    job = parse_job(GIVE_OUT_JOB, "job.toml")
    tasks = plan(job)
    store = Store(tmp_path / "t.sqlite")
    run_id = record_run(store, job, GIVE_OUT_JOB, tasks, {})
    small = next(t for t in tasks if t["key"] == "f|sleep|value|n=5,m=1")
    store.put(make_record(small, run_id, {"status": "timeout", "message": "stored before"}, {}, 1, now()))
    store.finish(run_id, "interrupted", None)
    result = resume(run_id, Target(workers=1, db=str(tmp_path / "t.sqlite")))
    assert (result["status"], result["done"], result["ok"], result["skipped"]) == ("finished", 8, 4, 3)
    skipped = [r for r in Store(tmp_path / "t.sqlite").results(run_id) if r["status"] == "skipped"]
    assert {r["message"] for r in skipped} == {"gave out at n=5,m=1: timeout"}
