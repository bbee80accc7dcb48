"""The command line as a user meets it: real processes, real output."""
import json
import subprocess
import sys

from pathlib import Path

import pytest


def run(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", *args],
                          capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stderr}")
    return proc


def test_compare_catalogue_function_json_is_stable():
    out = json.loads(run("compare", "logistic_regression", "--size", "n=8", "--json").stdout)
    assert set(out) == {"expr", "wrt", "sizes", "order", "seed", "engines", "agree", "failed"}
    assert out["agree"] is True and out["sizes"] == {"m": 16, "n": 8}
    tape = next(e for e in out["engines"] if e["engine"] == "tape")
    assert {"value_seconds", "gradient_seconds", "hessian_seconds", "prepare_seconds",
            "max_relative_error", "at_fault", "unsupported"} <= set(tape)
    assert tape["max_relative_error"] < 1e-5 and tape["hessian_seconds"] > 0


def test_compare_own_expression_text_table():
    out = run("compare", "log(x'*A*x)", "--shape", "x=n", "--shape", "A=n,n", "--wrt", "x",
              "--size", "n=5", "--domain", "A=spd").stdout
    assert "engines agree" in out and "tape" in out and "fd" in out


@pytest.mark.parametrize("args,fragment", [
    (("compare", "log(x'*A*x", "--wrt", "x", "--size", "n=3"), "^"),
    (("compare", "sigmoud(x)", "--wrt", "x", "--size", "n=3"), "did you mean 'sigmoid'"),
    (("compare", "x'*A", "--shape", "x=n", "--shape", "A=m,m", "--wrt", "x", "--size", "n=3"), "(1,n)"),
    (("compare", "sum(x)", "--wrt", "x", "--engines", "tap"), "did you mean 'tape'"),
    (("compare", "sum(x)", "--wrt", "x"), "--size needed"),
    (("compare", "log(x'*A*x)", "--wrt", "x", "--size", "n=4"), "--domain"),
    (("compare", "x[4]", "--wrt", "x", "--size", "n=3"), "index 4 is out of range for a dimension of size 3"),
    (("compare", "sum(x)", "--wrt", "x", "--size", "n=3", "--timeout", "nan"), "--timeout nan"),
    (("trace", "sum(x)", "--size", "n=³"), "--size n=³: expected a positive integer"),
    (("compare", "sum(x)", "--wrt", "x", "--size", "n=3", "--size", "N=3"), "--size N: not a dimension"),
    (("compare", "logistic_regression", "--size", "q=3"), "--size q: not a dimension"),
    (("trace", "sum(x)", "--size", "n=100000000000"), "GiB for a trace of one point"),
    (("trace", "logistic_regression", "--size", "n=100000000"), "GiB for a trace of one point"),
])
def test_bad_input_is_one_clear_error_without_traceback(args, fragment):
    proc = run(*args, check=False)
    assert proc.returncode == 2
    assert fragment in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")


def test_help_lists_every_command():
    # the package holds shared helper modules beside the commands; --help must skip them
    proc = run("--help")
    for name in ("compare", "derive", "submit", "status", "report", "run-due", "trace"):
        assert f"  {name} " in proc.stdout
    assert "options" not in proc.stdout.split("Commands:")[1]


def test_derive_and_trace_take_an_expression_starting_with_a_minus():
    """As compare does: derive "-a*b" and trace "-w1*w2" stopped at 'No such option: -a'."""
    assert run("derive", "-a*b", "--order", "1").stdout.splitlines()[:2] == ["f = −a b", "∇_a f = −b"]
    traced = run("trace", "-w1*w2", "--at", "w1=2", "--at", "w2=3").stdout
    # the table is the canonical form the tape runs: the sign on the product, -(w1 w2)
    assert traced.splitlines()[-1].split()[3:5] == ["neg(v1)", "-6"]
    assert run("derive", "--order", "1", "--", "-a*b").stdout.startswith("f = −a b")


