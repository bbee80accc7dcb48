"""The job file: a versioned TOML document, read as data and validated
before anything runs.

Validation has two layers.  The pydantic models below check the *form*
(types, unknown keys, units); :mod:`diffbench.jobs.checks` then checks the
*meaning* (catalogue names, expressions, engines, dims), and its
``load_job`` reads a file through both.  Either way the
error is one line naming the file, the field path and what was expected.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import UserError
from .reading import check_version, load_data
from .scaling_spec import ScalingSpec
from .units import parse_bytes, parse_duration

VERSION = 1
QUANTITIES = ("value", "gradient", "hessian", "jacobian", "hvp", "trace", "derivatives", "descent", "newton")
# derivatives, descent, newton: studies (diffbench.studies), see docs/experiments-2.md
Quantity = Literal["value", "gradient", "hessian", "jacobian", "hvp", "trace", "derivatives", "descent", "newton"]
MAX_SECONDS = 7 * 24 * 3600
MIN_MEMORY, MAX_MEMORY = 2**20, 2**50


def _duration(v):
    """A time limit: positive, finite and at most a week (a longer wait is a typo)."""
    seconds = parse_duration(v)
    if not (0 < seconds <= MAX_SECONDS):
        raise ValueError(f"expected a duration above 0 and at most a week, such as '120s', got {v!r}")
    return v


def _sample_duration(v):
    """How long a timed sample lasts: 0 (one call per sample) up to an hour."""
    seconds = parse_duration(v)
    if not (0 <= seconds <= 3600):
        raise ValueError(f"expected a duration from 0 to 1h, such as '10ms', got {v!r}")
    return v


def _memory(v):
    """A memory budget a machine can have: 1 MiB to 1 PiB."""
    size = parse_bytes(v)
    if not (MIN_MEMORY <= size <= MAX_MEMORY):
        raise ValueError(f"expected a memory size from 1MiB to 1PiB, such as '4GiB', got {v!r}")
    return v


def _distinct(v: list) -> list:
    """A list that names each entry once: a repeat would plan the same cell twice."""
    seen: set = set()  # a set: a list of 200,000 sizes was checked pairwise, for minutes
    others: list = []  # the entries TOML gives that cannot be hashed (tables, arrays)
    for x in v:
        try:
            repeated = (type(x), x) in seen
            seen.add((type(x), x))
        except TypeError:
            repeated = x in others
            others.append(x)
        if repeated:
            raise ValueError(f"{x!r} is listed twice; expected each entry once")
    return v


def _size(v):
    """A dim's sizes: a list of distinct positive ints, one int, or a formula such as "2*n"."""
    ok_int = lambda x: isinstance(x, int) and not isinstance(x, bool) and x > 0  # noqa: E731
    if ok_int(v) or (isinstance(v, str) and v.strip()):
        return v
    if isinstance(v, list) and v and all(ok_int(x) for x in v):
        return _distinct(v)
    raise ValueError(f"expected a non-empty list of positive integers, an integer, "
                     f"or a formula such as '2*n', got {v!r}")


def _schedule(v):
    from .cron import check_schedule  # croniter is needed only by scheduled jobs

    return check_schedule(v)


Duration = Annotated[str | int | float, AfterValidator(_duration)]
SampleDuration = Annotated[str | int | float, AfterValidator(_sample_duration)]
Memory = Annotated[str | int, AfterValidator(_memory)]
SizeValue = Annotated[Any, AfterValidator(_size)]
Names = Annotated[list[str], AfterValidator(_distinct)]
Quantities = Annotated[list[Quantity], AfterValidator(_distinct)]


