"""Meaning checks on a form-valid job: do the names resolve, do the
expressions parse, is every dim sized?  Each failure is a ``UserError`` of
one line naming the file and the field (plus the parser's caret lines for
a bad expression).  ``load_job`` reads a job file through the form checks
of :mod:`.spec` and these."""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..function import InputError
from ..ops.building import check_indices
from .limits import CLI, Budget, Limits, combinations
from .reading import decode
from .registry import get_engine
from .sizes import expand_sizes
from .spec import FunctionSpec, JobSpec, parse_job

DOMAINS = ("real", "positive", "nonzero", "spd", "invertible")


def load_job(path: str | Path, limits: Limits | None = None) -> tuple[JobSpec, str]:
    """The validated job in ``path`` and the file's text; ``UserError`` otherwise."""
    path = Path(path)
    try:
        text = decode(path.read_bytes(), str(path))
    except OSError as err:
        raise UserError(f"{path}: cannot read job file ({err.strerror or err})") from None
    job = parse_job(text, str(path))
    check_job(job, str(path), limits or CLI)
    return job, text


def check_job(job: JobSpec, source: str, limits: Limits = CLI) -> None:
    _check_engines(job.engines, f"{source}: engines")
    if "reference" in job.model_fields_set:  # the default list may name engines not installed
        _check_engines(job.reference, f"{source}: reference")
    seen: dict[str, int] = {}
    budget = Budget(limits, source)
    for i, fspec in enumerate(job.functions):
        where = f"{source}: functions[{i}]"
        _spend(budget, job, fspec, where)
        if fspec.label in seen:
            raise UserError(f"{where}.name: {fspec.label!r} is already used by functions[{seen[fspec.label]}]; "
                            "expected a unique name (set 'name' to tell them apart)")
        seen[fspec.label] = i
        if fspec.engines is not None:
            _check_engines(fspec.engines, f"{where}.engines")
        resolve_function(fspec, where)


def _spend(budget: Budget, job: JobSpec, fspec: FunctionSpec, where: str) -> None:
    """Count this function against the limits before it is parsed or expanded."""
    budget.tick(where)
    if fspec.expr is not None:
        budget.expression(fspec.expr, f"{where}.expr")
    cells = combinations(fspec.sizes or {}, fspec.grid)
    budget.add_tasks(cells * len(fspec.engines or job.engines) * len(fspec.quantities or job.quantities), where)


def _check_engines(names: list[str], where: str) -> None:
    for j, name in enumerate(names):
        try:
            get_engine(name)
        except KeyError as err:
            raise UserError(f"{where}[{j}]: {err.args[0]}") from None


def resolve_function(fspec: FunctionSpec, where: str) -> dict:
    """What the planner needs: expr, shapes, wrt, domain, the full size
    combinations; checked along the way."""
    if fspec.catalogue is not None:
        info = _from_catalogue(fspec, where)
    elif fspec.python is not None:
        info = _from_python(fspec, where)
    else:
        info = _from_expr(fspec, where)
    variables = info.pop("variables")
    wrt = fspec.wrt_list or info["wrt"]
    for name in wrt:
        if name not in variables:
            raise UserError(f"{where}.wrt: {name!r} is not a variable of the function "
                            f"(expected one of: {', '.join(variables)})")
    for name, kind in fspec.domain.items():
        if name not in variables:
            raise UserError(f"{where}.domain.{name}: not a variable of the function "
                            f"(expected one of: {', '.join(variables)})")
        if kind not in DOMAINS:
            raise UserError(f"{where}.domain.{name}: unknown domain {kind!r} (expected one of: {', '.join(DOMAINS)})")
    info["wrt"] = list(wrt)
    info["domain"] = {**info.get("domain", {}), **fspec.domain}
    return info


def _from_catalogue(fspec: FunctionSpec, where: str) -> dict:
    from ..catalogue import get_entry

    try:
        entry = get_entry(fspec.catalogue)
    except KeyError as err:
        raise UserError(f"{where}.catalogue: {err.args[0]}") from None
    fn = entry.function
    sizes = fspec.sizes if fspec.sizes is not None else dict(entry.default_sizes)
    dims = list(fn.dims) + [d for d in entry.size_dims if d not in fn.dims]  # an unrolled entry's loop counts too
    combos = expand_sizes(sizes, fspec.grid, dims, f"{where}.sizes", complete=entry.resolve_sizes,
                          required=entry.size_dims)
    return {"expr": entry.expr, "shapes": dict(entry.shapes), "wrt": list(entry.wrt),
            "domain": dict(entry.domain), "variables": fn.variables, "sizes": combos}


def _from_expr(fspec: FunctionSpec, where: str) -> dict:
    from ..api import parse

    try:
        fn = parse(fspec.expr, fspec.shapes)
    except ValueError as err:  # ExpressionError is one; its text carries the caret line
        raise UserError(f"{where}.expr: bad expression: {err}") from None
    if fspec.sizes is None:
        raise UserError(f"{where}.sizes: required for an 'expr' function "
                        f"(expected sizes for {', '.join(fn.dims) or 'no dims'}, e.g. {{ n = [10, 100] }})")
    combos = expand_sizes(fspec.sizes, fspec.grid, fn.dims, f"{where}.sizes", required=tuple(fn.dims))
    try:
        check_indices(fn.root, combos)
    except InputError as err:
        raise UserError(f"{where}.sizes: {err} in {fspec.expr!r}") from None
    shapes = {name: ",".join(str(d) for d in shape) for name, shape in fn.shapes.items()}
    return {"expr": fspec.expr, "shapes": fspec.shapes or shapes, "wrt": fn.variables,
            "variables": fn.variables, "sizes": combos}


def _declared_dims(declared_shape, name: str, text) -> list[str]:
    try:
        return [d for d in declared_shape(name, text) if isinstance(d, str)]
    except (ValueError, TypeError):
        return []  # the trace reports a bad declaration, naming it


def _from_python(fspec: FunctionSpec, where: str) -> dict:
    """A Python function, imported and traced here to check it; the workers
    import and trace it again (their tasks carry the reference, not code)."""
    from ..lang.declare import declared_shape
    from ..tracing.loader import load
    from ..tracing.tracer import TraceError

    dims = list(dict.fromkeys(d for name, text in (fspec.shapes or {}).items()
                              for d in _declared_dims(declared_shape, name, text)))
    if fspec.sizes is None:
        raise UserError(f"{where}.sizes: required for a 'python' function "
                        f"(expected sizes for {', '.join(dims) or 'no dims'}, e.g. {{ n = [10, 100] }})")
    combos = expand_sizes(fspec.sizes, fspec.grid, dims, f"{where}.sizes", required=tuple(dims))
    try:  # with symbolic dims, or (a loop over a dim) at the first sizes, as a worker will
        fn = load(fspec.python, fspec.shapes, combos[0] if combos else None)
    except (TraceError, ValueError) as err:
        raise UserError(f"{where}.python: {err}") from None
    return {"expr": fn.expr, "python": fspec.python, "shapes": dict(fspec.shapes), "wrt": fn.variables,
            "variables": fn.variables, "sizes": combos}
