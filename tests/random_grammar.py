"""A random grammar of expressions, each drawn with its own reference.

Every production builds two things at once: the expression's text in the
language and the same function written directly in ``autograd.numpy``
(``p`` is the inputs dict).  The reference is therefore independent of
every diffbench engine: it is the published formula, differentiated by
autograd.

What the grammar covers, because each of these once hid a bug:

* scalars broadcast into vector and matrix sums and differences, on either
  side (``a + x``, ``M - b``, ``0.5 - (y - a)``);
* scalar, vector and matrix variables mixed in one expression (and the test
  differentiates with respect to a mixed subset of them);
* every dim ``n`` may be 1 (length-1 vectors, 1x1 matrices);
* inputs near domain edges (tiny vectors for norms) and at large
  magnitudes (sigmoid and softplus far into their tails), drawn by
  :func:`draw_inputs`;
* every construct of docs/language.md but ``svdvals`` (second derivatives
  through it are unsupported, and ``iterate`` (tests/test_iterate.py): named
  intermediates, ``solve``, ``norm1``, ``kron``, ``vec``, ``tril``/``triu``,
  the element-wise functions, ``abs sign relu max min``, axis reductions and
  ``softmax``, concatenation, indexing and slicing, ``vector(c)``/``matrix(c)``.
  Non-smooth functions get references with diffbench's documented choice at a
  kink (``relu'(0) = 0``, a tie of ``max`` going to its second argument).

Functions with a restricted domain only receive arguments inside it
(``log(1 + v.^2)``, ``logdet(M M' + I)``).
"""
from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st

anp = None  # autograd.numpy, bound by :func:`expressions` (autograd is optional)

SHAPES = {"a": "", "b": "", "x": "n", "y": "n", "A": "n,n", "B": "n,n"}
SCALARS, VECTORS, MATRICES = ("a", "b"), ("x", "y"), ("A", "B")


def _leaf(name):
    return st.just((name, lambda p: p[name]))


def _sigmoid(z):  # 1 / (1 + e^-z) without forming e^-z for very negative z
    return anp.exp(-anp.logaddexp(0.0, -z))


def _logsumexp(u):
    from autograd.scipy.special import logsumexp

    return logsumexp(u)


def _softplus(z):
    return anp.logaddexp(0.0, z)


def _unary():
    """Total functions, the same for every rank: (language name, reference)."""
    return {"sin": anp.sin, "cos": anp.cos, "tanh": anp.tanh, "sigmoid": _sigmoid, "softplus": _softplus,
            "arctan": anp.arctan, "square": lambda u: u * u, "abs": anp.abs,
            "relu": lambda u: u * (u > 0)}  # relu'(0) = 0, as docs/language.md chooses


def _restricted():
    """Functions with a restricted or fast-growing domain, given arguments inside it."""
    return {"arcsin(0.5*tanh({}))": lambda u: anp.arcsin(0.5 * anp.tanh(u)),
            "arccos(0.5*tanh({}))": lambda u: anp.arccos(0.5 * anp.tanh(u)),
            "tan(0.5*tanh({}))": lambda u: anp.tan(0.5 * anp.tanh(u)),
            "log1p(({}).^2)": lambda u: anp.log1p(u ** 2),
            "expm1(0.3*tanh({}))": lambda u: anp.expm1(0.3 * anp.tanh(u))}


def _max(u, w):  # a tie goes to the second argument (docs/language.md); a scalar side broadcasts
    return w + (u - w) * (u > w)


def _min(u, w):
    return w - (w - u) * (u < w)


def _softmax(u, axis=None):
    e = anp.exp(u - anp.max(u, axis=axis, keepdims=True))
    return e / anp.sum(e, axis=axis, keepdims=True)


def _logsumexp_axis(u, axis):
    from autograd.scipy.special import logsumexp

    return logsumexp(u, axis=axis)


def _vec(M):
    return anp.ravel(M.T)


def _spd(M):
    return anp.dot(M, M.T) + anp.eye(M.shape[0])


def _elementwise(sub):
    """The restricted functions, and sign(u) .* u (sign' = 0, so its derivative is sign(u))."""
    out = [st.builds(lambda pair, t=t, g=g: (t.format(pair[0]), lambda p, f=pair[1]: g(f(p))), sub)
           for t, g in _restricted().items()]
    out.append(st.builds(lambda pair: (f"(sign({pair[0]}) .* ({pair[0]}))",
                                       lambda p, f=pair[1]: anp.sign(f(p)) * f(p)), sub))
    return out


def _apply(template, reference):
    """A production: ``template`` formats the operands' texts, ``reference``
    combines their reference functions' values."""
    def build(*parts):
        texts = [t for t, _ in parts]
        fns = [f for _, f in parts]
        return template.format(*texts), lambda p: reference(*[f(p) for f in fns])
    return build


