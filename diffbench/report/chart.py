"""A small SVG chart writer: what the report's plots need, and no plotting library.

A :class:`Chart` collects lines, markers, reference lines and bands in data
coordinates; :meth:`Chart.svg` fits each axis (linear or log, 5 % margins
unless the limits are given), picks ticks a reader can use and writes one
``<svg>`` that scales with its container: grid, axes, the series, and a
legend to the right (the chart grows taller rather than cut a long legend).

Text stays text (selectable, sharp when printed) and every piece of it is
escaped, since labels carry user function names.  Nothing in the SVG has
an id, so any number of charts share one page.  A point that cannot be
drawn (NaN, inf, not positive on a log axis, outside given limits) is
left out, and a line has a gap there.

Text widths are estimated from a table of character classes (there is no
font to measure here); margins and the legend's wrapping use the estimate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

WIDTH = 640
PLOT_HEIGHT = 250
TOP = 10
TICK_FONT, LABEL_FONT, LEGEND_FONT = 12.5, 13.0, 11.5
LEGEND_ROW, LEGEND_SAMPLE, LEGEND_MAX = 16.0, 30.0, 0.42 * WIDTH
MARGIN = 0.05  # of the axis span, each side, in the axis's own (log or linear) coordinate
GRID, AXIS, INK = "#e3e6eb", "#444", "#222"
DASHES = {"-": "", "--": "6 3.5", ":": "1.5 2.5", "-.": "7 3 1.5 3", "": ""}


@dataclass
class Series:
    """One line (``style`` "-", "--", ":", "-." or "" for none) with optional
    markers (``marker`` "o", "s", "D", "^", "v", "x" or "."; ``hollow`` rings them)."""
    xs: list
    ys: list
    colour: str = "#333"
    style: str = "-"
    marker: str | None = None
    size: float | list = 6.5  # marker diameter, or one per point
    width: float = 2.0
    label: str | None = None
    hollow: bool = False
    opacity: float = 1.0


@dataclass
class Rule:
    """A horizontal (``axis`` "y") or vertical (``axis`` "x") line across the plot."""
    axis: str
    value: float
    colour: str = "#888"
    style: str = "--"
    width: float = 1.0
    label: str | None = None


@dataclass
class Band:
    """A filled area from the bottom of the plot up to ``highs``."""
    xs: list
    highs: list
    colour: str
    opacity: float = 0.15


@dataclass
class Axis:
    """An axis's title, scale, and limits (None: the data's, with margins) and ticks if given."""
    label: str
    scale: str = "linear"  # or "log"
    limits: tuple = (None, None)
    ticks: list | None = None  # fixed tick values; None picks them
    tick_labels: list | None = None


@dataclass
class Chart:
    """A chart under construction; :meth:`svg` writes it."""
    x: Axis
    y: Axis
    series: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    bands: list = field(default_factory=list)

    def line(self, xs, ys, **style) -> None:
        self.series.append(Series(list(xs), list(ys), **style))

    def rule(self, axis: str, value: float, **style) -> None:
        self.rules.append(Rule(axis, value, **style))

    def band(self, xs, highs, colour: str, opacity: float = 0.15) -> None:
        self.bands.append(Band(list(xs), list(highs), colour, opacity))

    def svg(self, description: str) -> str:
        """The chart as an ``<svg>`` element; ``description`` is its accessible name."""
        return _write(self, description)


# ---------------------------------------------------------------- scales and ticks

#: no value beyond this (nor, on a log axis, below its inverse) is drawn: the axis's
#: span and margins must stay finite floats
LARGEST = 1e300


def drawable(v, scale: str) -> bool:
    """Whether ``v`` has a place on an axis of ``scale`` ("linear" or "log")."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return False
    return abs(v) < LARGEST and (scale != "log" or v > 1 / LARGEST)


