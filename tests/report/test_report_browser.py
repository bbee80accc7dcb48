"""The page in a real headless Chromium: offline, no console errors, math
and plots drawn, summary matching the store, user text inert.

Uses Debian's chromium through Playwright (never Playwright's own browser
download); skipped when either is missing.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from report_helpers import XSS_DESCRIPTION, XSS_MESSAGE

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    path = chromium_path()
    if path is None:
        pytest.skip("no chromium binary on PATH (apt-get install chromium); browser tests skipped")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Visit:
    """A page opened from file://, with every request and console message kept."""

    def __init__(self, browser, path: Path, viewport=(1366, 850)):
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.requests, self.console, self.errors = [], [], []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def visit(browser, full):
    v = Visit(browser, full[2])
    yield v
    v.close()


def test_loads_offline_without_errors_or_requests(visit):
    assert visit.errors == []
    assert [c for c in visit.console if c[0] in ("error", "warning")] == []
    foreign = [u for u in visit.requests if u != visit.url and not u.startswith("data:")]
    assert foreign == []


def test_math_renders_with_size(visit):
    boxes = visit.page.eval_on_selector_all(
        ".formula > math, .formula math", "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])")
    assert len(boxes) >= 3  # f, its gradient, its Hessian
    assert all(w > 0 and h > 0 for w, h in boxes)
    # MathML is laid out as math (a fraction or script is taller than a text line), not as plain text
    assert visit.page.evaluate("document.querySelector('.formula math').constructor.name") == "MathMLElement"


def test_each_plot_has_axes(visit):
    plots = visit.page.query_selector_all("figure svg.plot")
    kinds = visit.page.eval_on_selector_all("figure[class^=plot-]", "els => els.map(e => e.className)")
    assert {"plot-time", "plot-memory", "plot-cost", "plot-accuracy", "plot-finite-difference"} <= set(kinds)
    for svg in plots:
        box = svg.bounding_box()
        assert box["width"] > 300 and box["height"] > 150
        for axis in ("g.x-axis", "g.y-axis"):
            box = svg.query_selector(axis).bounding_box()
            assert box["width"] > 0 and box["height"] > 0
            assert len(svg.query_selector_all(f"{axis} > text")) >= 3  # two tick labels at least, and the title
        labels = svg.eval_on_selector_all("text", "ts => ts.map(t => t.textContent)")
        assert any("size" in t or "step" in t for t in labels)  # x axis label
        assert any("(s)" in t or "(×)" in t or "(bytes)" in t or "error" in t for t in labels)  # y label, units
        legend = svg.query_selector("g.legend")
        assert legend is not None and legend.bounding_box()["width"] > 0
        # nothing is drawn outside the chart: no legend cut off at the edge
        outer = svg.bounding_box()
        inner = legend.bounding_box()
        assert inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        assert inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1


