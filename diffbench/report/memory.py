"""The report's memory section: what the tape keeps for the reverse sweep.

Every tape result stores its counted tape bytes (``stats.tape``, see
docs/tape.md) beside the call's peak memory (``peak_bytes``).  This section
draws them against size, and, for ``iterate`` recurrences, against the depth
T and against the time each checkpointing schedule pays for its memory.
"""
from __future__ import annotations

from html import escape

from .plots import MARK, SMALL, THIN, log_axes, new_chart, run_colours

PLAIN = "tape"


def tape_results(results: list[dict]) -> list[dict]:
    return [r for r in results if r.get("status") == "ok" and ((r.get("stats") or {}).get("tape") or {})
            .get("tape_bytes")]


def run_results(store, run_id: str, key: str) -> list[dict]:
    """The run's finished results whose stats carry ``key``, with the report's defaults."""
    from .model import _result

    return [_result(r, i) for i, r in enumerate(store.results(run_id))
            if r.get("status") == "ok" and (r.get("stats") or {}).get(key)]


def memory_html(store, run_id: str) -> str:
    """'' when no result of the run carries tape bytes."""
    from .model import leading_dim

    rows = tape_results(run_results(store, run_id, "tape"))
    if not rows:
        return ""
    colours = run_colours(store, run_id)
    loops = [r for r in rows if r["stats"]["tape"].get("loop_steps")]
    figures = []
    if loops:
        figures += [_depth_plot(loops, colours), _tradeoff_plot(loops, colours)]
    flat = [r for r in rows if not r["stats"]["tape"].get("loop_steps")]
    if flat:
        figures.append(_size_plot(flat, leading_dim(flat), colours))
    body = "".join(f"<figure class='plot-memory'>{svg}<figcaption>{escape(caption)}</figcaption></figure>"
                   for svg, caption in figures if svg)
    table = _checkpoint_table(loops) if loops else ""
    if not body and not table:  # one size per function: nothing to draw against
        return ""
    return ("<section id='memory'><h2>Memory of reverse mode</h2><p>Tape bytes are counted: every array the "
            "forward pass keeps for the reverse sweep (inputs included). Peak memory is the call's, measured "
            "in its process. The seeds: reverse mode &ldquo;must store all intermediates&rdquo;; checkpointing "
            "trades memory for recomputation.</p>"
            f"<div class='plots'>{body}</div>{table}</section>")


def _series(rows: list[dict], x_of, y_of, key_of) -> dict:
    lines: dict = {}
    for r in rows:
        x, y = x_of(r), y_of(r)
        if x and y:
            lines.setdefault(key_of(r), []).append((x, y))
    return {k: sorted(v) for k, v in sorted(lines.items())}


def _width(r: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in r["sizes"].items())


def _depth_plot(rows: list[dict], colours: dict) -> tuple[str | None, str]:
    lines = _series(rows, lambda r: r["stats"]["tape"]["loop_steps"], lambda r: r["stats"]["tape"]["tape_bytes"],
                    lambda r: (r["engine"], _width(r), r["quantity"]))
    chart = new_chart("depth T (loop steps, log scale)", "tape bytes")
    for (engine, width, quantity), points in lines.items():
        xs, ys = zip(*points)
        chart.line(xs, ys, style="-" if engine == PLAIN else "--", marker="o", size=MARK,
                   colour=colours.get(engine, "#000"), label=f"{engine} {width} {quantity}")
    log_axes(chart, [x for ps in lines.values() for x, _ in ps])
    return chart.svg("tape bytes against depth"), \
        "Tape bytes against the depth T: linear for the plain tape, like √T with √T segments."


