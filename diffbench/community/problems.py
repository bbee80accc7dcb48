"""The AD community's benchmark problems as catalogue entries.

Each problem is written once in diffbench's expression language; its
sampler draws every input the way the published generator does (see
:mod:`.data`), so ``diffbench compare gradbench-llsq`` and job files run them
with nothing to download.  ``PUBLISHED_SIZES`` holds the size grids the
benchmarks publish; ``jobs/community.toml`` runs them.  docs/community.md
gives the sources and every convention chosen here.
"""
from __future__ import annotations

from . import data

# The grids as published: GradBench's evals/*/run.py defaults, ADBench's data/.
# GradBench's llsq list really says 8196 and 16392 (not 8192, 16384).
PUBLISHED_SIZES = {
    "gradbench-llsq": {"n": [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8196, 16392], "m": [128]},
    "gradbench-lse": {"n": [2500, 5000, 10000, 20000, 40000, 80000, 160000, 320000, 640000, 1280000]},
    "gradbench-det": {"l": [5, 6, 7, 8, 9, 10, 11]},
}


def _uniform(name: str, dims: tuple[str, ...]):
    """GradBench draws its inputs with np.random.rand: U[0, 1)."""
    def draw(sizes, rng):
        return {name: rng.random(tuple(sizes[d] for d in dims))}
    return draw


def _llsq(sizes, rng):
    fixed = data.llsq_data(sizes["n"], sizes["m"])
    return {"x": rng.random(sizes["m"]), "s": fixed["s"], "T": fixed["T"]}


def entries(Entry) -> list:
    """The community entries, built with the catalogue's ``Entry`` class."""
    return [
        Entry("gradbench-llsq", "GradBench llsq: 1/2 sum_i (s_i - sum_j x_j t_i^j)^2",
              "0.5*norm2(s - T*x)^2", ("x",), {"x": "m", "s": "n", "T": "n,m"},
              size_dims=("n",), derived={"m": "128"}, default_sizes={"n": [16, 64]},
              sampler=_llsq,
              source="GradBench evals/llsq (after cmpad llsq_obj): t_i = -1 + 2i/(n-1), "
                     "s_i = sign(t_i), T_ij = t_i^j is data; gradient T'(Tx - s)"),
        Entry("gradbench-lse", "GradBench lse: log sum_i exp(x_i)",
              "logsumexp(x)", ("x",), {"x": "n"}, default_sizes={"n": [16, 100]},
              sampler=_uniform("x", ("n",)),
              source="GradBench evals/lse: x ~ U[0,1); gradient softmax(x)"),
        Entry("gradbench-det", "GradBench det: the determinant of an l x l matrix",
              "det(A)", ("A",), {"A": "l,l"}, size_dims=("l",), default_sizes={"l": [5, 6]},
              sampler=_uniform("A", ("l", "l")),
              source="GradBench evals/det (after cmpad det_by_minor): A ~ U[0,1); "
                     "gradient det(A) A^-T (engines use LU, not expansion by minors)"),
    ]


__all__ = ["PUBLISHED_SIZES", "entries"]