def test_history_and_workers_sections(browser, scheduled):
    """A scheduled job's page: its regressions first, time over runs, and
    throughput against workers, all drawn offline with real axes."""
    store, run_id, path = scheduled
    v = Visit(browser, path)
    try:
        assert v.errors == [] and [u for u in v.requests if u != v.url and not u.startswith("data:")] == []
        rows = v.page.eval_on_selector_all("#regressions-table tbody tr", "rs => rs.map(r => r.innerText)")
        assert len(rows) == 3 and all(r.startswith("slowdown") and "tape\thessian" in r for r in rows)
        assert all("+60%" in r and "h004" in r for r in rows)  # the run the step began
        for figure in ("#history figure.plot-history svg", "#workers figure.plot-workers svg"):
            svg = v.page.query_selector(figure)
            box = svg.bounding_box()
            assert box["width"] > 300 and box["height"] > 150
            labels = svg.eval_on_selector_all("text", "ts => ts.map(t => t.textContent)")
            assert any("run (UTC)" in t or "workers" in t for t in labels)
        workers = v.page.eval_on_selector_all("#workers-table tbody tr", "rs => rs.map(r => r.innerText)")
        assert len(workers) == 6 and any(r.startswith("tape\t2\t") and "89%" in r for r in workers)
        v.page.screenshot(path=str(_artifact("report-history.png")), full_page=True)
    finally:
        v.close()


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def test_speed_table_matches_the_store(visit, full):
    store, run_id, _ = full
    expected = {}
    cells = {}
    for r in store.results(run_id):
        if r["status"] == "ok":
            cells.setdefault((r["function"], r["quantity"], json.dumps(r["sizes"])), []).append(r)
    for (function, quantity, sizes), rs in cells.items():
        if len(rs) > 1:
            n = json.loads(sizes)["n"]
            rs = sorted(rs, key=lambda r: r["median"])
            if n >= expected.get((function, quantity), (0,))[0]:
                expected[(function, quantity)] = (n, rs[0]["engine"], rs[1]["median"] / rs[0]["median"])
    rows = visit.page.eval_on_selector_all(
        "#speed-table tbody tr", "trs => trs.map(t => [t.dataset.function, t.dataset.quantity, t.dataset.winner, t.dataset.factor])")
    shown = {(f, q): (w, float(x)) for f, q, w, x in rows}
    assert set(shown) == set(expected)
    for key, (_, winner, factor) in expected.items():
        assert shown[key][0] == winner and shown[key][1] == pytest.approx(factor, rel=1e-5)


def test_failures_table_matches_the_store(visit, full):
    store, run_id, _ = full
    expected = sorted(r["status"] for r in store.results(run_id) if r["status"] != "ok")
    shown = visit.page.eval_on_selector_all("#failure-table tbody tr", "trs => trs.map(t => t.dataset.status)")
    assert sorted(shown) == expected
    # each failure links to its row in the function's table
    href = visit.page.get_attribute("#failure-table tbody tr a", "href")
    assert visit.page.query_selector(href) is not None


def test_user_text_is_shown_as_text_and_never_runs(visit):
    page = visit.page
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.evaluate("[window.pwned2, window.pwned3, window.pwned4]") == [None, None, None]
    assert XSS_DESCRIPTION in page.inner_text("#description")
    assert page.is_visible("#description")
    assert XSS_MESSAGE[:40] in page.inner_text("#failure-table")
    assert page.evaluate("document.querySelectorAll('script').length") == 2


def test_downloads_carry_the_raw_results(visit, full):
    store, run_id, _ = full
    stored = store.results(run_id)
    for link, parse in (("#dl-csv", _csv_rows), ("#dl-json", json.loads)):
        with visit.page.expect_download() as info:
            visit.page.click(link)
        text = Path(info.value.path()).read_text(encoding="utf-8")
        rows = parse(text)
        assert [r["task_key"] for r in rows] == [r["task_key"] for r in stored]
        assert float(rows[0]["median"]) == pytest.approx(stored[0]["median"], rel=1e-12)
    foreign = [u for u in visit.requests if u != visit.url and not u.startswith("data:")]
    assert foreign == []


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_screenshots(browser, full, partial):
    """Kept under test-artifacts/ for a human to look at (the full page,
    the top on a laptop screen, a narrow window, print layout)."""
    ARTIFACTS.mkdir(exist_ok=True)
    v = Visit(browser, full[2])
    v.page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
    v.page.screenshot(path=str(ARTIFACTS / "report-top.png"))
    v.page.emulate_media(media="print")
    v.page.pdf(path=str(ARTIFACTS / "report-print.pdf"))
    v.close()
    narrow = Visit(browser, partial[2], viewport=(700, 900))
    narrow.page.screenshot(path=str(ARTIFACTS / "report-partial-narrow.png"), full_page=True)
    assert narrow.page.is_visible("#partial")
    narrow.close()
    index = Visit(browser, full[2].parent / "index.html")
    assert index.errors == [] and index.page.query_selector("#runs") is not None
    index.page.screenshot(path=str(ARTIFACTS / "index.png"))
    index.close()
    assert (ARTIFACTS / "report-full.png").stat().st_size > 10_000