def _unaries(sub):
    return [st.builds(lambda pair, name: (f"{name}({pair[0]})", lambda p, f=pair[1], g=_unary()[name]: g(f(p))),
                      sub, st.sampled_from(sorted(_unary())))]


def _sums(sub, scalar):
    """``u + v``, ``u - v`` and a scalar broadcast into the sum on either side."""
    return [
        st.builds(_apply("({} + {})", lambda u, v: u + v), sub, sub),
        st.builds(_apply("({} - {})", lambda u, v: u - v), sub, sub),
        st.builds(_apply("({} + {})", lambda s, v: s + v), scalar, sub),
        st.builds(_apply("({} - {})", lambda v, s: v - s), sub, scalar),
        st.builds(_apply("({} - {})", lambda s, v: s - v), scalar, sub),
        st.builds(_apply("(0.5 - ({} - {}))", lambda v, s: 0.5 - (v - s)), sub, scalar),
        st.builds(_apply("({}*{})", lambda s, v: s * v), scalar, sub),
    ]


@functools.lru_cache(maxsize=None)
def scalar(depth: int):
    leaves = st.one_of(*[_leaf(s) for s in SCALARS])
    if depth == 0:
        return leaves
    s, v, m = scalar(depth - 1), vector(depth - 1), matrix(depth - 1)
    return st.one_of(
        leaves,
        st.builds(_apply("sum({})", anp.sum), v),
        st.builds(_apply("sum({})", anp.sum), m),
        st.builds(_apply("<{}, {}>", lambda u, w: anp.sum(u * w)), v, v),
        st.builds(_apply("{}'*{}*{}", lambda u, M, w: anp.dot(u, anp.dot(M, w))), v, m, v),
        st.builds(_apply("tr({})", anp.trace), m),
        st.builds(_apply("norm2({})", lambda u: anp.sqrt(anp.sum(u * u))), v),
        st.builds(_apply("norm2({})", lambda M: anp.sqrt(anp.sum(M * M))), m),
        st.builds(_apply("logsumexp({})", _logsumexp), v),
        st.builds(_apply("log(1 + ({})^2)", lambda t: anp.log(1 + t ** 2)), s),
        st.builds(_apply("({} + {})", lambda t, r: t + r), s, s),
        st.builds(_apply("({} - {})", lambda t, r: t - r), s, s),
        st.builds(_apply("({}*{})", lambda t, r: t * r), s, s),
        st.builds(_apply("({} / (2 + ({})^2))", lambda t, r: t / (2 + r ** 2)), s, s),
        st.builds(_apply("det({}*{}' + eye(n))",
                         lambda M, N: anp.linalg.det(anp.dot(M, N.T) + anp.eye(M.shape[0]))), m, m),
        st.builds(_apply("tr({}*{}')", lambda u, w: anp.sum(u * w)), v, v),
        st.builds(_apply("logdet({}*{}' + eye(n))",
                         lambda M, N: anp.log(anp.linalg.det(anp.dot(M, N.T) + anp.eye(M.shape[0])))), m, m),
        st.builds(_apply("norm1({})", lambda u: anp.sum(anp.abs(u))), v),
        st.builds(_apply("norm1({})", lambda M: anp.sum(anp.abs(M))), m),
        st.builds(_apply("({})[1]", lambda u: u[0]), v),
        st.builds(_apply("({})[1, 1]", lambda M: M[0, 0]), m),
        st.builds(_apply("vec({})'*vec({})", lambda M, N: anp.dot(_vec(M), _vec(N))), m, m),
        st.builds(_apply("sum(kron({}, {}))", lambda M, N: anp.sum(anp.kron(M, N))), m, m),
        st.builds(_apply("<[{}; {}], [{}; {}]>", lambda u, w, r, q: anp.dot(anp.concatenate([u, w]),
                                                                          anp.concatenate([r, q]))), v, v, v, v),
        st.builds(_apply("sum(logsumexp({}, 2))", lambda M: anp.sum(_logsumexp_axis(M, 1))), m),
        st.builds(_apply("({})^2", lambda t: t ** 2), s),
        *_unaries(s), *_elementwise(s))