class Scale:
    """Data value -> position, linear in the axis's own coordinate (log10 on a log
    axis); the span is fitted once, the positions set by :meth:`place`."""

    def __init__(self, axis: Axis, values: list):
        self.kind = axis.scale
        self.low, self.high = _limits(axis, [self.t(v) for v in values if drawable(v, self.kind)], self)
        self.start, self.end = 0.0, 1.0

    def place(self, start: float, end: float) -> "Scale":
        self.start, self.end = start, end
        return self

    @property
    def log(self) -> bool:
        return self.kind == "log"

    def t(self, v) -> float:
        return math.log10(v) if self.log else float(v)

    def inside(self, v) -> bool:
        slack = 1e-9 * (self.high - self.low)
        return drawable(v, self.kind) and self.low - slack <= self.t(v) <= self.high + slack

    def __call__(self, v) -> float:
        return self.start + (self.t(v) - self.low) / (self.high - self.low) * (self.end - self.start)

    def clamp(self, v) -> float:
        """The position of ``v``, or of the nearer end of the axis when ``v`` is off it."""
        if not drawable(v, self.kind):
            return self.start
        lo, hi = sorted((self.start, self.end))
        return min(max(self(v), lo), hi)


def _limits(axis: Axis, ts: list, scale: Scale) -> tuple[float, float]:
    """The axis span in its own coordinate: the given limits, else the data's with margins."""
    given = [None if v is None or not drawable(v, axis.scale) else scale.t(v) for v in axis.limits]
    low, high = (min(ts), max(ts)) if ts else (0.0, 1.0)
    if high - low < 1e-12 * max(1.0, abs(low)):  # one value: a span around it
        pad = 0.5 if axis.scale == "log" else max(abs(low) * 0.1, 0.5)
        low, high = low - pad, high + pad
    pad = MARGIN * (high - low)
    low = given[0] if given[0] is not None else low - pad
    high = given[1] if given[1] is not None else high + pad
    if not high > low:
        high = low + 1.0
    return low, high


def log_ticks(low: float, high: float, most: int = 9) -> list[float]:
    """Tick values for a log axis spanning 10**low .. 10**high: every decade (every
    k-th when there are many), with 2 and 5 (or every digit) between when the
    span holds fewer than three decades, and nice linear steps when not even
    those give two ticks."""
    first, last = math.ceil(low - 1e-9), math.floor(high + 1e-9)
    decades = last - first + 1
    if decades >= 3:
        step = math.ceil(decades / most)
        return [10.0 ** k for k in range(first, last + 1) if k % step == 0]
    tried = [[m * 10.0 ** k for k in range(math.floor(low), math.ceil(high) + 1) for m in subs
              if low - 1e-9 <= math.log10(m) + k <= high + 1e-9]
             for subs in ((1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))]
    for ticks in tried:
        if 4 <= len(ticks) <= 12:
            return ticks
    if len(tried[0]) >= 2:
        return tried[0]
    return [v for v in linear_ticks(10.0 ** low, 10.0 ** high) if v > 0]


def linear_ticks(low: float, high: float, most: int = 8) -> list[float]:
    """Ticks at the finest step of 1, 2 or 5 times a power of ten that gives at most ``most``."""
    span = high - low
    if not span > 0:
        return [low]
    power = 10.0 ** math.floor(math.log10(span / most))
    step = next(m * power for m in (1, 2, 5, 10) if span / (m * power) <= most)
    first = math.ceil(low / step - 1e-9)
    return [_round(k * step, step) for k in range(first, math.floor(high / step + 1e-9) + 1)]


