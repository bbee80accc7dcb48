"""The SVG chart writer on its own: ticks, scales, points that cannot be
drawn, escaping, well-formed output whatever the numbers."""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diffbench.report import plots
from diffbench.report.chart import (Axis, Chart, linear_ticks, log_label, log_ticks, text_width, wrap)

SVG = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ET.Element:
    """The chart as XML: it must be well formed (inline SVG is parsed as XML by a standalone viewer)."""
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def group(root: ET.Element, name: str) -> ET.Element | None:
    return next((g for g in root.iter(f"{SVG}g") if g.get("class") == name), None)


def log_chart() -> Chart:
    return Chart(Axis("size n (log scale)", "log"), Axis("median time per call (s)", "log"))


# ---------------------------------------------------------------- ticks

@pytest.mark.parametrize("low, high", [(1e-17, 1.0), (1e-3, 1e3), (3e-6, 2e-2), (1.0, 1e12)])
def test_log_ticks_are_powers_of_ten_and_few_across_many_decades(low, high):
    ticks = log_ticks(math.log10(low), math.log10(high))
    assert 3 <= len(ticks) <= 9
    assert all(abs(math.log10(v) - round(math.log10(v))) < 1e-9 for v in ticks)
    assert all(low * (1 - 1e-9) <= v <= high * (1 + 1e-9) for v in ticks)
    steps = {round(math.log10(b) - math.log10(a)) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1  # evenly spaced decades


def test_a_short_log_axis_gets_two_and_five_between_its_decades():
    assert log_ticks(math.log10(0.007), math.log10(0.7)) == pytest.approx([0.01, 0.02, 0.05, 0.1, 0.2, 0.5])
    inside = log_ticks(math.log10(3.0), math.log10(4.0))  # not even a 2 or a 5: linear steps
    assert len(inside) >= 3 and all(3.0 <= v <= 4.0 for v in inside)


def test_log_labels_are_superscript_powers_and_plain_numbers():
    assert [log_label(v) for v in (1e-5, 1.0, 10.0, 100.0, 1e12)] == ["10⁻⁵", "1", "10", "10²", "10¹²"]
    assert [log_label(v) for v in (5e-5, 2e-4, 0.03, 200.0)] == ["5×10⁻⁵", "2×10⁻⁴", "0.03", "200"]
    assert log_label(0.1, plain=True) == "0.1" and log_label(0.0) == log_label(-1.0) == ""


@pytest.mark.parametrize("low, high", [(0.0, 3.6), (-7.7, 7.7), (0.7, 1.75), (-1e-9, 1e-9), (1e6, 1.3e6)])
def test_linear_ticks_are_round_steps_inside_the_span(low, high):
    ticks = linear_ticks(low, high)
    assert 3 <= len(ticks) <= 9 and all(low <= v <= high for v in ticks)
    steps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert max(steps) == pytest.approx(min(steps))
    mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-6


def test_the_fitted_axes_hold_every_point_with_room_and_ticks():
    chart = log_chart()
    chart.line([10, 30, 100], [1e-6, 3e-5, 2e-3], label="symbolic hessian")
    root = parsed(chart.svg("time"))
    x_labels = texts(group(root, "x-axis"))
    y_labels = texts(group(root, "y-axis"))
    assert x_labels[-1] == "size n (log scale)" and y_labels[-1] == "median time per call (s)"
    assert {"10⁻⁵", "10⁻⁴", "10⁻³"} <= set(y_labels)
    assert {"10", "20", "50", "100"} <= set(x_labels)  # under three decades: 2 and 5 between, all plain


def test_fixed_size_ticks_label_the_measured_sizes():
    chart = log_chart()
    chart.line([10, 30, 100], [1.0, 2.0, 3.0])
    plots.log_axes(chart, [10, 30, 100])
    assert texts(group(parsed(chart.svg("t")), "x-axis"))[:3] == ["10", "30", "100"]


def test_crowded_tick_labels_are_thinned_not_overlapped():
    chart = log_chart()
    sizes = [4, 8, 10, 16, 30, 31, 100]
    chart.line(sizes, [1.0] * len(sizes))
    plots.log_axes(chart, sizes)
    labels = texts(group(parsed(chart.svg("t")), "x-axis"))[:-1]
    assert "4" in labels and "100" in labels and not {"30", "31"} <= set(labels)


# ---------------------------------------------------------------- points that cannot be drawn

def _paths(root: ET.Element) -> list[str]:
    return [p.get("d") for p in root.iter(f"{SVG}path") if p.get("fill") == "none" and p.get("class") is None
            and p.get("stroke") == "#123456"]


def test_nan_inf_and_non_positive_values_are_gaps_on_a_log_axis():
    chart = log_chart()
    chart.line([1, 2, 3, 4, 5, 6, 7], [1.0, 2.0, math.nan, 4.0, 0.0, math.inf, 7.0], colour="#123456")
    chart.line([1, 2], [None, -3.0], colour="#654321", marker="o")  # nothing drawable at all
    svg = chart.svg("gaps")
    (line,) = _paths(parsed(svg))
    assert line.count("M") == 1 and line.count("L") == 1  # 1-2 joined; 4 and 7 alone: no line to draw
    assert "#654321" not in svg
    assert not re.search(r"nan|inf", svg, flags=re.I)


def test_an_empty_chart_and_a_single_point_still_have_axes():
    empty = parsed(Chart(Axis("x"), Axis("y", "log")).svg("nothing yet"))
    assert group(empty, "x-axis") is not None and group(empty, "legend") is None
    one = log_chart()
    one.line([16], [2.5e-4], marker="o", label="tape hessian (one size)")
    root = parsed(one.svg("one point"))
    assert len(texts(group(root, "y-axis"))) >= 3 and texts(group(root, "legend")) == ["tape hessian (one size)"]


def test_points_outside_given_limits_are_left_out_and_bands_are_clipped():
    chart = Chart(Axis("workers", limits=(0, 2.2)), Axis("throughput", limits=(0, None)))
    chart.line([1, 2, 3], [1.0, 2.0, 3.0], colour="#123456")
    chart.band([1, 2], [1e9, 2.0], "#00ff00")
    root = parsed(chart.svg("limits"))
    (line,) = _paths(root)
    assert line.count("L") == 1  # the point at 3 workers is off the axis
    band = next(p for p in root.iter(f"{SVG}path") if p.get("fill") == "#00ff00")
    ys = [float(v) for v in re.findall(r"[ML][\d.]+,([\d.-]+)", band.get("d"))]
    assert min(ys) >= 0  # the band's top at 1e9 is cut at the top of the plot


@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True, width=64),
                          st.floats(allow_nan=True, allow_infinity=True, width=64)), max_size=12),
       st.sampled_from(["linear", "log"]), st.sampled_from(["linear", "log"]))
