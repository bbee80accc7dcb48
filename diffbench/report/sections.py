"""Sections a run's page gets when it has something to say: history and
regressions of a scheduled job, throughput against workers of a scaling
sweep.  Each returns ready HTML ('' when it has nothing to say); a section
that fails is left out with a note, never failing the report."""
from __future__ import annotations

from .history import history_html
from .memory import memory_html
from .scaling import workers_html
from .studies import derivatives_html, optimisation_html

#: called as ``section(store, run_id) -> str``, in page order
SECTIONS = (history_html, workers_html, memory_html, derivatives_html, optimisation_html)


def contributed(store, run_id: str) -> list[dict]:
    """``[{"html"} | {"note"}]`` for each section with content."""
    out = []
    for section in SECTIONS:
        try:
            html = section(store, run_id)
        except Exception as err:  # noqa: BLE001 -- one section's bug must not cost the report
            name = f"{section.__module__}.{section.__name__}"
            out.append({"html": "", "note": f"{name} failed: {type(err).__name__}: {err}"})
            continue
        if html:
            out.append({"html": html, "note": ""})
    return out