def _round(v: float, step: float) -> float:
    digits = max(0, -math.floor(math.log10(step)) + 2)
    return round(v, digits) + 0.0  # + 0.0: no "-0"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_label(v: float, plain: bool = False) -> str:
    """``10⁻⁵`` for a power of ten (1 and 10 as they are), ``5×10⁻⁵`` for a
    multiple of one far from 1, ``0.03`` or ``200`` otherwise; ``plain``
    writes powers of ten near 1 as decimals too (beside 0.02 and 0.05, 0.1 reads better than 10⁻¹)."""
    if not v > 0:
        return ""
    k = math.floor(math.log10(v) + 1e-9)
    mantissa = v / 10.0 ** k
    if abs(mantissa - 1) < 1e-6 and not (plain and abs(k) < 4):
        return "1" if k == 0 else "10" if k == 1 else "10" + str(k).translate(_SUPERSCRIPT)
    if abs(k) >= 4 and abs(mantissa - round(mantissa)) < 1e-6:
        return f"{round(mantissa)}×10" + str(k).translate(_SUPERSCRIPT)
    return f"{v:.3g}".replace("-", "−")


def linear_label(v: float) -> str:
    return f"{v:.6g}".replace("-", "−")


def _ticks(axis: Axis, scale: Scale) -> list[tuple[float, str]]:
    """``[(value, label)]`` on the axis, fixed or picked."""
    if axis.ticks is not None:
        labels = axis.tick_labels or [linear_label(v) for v in axis.ticks]
        return [(v, lab) for v, lab in zip(axis.ticks, labels) if scale.inside(v)]
    if scale.log:
        ticks = log_ticks(scale.low, scale.high)
        plain = any(abs(math.log10(v) - round(math.log10(v))) > 1e-9 for v in ticks)
        return [(v, log_label(v, plain)) for v in ticks]
    return [(v, linear_label(v)) for v in linear_ticks(scale.low, scale.high)]


# ---------------------------------------------------------------- text

#: advance widths of DejaVu Sans, in hundredths of an em, for " " .. "~": one of the
#: widest sans-serif fonts, so text measured with it fits in the narrower ones
_ASCII = (32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64, 64, 64,
          64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86, 75, 79, 60, 79,
          69, 63, 61, 73, 68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63, 62, 35, 63, 63, 28, 28,
          58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64, 34, 64, 84)
_OTHER = {**dict.fromkeys("⁰¹²³⁴⁵⁶⁷⁸⁹", 40), "⁻": 53, "′": 23, "″": 37, "‴": 52, "—": 100, "–": 50}


