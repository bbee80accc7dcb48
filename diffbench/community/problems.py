"""The AD community's benchmark problems as catalogue entries.

Each problem is written once in diffbench's expression language; its
sampler draws every input the way the published generator does (see
:mod:`.data`), so ``diffbench compare gradbench-llsq`` and job files run them
with nothing to download.  ``PUBLISHED_SIZES`` holds the size grids the
benchmarks publish; ``jobs/community.toml`` runs them.  docs/community.md
gives the sources and every convention chosen here.
"""
from __future__ import annotations

import numpy as np

from . import data

# The grids as published: GradBench's evals/*/run.py defaults, ADBench's data/.
# GradBench's llsq list really says 8196 and 16392 (not 8192, 16384).
PUBLISHED_SIZES = {
    "gradbench-llsq": {"n": [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8196, 16392], "m": [128]},
    "gradbench-lse": {"n": [2500, 5000, 10000, 20000, 40000, 80000, 160000, 320000, 640000, 1280000]},
    "gradbench-det": {"l": [5, 6, 7, 8, 9, 10, 11]},
    # ADBench data/gmm/1k and 10k (2.5M: one point replicated); d = 128 files are partly missing
    "adbench-gmm": {"d": [2, 10, 20, 32, 64, 128], "K": [5, 10, 25, 50, 100, 200], "n": [1000, 10000]},
    # GradBench evals/gmm/run.py defaults
    "gradbench-gmm": {"d": [2, 10, 20, 32, 64], "K": [5, 10, 25, 50, 100], "n": [1000]},
    # one observation block: no size (ADBench's ba1..ba20 replicate one block p times)
    "adbench-ba": {},
    # ADBench data/lstm (l, c) files, b = 14 bits per character
    "adbench-lstm": {"l": [2, 4], "c": [1024, 4096]},
    # GradBench evals/ode/run.py defaults
    "gradbench-ode": {"n": [1000, 10000, 100000], "s": [1, 10, 100]},
}

# ADBench's computeReprojError and computeZachWeightError for one observation:
# the camera is [r (3, Rodrigues axis-angle), C (3, centre), f, principal point (2),
# k1, k2 (radial distortion)]; indices count from 1.  The value is
# [w (proj - feat); 1 - w^2], so its Jacobian is ADBench's 2 x 15 block plus the weight row.
BA_EXPRESSION = """r = cam[1:3]
Xo = X - cam[4:6]
theta = sqrt(r'*r)
v = r/theta
vxXo = [v[2]*Xo[3] - v[3]*Xo[2]; v[3]*Xo[1] - v[1]*Xo[3]; v[1]*Xo[2] - v[2]*Xo[1]]
Xcam = Xo*cos(theta) + vxXo*sin(theta) + v*((v'*Xo)*(1 - cos(theta)))
proj = Xcam[1:2]/Xcam[3]
rsq = proj'*proj
distorted = proj*(1 + cam[10]*rsq + cam[11]*rsq^2)
[w*(distorted*cam[7] + cam[8:9] - feat); 1 - w^2]"""

# The GMM log-likelihood, one row of beta per point and one column per component:
#   Qs   stacks the K lower-triangular factors Q_k (rows (k, r), k-major), built from
#        exp(q) on the diagonals and l placed column by column below them;
#   Z    holds Q_k (x_i - mu_k) in row i, columns (k, r);
#   beta[i, k] = alpha_k - logsumexp(alpha) + sum(q_k) - 1/2 ||Q_k (x_i - mu_k)||^2.
# E, R, S, G are the 0/1 matrices that spread a component's row over its d rows
# (E' = kron(eye(K), ones(d))), pick the diagonal (R = kron(ones(K), eye(d))), and
# place l (S picks the row of each entry, G its column).  c0 holds every term
# without parameters; wg = gamma^2 / 2 and wm = m are the Wishart prior's weights.
_GMM_LIKELIHOOD = """Qs = (E'*exp(q)) .* R + ((E'*l) .* S)*G
Z = X*Qs' - ones(n)*sum(Qs .* (E'*mu), 2)'
beta = ones(n)*(alpha - ones(K)*logsumexp(alpha) + sum(q, 2))' - 0.5*(Z .* Z)*E'
frobenius = sum(exp(2*q)) + sum(l .* l)
"""
# GradBench: log likelihood + log prior (the log posterior).  ADBench adds the negative of
# the log prior instead (its log_wishart_prior returns -log p(theta)): docs/community.md.
GMM_GRADBENCH = _GMM_LIKELIHOOD + "sum(logsumexp(beta, 2)) + c0 - wg*frobenius + wm*sum(q)"
GMM_ADBENCH = _GMM_LIKELIHOOD + "sum(logsumexp(beta, 2)) + c0 + wg*frobenius - wm*sum(q)"
_GMM_SHAPES = {"alpha": "K", "mu": "K,d", "q": "K,d", "l": "K,t", "X": "n,d", "E": "K,Kd",
               "R": "Kd,d", "S": "Kd,t", "G": "t,d", "c0": "", "wg": "", "wm": ""}


