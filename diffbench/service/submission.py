"""A job file that arrives over HTTP: bytes in, a validated job or every
problem with it out.  The body is data only: TOML through ``tomllib`` or
JSON through ``json``, then the same pydantic models and meaning checks as
``diffbench submit``; nothing in it is ever evaluated."""
from __future__ import annotations

from pydantic import ValidationError

from ..errors import UserError
from ..jobs.limits import HTTP, Limits
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


def parse_submission(body: bytes, content_type: str | None = None, allowed_modules: tuple[str, ...] = (),
                     limits: Limits = HTTP):
    """``(job, text, tasks)`` for a valid job file; ``Invalid`` otherwise.

    A function naming Python code (``python = "module:function"``) is
    refused unless the server was started allowing that module: checking
    the job would import it, and importing runs it."""
    from ..jobs.checks import check_job
    from ..jobs.plan import plan

    text = _decode(body)
    job = _validate(_load(text, is_json(content_type, text)))
    _refuse_python(job, allowed_modules)
    try:
        check_job(job, SOURCE, limits)
        return job, text, plan(job, SOURCE)
    except UserError as err:
        raise Invalid([str(err)]) from None


def module_allowed(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in allowed)


def _refuse_python(job, allowed: tuple[str, ...]) -> None:
    errors = []
    for i, fspec in enumerate(job.functions):
        module = fspec.python.split(":", 1)[0] if fspec.python else None
        if module is not None and not module_allowed(module, allowed):
            errors.append(f"{SOURCE}: functions[{i}].python: this server does not import Python code "
                          f"from job files (module {module!r} not allowed; start it with "
                          f"`diffbench serve --allow-python {module}` to allow it)")
    if errors:
        raise Invalid(errors)


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