def test_any_numbers_give_a_well_formed_chart(points, xscale, yscale):
    """Beyond 1e300 (or under 1e-300 on a log axis) a value is left out, as NaN is."""
    chart = Chart(Axis("x", xscale), Axis("y", yscale))
    chart.line([x for x, _ in points], [y for _, y in points], marker="s", label="series")
    chart.rule("y", points[0][1] if points else 1.0, label="bar")
    svg = chart.svg("property")
    parsed(svg)
    assert not re.search(r"nan|inf", svg, flags=re.I)


# ---------------------------------------------------------------- text

HOSTILE = '<script>alert("x")</script> & f\'s "grad"'


def test_labels_are_escaped_and_read_back_as_written():
    chart = Chart(Axis(HOSTILE), Axis(HOSTILE, "log"))
    chart.line([1, 2], [1.0, 2.0], label=HOSTILE, marker="o")
    chart.rule("x", 1.5, label=HOSTILE)
    svg = chart.svg(HOSTILE)
    assert "<script" not in svg and "alert(\"x\")" not in svg
    root = parsed(svg)
    assert root.get("aria-label") == HOSTILE and root.get("role") == "img"
    shown = texts(root)
    assert "".join(shown).count("alert") >= 4  # both axes' titles and both legend entries
    assert HOSTILE in shown  # the x axis title, one line


def test_report_plots_escape_user_function_names():
    rows = [{"engine": "tape", "function": "<script>bad()</script>", "quantity": "gradient", "sizes": {"n": n},
             "size_label": f"n={n}", "status": "ok", "median": 1e-5 * n, "peak_bytes": 8 * n,
             "stats": {"tape": {"tape_bytes": 100 * n}}} for n in (4, 8)]
    from diffbench.report.memory import _size_plot

    svg, _ = _size_plot(rows, "n", {"tape": "#d62728"})
    assert "<script" not in svg and "&lt;script&gt;bad()&lt;/script&gt; gradient: tape" in svg


def test_long_legend_labels_wrap_and_the_chart_grows_to_hold_the_legend():
    chart = log_chart()
    for k in range(30):
        chart.line([1, 2], [k + 1.0, k + 2.0], label=f"logistic_regression gradient n=10, m=20, slope -0.{k:02d}")
    root = parsed(chart.svg("many"))
    height = float(root.get("viewBox").split()[3])
    legend = group(root, "legend")
    assert len(list(legend.iter(f"{SVG}tspan"))) == 30  # each label on two lines
    last = max(float(t.get("y")) for t in legend.iter(f"{SVG}text"))
    assert last + 14 < height


def test_wrap_keeps_every_character_and_each_line_within_the_width():
    text = "a_very_long_function_name_without_spaces gradient n=100, m=200 (k=2.00)"
    lines = wrap(text, 120, 11.5)
    assert len(lines) > 1 and "".join(lines) == text  # a break at a space keeps the space
    assert all(text_width(line.rstrip(), 11.5) <= 120 for line in lines)
    assert wrap("short", 120, 11.5) == ["short"]