def _uniform(name: str, dims: tuple[str, ...]):
    """GradBench draws its inputs with np.random.rand: U[0, 1)."""
    def draw(sizes, rng):
        return {name: rng.random(tuple(sizes[d] for d in dims))}
    return draw


def _llsq(sizes, rng):
    fixed = data.llsq_data(sizes["n"], sizes["m"])
    return {"x": rng.random(sizes["m"]), "s": fixed["s"], "T": fixed["T"]}


def _lower_placement(d: int) -> tuple[np.ndarray, np.ndarray]:
    """For l's entries, in ADBench's column-by-column order: the row (d x t)
    and the column (t x d) of the strictly lower triangle each one fills."""
    places = [(r, c) for c in range(d) for r in range(c + 1, d)]
    rows, cols = np.zeros((d, len(places))), np.zeros((len(places), d))
    for i, (r, c) in enumerate(places):
        rows[r, i] = cols[i, c] = 1.0
    return rows, cols


def gmm_inputs(g: dict, convention: str) -> dict:
    """A GMM instance (``data.read_gmm`` or ``data.gmm_instance``) as the
    variables of the GMM entries, with the structural 0/1 matrices."""
    d, k, n = g["d"], g["k"], g["n"]
    rows, cols = _lower_placement(d)
    likelihood, prior = data.gmm_constant(d, k, n, g["gamma"], g["m"])
    return {"alpha": g["alpha"], "mu": g["mu"], "q": g["q"], "l": g["l"], "X": g["x"],
            "E": np.kron(np.eye(k), np.ones((1, d))), "R": np.kron(np.ones((k, 1)), np.eye(d)),
            "S": np.kron(np.ones((k, 1)), rows), "G": cols,
            "c0": likelihood + (prior if convention == "gradbench" else -prior),
            "wg": 0.5 * g["gamma"] ** 2, "wm": float(g["m"])}


def _gmm(convention: str):
    def draw(sizes, rng):
        return gmm_inputs(data.gmm_instance(sizes["d"], sizes["K"], sizes["n"], rng), convention)
    return draw


def _ba(sizes, rng):
    """ADBench's test block (data/ba/test.txt) with the rotation, camera centre
    and point moved by about 2 % per seed (the point stays in front); the
    published block itself is ``data.read_ba`` of that file."""
    cam = np.array([1.797201, 0.590697, -0.635786, 90.859550, 29.361415, 28.777534,
                    211.628116, -0.284531, -14.762924, 0.058931, 0.069976])
    X, w, feat = np.array([4.173048, 5.586898, 1.403869]), 0.417022, np.array([-525.672849, 161.811929])
    cam[:6] *= 1 + 0.02 * rng.standard_normal(6)
    X = X * (1 + 0.02 * rng.standard_normal(3))
    return {"cam": cam, "X": X, "w": w, "feat": feat}


def _lstm(sizes, rng):
    g = data.lstm_instance(sizes["l"], sizes["c"], sizes["b"], rng)
    return {k: g[k] for k in ("main", "extra", "state", "seq")}


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
        _gmm_entry(Entry, "adbench-gmm", GMM_ADBENCH, "ADBench GMM: log-likelihood minus the Wishart log prior",
                   "ADBench src/cpp/shared/gmm.h (sign as published: -log prior), data/gmm"),
        _gmm_entry(Entry, "gradbench-gmm", GMM_GRADBENCH, "GradBench GMM: the log posterior",
                   "GradBench evals/gmm: log likelihood + Wishart log prior of the precisions"),
        Entry("adbench-ba", "ADBench bundle adjustment: one observation block and its weight",
              BA_EXPRESSION, ("cam", "X", "w"), {"cam": "11", "X": "3", "w": "", "feat": "2"},
              size_dims=(), default_sizes={},
              sampler=_ba,
              source="ADBench src/cpp/shared/ba.h: Rodrigues rotation, projection, radial "
                     "distortion, weighted residual; Jacobian 2 x 15 plus the weight row"),
        Entry("adbench-lstm", "ADBench LSTM: l diagonal LSTM layers over c characters",
              lstm_expression({"l": 1, "c": 2, "b": 14}), ("main", "extra"),
              {"main": "L2,B4", "extra": "3,b", "state": "L2,b", "seq": "c,b"},
              size_dims=("l", "c"), derived={"b": "14", "L2": "2*l", "B4": "4*b"},
              default_sizes={"l": [1, 1], "c": [2, 3]}, sampler=_lstm, expand=lstm_expression,
              source="ADBench src/cpp/shared/lstm.h, unrolled: the loss normalises by "
                     "log(sum(exp(ypred)) + 2), the '+2' as published"),
        Entry("gradbench-ode", "GradBench ode: s RK4 steps, the final state's last entry",
              ode_expression({"n": 4, "s": 1}), ("x",), {"x": "n"},
              size_dims=("n", "s"), default_sizes={"n": [4, 6], "s": [1, 2]},
              sampler=_uniform("x", ("n",)), expand=ode_expression,
              source="GradBench evals/ode (after cmpad an_ode): y0' = x0, yi' = xi y(i-1), "
                     "y(0) = 0, explicit RK4 over [0, 2], unrolled"),
    ]