def _against_plain(rows: list[dict]) -> list[dict]:
    """Each checkpointed result beside the plain tape's at the same function and sizes."""
    plain = {(r["function"], r["size_label"], r["quantity"]): r for r in rows if r["engine"] == PLAIN}
    out = []
    for r in rows:
        base = plain.get((r["function"], r["size_label"], r["quantity"]))
        if base is None or not base.get("median") or not r.get("median"):
            continue
        out.append({"result": r, "T": r["stats"]["tape"]["loop_steps"],
                    "bytes": r["stats"]["tape"]["tape_bytes"] / base["stats"]["tape"]["tape_bytes"],
                    "time": r["median"] / base["median"]})
    return out


def _tradeoff_plot(rows: list[dict], colours: dict) -> tuple[str | None, str]:
    points = [p for p in _against_plain(rows) if p["result"]["engine"] != PLAIN]
    if not points:
        return None, ""
    chart = new_chart("time of a gradient / plain tape's", "tape bytes / plain tape's (log scale)", y="log")
    by_engine: dict = {}
    for p in points:
        by_engine.setdefault(p["result"]["engine"], []).append(p)
    for engine, ps in sorted(by_engine.items()):
        # the dot's size grows with the digits of T
        chart.line([p["time"] for p in ps], [p["bytes"] for p in ps], style="", marker="o", opacity=0.8,
                   size=[4.5 + 2.2 * len(str(p["T"])) for p in ps], colour=colours.get(engine, "#000"), label=engine)
    chart.rule("x", 1.0, colour="grey", style="-", width=THIN)
    return chart.svg("memory against recompute time"), \
        "Each schedule's memory against its time, relative to the plain tape (larger dots: larger T)."


def _size_plot(rows: list[dict], dim: str | None, colours: dict) -> tuple[str | None, str]:
    if dim is None:
        return None, ""
    lines = _series(rows, lambda r: r["sizes"].get(dim), lambda r: r["stats"]["tape"]["tape_bytes"],
                    lambda r: (r["function"], r["engine"], r["quantity"]))
    peaks = _series(rows, lambda r: r["sizes"].get(dim), lambda r: r.get("peak_bytes"),
                    lambda r: (r["function"], r["engine"], r["quantity"]))
    if not any(len(ps) > 1 for ps in lines.values()):
        return None, ""
    chart = new_chart(f"size {dim} (log scale)", "bytes")
    for (function, engine, quantity), ps in lines.items():
        xs, ys = zip(*ps)
        chart.line(xs, ys, marker="o", size=SMALL, colour=colours.get(engine, "#000"),
                   label=f"{function} {quantity}: tape")
        if peaks.get((function, engine, quantity)):
            px, py = zip(*peaks[(function, engine, quantity)])
            chart.line(px, py, style=":", colour=colours.get(engine, "#000"), label=f"{function} {quantity}: peak")
    log_axes(chart, [x for ps in lines.values() for x, _ in ps])
    return chart.svg("tape bytes and peak memory against size"), \
        "Tape bytes (solid) and the call's peak memory (dotted) against size."


def _checkpoint_table(rows: list[dict]) -> str:
    compared = sorted(_against_plain(rows), key=lambda p: (p["result"]["size_label"], p["T"], p["result"]["engine"]))
    if not compared:
        return ""
    body = "".join(
        f"<tr><td>{escape(p['result']['function'])}</td><td>{escape(p['result']['size_label'])}</td>"
        f"<td class='num'>{p['T']}</td><td>{escape(p['result']['engine'])}</td>"
        f"<td class='num'>{p['result']['stats']['tape']['tape_bytes']:,}</td>"
        f"<td class='num'>{100 * p['bytes']:.2f}%</td><td class='num'>{p['time']:.2f}×</td></tr>"
        for p in compared)
    return ("<div class='table-wrap'><table id='checkpoint-table'><thead><tr><th>function</th><th>sizes</th>"
            "<th class='num'>T</th><th>engine</th><th class='num'>tape bytes</th><th class='num'>of plain</th>"
            f"<th class='num'>time × plain</th></tr></thead><tbody>{body}</tbody></table></div>")
