"""``diffbench compare`` on careless input: one line blaming the right
option, never a traceback, and no allocation it cannot make.  The command
runs in this process (``main(argv)``, the installed command's own code)."""
from __future__ import annotations

import json
import time

import pytest

from diffbench.cli.main import main


def cli(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(["compare", *args])
    captured = capsys.readouterr()
    return done.value.code, captured.out, captured.err


BAD = [
    (("x'*x", "--wrt", "y", "--size", "n=3"), "--wrt y"),
    (("x'*x", "--wrt", "x", "--size", "n=³"), "--size n=³"),
    (("ones(0)'*x", "--wrt", "x", "--size", "n=3"), "positive integers"),
    (("ones(99999999999)'*x", "--wrt", "x", "--size", "n=3"), "--max-memory"),
    (("x'*x", "--wrt", "x", "--size", "n=1000000000"), "--max-memory"),
    (("x'*x", "--wrt", "x", "--size", "n=100000000000000000000000"), "--size n="),
    (("x'*x", "--wrt", "x", "--size", "n=3", "--seed", "-5"), "--seed"),
    (("x'*x", "--wrt", "x", "--size", "n=3", "--engines", ""), "--engines"),
    (("logistic_regression", "--wrt", "q"), "--wrt q"),
    (("logistic_regression", "--size", "n=100000000"), "--max-memory"),
]


def test_a_variable_named_twice_in_wrt_counts_once(capsys):
    code, out, err = cli(capsys, "sqrt(x)'*B", "--shape", "x=n", "--shape", "B=n,n", "--wrt", "x,x",
                         "--size", "n=3", "--engines", "tape", "--order", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["wrt"] == ["x"]


@pytest.mark.parametrize("args,fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_compare_input_is_one_line_naming_the_option(capsys, args, fragment):
    code, _, err = cli(capsys, *args)
    assert code == 2 and "Traceback" not in err and "--domain" not in err, err
    assert fragment in err and len(err) < 500, err


def test_a_function_not_finite_at_the_sampled_inputs_is_refused_with_the_domain_hint(capsys):
    # the check a job cell makes too (diffbench.checking.check_finite): one message for both
    code, _, err = cli(capsys, "log(-sum(x.*x))", "--wrt", "x", "--size", "n=3", "--engines", "tape")
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert "'log(-sum(x.*x))' is not finite at the sampled inputs (outside its domain?); declare input domains" in err


OPTIONS = ("--wrt", "x", "--size", "n=3", "--engines", "tape,fd", "--json")


@pytest.mark.parametrize("args", [("-x'*x", *OPTIONS), (*OPTIONS, "--", "-x'*x")], ids=["as is", "after --"])
def test_an_expression_may_start_with_minus(capsys, args):
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    assert json.loads(out)["expr"].startswith("-")


def test_compare_stops_at_its_time_limit_with_a_reason(capsys):
    # the symbolic engine's derivation grows faster than linearly in the length of
    # a long product; whatever it costs, compare must end at --timeout with one line
    expr = ".*".join(["x"] * 4000)
    start = time.monotonic()
    code, _, err = cli(capsys, expr, "--wrt", "x", "--size", "n=3", "--engines", "symbolic", "--timeout", "2")
    assert code == 2 and "--timeout" in err and len(err.splitlines()) == 1, err
    # the line proves the limit fired; this only catches one that fires very late
    # (generous: a busy machine stretches the parse and set-up before the clock starts)
    assert time.monotonic() - start < 120


def test_error_shows_a_window_around_the_caret(capsys):
    expr = "x+" * 50_000 + "(x"
    code, _, err = cli(capsys, expr, "--wrt", "x", "--size", "n=3")
    assert code == 2 and len(err) < 400, err[:500]
    lines = err.splitlines()
    assert lines[-1].strip() == "^" and lines[-2].rstrip().endswith("(x")
    assert lines[-1].index("^") == lines[-2].rindex("(")  # the caret still points at the culprit


def test_fd_out_of_its_range_is_not_blamed(capsys):
    # |f| ~ 1e7: fd's round-off alone (eps*|f|/h^2 for the Hessian) is far over its fixed bar
    code, out, err = cli(capsys, "1e6*x'*x", "--wrt", "x", "--size", "n=20", "--engines", "symbolic,tape,fd", "--json")
    assert code == 0, out + err
    summary = json.loads(out)
    fd = next(r for r in summary["engines"] if r["engine"] == "fd")
    assert summary["agree"] and fd["at_fault"] == [] and fd["fd_range"]["hessian"] > 2e-4


def test_fd_bar_moves_only_with_the_magnitude():
    import numpy as np

    from diffbench.testing import FD_TOLERANCE, check_agree

    x = np.random.default_rng(0).normal(size=6)
    small = check_agree("x'*x", {"x": x}, "x", engines=("tape", "fd"))
    assert small.fd_noise == {} and small.tolerance("hessian", "tape", "fd") == FD_TOLERANCE["hessian"]
    large = check_agree("1e6*x'*x", {"x": x}, "x", engines=("tape", "fd"))
    assert large.tolerance("hessian", "tape", "fd") > FD_TOLERANCE["hessian"]
    assert large.tolerance("hessian", "tape", "symbolic") == small.tolerance("hessian", "tape", "symbolic")