def _gmm_entry(Entry, name: str, expr: str, title: str, source: str):
    return Entry(name, title, expr, ("alpha", "mu", "q", "l"), dict(_GMM_SHAPES),
                 size_dims=("d", "K", "n"), derived={"t": "d*(d-1)//2", "Kd": "K*d"},
                 default_sizes={"d": [2, 3], "K": [3, 4], "n": [10, 20]},
                 sampler=_gmm(name.split("-")[0]), source=source)


NAMES = tuple(PUBLISHED_SIZES)

__all__ = ["NAMES", "PUBLISHED_SIZES", "entries"]


# ---------------------------------------------------------------- unrolled loops


def ode_expression(sizes: dict) -> str:
    """GradBench ode: s explicit RK4 steps of y0' = x0, yi' = xi y(i-1) over
    [0, 2] from y = 0, unrolled; the value is the final state's last entry."""
    n, s = sizes["n"], sizes["s"]
    h = repr(2.0 / s)
    if n < 2:
        raise ValueError("gradbench-ode needs n >= 2")

    def rhs(y):
        return f"[x[1]; x[2:{n}] .* {y}[1:{n - 1}]]"

    lines = [f"y0 = 0*x[1:{n}]"]  # literal lengths throughout, as the slices have
    for i in range(1, s + 1):
        y = f"y{i - 1}"
        lines += [f"k1_{i} = {rhs(y)}",
                  f"k2_{i} = {rhs(f'({y} + {h}/2*k1_{i})')}",
                  f"k3_{i} = {rhs(f'({y} + {h}/2*k2_{i})')}",
                  f"k4_{i} = {rhs(f'({y} + {h}*k3_{i})')}",
                  f"y{i} = {y} + {h}/6*(k1_{i} + 2*k2_{i} + 2*k3_{i} + k4_{i})"]
    return "\n".join(lines + [f"y{s}[{n}]"])


def lstm_expression(sizes: dict) -> str:
    """ADBench lstm_objective unrolled: l layers of the diagonal LSTM over the
    c - 1 predictions of the text's next character; the normaliser is
    log(sum(exp(ypred)) + 2), ADBench's '+2' kept."""
    layers, c, b = sizes["l"], sizes["c"], sizes["b"]
    lines, row = [], f"1:{b}"  # literal lengths throughout, as the gate slices have
    for i in range(1, layers + 1):
        w, bias = 2 * i - 1, 2 * i
        for g, gate in enumerate(("wf", "wi", "wo", "wc")):
            lo, hi = g * b + 1, (g + 1) * b
            lines.append(f"{gate}{i} = main[{w}, {lo}:{hi}]")
            lines.append(f"b{gate[1]}{i} = main[{bias}, {lo}:{hi}]")
        lines.append(f"h{i}_0 = state[{w}, {row}]")
        lines.append(f"c{i}_0 = state[{bias}, {row}]")
    lines.append("total0 = 0")
    for t in range(1, c):
        lines.append(f"in{t} = seq[{t}, {row}] .* extra[1, {row}]")
        for i in range(1, layers + 1):
            h, cell, o = f"h{i}_{t - 1}", f"c{i}_{t - 1}", f"in{t}" if i == 1 else f"h{i - 1}_{t}"
            lines += [f"c{i}_{t} = {cell} .* sigmoid({o} .* wf{i} + bf{i}) "
                      f"+ sigmoid({h} .* wi{i} + bi{i}) .* tanh({h} .* wc{i} + bc{i})",
                      f"h{i}_{t} = sigmoid({o} .* wo{i} + bo{i}) .* tanh(c{i}_{t})"]
        lines += [f"y{t} = h{layers}_{t} .* extra[2, {row}] + extra[3, {row}]",
                  f"total{t} = total{t - 1} + seq[{t + 1}, {row}]'*(y{t} - log(sum(exp(y{t})) + 2))"]
    return "\n".join(lines + [f"-total{c - 1}/{(c - 1) * b}"])
