"""Flat tables of results: CSV always, Parquet when pyarrow is installed.

Scalars stay columns; dicts and lists (sizes, times, stats, env) become
JSON text, so no information is lost and every row has the same columns.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from ..errors import UserError
from .records import KEYS


def rows(results: list[dict]) -> list[dict]:
    return [{k: _cell(r.get(k)) for k in KEYS} for r in results]


def _cell(value):
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def write(results: list[dict], fmt: str, path: str) -> Path:
    path = Path(path)
    if fmt == "parquet":
        return _parquet(rows(results), path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(KEYS))
        writer.writeheader()
        writer.writerows(rows(results))
    return path


def _parquet(table: list[dict], path: Path) -> Path:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UserError("--format parquet needs pyarrow, which is not installed "
                        "(pip install pyarrow), or use --format csv") from None
    pq.write_table(pa.Table.from_pylist(table), path)
    return path
