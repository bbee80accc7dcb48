"""Inputs of the AD community's benchmark problems: readers and generators.

Readers parse ADBench's published input files (github.com/microsoft/ADBench,
``data/``); generators draw inputs of any size the way the published
generators do (ADBench's ``data/gmm/gmm-data-gen.py`` and
``data/lstm/gen_data.py``, GradBench's ``evals/*/run.py``), from a NumPy
``Generator`` so a seed reproduces them.  Everything here returns plain
NumPy arrays named as the published definitions name them; turning them into
the variables of a catalogue expression is :mod:`.problems`' business.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------- readers


def _numbers(line: str) -> list[float]:
    return [float(v) for v in line.split()]


def _lines(path) -> list[str]:
    return Path(path).read_text(encoding="utf-8").splitlines()


def read_gmm(path, replicate_point: bool = False) -> dict:
    """ADBench GMM file: ``d k n``, k alphas, k means, k icf rows, points, ``gamma m``.

    Each icf row holds the d log-diagonal entries ``q`` first, then the
    strictly lower triangle ``l`` column by column (``d(d-1)/2`` entries).
    ``replicate_point``: the 2.5M files hold one point, repeated n times.
    """
    lines = iter(line for line in _lines(path) if line.strip())
    d, k, n = (int(v) for v in next(lines).split())
    alpha = np.array([float(next(lines)) for _ in range(k)])
    mu = np.array([_numbers(next(lines)) for _ in range(k)])
    icf = np.array([_numbers(next(lines)) for _ in range(k)])
    rows = 1 if replicate_point else n
    x = np.array([_numbers(next(lines)) for _ in range(rows)])
    if replicate_point:
        x = np.repeat(x, n, axis=0)
    gamma, m = next(lines).split()[:2]
    return {"d": d, "k": k, "n": n, "alpha": alpha, "mu": mu, "q": icf[:, :d],
            "l": icf[:, d:], "x": x, "gamma": float(gamma), "m": int(m)}


def read_ba(path) -> dict:
    """ADBench BA file: ``n m p``, then one camera (11), one point (3), one
    weight and one feature (2) that the benchmark replicates over all
    cameras, points and observations; one observation block is what we read."""
    lines = [line for line in _lines(path) if line.strip()]
    n, m, p = (int(v) for v in lines[0].split())
    return {"n": n, "m": m, "p": p, "cam": np.array(_numbers(lines[1])),
            "X": np.array(_numbers(lines[2])), "w": float(lines[3]),
            "feat": np.array(_numbers(lines[4]))}


def read_lstm(path, chars: int | None = None) -> dict:
    """ADBench LSTM file: ``l c b``, then (blank-line separated) the main
    parameters (2l x 4b), extra parameters (3 x b), state (2l x b) and the
    text as bits (c x b).  ``chars`` keeps only the first so many characters."""
    lines = _lines(path)
    l, c, b = (int(v) for v in lines[0].split())
    blocks, current = [], []
    for line in lines[1:]:
        if line.strip():
            current.append(_numbers(line))
        elif current:
            blocks.append(np.array(current))
            current = []
    if current:
        blocks.append(np.array(current))
    main, extra, state, seq = blocks[:4]
    if chars is not None:
        seq, c = seq[:chars], min(c, chars)
    return {"l": l, "c": c, "b": b, "main": main, "extra": extra, "state": state, "seq": seq}


# ---------------------------------------------------------------- generators


def gmm_instance(d: int, k: int, n: int, rng: np.random.Generator,
                 gamma: float = 1.0, m: int = 0) -> dict:
    """As ADBench's gmm-data-gen.py (and GradBench's generator): alphas, the
    log-diagonals q, the lower triangles l and the points from N(0, 1), the
    means from U(0, 1); Wishart gamma = 1, m = 0."""
    return {"d": d, "k": k, "n": n, "alpha": rng.normal(size=k), "mu": rng.uniform(size=(k, d)),
            "q": rng.normal(size=(k, d)), "l": rng.normal(size=(k, d * (d - 1) // 2)),
            "x": rng.normal(size=(n, d)), "gamma": gamma, "m": m}


def lstm_instance(l: int, c: int, b: int, rng: np.random.Generator) -> dict:
    """As ADBench's gen_data.py: parameters and state from U(0, 1); the text
    as b-bit binary codes of its characters, most significant bit first.
    The published text (a novel) is not redistributed here: the characters
    are drawn uniformly from code points 32 .. 2^b - 1 (b = 14 in the
    published files, whose text holds typographic punctuation)."""
    codes = rng.integers(32, 2 ** b, size=c)
    seq = ((codes[:, None] >> np.arange(b - 1, -1, -1)[None, :]) & 1).astype(float)
    return {"l": l, "c": c, "b": b, "main": rng.random((2 * l, 4 * b)),
            "extra": rng.random((3, b)), "state": rng.random((2 * l, b)), "seq": seq}


def llsq_data(n: int, m: int) -> dict:
    """GradBench llsq's fixed data: t_i = -1 + 2i/(n-1), s_i = sign(t_i), and
    the Vandermonde matrix T_ij = t_i^j (j = 0 .. m-1) so that the model is
    sum_j x_j t_i^j = (T x)_i."""
    t = -1.0 + np.arange(n) * 2.0 / (n - 1)
    return {"t": t, "s": np.sign(t), "T": np.vander(t, m, increasing=True)}


def log_multigamma(a: float, p: int) -> float:
    """log Gamma_p(a) = p(p-1)/4 log(pi) + sum_{j=1..p} log Gamma(a + (1-j)/2)."""
    return p * (p - 1) / 4 * math.log(math.pi) + sum(math.lgamma(a + (1 - j) / 2) for j in range(1, p + 1))


def gmm_constant(d: int, k: int, n: int, gamma: float, m: int) -> tuple[float, float]:
    """The parameter-free terms of the GMM objective: the likelihood's
    -n d/2 log(2 pi) and the Wishart prior's K (N d log(gamma/sqrt 2) - log Gamma_d(N/2)),
    N = d + m + 1 (GradBench's log p(theta); ADBench adds its negative)."""
    dof = d + m + 1
    prior = k * (dof * d * math.log(gamma / math.sqrt(2.0)) - log_multigamma(0.5 * dof, d))
    return -n * d * 0.5 * math.log(2 * math.pi), prior
