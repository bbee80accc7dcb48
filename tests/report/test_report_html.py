"""The written page, read as text: escaping, self-containment, content, fallbacks."""
from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest
from report_helpers import XSS_DESCRIPTION, embedded_data, new_run, record, task

from diffbench.jobs.store import Store
from diffbench.report import write_report
from diffbench.report.formulas import clean, split_rows


def test_report_and_index_are_written(full):
    store, run_id, path = full
    assert path.name == f"{run_id}.html" and path.exists()
    index = (path.parent / "index.html").read_text(encoding="utf-8")
    assert f'href="{run_id}.html"' in index and "fixture" in index


def test_index_leads_with_each_jobs_latest_report_and_its_regressions(scheduled):
    store, run_id, path = scheduled
    index = (path.parent / "index.html").read_text(encoding="utf-8")
    jobs = index[index.index('<table id="jobs">'):index.index("</table>")]
    assert f'<a href="{run_id}.html">{run_id}</a>' in jobs and "3 regressions" in jobs


def test_user_text_is_escaped(full):
    html = full[2].read_text(encoding="utf-8")
    assert "<script>window.pwned" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt; quadratic &amp; friends" in html
    assert "<img src=x" not in html
    # only the page's own two script elements close
    assert html.count("</script>") == 2


def test_nothing_is_fetched_from_elsewhere(full):
    html = full[2].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:|//|ftp:)""", html, re.I)
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?(https?:|//)", html)
    assert "default-src 'none'" in html.replace("&#39;", "'")


def test_embedded_data_is_the_store(full):
    store, run_id, path = full
    data = embedded_data(path.read_text(encoding="utf-8"))
    stored = store.results(run_id)
    assert len(data["results"]) == len(stored)
    assert [r["task_key"] for r in data["results"]] == [r["task_key"] for r in stored]
    assert data["results"][0]["times"] == stored[0]["times"]
    assert "median" in data["keys"] and "accuracy" in data["keys"]


def test_failures_and_disagreements_are_listed(full):
    html = full[2].read_text(encoding="utf-8")
    failures = html[html.index('id="failure-table"'):]
    failures = failures[: failures.index("</table>")]
    assert sorted(re.findall(r'data-status="(\w+)"', failures)) == ["failed", "oom", "timeout", "unsupported"]
    disagree = html[html.index('id="disagree-table"'):]
    assert "5.0e-03" in disagree[: disagree.index("</table>")]


def test_formula_unavailable_is_shown_not_raised(full):
    html = full[2].read_text(encoding="utf-8")
    section = html[html.index('data-function="broken&lt;/script&gt;"'):]
    assert "formula unavailable:" in section
    assert "<math" in html  # the healthy function has its formulas


def test_plots_present_for_each_kind(full):
    html = full[2].read_text(encoding="utf-8")
    for kind in ("time", "memory", "cost", "accuracy", "finite-difference"):
        assert f'class="plot-{kind}"' in html
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "ids must be unique across the inline SVGs"


def test_plots_are_the_same_each_time_the_page_is_written(full, tmp_path):
    store, run_id, first = full
    again = write_report(store, run_id, tmp_path)

    def plots(path):
        return re.findall(r"<svg.*?</svg>", path.read_text(encoding="utf-8"), flags=re.S)

    assert plots(again) == plots(first) and len(plots(first)) >= 5


def test_the_report_does_not_load_a_plotting_library():
    """The plots are written as SVG text: importing the report (as ``submit``
    does while the cluster starts) loads no matplotlib."""
    code = "import sys, diffbench.report.render, diffbench.report.sections; print('matplotlib' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_no_step_plot_without_step_data(partial):
    html = partial[2].read_text(encoding="utf-8")
    assert 'class="plot-finite-difference"' not in html


def test_partial_run_is_marked(partial):
    html = partial[2].read_text(encoding="utf-8")
    assert 'id="partial"' in html and "Partial results" in html
    assert html.count('data-status="pending"') == 9
    assert '<span class="badge running">running</span>' in html


def test_derive_failure_becomes_a_note(tmp_path, monkeypatch):
    import diffbench

    def broken(*args, **kwargs):
        raise RuntimeError("no rule for <b>op</b>\nsecond line")

    monkeypatch.setattr(diffbench, "derive", broken)
    store = Store(tmp_path / "t.sqlite")
    t = task("f", "tape", "value", 3)
    new_run(store, "r1", [t])
    store.put(record("r1", t, median=1e-6))
    html = write_report(store, "r1", tmp_path).read_text(encoding="utf-8")
    assert "formula unavailable: no rule for &lt;b&gt;op&lt;/b&gt;" in html
    assert "second line" not in html


def test_infinite_accuracy_survives_json(tmp_path):
    store = Store(tmp_path / "t.sqlite")
    t = task("f", "tape", "value", 3)
    new_run(store, "r1", [t])
    store.put(record("r1", t, median=1e-6, accuracy=math.inf, reference="symbolic"))
    data = embedded_data(write_report(store, "r1", tmp_path).read_text(encoding="utf-8"))
    assert data["results"][0]["accuracy"] == "inf"


def test_a_cells_noted_warnings_are_shown_in_its_row(tmp_path):
    store = Store(tmp_path / "t.sqlite")
    t = task("f", "tape", "value", 3)
    new_run(store, "r1", [t])
    stats = {"warnings": ["RuntimeWarning: overflow encountered in exp (diffbench/tape/core.py:197)"],
             "reference_warnings": ["RuntimeWarning: <b>invalid</b> value"]}
    store.put(record("r1", t, median=1e-6, stats=stats))
    html = write_report(store, "r1", tmp_path).read_text(encoding="utf-8")
    row = html[html.index('data-engine="tape"'):]
    row = row[: row.index("</tr>")]
    assert ("overflow encountered in exp (diffbench/tape/core.py:197); RuntimeWarning: &lt;b&gt;invalid&lt;/b&gt; "
            "value") in row


def test_forty_functions_render_one_section_each(tmp_path):
    # how fast the page is written is measured by benchmarks/bench_plots.py, not here
    store = Store(tmp_path / "t.sqlite")
    tasks = [task(f"fn{i:02d}", e, "gradient", n) for i in range(40) for n in (10, 100) for e in ("symbolic", "tape")]
    new_run(store, "big", tasks, description="forty")
    for t in tasks:
        store.put(record("big", t, median=1e-7 * t["sizes"]["n"] ** 2 * (2 if t["engine"] == "tape" else 1)))
    html = write_report(store, "big", tmp_path).read_text(encoding="utf-8")
    assert html.count('<section class="function"') == 40
    assert html.count("<tr data-function=") == 40  # one speed verdict each


def test_mathml_is_sanitised():
    hostile = ('<math xmlns="http://www.w3.org/1998/Math/MathML"><mtable><mtr><mtd><mi onclick="x()">f</mi></mtd>'
               '<mtd><script>alert(1)</script><mi href="javascript:x">&lt;b&gt;</mi></mtd></mtr></mtable></math>')
    (row,) = split_rows(hostile)
    assert "<script" not in row["mathml"] and "onclick" not in row["mathml"] and "href" not in row["mathml"]
    assert "alert(1)" in row["mathml"]  # kept, as text
    assert "&lt;b&gt;" in row["mathml"]


def test_clean_keeps_allowed_attributes():
    import xml.etree.ElementTree as ET

    el = ET.fromstring('<mrow><mi mathvariant="normal" style="x">T</mi></mrow>')
    assert clean(el) == '<mrow><mi mathvariant="normal">T</mi></mrow>'


@pytest.mark.parametrize("value,text", [(3.2e-6, "3.2 µs"), (0.012, "12 ms"), (1.5, "1.5 s"), (None, "")])
def test_seconds_format(value, text):
    from diffbench.report.format import seconds

    assert seconds(value) == text


def test_a_failing_section_is_a_note(tmp_path, monkeypatch):
    from diffbench.report import sections

    def good(store, run_id):
        return "<h2>Extra</h2>"

    def bad(store, run_id):
        return 1 / 0

    monkeypatch.setattr(sections, "SECTIONS", (good, bad))
    store = Store(tmp_path / "t.sqlite")
    t = task("f", "tape", "value", 3)
    new_run(store, "r1", [t])
    store.put(record("r1", t, median=1e-6))
    html = write_report(store, "r1", tmp_path).read_text(encoding="utf-8")
    assert "<h2>Extra</h2>" in html
    assert f"section left out: {__name__}.bad failed: ZeroDivisionError" in html


@pytest.mark.parametrize("value,text", [(3.3333, "3.33×"), (23900.4, "23,900×"), (None, "")])
def test_speed_up_format(value, text):
    from diffbench.report.format import times

    assert times(value) == text


def test_long_formulas_fold_with_their_size():
    from diffbench.report.formulas import FOLD_ABOVE

    long = "<mrow>" + "<mi>x</mi><mo>+</mo>" * FOLD_ABOVE + "<mn>1</mn></mrow>"
    mathml = (f'<math xmlns="http://www.w3.org/1998/Math/MathML"><mtable><mtr><mtd><mi>f</mi></mtd><mtd>{long}</mtd>'
              '</mtr><mtr><mtd><mi>g</mi></mtd><mtd><mn>0</mn></mtd></mtr></mtable></math>')
    first, second = split_rows(mathml)
    assert first["fold"] and first["size"] > FOLD_ABOVE and "<mi>f</mi>" in first["label"]
    assert not second["fold"]
