"""A job file that arrives over HTTP: bytes in, a validated job or every
problem with it out.  The body is data only: TOML through ``tomllib`` or
JSON through ``json``, then the same pydantic models and meaning checks as
``diffbench submit``; nothing in it is ever evaluated."""
from __future__ import annotations

from pydantic import ValidationError

from ..errors import UserError
from ..jobs.reading import check_version, decode, load_data

SOURCE = "job"


class Invalid(Exception):
    """A submission that does not validate; ``errors`` are one line each."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def is_json(content_type: str | None, text: str) -> bool:
    if content_type and "json" in content_type:
        return True
    if content_type and ("toml" in content_type or "text/plain" in content_type):
        return False
    return text.lstrip().startswith("{")


def parse_submission(body: bytes, content_type: str | None = None):
    """``(job, text, tasks)`` for a valid job file; ``Invalid`` otherwise."""
    from ..jobs.checks import check_job
    from ..jobs.plan import plan

    text = _decode(body)
    job = _validate(_load(text, is_json(content_type, text)))
    try:
        check_job(job, SOURCE)
        return job, text, plan(job, SOURCE)
    except UserError as err:
        raise Invalid([str(err)]) from None


def _decode(body: bytes) -> str:
    try:
        return decode(body, SOURCE)
    except UserError as err:
        raise Invalid([str(err)]) from None


def _load(text: str, as_json: bool) -> dict:
    try:
        return load_data(text, SOURCE, as_json)
    except UserError as err:
        raise Invalid([str(err)]) from None


def _validate(data: dict):
    from ..jobs.spec import VERSION, JobSpec, format_errors

    try:
        check_version(data, SOURCE, VERSION)
    except UserError as err:
        raise Invalid([str(err)]) from None
    try:
        return JobSpec.model_validate(data)
    except ValidationError as err:
        raise Invalid(_per_field(err.errors(), format_errors)) from None


def _per_field(errors: list[dict], format_errors) -> list[str]:
    """One line per field, worded as ``diffbench submit`` words them.  A union
    field fails once per accepted form: those errors are grouped by the
    field path the line names, and worded together."""
    groups: dict[str, list[dict]] = {}
    for error in errors:
        path = format_errors(SOURCE, [error]).split(": ", 2)[1]
        groups.setdefault(path, []).append(error)
    return [format_errors(SOURCE, group) for group in groups.values()]
