"""Hypothesis-generated expressions in the language, checked tape vs fd
(and symbolic when that engine is registered) up to second order."""
import numpy as np
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from diffbench import parse
from diffbench.engines import load_all
from diffbench.sampling import sample_inputs
from diffbench.testing import check_agree

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