def test_an_engine_named_twice_is_one_row():
    out = json.loads(run("compare", "sum(x)", "--wrt", "x", "--size", "n=3", "--engines", "tape,tape,fd", "--json").stdout)
    assert [e["engine"] for e in out["engines"]] == ["tape", "fd"]


def test_a_negative_trace_seed_is_one_error_line():
    proc = run("trace", "sum(x)", "--size", "n=3", "--seed", "-1", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--seed" in proc.stderr


def test_derive_takes_wrt_as_compare_does():
    listed = run("derive", "c*x'*x", "--shape", "c=", "--wrt", "x,c", "--format", "expr").stdout
    assert listed == run("derive", "c*x'*x", "--shape", "c=", "--wrt", "x", "--wrt", "c", "--format", "expr").stdout
    assert "# ∇_c f" in listed and "# ∇²_xc f" in listed


def test_compare_sizes_a_dim_no_input_shows():
    out = json.loads(run("compare", "logsumexp(b*ones(n))", "--wrt", "b", "--size", "n=4", "--json").stdout)
    assert out["agree"] is True and out["sizes"] == {"n": 4} and not out["failed"]


def test_catalogue_and_engines_list():
    names = {row["name"] for row in json.loads(run("catalogue", "--json").stdout)}
    assert {"logistic_regression", "mds_stress", "softmax_cross_entropy", "log_determinant"} <= names
    engines = {row["name"]: row for row in json.loads(run("engines", "--json").stdout)}
    assert engines["tape"]["available"] and engines["fd"]["available"]


def test_compare_marks_a_failed_engine_and_still_compares_the_others():
    from fault_engines import environ

    env = environ()
    args = ["compare", "sum(exp(x))", "--wrt", "x", "--size", "n=3", "--engines", "tape,boom,fd"]
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", *args, "--json"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    out = json.loads(proc.stdout)
    rows = {r["engine"]: r for r in out["engines"]}
    assert out["failed"] == ["boom"] and rows["boom"]["failed"].startswith("RuntimeError")
    assert out["agree"] is True and rows["tape"]["max_relative_error"] < 1e-5 and rows["fd"]["failed"] is None
    table = subprocess.run([sys.executable, "-m", "diffbench.cli.main", *args],
                           capture_output=True, text=True, timeout=120, env=env)
    assert table.returncode == 1 and "Traceback" not in table.stderr
    assert "FAILED: RuntimeError" in table.stdout and "engines agree (boom failed)" in table.stdout


@pytest.mark.parametrize("args,flag", [
    (("submit", "jobs/quickstart.toml", "--connect-timeout", "nan", "--scheduler", "tcp://127.0.0.1:1"), "--connect-timeout"),
    (("submit", "jobs/quickstart.toml", "--connect-timeout", "-1", "--scheduler", "tcp://127.0.0.1:1"), "--connect-timeout"),
    (("resume", "--workers", "0"), "--workers"),
    (("regressions", "--threshold", "nan"), "--threshold"),
    (("regressions", "--threshold", "-1"), "--threshold"),
    (("serve", "--port", "99999"), "--port"),
    (("serve", "--port", "-1"), "--port"),
    (("serve", "--max-body", "-5", "--port", "0"), "--max-body"),
    (("serve", "--poll", "nan", "--port", "0"), "--poll"),
    (("serve", "--workers", "0", "--port", "0"), "--workers"),
])
def test_numbers_out_of_range_are_refused_before_anything_runs(tmp_path, args, flag):
    """--port 99999 and --connect-timeout nan were tracebacks, --max-body -5 served
    (refusing every request), --threshold nan reported nothing, --workers 0 was taken."""
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", *args, "--db", str(tmp_path / "s.sqlite")],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"Invalid value for '{flag}'" in proc.stderr
    assert not (tmp_path / "s.sqlite").exists()



def test_the_package_runs_as_a_module():
    """python -m diffbench.cli said 'is a package and cannot be directly executed'."""
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "  compare " in proc.stdout and "__main__" not in proc.stdout
