"""The fuzz corpora of tests/data/fuzz (written by its generate.py): every
expression and every job file ends in a result or a one-line user error,
never a traceback, and none takes longer than its time limit (a hang).

Expressions go the way ``diffbench compare`` takes them (its own option
parsing, guards, sampling and finiteness check) and then through the tape
engine's value and gradient; job files the way ``POST /api/runs`` and
``diffbench submit`` take them (decoding, TOML/JSON, form and meaning
checks, limits, planning).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from diffbench.budget import TimeLimit, time_limit
from diffbench.cli.common import user_facing_errors

CORPORA = Path(__file__).parent / "data" / "fuzz"
# seconds: anything slower is a hang (the slowest case takes about 0.4 s on an idle 2-core
# machine; the margin is for a busy one, where a wall-clock limit near it would call load a hang)
PER_CASE = 30.0


def load(name: str) -> list[dict]:
    with open(CORPORA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def run_expression(case: dict) -> None:
    from diffbench import derivatives
    from diffbench.cli import compare
    from diffbench.cli.common import parse_sizes

    sizes = parse_sizes(tuple(f"{d}={v}" for d, v in case["sizes"].items()))
    wrt = compare.wrt_names(case["wrt"])

    def guard(fn, wrt, full):
        from diffbench.budget import check_memory

        check_memory(fn, wrt, full, 1, 2**28)

    fn, inputs, wrt = compare._function_and_inputs(case["expr"], case["shapes"], sizes, wrt, 0, {}, guard)
    with np.errstate(all="ignore"):
        compare._check_finite(fn, inputs, wrt)
        derivatives(fn, inputs, wrt, engine="tape", order=1)


def run_job(case: dict) -> None:
    from diffbench.service.submission import Invalid, parse_submission

    from diffbench.errors import UserError

    try:
        parse_submission(case["text"].encode("utf-8", "surrogatepass"), case["type"])
    except Invalid as err:  # the API's 400: one line per problem
        # one line each (an expression's adds the caret window under it: at most 3 lines)
        assert all(line.count("\n") in (0, 2) and len(line) < 1000 for line in err.errors), err.errors
        raise UserError(str(err)) from None


def outcomes(cases: list[dict], run) -> dict[str, list]:
    """Each case's outcome: fine, a user error (one line), a traceback, a hang."""
    found: dict[str, list] = {"fine": [], "user error": [], "traceback": [], "hang": []}
    for i, case in enumerate(cases):
        try:
            with time_limit(PER_CASE, f"case {i}"):
                run(case)
            found["fine"].append(i)
        except TimeLimit:
            found["hang"].append(i)
        except user_facing_errors():
            found["user error"].append(i)
        except Exception as err:  # noqa: BLE001  (anything else would reach the user as a traceback)
            found["traceback"].append((i, f"{type(err).__name__}: {str(err)[:200]}"))
    return found


def test_the_corpora_are_what_the_script_writes():
    import importlib.util

    spec = importlib.util.spec_from_file_location("fuzz_generate", CORPORA / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = module.random.Random(module.SEED)
    expressions = [module.expression_case(rng) for _ in range(module.COUNT)]
    assert expressions[:50] == load("expressions.jsonl")[:50]
    assert len(load("expressions.jsonl")) >= 1000 and len(load("jobs.jsonl")) >= 1000


@pytest.mark.parametrize("name, run", [("expressions.jsonl", run_expression), ("jobs.jsonl", run_job)],
                         ids=["expressions", "job files"])
def test_fuzz_corpus_ends_in_no_traceback_and_no_hang(name, run):
    found = outcomes(load(name), run)
    assert found["traceback"] == [] and found["hang"] == [], {k: v[:10] for k, v in found.items() if k in
                                                              ("traceback", "hang")}
    # the corpus exercises both sides: some cases run, some are refused
    assert found["fine"] and found["user error"]
