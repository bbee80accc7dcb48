"""Sections other packages contribute to a run's page, when installed:
history and regressions of a scheduled job, throughput against workers of
a scaling sweep.  Each returns ready HTML ('' when it has nothing to say);
a section that fails is left out with a note, never failing the report."""
from __future__ import annotations

import importlib

#: (module, function) pairs called as ``function(store, run_id) -> str``
CONTRIBUTED = (("diffbench.history.sections", "history_html"),
               ("diffbench.scaling.sections", "workers_html"),
               ("diffbench.report.memory", "memory_html"),
               ("diffbench.report.studies", "derivatives_html"),
               ("diffbench.report.studies", "optimisation_html"))


def contributed(store, run_id: str) -> list[dict]:
    """``[{"html"} | {"note"}]`` for each contributing section with content."""
    out = []
    for module_name, name in CONTRIBUTED:
        try:
            section = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            continue
        try:
            html = section(store, run_id)
        except Exception as err:  # noqa: BLE001 -- another package's bug must not cost the report
            out.append({"html": "", "note": f"{module_name}.{name} failed: {type(err).__name__}: {err}"})
            continue
        if html:
            out.append({"html": html, "note": ""})
    return out