class FunctionSpec(BaseModel):
    """One function: a catalogue entry, an expression with its shapes, or a
    Python function (``python = "mypackage.losses:loss"``) with its shapes."""

    model_config = ConfigDict(extra="forbid", strict=True)

    catalogue: str | None = None
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9_.\-]+$")
    expr: str | None = None
    python: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*$")
    wrt: str | list[str] | None = None
    shapes: dict[str, str] | None = None
    domain: dict[str, str] = {}
    sizes: dict[str, SizeValue] | None = None
    # several listed dims: tied element by element (default) or every combination
    grid: bool = False
    engines: Names | None = None
    quantities: Quantities | None = None

    @model_validator(mode="after")
    def _one_source(self):
        given = [k for k in ("catalogue", "expr", "python") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'catalogue' (a catalogue name), 'expr' (an "
                             "expression) or 'python' (module:function)")
        if self.python is not None and self.shapes is None:
            raise ValueError("a 'python' function needs 'shapes' (one per parameter)")
        if self.catalogue is not None and (self.shapes is not None or self.domain):
            raise ValueError("'shapes' and 'domain' belong to 'expr' functions; "
                             "a catalogue entry declares its own")
        if self.expr is not None and self.name is None:
            raise ValueError("an 'expr' function needs a 'name'")
        return self

    @property
    def label(self) -> str:
        if self.name or self.python is None:  # catalogue = "" is an unknown entry, reported as such
            return self.name or self.catalogue or ""
        return self.python.rsplit(":", 1)[1]

    @property
    def wrt_list(self) -> list[str] | None:
        return [self.wrt] if isinstance(self.wrt, str) else self.wrt


class HutchinsonSpec(BaseModel):
    """How a ``trace`` quantity is estimated: besides the exact trace, one
    Hutchinson estimate per probe count and distribution (``jobs/hutchinson.toml``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    probes: list[Annotated[int, Field(ge=1, le=100_000)]] = Field(min_length=1)
    distributions: list[Literal["rademacher", "gaussian"]] = ["rademacher"]


class JobSpec(BaseModel):
    """A whole job: functions x engines x quantities x sizes, and how to measure."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: Literal[1]
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    engines: Names = Field(min_length=1)
    quantities: Quantities = Field(min_length=1)
    repeat: int = Field(7, ge=1, le=1000)
    timeout: Duration = "120s"
    memory: Memory = "4GiB"
    seed: int = Field(0, ge=0)
    # each timed sample runs enough inner loops to last at least this long
    sample_time: SampleDuration = "10ms"
    # engines tried in order as the accuracy reference; [] switches it off
    reference: Names = ["fd", "tape", "symbolic"]
    # fd refuses ("too large") a quantity needing more function evaluations than this
    fd_max_evaluations: int | None = Field(None, ge=1)
    # once an engine times out or runs out of memory on a function, its sizes at least as large
    # in every dim (same engine and quantity) are not run but stored as skipped, smallest sent first
    skip_larger_after_give_out: bool = False
    functions: list[FunctionSpec] = Field(min_length=1)
    # read by other parts, see docs/service.md: when `diffbench serve` runs the
    # job (a cron expression, UTC) and a sweep over worker counts
    schedule: Annotated[str, AfterValidator(_schedule)] | None = None
    scaling: ScalingSpec | None = None
    # the trace quantity's Hutchinson estimates (without it: the exact trace only)
    hutchinson: HutchinsonSpec | None = None

    @property
    def timeout_seconds(self) -> float:
        return parse_duration(self.timeout)

    @property
    def memory_bytes(self) -> int:
        return parse_bytes(self.memory)

    @property
    def sample_seconds(self) -> float:
        return parse_duration(self.sample_time)


# ---------------------------------------------------------------- reading

def parse_job(text: str, source: str) -> JobSpec:
    """Form-check ``text`` (TOML) into a :class:`JobSpec`; errors name ``source``."""
    data = load_data(text, source)
    check_version(data, source, VERSION)
    try:
        return JobSpec.model_validate(data)
    except ValidationError as err:
        raise UserError(format_errors(source, err.errors())) from None


def field_path(loc: tuple) -> str:
    """``("functions", 1, "sizes", "n")`` -> ``functions[1].sizes.n``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _allowed_keys(loc: tuple) -> list[str]:
    model = {"functions": FunctionSpec, "scaling": ScalingSpec, "hutchinson": HutchinsonSpec}.get(loc[0] if len(loc) > 1 else None, JobSpec)
    return list(model.model_fields)


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict"}


def _clean(loc: tuple) -> tuple:
    """Drop pydantic's union-member tags (``str``, ``list[str]``...) from a path."""
    return tuple(p for p in loc if not (isinstance(p, str) and (p in _TYPE_TAGS or "[" in p)))


def _one(source: str, loc: tuple, errors: list[dict]) -> str:
    kind, got = errors[0]["type"], errors[0].get("input")
    if kind == "extra_forbidden":
        where = field_path(loc[:-1]) if loc[:-1] else "top level"
        return (f"{source}: {field_path(loc)}: unknown key in {where} "
                f"(expected one of: {', '.join(_allowed_keys(loc))})")
    if kind == "missing":
        return f"{source}: {field_path(loc)}: required field is missing"
    msgs = list(dict.fromkeys(e["msg"].removeprefix("Value error, ") for e in errors))
    if len(msgs) > 1:  # a union: say every accepted form
        msgs = ["expected " + " or ".join(m.removeprefix("Input should be ") for m in msgs)]
    tail = "" if kind == "value_error" or isinstance(got, dict) else f" (got {got!r})"
    return f"{source}: {field_path(loc)}: {msgs[0]}{tail}"


def format_errors(source: str, errors: list[dict]) -> str:
    """The first problem as one line; the count of any others on the same line."""
    by_field: dict[tuple, list[dict]] = {}
    for error in errors:
        by_field.setdefault(_clean(error["loc"]), []).append(error)
    loc, first = next(iter(by_field.items()))
    more = len(by_field) - 1
    return _one(source, loc, first) + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")
