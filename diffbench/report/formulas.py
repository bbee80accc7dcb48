"""A function's formulas for the page: the expression, its gradient and
Hessian as presentation MathML (rendered natively by browsers), and the
generated NumPy code.

The MathML comes from the symbolic engine, but the names in it come from
user text, so it is parsed and re-serialised through an allow-list of
MathML elements and attributes: whatever the engine prints, nothing but
math can reach the page.  Any failure (no engine yet, no rule for an op,
a printing bug) becomes ``unavailable`` -- the report never fails on it.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape

#: formulas with more MathML elements than this are folded in <details>
FOLD_ABOVE = 120

_ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mfrac msqrt mroot "
    "mtable mtr mtd mstyle mpadded mphantom menclose semantics annotation".split())
_ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence separator lspace rspace form accent accentunder movablelimits "
    "columnalign rowalign displaystyle scriptlevel linethickness largeop symmetric notation".split())


def formulas(fn: dict) -> dict:
    """``{"rows": [...], "source", "stats", "unavailable"}`` for a model function.

    Each row is ``{"mathml", "size", "fold", "label"}``; the first is the
    expression itself.  On any failure ``rows`` is empty and
    ``unavailable`` says why.
    """
    try:
        derivation = _derive(fn)
        rows = split_rows(derivation.mathml())
        source = _safe(lambda: derivation.source, "")
        return {"rows": rows, "source": source, "stats": dict(derivation.stats or {}), "unavailable": None}
    except Exception as err:  # noqa: BLE001 -- any reason is shown, never raised
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return {"rows": [], "source": "", "stats": {}, "unavailable": reason}


def _derive(fn: dict):
    import diffbench

    wrt = fn["wrt"] or None
    if fn.get("python"):  # a traced Python function: the run already imported it
        from ..tracing.loader import load

        return diffbench.derive(load(fn["python"], fn["shapes"]), wrt, order=2)
    if fn.get("shapes"):
        return diffbench.derive(fn["expr"], wrt, shapes=fn["shapes"], order=2)
    if fn.get("catalogue"):  # a catalogue entry declares its own shapes
        return diffbench.derive(diffbench.get_entry(fn["catalogue"]).function, wrt, order=2)
    return diffbench.derive(fn["expr"], wrt, order=2)


def _safe(get, default):
    try:
        return get()
    except Exception:  # noqa: BLE001 -- the code view is optional
        return default


def split_rows(mathml: str) -> list[dict]:
    """One block of math per ``<mtr>`` of the engine's aligned table, so
    each long formula can be folded on its own."""
    root = ET.fromstring(mathml)
    rows = [el for el in root.iter() if _local(el.tag) == "mtr"] or [root]
    out = []
    for row in rows:
        cells = [c for c in row if _local(c.tag) == "mtd"]
        body = "".join(clean(c, inner=True) for c in cells) if cells else clean(row, inner=True)
        size = sum(1 for _ in row.iter())
        label = clean(cells[0], inner=True) if cells else ""
        out.append({"mathml": _block(body), "label": _inline(label), "size": size, "fold": size > FOLD_ABOVE})
    return out


def _block(body: str) -> str:
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mrow>{body}</mrow></math>'


def _inline(body: str) -> str:
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow>{body}</mrow></math>'


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def clean(el: ET.Element, inner: bool = False) -> str:
    """``el`` re-serialised with only allowed MathML; text always escaped.

    A disallowed element keeps its (escaped) text but loses its tag; with
    ``inner`` only the children of ``el`` are written.
    """
    parts = [escape(el.text or "", quote=False)]
    for child in el:
        parts.append(clean(child))
        parts.append(escape(child.tail or "", quote=False))
    inside = "".join(parts)
    tag = _local(el.tag)
    if inner or tag not in _ELEMENTS or tag == "math":
        return inside
    attrs = "".join(f' {k}="{escape(v)}"' for k, v in sorted(el.attrib.items()) if k in _ATTRIBUTES)
    return f"<{tag}{attrs}>{inside}</{tag}>"
