"""Named functions from the seed lectures, each with a sampler of valid inputs.

An entry is the expression (written once, in the function language), the
variables to differentiate, declared shapes, the domains its inputs need,
the dims a user sets (``size_dims``) and dims derived from them
(``derived``, small arithmetic such as ``"2*n"``).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from . import dims as dimexpr
from .function import Function
from .sampling import sample_inputs


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    expr: str
    wrt: tuple[str, ...]
    shapes: dict[str, str]
    domain: dict[str, str] = field(default_factory=dict)
    size_dims: tuple[str, ...] = ("n",)
    derived: dict[str, str] = field(default_factory=dict)
    default_sizes: dict[str, list[int]] = field(default_factory=lambda: {"n": [3, 10, 30]})
    sampler: object = None  # optional custom draw(sizes, rng) -> dict (e.g. labels)
    source: str = ""  # where in the seeds, and the closed form the seeds give
    # optional expand(sizes) -> expression text, for functions whose structure depends on a
    # size (an unrolled loop of s steps); ``expr`` is then the expression at default sizes
    expand: object = None

    @property
    def function(self) -> Function:
        cached = _parsed.get(self.name)
        if cached is None:
            from .lang import parse

            cached = _parsed[self.name] = parse(self.expr, self.shapes)
        return cached

    def expression_at(self, sizes: dict[str, int]) -> str:
        """The expression text at these sizes (``expr`` unless the entry expands)."""
        return self.expr if self.expand is None else self.expand(self.resolve_sizes(sizes))

    def function_at(self, sizes: dict[str, int]) -> Function:
        """The parsed function at these sizes (``function`` unless the entry expands)."""
        if self.expand is None:
            return self.function
        from .lang import parse

        return parse(self.expression_at(sizes), self.shapes)

    def resolve_sizes(self, sizes: dict[str, int]) -> dict[str, int]:
        """User sizes plus derived dims (``m = 2*n``); checks none is missing."""
        out = {k: int(v) for k, v in sizes.items()}
        missing = [d for d in self.size_dims if d not in out]
        if missing:
            raise ValueError(f"{self.name} needs sizes for {', '.join(missing)}")
        for dim, text in self.derived.items():
            out.setdefault(dim, dimexpr.evaluate(text, out))
        return out

    def sample(self, sizes: dict[str, int], seed: int = 0) -> dict:
        sizes = self.resolve_sizes(sizes)
        inputs = sample_inputs(self.function, sizes, seed, self.domain)
        if self.sampler is not None:
            inputs.update(self.sampler(sizes, np.random.default_rng(seed + 1)))
        return inputs


_parsed: dict[str, Function] = {}


def _labels(sizes, rng):
    return {"y": rng.integers(0, 2, size=sizes["m"]).astype(float)}


def _one_hot(sizes, rng):
    y = np.zeros(sizes["k"])
    y[rng.integers(sizes["k"])] = 1.0
    return {"y": y}


def _distances(sizes, rng):
    points = rng.normal(size=(sizes["N"], sizes["d"]))
    diff = points[:, None, :] - points[None, :, :]
    return {"D": np.sum(diff ** 2, axis=-1)}


def _neuron(sizes, rng):
    return {"x": float(rng.normal()), "t": float(rng.uniform()), "lam": 0.1}


ENTRIES = [
    Entry("quadratic_form", "Quadratic form <x,Ax> - b'x + c",
          "x'*A*x - b'*x + c", ("x",), {"x": "n", "A": "n,n", "b": "n", "c": ""},
          source="seed example 1: gradient (A+A')x - b, Hessian A + A'"),
    Entry("log_quadratic", "log <x,Ax> with A SPD",
          "log(x'*A*x)", ("x",), {"x": "n", "A": "n,n"}, domain={"A": "spd"},
          source="seed example: gradient 2Ax/<x,Ax> for symmetric A"),
    Entry("log_one_plus_exp", "ln(1 + exp<a,x>): one logistic sample",
          "log(1 + exp(a'*x))", ("x",), {"x": "n", "a": "n"},
          source="seed example: gradient sigma(<a,x>) a, Hessian sigma(1-sigma) a a'"),
    Entry("gaussian_bump", "-exp(-x'x)",
          "-exp(-x'*x)", ("x",), {"x": "n"},
          source="seed example: gradient 2 exp(-x'x) x"),
    Entry("least_squares", "Least squares 1/2 ||Ax - b||^2",
          "0.5*norm2(A*x - b)^2", ("x",), {"x": "n", "A": "m,n", "b": "m"},
          derived={"m": "2*n"}, source="seed example: gradient A'(Ax-b), Hessian A'A"),
    Entry("two_variable_graph", "L = w2 log w1 + sqrt(w2 log w1) (computational graph)",
          "w2*log(w1) + sqrt(w2*log(w1))", ("w1", "w2"), {"w1": "", "w2": ""},
          domain={"w1": "positive", "w2": "positive"}, size_dims=(), default_sizes={},
          sampler=lambda sizes, rng: {"w1": float(rng.uniform(1.5, 3.0))},
          source="seed computational-graph example in (w1, w2)"),
    Entry("logistic_regression", "Logistic regression loss over m = 2n samples",
          "sum(softplus(X*w)) - y'*X*w", ("w",), {"w": "n", "X": "m,n", "y": "m"},
          derived={"m": "2*n"}, sampler=_labels,
          default_sizes={"n": [10, 30, 100]},
          source="Hessian X' diag(s(1-s)) X, s = sigmoid(Xw)"),
    Entry("mds_stress", "Multidimensional scaling stress in W (N points in d = 2)",
          "norm2(diag(W*W')*ones(N)' + ones(N)*diag(W*W')' - 2*W*W' - D)^2", ("W",),
          {"W": "N,d", "D": "N,N"}, size_dims=("N",), derived={"d": "2"},
          default_sizes={"N": [4, 8, 16]}, sampler=_distances,
          source="seed MDS example: sum_ij (||W_i - W_j||^2 - D_ij)^2"),
    Entry("two_layer_net", "Two-layer sigmoid network, squared loss in W1",
          "0.5*norm2(W2*sigmoid(W1*x) - y)^2", ("W1",),
          {"W1": "h,n", "W2": "k,h", "x": "n", "y": "k"}, derived={"h": "n", "k": "3"},
          default_sizes={"n": [3, 6, 12]}, source="seed feed-forward network example"),
    Entry("softmax_cross_entropy", "Softmax cross-entropy in W",
          "logsumexp(W*x) - y'*W*x", ("W",), {"W": "k,n", "x": "n", "y": "k"},
          derived={"k": "5"}, sampler=_one_hot, default_sizes={"n": [3, 6, 12]},
          source="seed example: gradient (softmax(Wx) - y) x'"),
    Entry("bilinear_inverse", "c' A^-1 b in A (linear-solve gradient)",
          "c'*inv(A)*b", ("A",), {"A": "n,n", "b": "n", "c": "n"}, domain={"A": "invertible"},
          source="gradient -A^-T c b' A^-T"),
    Entry("linear_solve_loss", "1/2 ||A^-1 b - c||^2 in A and b",
          "0.5*norm2(inv(A)*b - c)^2", ("A", "b"), {"A": "n,n", "b": "n", "c": "n"},
          domain={"A": "invertible"}, default_sizes={"n": [3, 6, 12]},
          source="seed linear-solve gradients dL/dA and dL/db"),
    Entry("log_determinant", "log det X",
          "logdet(X)", ("X",), {"X": "n,n"}, domain={"X": "spd"},
          source="gradient X^-T (every entry independent)"),
    Entry("trace_inverse", "tr(X^-1)",
          "tr(inv(X))", ("X",), {"X": "n,n"}, domain={"X": "spd"},
          source="gradient -X^-T X^-T"),
    Entry("tanh", "tanh x: the seed's plot of tanh and its first six derivatives",
          "tanh(x)", ("x",), {"x": ""}, size_dims=(), default_sizes={},
          sampler=lambda sizes, rng: {"x": float(rng.uniform(-2.0, 2.0))},
          source="seed autograd example: tanh and egrad nested up to the 6th derivative; tanh' = 1 - tanh^2"),
    Entry("regularised_neuron", "1/2 (sigmoid(wx+b) - t)^2 + lam/2 w^2",
          "0.5*(sigmoid(w*x + b) - t)^2 + lam/2*w^2", ("w", "b"),
          {"w": "", "x": "", "b": "", "t": "", "lam": ""}, size_dims=(), default_sizes={},
          sampler=_neuron, source="seed single-neuron example"),
]

def _community() -> list[Entry]:
    from .community.problems import entries

    return entries(Entry)


ENTRIES += _community()  # ADBench and GradBench problems (docs/community.md)

CATALOGUE: dict[str, Entry] = {e.name: e for e in ENTRIES}


def get_entry(name: str) -> Entry:
    if name not in CATALOGUE:
        near = difflib.get_close_matches(name, list(CATALOGUE), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise KeyError(f"unknown catalogue function {name!r}{hint}")
    return CATALOGUE[name]


def default_size(entry: Entry) -> dict[str, int]:
    """The smallest default size of each dim the user sets."""
    return {d: entry.default_sizes.get(d, [4])[0] for d in entry.size_dims}