@functools.lru_cache(maxsize=None)
def vector(depth: int):
    leaves = st.one_of(*[_leaf(v) for v in VECTORS])
    if depth == 0:
        return leaves
    s, v, m = scalar(depth - 1), vector(depth - 1), matrix(depth - 1)
    return st.one_of(
        leaves, *_sums(v, s), *_unaries(v),
        st.builds(_apply("({} .* {})", lambda u, w: u * w), v, v),
        st.builds(_apply("({}*{})", lambda M, u: anp.dot(M, u)), m, v),
        st.builds(_apply("({}'*{})", lambda M, u: anp.dot(M.T, u)), m, v),
        st.builds(_apply("exp(0.3*{})", lambda u: anp.exp(0.3 * u)), v),
        st.builds(_apply("log(1 + {}.^2)", lambda u: anp.log(1 + u ** 2)), v),
        st.builds(_apply("({} ./ (2 + {}.^2))", lambda u, w: u / (2 + w ** 2)), v, v),
        st.builds(_apply("diag({})", anp.diag), m),
        st.builds(_apply("max({}, {})", _max), v, v),
        st.builds(_apply("min({}, {})", _min), v, s),
        st.builds(_apply("({} + vector({}))", lambda u, t: u + t), v, s),
        st.builds(_apply("solve({}*{}' + eye(n), {})", lambda M, N, u: anp.linalg.solve(
            anp.dot(M, N.T) + anp.eye(M.shape[0]), u)), m, m, v),
        st.builds(_apply("sum({}, 1)", lambda M: anp.sum(M, axis=0)), m),
        st.builds(_apply("sum({}, 2)", lambda M: anp.sum(M, axis=1)), m),
        st.builds(_apply("logsumexp({}, 2)", lambda M: _logsumexp_axis(M, 1)), m),
        st.builds(_apply("softmax({})", _softmax), v),
        st.builds(_apply("({})[1, :]", lambda M: M[0, :]), m),
        st.builds(_apply("({})[:, 1]", lambda M: M[:, 0]), m),
        *_elementwise(v))


@functools.lru_cache(maxsize=None)
def matrix(depth: int):
    leaves = st.one_of(*[_leaf(m) for m in MATRICES])
    if depth == 0:
        return leaves
    s, v, m = scalar(depth - 1), vector(depth - 1), matrix(depth - 1)
    return st.one_of(
        leaves, *_sums(m, s),
        st.builds(_apply("({}*{})", anp.dot), m, m),
        st.builds(_apply("({})'", lambda M: M.T), m),
        st.builds(_apply("diag({})", anp.diag), v),
        st.builds(_apply("({}*{}')", anp.outer), v, v),
        st.builds(_apply("tanh({})", anp.tanh), m),
        st.builds(_apply("inv({}*{}' + eye(n))",
                         lambda M, N: anp.linalg.inv(anp.dot(M, N.T) + anp.eye(M.shape[0]))), m, m),
        st.builds(_apply("tril({})", anp.tril), m),
        st.builds(_apply("triu({}, 1)", lambda M: anp.triu(M, 1)), m),
        st.builds(_apply("tril({}, -1)", lambda M: anp.tril(M, -1)), m),
        st.builds(_apply("solve({}, {})", lambda M, N: anp.linalg.solve(_spd(M), N)),
                  m.map(lambda pair: (f"({pair[0]}*{pair[0]}' + eye(n))", pair[1])), m),
        st.builds(_apply("softmax({}, 2)", lambda M: _softmax(M, 1)), m),
        st.builds(_apply("softmax({}, 1)", lambda M: _softmax(M, 0)), m),
        st.builds(_apply("([{}, {}]*[{}; {}])", lambda M, N, P, Q: anp.dot(anp.concatenate([M, N], axis=1),
                                                                        anp.concatenate([P, Q], axis=0))), m, m, m, m),
        st.builds(_apply("({} .* matrix({}))", lambda M, t: M * t), m, s),
        st.builds(_apply("max({}, {})", _max), s, m),
        *_elementwise(m))


def expressions(depth: int = 2):
    """Scalar-valued expressions with their references: ``(text, f(p))``."""
    global anp
    import autograd.numpy

    anp = autograd.numpy
    return _programs(depth)  # built once (cached): hypothesis validates a strategy once


@functools.lru_cache(maxsize=None)
def _programs(depth: int):
    """A scalar expression, or a program naming an intermediate and using it twice."""
    named = st.builds(lambda pair, tail: (f"z1 = {pair[0]}; {tail[0].format('z1')}",
                                          lambda p, f=pair[1], g=tail[1]: g(f(p))),
                      vector(depth - 1),
                      st.sampled_from([("sum({0} .* {0}) + sum(tanh({0}))", lambda u: anp.sum(u * u) + anp.sum(anp.tanh(u))),
                                       ("<{0}, softmax({0})>", lambda u: anp.dot(u, _softmax(u)))]))
    return st.one_of(scalar(depth), named)


# How far from the unit scale the inputs are drawn: edges and magnitudes.
REGIMES = {"unit": 1.0, "tiny": 1e-4, "large": 30.0}


def draw_inputs(variables: dict, n: int, regime: str, seed: int) -> dict:
    """Inputs for ``variables`` (name -> declared shape text) at size ``n``."""
    rng = np.random.default_rng(seed)
    scale = REGIMES[regime]
    out = {}
    for name, shape in variables.items():
        dims = tuple(n for d in shape.split(",") if d)
        value = rng.normal(size=dims) * scale
        out[name] = float(value) if dims == () else value
    return out
