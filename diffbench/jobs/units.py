"""Durations ("120s", "2m") and memory sizes ("4GiB") as written in job files,
and a time as a reader wants to see it (``3.2 µs``)."""
from __future__ import annotations

import math
import re

_NUMBER = r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*"
_SECONDS = {"": 1.0, "ms": 1e-3, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_BYTES = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "tb": 10**12}


def parse_duration(text: str | int | float) -> float:
    """Seconds in ``text``: a number (seconds) or a number with ms, s, m, min or h."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    match = re.fullmatch(_NUMBER, str(text))
    if not match or match.group(2) not in _SECONDS:
        raise ValueError(f"expected a duration such as '120s', '500ms' or '2m', got {text!r}")
    return float(match.group(1)) * _SECONDS[match.group(2)]


def parse_bytes(text: str | int) -> int:
    """Bytes in ``text``: a number (bytes) or a number with KiB, MiB, GiB, KB, MB, GB ..."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    match = re.fullmatch(_NUMBER, str(text))
    unit = match.group(2).lower() if match else None
    if unit not in _BYTES:
        raise ValueError(f"expected a memory size such as '4GiB' or '512MiB', got {text!r}")
    return int(float(match.group(1)) * _BYTES[unit])


def seconds(v) -> str:
    """``3.2 µs``, ``12.0 ms``, ``1.31 s``; blank when there is no time."""
    if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if abs(v) >= scale or unit == "ns":
            return f"{v / scale:.3g} {unit}"
    return ""
