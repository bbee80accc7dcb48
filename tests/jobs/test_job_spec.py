"""Job files: form and meaning checks, one-line errors, size expansion, plan."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import job_text
from diffbench.catalogue import CATALOGUE
from diffbench.errors import UserError
from diffbench.jobs.plan import plan
from diffbench.jobs.checks import load_job
from diffbench.jobs.units import parse_bytes, parse_duration

JOBS = Path(__file__).resolve().parents[2] / "jobs"

GOOD = """version = 1
name = "seed-hessians"
engines = ["tape", "fd"]
quantities = ["value", "gradient", "hessian"]
repeat = 7
timeout = "120s"
memory = "4GiB"
[[functions]]
catalogue = "logistic_regression"
sizes = { n = [10, 30] }
[[functions]]
name = "log-quadratic"
expr = "log(x'*A*x)"
wrt = "x"
shapes = { x = "n", A = "n,n" }
domain = { A = "spd" }
sizes = { n = [10, 100] }
"""


def error_of(write_job, text: str) -> str:
    path = write_job(text)
    with pytest.raises(UserError) as info:
        load_job(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    return message


def test_the_issue_example_plans_every_cell(write_job):
    job, text = load_job(write_job(GOOD))
    tasks = plan(job)
    assert len(tasks) == 2 * 2 * 3 + 2 * 2 * 3
    assert len({t["key"] for t in tasks}) == len(tasks)
    first = tasks[0]
    assert first["sizes"] == {"n": 10, "m": 20}  # the entry's derived dim is filled in at plan time
    assert first["timeout"] == 120 and first["memory"] == 4 * 2**30
    assert first["reference"] == ["fd", "symbolic"]  # never its own engine
    same_cell = [t["seed"] for t in tasks if t["function"] == "log-quadratic" and t["sizes"]["n"] == 10]
    assert len(set(same_cell)) == 1  # every engine and quantity of a cell sees the same inputs


@pytest.mark.parametrize("change, field, expected", [
    (("repeat = 7", "repeat = 7\ncolour = 'red'"), "colour", "unknown key"),
    (("repeat = 7", 'repeat = "7"'), "repeat", "valid integer"),
    (("repeat = 7", "repeat = 0"), "repeat", "greater than or equal to 1"),
    (('timeout = "120s"', 'timeout = "soon"'), "timeout", "duration"),
    (('memory = "4GiB"', 'memory = "lots"'), "memory", "memory size"),
    (('"hessian"]', '"hessians"]'), "quantities[2]",
     "'value', 'gradient', 'hessian', 'jacobian', 'hvp', 'trace', 'derivatives', 'descent' or 'newton'"),
    (('sizes = { n = [10, 30] }', 'sizes = { n = [10, -3] }'), "functions[0].sizes.n", "positive integers"),
    (('wrt = "x"', 'wrt = "x"\nsahpes = 1'), "functions[1].sahpes", "unknown key"),
    (("version = 1", "version = 2"), "version", "expected 1"),
    (('wrt = "x"', "wrt = 5"), "functions[1].wrt", "expected a valid string or a valid list (got 5)"),
    (('timeout = "120s"', "timeout = true"), "timeout", "(got True)"),
    (('repeat = 7', 'repeat = 7\nschedule = "nightly"'), "schedule", "not a cron expression"),
    (('repeat = 7', 'repeat = 7\nscaling = { workers = [2], wrkers = 1 }'), "scaling.wrkers", "workers, mode"),
    (('name = "seed-hessians"\n', ""), "name", "required field is missing"),
    # a repeat would plan the same cell twice (the store then refused the second with a traceback)
    (('engines = ["tape", "fd"]', 'engines = ["tape", "tape"]'), "engines", "'tape' is listed twice"),
    (('"value", "gradient", "hessian"]', '"value", "gradient", "value"]'), "quantities", "'value' is listed twice"),
    (('sizes = { n = [10, 30] }', 'sizes = { n = [3, 3] }'), "functions[0].sizes.n", "3 is listed twice"),
    (('wrt = "x"', 'wrt = "x"\nengines = ["fd", "fd"]'), "functions[1].engines", "'fd' is listed twice"),
    (('repeat = 7', 'repeat = 7\nreference = ["fd", "fd"]'), "reference", "'fd' is listed twice"),
])
def test_form_errors_are_one_line_naming_the_field(write_job, change, field, expected):
    message = error_of(write_job, GOOD.replace(*change, 1))
    assert "\n" not in message
    assert f": {field}: " in message and expected in message, message


@pytest.mark.parametrize("change, field, expected", [
    (('catalogue = "logistic_regression"', 'catalogue = "logistic_regresion"'),
     "functions[0].catalogue", "did you mean 'logistic_regression'"),
    (('engines = ["tape", "fd"]', 'engines = ["tape", "tpae"]'), "engines[1]", "unknown engine 'tpae'"),
    (('wrt = "x"', 'wrt = "z"'), "functions[1].wrt", "not a variable"),
    (('domain = { A = "spd" }', 'domain = { A = "round" }'), "functions[1].domain.A", "unknown domain"),
    (('sizes = { n = [10, 100] }', 'sizes = { q = [10, 100] }'), "functions[1].sizes.q", "no dim 'q'"),
    (('sizes = { n = [10, 100] }', 'sizes = { }'), "functions[1].sizes", "no size for dim 'n'"),
    (('name = "log-quadratic"', 'name = "logistic_regression"'), "functions[1].name", "already used"),
    (('[[functions]]\nname', '[[functions]]\ncatalogue = "x"\nname'), "functions[1]", "exactly one of 'catalogue'"),
])
def test_meaning_errors_are_one_line_naming_the_field(write_job, change, field, expected):
    message = error_of(write_job, GOOD.replace(*change, 1))
    assert "\n" not in message
    assert f": {field}" in message and expected in message, message


def test_bad_expression_shows_the_caret(write_job):
    message = error_of(write_job, GOOD.replace("log(x'*A*x)", "log(x'*A*x"))
    first, *caret = message.splitlines()
    assert ": functions[1].expr: bad expression" in first
    assert caret and caret[-1].strip() == "^"


def test_not_toml_and_missing_file(write_job, tmp_path):
    assert "not valid TOML" in error_of(write_job, "version = = 1")
    with pytest.raises(UserError, match="cannot read job file"):
        load_job(tmp_path / "absent.toml")


def test_nothing_in_a_job_file_is_evaluated(write_job):
    text = GOOD.replace('sizes = { n = [10, 100] }', 'sizes = { n = "__import__(\'os\')" }')
    assert "functions[1].sizes.n" in error_of(write_job, text)


def sized(write_job, sizes: str, grid: bool = False):
    text = job_text(engines=("noop",)).replace('expr = "sum(x)"', 'expr = "sum(A*x)"')
    text = text.replace('shapes = { x = "n" }', 'shapes = { x = "n", A = "k,n" }')
    text = text.replace("sizes = { n = [1] }", f"sizes = {sizes}" + ("\ngrid = true" if grid else ""))
    job, _ = load_job(write_job(text))
    return [t["sizes"] for t in plan(job)]


def test_tied_grid_and_derived_sizes(write_job):
    assert sized(write_job, '{ n = [1, 2], k = [3, 4] }') == [{"n": 1, "k": 3}, {"n": 2, "k": 4}]
    assert len(sized(write_job, '{ n = [1, 2], k = [3, 4, 5] }', grid=True)) == 6
    assert sized(write_job, '{ n = [2, 5], k = "2*n + 1" }') == [{"n": 2, "k": 5}, {"n": 5, "k": 11}]
    assert sized(write_job, '{ n = [2, 5], k = 7 }') == [{"n": 2, "k": 7}, {"n": 5, "k": 7}]
    with pytest.raises(UserError, match="tied size lists differ in length .*grid = true"):
        sized(write_job, '{ n = [1, 2], k = [3, 4, 5] }')
    with pytest.raises(UserError, match=r"sizes\.k: formula 'n - 9' gives -7|sizes\.k: .*negative"):
        sized(write_job, '{ n = [2], k = "n - 9" }')


def test_units():
    assert parse_duration("120s") == 120 and parse_duration("2m") == 120 and parse_duration("5ms") == 0.005
    assert parse_bytes("4GiB") == 4 * 2**30 and parse_bytes("512MiB") == 2**29 and parse_bytes(1000) == 1000
    with pytest.raises(ValueError):
        parse_duration("-3s")


@pytest.mark.parametrize("name", ["quickstart.toml", "seeds.toml"])
def test_shipped_job_files_validate(name):
    job, _ = load_job(JOBS / name)
    assert plan(job)


def test_seeds_covers_the_whole_catalogue():
    """Every seed example; the community problems have jobs/community.toml."""
    from diffbench.community.problems import NAMES

    job, _ = load_job(JOBS / "seeds.toml")
    assert {f.catalogue for f in job.functions} >= set(CATALOGUE) - set(NAMES)


@pytest.mark.timeout(60)
def test_a_list_of_200000_sizes_is_refused_by_the_task_limit_not_checked_pairwise(write_job):
    """Each size was compared with every earlier one: 200,000 sizes of one dim kept
    submit validating for minutes (past --max-validation), where the task limit
    refuses the file at once."""
    text = job_text(sizes=range(1, 200_001))
    with pytest.raises(UserError, match="over the limit of 100,000 tasks"):
        load_job(write_job(text))
    assert "listed twice" in error_of(write_job, job_text(sizes=[*range(1, 50_001), 7]))
