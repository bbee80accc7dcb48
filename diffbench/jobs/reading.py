"""A job file's bytes into plain data, or one line saying what is wrong.

Shared by ``diffbench submit`` (a file) and the HTTP API (a request body):
UTF-8 text, TOML or JSON read as data, at most ``MAX_NESTING`` levels deep
(a job file needs four; Python's parsers recurse once per level, so a file
nested thousands deep would otherwise end in ``RecursionError``), and a
``version`` that is the integer 1, not ``true`` or ``1.0`` (which Python
compares equal to 1).
"""
from __future__ import annotations

import json
import tomllib

from ..errors import UserError

MAX_NESTING = 32


def decode(body: bytes, source: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{source}: not UTF-8 text (byte 0x{body[err.start]:02x} at offset {err.start}); "
                        "expected a job file saved as UTF-8") from None


def load_data(text: str, source: str, as_json: bool = False) -> dict:
    """The document in ``text`` (TOML, or JSON if ``as_json``) as a dict."""
    kind = "JSON" if as_json else "TOML"
    _check_brackets(text, source, kind)
    try:
        data = json.loads(text) if as_json else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise UserError(f"{source}: not valid {kind}: {_first_line(err)}") from None
    except RecursionError:
        raise UserError(f"{source}: nested too deeply to read; expected at most {MAX_NESTING} levels") from None
    if not isinstance(data, dict):
        raise UserError(f"{source}: expected a table (JSON object) at the top level")
    _check_depth(data, source)
    return data


def check_version(data: dict, source: str, expected: int) -> None:
    if "version" not in data:
        return
    version = data["version"]
    if type(version) is not int or version != expected:
        raise UserError(f"{source}: version: expected {expected} (an integer), got {_short(version)} "
                        f"(this diffbench reads job files of version {expected})")


def _check_brackets(text: str, source: str, kind: str) -> None:
    """Refuse deep nesting before a recursive parser sees it.  Brackets
    inside strings count too: an over-estimate only for absurd strings."""
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > MAX_NESTING + 2:  # [[functions]] headers are two brackets, not two levels
                raise UserError(f"{source}: nested more than {MAX_NESTING} levels deep; "
                                f"expected a job file ({kind}) a few levels deep")
        elif char in "]}":
            depth = max(0, depth - 1)


def _check_depth(data, source: str) -> None:
    """Walk the data without recursion; dotted TOML keys can nest without brackets."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise UserError(f"{source}: nested more than {MAX_NESTING} levels deep; expected a job file a few levels deep")
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