def text_width(text: str, size: float) -> float:
    """``text``'s width at font ``size``, from DejaVu Sans's widths (others: 0.84 em, a wide symbol's)."""
    hundredths = 0
    for c in text:
        code = ord(c)
        hundredths += _ASCII[code - 32] if 32 <= code < 127 else _OTHER.get(c, 84)
    return hundredths * size / 100


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` in as few lines no wider than ``width`` as its spaces allow, of about equal width.
    A line broken at a space keeps that space at its end, so the lines joined are ``text``
    again: the SVG's text content (what a reader copies or a screen reader says) is the label."""
    fewest = math.ceil(text_width(text, size) / width)
    if fewest <= 1:
        return [text]
    balanced = _greedy(text, min(width, text_width(text, size) / fewest + 2 * size), size)
    return balanced if len(balanced) <= fewest else _greedy(text, width, size)


def _greedy(text: str, width: float, size: float) -> list[str]:
    lines: list[str] = []
    for word in text.strip().split(" "):
        if lines and text_width(lines[-1] + " " + word, size) <= width:
            lines[-1] += " " + word
        else:
            if lines:
                lines[-1] += " "
            lines += _pieces(word, width, size)
    return lines or [""]


def _pieces(word: str, width: float, size: float) -> list[str]:
    """``word`` cut where it must be, so no piece is wider than ``width``."""
    pieces = [""]
    for c in word:
        if pieces[-1] and text_width(pieces[-1] + c, size) > width:
            pieces.append("")
        pieces[-1] += c
    return pieces


def _text(x: float, y: float, lines: list[str], size: float, anchor: str = "middle", extra: str = "") -> str:
    """A text element, one ``tspan`` per line below the first."""
    first, rest = escape(lines[0]), "".join(f'<tspan x="{x:.1f}" dy="{size * 1.15:.1f}">{escape(s)}</tspan>'
                                              for s in lines[1:])
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"{extra}>'
            f"{first}{rest}</text>")


# ---------------------------------------------------------------- marks

def _f(v: float) -> str:
    return f"{v:.1f}"


def marker_path(kind: str, x: float, y: float, size: float) -> str:
    """Path data of one marker of diameter ``size`` centred on (x, y)."""
    r = size / 2
    if kind in ("o", "."):
        r = r if kind == "o" else max(r * 0.6, 1.6)
        return f"M{_f(x - r)},{_f(y)}a{r:.2f},{r:.2f} 0 1 0 {2 * r:.2f},0a{r:.2f},{r:.2f} 0 1 0 {-2 * r:.2f},0Z"
    if kind == "s":
        h = r * 0.88
        return f"M{_f(x - h)},{_f(y - h)}h{2 * h:.2f}v{2 * h:.2f}h{-2 * h:.2f}Z"
    if kind == "D":
        d = r * 1.1
        return f"M{_f(x)},{_f(y - d)}l{d:.2f},{d:.2f}l{-d:.2f},{d:.2f}l{-d:.2f},{-d:.2f}Z"
    if kind in ("^", "v"):
        s = -1 if kind == "^" else 1
        return f"M{_f(x)},{_f(y + s * r * 1.1)}L{_f(x + r)},{_f(y - s * r * 0.75)}L{_f(x - r)},{_f(y - s * r * 0.75)}Z"
    return f"M{_f(x - r)},{_f(y - r)}L{_f(x + r)},{_f(y + r)}M{_f(x - r)},{_f(y + r)}L{_f(x + r)},{_f(y - r)}"


def _stroke(colour: str, style: str, width: float) -> str:
    dash = DASHES.get(style, "")
    return f'stroke="{escape(colour)}" stroke-width="{width:g}"' + (f' stroke-dasharray="{dash}"' if dash else "")


def _series(s: Series, sx: Scale, sy: Scale) -> str:
    points = [(sx(x), sy(y)) if sx.inside(x) and sy.inside(y) else None for x, y in zip(s.xs, s.ys)]
    out = []
    if s.style:
        path = "".join("M" + "L".join(f"{_f(x)},{_f(y)}" for x, y in run) for run in _runs(points) if len(run) > 1)
        if path:
            out.append(f'<path d="{path}" fill="none" {_stroke(s.colour, s.style, s.width)} '
                       f'stroke-linejoin="round"{_opacity(s.opacity)}/>')
    if s.marker:
        sizes = s.size if isinstance(s.size, list) else [s.size] * len(points)
        marks = "".join(marker_path(s.marker, *p, size) for p, size in zip(points, sizes) if p is not None)
        if marks:
            out.append(f'<path d="{marks}" {_marker_paint(s)}{_opacity(s.opacity)}/>')
    return "".join(out)


def _runs(points: list) -> list[list]:
    """The stretches of drawable points between the gaps (the Nones)."""
    runs: list[list] = [[]]
    for p in points:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    return runs


def _marker_paint(s: Series) -> str:
    colour = escape(s.colour)
    if s.marker == "x" or s.hollow:
        return f'fill="none" stroke="{colour}" stroke-width="{1.6 if s.hollow else 1.4}"'
    return f'fill="{colour}"'


def _opacity(opacity: float) -> str:
    return "" if opacity >= 1 else f' opacity="{opacity:g}"'


def _rule(r: Rule, sx: Scale, sy: Scale) -> str:
    scale = sx if r.axis == "x" else sy
    if not scale.inside(r.value):
        return ""
    at = scale(r.value)
    if r.axis == "x":
        x1 = x2 = at
        y1, y2 = sy.start, sy.end
    else:
        y1 = y2 = at
        x1, x2 = sx.start, sx.end
    return f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" {_stroke(r.colour, r.style, r.width)}/>'


def _band(b: Band, sx: Scale, sy: Scale) -> str:
    pts = [(sx(x), sy.clamp(h)) for x, h in zip(b.xs, b.highs) if sx.inside(x)]
    if len(pts) < 2:
        return ""
    top = "L".join(f"{_f(x)},{_f(y)}" for x, y in pts)
    return (f'<path d="M{_f(pts[0][0])},{_f(sy.start)}L{top}L{_f(pts[-1][0])},{_f(sy.start)}Z" '
            f'fill="{escape(b.colour)}" opacity="{b.opacity:g}"/>')


# ---------------------------------------------------------------- layout

@dataclass
class _Layout:
    left: float
    right: float
    top: float
    bottom: float
    height: float
    legend: list  # [(Series | Rule, lines)]


def _entry_height(lines: list[str]) -> float:
    return LEGEND_ROW + (len(lines) - 1) * LEGEND_FONT * 1.15


def _legend_entries(chart: Chart) -> list:
    return [(item, wrap(item.label, LEGEND_MAX - LEGEND_SAMPLE - 6, LEGEND_FONT))
            for item in chart.series + chart.rules if item.label]


def _layout(chart: Chart, x_ticks: list, y_ticks: list, y_label: list[str]) -> _Layout:
    legend = _legend_entries(chart)
    legend_width = max((LEGEND_SAMPLE + 6 + text_width(s, LEGEND_FONT) for _, ls in legend for s in ls), default=0)
    last_tick = text_width(x_ticks[-1][1].split("\n")[0], TICK_FONT) / 2 if x_ticks else 0
    right = WIDTH - (min(legend_width, LEGEND_MAX) + 32 if legend else max(14.0, last_tick + 4))
    widest = max((text_width(lab, TICK_FONT) for _, lab in y_ticks), default=0)
    left = 8 + 1.2 * LABEL_FONT * len(y_label) + widest + 10
    tick_lines = max((lab.count("\n") + 1 for _, lab in x_ticks), default=1)
    bottom = TOP + PLOT_HEIGHT
    legend_height = sum(_entry_height(ls) for _, ls in legend) + LEGEND_ROW * 0.5
    height = max(bottom + 14 + tick_lines * TICK_FONT * 1.15 + LABEL_FONT * 1.6, TOP + legend_height)
    return _Layout(left, right, TOP, bottom, math.ceil(height), legend)


def _write(chart: Chart, description: str) -> str:
    y_label = wrap(chart.y.label, PLOT_HEIGHT, LABEL_FONT)
    # the ticks depend on the spans only, the margins on the ticks' labels
    sx, sy = Scale(chart.x, _values(chart, "x")), Scale(chart.y, _values(chart, "y"))
    x_ticks, y_ticks = _ticks(chart.x, sx), _ticks(chart.y, sy)
    lay = _layout(chart, x_ticks, y_ticks, y_label)
    sx.place(lay.left, lay.right)
    sy.place(lay.bottom, lay.top)
    parts = [_grid(x_ticks, y_ticks, sx, sy),
             "".join(_band(b, sx, sy) for b in chart.bands),
             "".join(_rule(r, sx, sy) for r in chart.rules),
             "".join(_series(s, sx, sy) for s in chart.series),
             _x_axis(chart.x, x_ticks, sx, sy), _y_axis(y_label, y_ticks, sx, sy),
             _legend(lay)]
    return (f'<svg class="plot" role="img" aria-label="{escape(description)}" viewBox="0 0 {WIDTH} {lay.height}" '
            f'xmlns="http://www.w3.org/2000/svg" fill="{INK}">{"".join(parts)}</svg>')


def _values(chart: Chart, axis: str) -> list:
    """Every value the axis must show: the series' drawable points, the rules across it, the bands' tops."""
    other = chart.y if axis == "x" else chart.x
    values = []
    for s in chart.series:
        pairs = zip(s.xs, s.ys) if axis == "x" else zip(s.ys, s.xs)
        values += [v for v, w in pairs if drawable(w, other.scale)]
    values += [r.value for r in chart.rules if r.axis == axis]
    for b in chart.bands:
        values += b.xs if axis == "x" else [h for h in b.highs if h is not None]
    return values


def _grid(x_ticks: list, y_ticks: list, sx: Scale, sy: Scale) -> str:
    lines = [f"M{_f(sx(v))},{_f(sy.end)}V{_f(sy.start)}" for v, _ in x_ticks]
    lines += [f"M{_f(sx.start)},{_f(sy(v))}H{_f(sx.end)}" for v, _ in y_ticks]
    return f'<path class="grid" d="{"".join(lines)}" stroke="{GRID}" stroke-width="1" fill="none"/>' if lines else ""


def _x_axis(axis: Axis, ticks: list, sx: Scale, sy: Scale) -> str:
    y0 = sy.start
    marks = "".join(f"M{_f(sx(v))},{_f(y0)}v4" for v, _ in ticks)
    labels, edge = [], -math.inf
    for v, lab in ticks:  # a label that would overlap the one before is left out (its tick stays)
        lines, x = lab.split("\n"), sx(v)
        half = max(text_width(s, TICK_FONT) for s in lines) / 2
        if x - half >= edge + 3:
            labels.append(_text(x, y0 + 6 + TICK_FONT, lines, TICK_FONT))
            edge = x + half
    rows = max((lab.count("\n") + 1 for _, lab in ticks), default=1)
    title = _text((sx.start + sx.end) / 2, y0 + 12 + rows * TICK_FONT * 1.15 + LABEL_FONT, [axis.label], LABEL_FONT)
    return (f'<g class="x-axis"><path d="M{_f(sx.start)},{_f(y0)}H{_f(sx.end)}{marks}" stroke="{AXIS}" fill="none"/>'
            f"{''.join(labels)}{title}</g>")


def _y_axis(label: list[str], ticks: list, sx: Scale, sy: Scale) -> str:
    x0 = sx.start
    marks = "".join(f"M{_f(x0)},{_f(sy(v))}h-4" for v, _ in ticks)
    labels = "".join(_text(x0 - 7, sy(v) + TICK_FONT * 0.35, [lab], TICK_FONT, "end") for v, lab in ticks)
    middle = (sy.start + sy.end) / 2
    title = _text(0, 0, label, LABEL_FONT,
                  extra=f' transform="translate({8 + LABEL_FONT:.1f},{middle:.1f}) rotate(-90)"')
    return (f'<g class="y-axis"><path d="M{_f(x0)},{_f(sy.start)}V{_f(sy.end)}{marks}" stroke="{AXIS}" fill="none"/>'
            f"{labels}{title}</g>")


def _legend(lay: _Layout) -> str:
    if not lay.legend:
        return ""
    x, y, rows = lay.right + 18, lay.top + LEGEND_ROW * 0.6, []
    for item, lines in lay.legend:
        rows.append(_legend_sample(item, x, y) +
                    _text(x + LEGEND_SAMPLE + 6, y + LEGEND_FONT * 0.35, lines, LEGEND_FONT, "start"))
        y += _entry_height(lines)
    return f'<g class="legend">{"".join(rows)}</g>'


def _legend_sample(item, x: float, y: float) -> str:
    """The line (and marker) an entry stands for, drawn short."""
    out = ""
    if item.style:
        stroke = _stroke(item.colour, item.style, item.width)
        out += f'<path d="M{_f(x)},{_f(y)}h{LEGEND_SAMPLE:g}" fill="none" {stroke}/>'
    marker = getattr(item, "marker", None)
    if marker:
        size = item.size if not isinstance(item.size, list) else 7.0
        out += f'<path d="{marker_path(marker, x + LEGEND_SAMPLE / 2, y, size)}" {_marker_paint(item)}/>'
    return out
