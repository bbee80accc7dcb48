"""Hypothesis-generated expressions in the language: a narrow grammar checked tape vs fd (and
symbolic) up to second order, and the wide grammar of tests/random_grammar.py against autograd."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, given, note, reject, settings
from hypothesis import strategies as st

from diffbench import parse
from diffbench.engines import load_all
from diffbench.sampling import sample_inputs
from diffbench.testing import check_agree
from hypothesis_profiles import EXPLORE, profile_name

TESTS = Path(__file__).resolve().parent

SHAPES = {"x": "n", "y": "n", "A": "n,n", "B": "n,n", "s": ""}


def _expressions():
    """Three mutually recursive grammars: scalar-, vector- and matrix-valued.
    Functions with a restricted domain only receive arguments inside it."""
    vec_leaf = st.sampled_from(["x", "y"])
    mat_leaf = st.sampled_from(["A", "B"])

    def extend_vec(v):
        return st.one_of(
            st.builds("({} + {})".format, v, v), st.builds("({} - {})".format, v, v),
            st.builds("({} .* {})".format, v, v), st.builds("({}*{})".format, mat_leaf, v),
            st.builds(lambda f, a: f"{f}({a})", st.sampled_from(["sin", "cos", "tanh", "sigmoid", "softplus"]), v),
            st.builds("exp(0.3*{})".format, v), st.builds("log(1 + {}.^2)".format, v),
            st.builds("sqrt(1 + {}.^2)".format, v), st.builds("(s*{})".format, v),
            st.builds("({} ./ (2 + {}.^2))".format, v, v), st.builds("({}'*{})".format, mat_leaf, v))

    vec = st.recursive(vec_leaf, extend_vec, max_leaves=5)
    mat = st.one_of(mat_leaf, st.builds("({} + {}')".format, mat_leaf, mat_leaf),
                    st.builds("{}*{}".format, mat_leaf, mat_leaf), st.builds("diag({})".format, vec),
                    st.builds("{}*{}'".format, vec, vec), st.builds("tanh({})".format, mat_leaf))
    scalar = st.one_of(
        st.builds("sum({})".format, vec), st.builds("<{}, {}>".format, vec, vec),
        st.builds("{}'*{}".format, vec, vec), st.builds("logsumexp({})".format, vec),
        st.builds("{}'*{}*{}".format, vec, mat, vec), st.builds("tr({})".format, mat),
        st.builds("norm2(1 + {}.^2)".format, vec), st.builds("s*sum({})".format, vec))
    return scalar


@given(expr=_expressions(), wrt=st.sampled_from(["x", "A", "s"]), seed=st.integers(0, 1000))
@settings(max_examples=60, phases=tuple(p for p in Phase if p != Phase.explain))  # see test_symbolic
def test_random_expressions_agree_tape_fd(expr, wrt, seed):
    fn = parse(expr, SHAPES)
    if wrt not in fn.shapes:
        wrt = fn.variables[0]
    inputs = sample_inputs(fn, {"n": 3}, seed)
    engines = ("tape", "fd") + (("symbolic",) if "symbolic" in load_all() else ())
    check_agree(fn, inputs, wrt, engines=engines, roundoff=True)


# ------------------------------------------------ the wide grammar, against autograd
# Scalars broadcast into sums on either side, mixed scalar/vector/matrix
# variables in one wrt, n = 1, tiny and large inputs (see tests/random_grammar.py).
# The default (derandomized) profile runs 50 x max_examples = 2,000 expressions;
# DIFFBENCH_HYPOTHESIS_PROFILE=explore runs 10,000 new ones each time (without
# the per-test time limit: they take minutes).

WIDE_EXAMPLES = 50 * settings().max_examples
EXPLORING = profile_name() == EXPLORE
TOO_LARGE = 1e8  # a reference beyond this has left the float range the tolerances assume


def _finite_reference(reference, inputs) -> bool:
    with np.errstate(all="ignore"):
        value = reference(inputs)
    return bool(np.isfinite(value)) and abs(value) < TOO_LARGE


@pytest.mark.timeout(0 if EXPLORING else 300)
@given(data=st.data(), n=st.sampled_from([1, 2, 3]),
       regime=st.sampled_from(["unit", "unit", "unit", "tiny", "large"]), seed=st.integers(0, 2 ** 16))
@settings(max_examples=WIDE_EXAMPLES, phases=tuple(p for p in Phase if p != Phase.explain))
def test_wide_random_expressions_agree_with_autograd(data, n, regime, seed):
    pytest.importorskip("autograd")
    from random_grammar import SHAPES as WIDE_SHAPES, draw_inputs, expressions

    text, reference = data.draw(expressions(), label="expression")
    fn = parse(text, WIDE_SHAPES)
    wrt = data.draw(st.lists(st.sampled_from(fn.variables), min_size=1, max_size=3, unique=True), label="wrt")
    inputs = draw_inputs({v: WIDE_SHAPES[v] for v in fn.variables}, n, regime, seed)
    note(f"{text} wrt {wrt} at {inputs}")
    if not _finite_reference(reference, inputs):
        reject()
    report = check_agree(fn, inputs, wrt, engines=("symbolic", "tape"), roundoff=True, reference=reference,
                         strict=False)
    if not all(np.all(np.isfinite(v)) for v in report.results["reference"].values()):
        reject()  # the reference's own derivatives left the float range: nothing to compare
    assert not report.culprits, f"{text} wrt {wrt} ({regime}, n={n}): {report.culprits}, errors {report.errors}"


# The stream of derandomized examples must not depend on which project modules
# were imported before (hypothesis mines their literals: tests/hypothesis_profiles.py).
_DRAW_EXAMPLES = """
import hashlib, sys
import hypothesis_profiles
hypothesis_profiles.load()
if sys.argv[1] == "after-imports":
    import diffbench.cli.main, diffbench.jobs.scheduler, diffbench.report.render, diffbench.service.server
from hypothesis import given, settings, strategies as st
from random_grammar import expressions
seen = []

@given(data=st.data(), n=st.sampled_from([1, 2, 3]), seed=st.integers(0, 2 ** 16))
@settings(max_examples=100)
def draw(data, n, seed):
    seen.append((data.draw(expressions())[0], n, seed))

draw()
print(hashlib.sha256(repr(seen).encode()).hexdigest())
"""


def _drawn(before: str, cwd: Path) -> str:
    env = {**os.environ, "DIFFBENCH_HYPOTHESIS_PROFILE": "default", "HYPOTHESIS_PROFILE": "default",
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", _DRAW_EXAMPLES, before], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_derandomized_examples_do_not_depend_on_earlier_imports(tmp_path):
    pytest.importorskip("autograd")
    from hypothesis.internal.conjecture import providers

    assert hasattr(providers, "_get_local_constants"), \
        "hypothesis moved its local-constant pool: pin it again in tests/hypothesis_profiles.py"
    assert _drawn("alone", tmp_path) == _drawn("after-imports", tmp_path)
