"""submit --only / --engines: part of a job, recorded as the part that ran."""
from __future__ import annotations

import json

import pytest

from conftest import FUNCTION, diffbench, job_text

from diffbench.errors import UserError
from diffbench.jobs.narrow import narrow
from diffbench.jobs.plan import plan
from diffbench.jobs.spec import parse_job

TWO = job_text(engines=("noop", "sleep"), sizes=(1, 2)) + FUNCTION.format(fname="g", sizes=[3])


def test_narrowing_keeps_the_named_functions_and_engines():
    job = narrow(parse_job(TWO, "j.toml"), ["g"], ["noop"], "j.toml")
    assert [(t["function"], t["engine"], t["sizes"]["n"]) for t in plan(job)] == [("g", "noop", 3)]
    assert [t["function"] for t in plan(narrow(parse_job(TWO, "j.toml"), None, ["sleep"]))] == ["f", "f", "g"]


@pytest.mark.parametrize("only,engines,message", [
    (["h"], None, "j.toml: --only: no function 'h' in this job; expected one of: f, g"),
    (None, ["tape"], "j.toml: --engines: no engine 'tape' in this job; expected one of: noop, sleep"),
])
def test_a_name_the_job_lacks_is_one_line(only, engines, message):
    with pytest.raises(UserError) as err:
        narrow(parse_job(TWO, "j.toml"), only, engines, "j.toml")
    assert str(err.value) == message


def test_submit_only_runs_and_records_that_part(write_job, tmp_path):
    path = write_job(TWO)
    proc = diffbench("submit", path, "--only", "g", "--engines", "noop", "--workers", "1", "--json",
                     cwd=tmp_path, check=True)
    result = json.loads(proc.stdout)
    assert (result["planned"], result["ok"]) == (1, 1)
    status = json.loads(diffbench("status", "--json", cwd=tmp_path, check=True).stdout)
    assert (status["planned"], status["missing"]) == (1, 0)
    bad = diffbench("submit", path, "--only", "h", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no function 'h'" in bad.stderr
