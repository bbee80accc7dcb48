"""Pieces shared by CLI commands: option parsing helpers and error classes."""
from __future__ import annotations

import json
import math

import click

from ..errors import UserError


def user_facing_errors() -> tuple[type[BaseException], ...]:
    """Exception types whose message is meant for the user as it is."""
    from ..function import InputError
    from ..errors import Unsupported
    from ..tracing.tracer import TraceError

    errors: list[type[BaseException]] = [UserError, InputError, Unsupported, TraceError]
    try:
        from ..lang.errors import ExpressionError

        errors.append(ExpressionError)
    except ImportError:
        pass
    return tuple(errors)


class Finite(click.ParamType):
    """A finite number above ``low`` (or from it, ``strict=False``): click's
    FloatRange lets NaN through every comparison, and inf past any bound."""

    name = "number"

    def __init__(self, low: float = 0.0, strict: bool = True, what: str = "a number of seconds"):
        self.low, self.strict, self.what = low, strict, what

    def convert(self, value, param, ctx):
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r}: expected {self.what}", param, ctx)
        below = number <= self.low if self.strict else number < self.low
        if not math.isfinite(number) or below:
            bound = "above" if self.strict else "at least"
            self.fail(f"{value!r}: expected {self.what} {bound} {self.low:g}", param, ctx)
        return number


SECONDS = Finite()


def parse_assignments(items: tuple[str, ...], flag: str) -> dict[str, str]:
    """``("x=n", "A=n,n")`` -> ``{"x": "n", "A": "n,n"}``; names the bad one."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"{flag} {item!r}: expected NAME=VALUE")
        out[name.strip()] = value.strip()
    return out


def parse_sizes(items: tuple[str, ...]) -> dict[str, int]:
    """``("n=100",)`` -> ``{"n": 100}``; a size that is not a positive integer is one error line."""
    import re

    out = {}
    for dim, text in parse_assignments(items, "--size").items():
        # ASCII digits only: str.isdigit() also accepts '³', which int() refuses
        if not re.fullmatch(r"[0-9]{1,19}", text) or int(text) < 1:
            raise UserError(f"--size {dim}={text}: expected a positive integer")
        out[dim] = int(text)
    return out


def echo_json(data) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def log_to_stderr() -> None:
    """The service's log (runs started and finished, schedules fired,
    regressions found) on stderr, where a terminal or the journal shows it."""
    import logging

    logger = logging.getLogger("diffbench.service")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def wrt_names(options) -> list[str]:
    """--wrt x,y --wrt A -> [x, y, A]; a name given twice counts once."""
    return list(dict.fromkeys(w.strip() for item in options for w in item.split(",") if w.strip()))
