"""Re-running after an upgrade: a scheduled job whose last run was made
with other versions of diffbench, NumPy, SciPy, SymPy or Python than this
process has is due at once (once: the new run carries the new versions).
That puts the first timings on the new versions next to the last ones on
the old, where a step in the history is easy to pin on the upgrade."""
from __future__ import annotations

WATCHED = ("diffbench", "numpy", "scipy", "sympy", "python")


def upgrades(store, job_name: str, current: dict) -> list[str]:
    """``["numpy 2.3.1 -> 2.4.0", ...]`` since the job's last run; [] if none
    (or if it never ran: a first run waits for its tick)."""
    before = store.last_versions(job_name)
    if not before:
        return []
    return [f"{k} {before.get(k)} -> {current.get(k)}" for k in WATCHED
            if k in before and k in current and before[k] != current[k]]
