"""The community problems as a user writes them: ordinary NumPy-style Python.

Each function follows the published Python/NumPy code of ADBench or
GradBench (the loops, the helper functions, the names), with
``import diffbench.numpy as np`` in place of ``autograd.numpy``, so
``diffbench.trace`` turns it into the IR, and the very same source, run with
autograd's NumPy, is autograd's own implementation.  Outside a trace each
is plain NumPy.  Where the published code does something a trace cannot
carry, the change is named in a comment (a branch on data, Python's ``sum``
over an array, item assignment).

Loops run over sizes (mixture components, dimensions, layers, characters,
steps), so trace these with ``sizes=`` (see :data:`SHAPES`)::

    f = diffbench.trace(gmm_objective, shapes=SHAPES["gmm_objective"],
                        sizes={"d": 2, "K": 3, "n": 10})

The hyper-parameters that are not differentiated (the Wishart prior's
``gamma`` and ``m``, the ODE's step count) are keyword-only: bind them with
``functools.partial`` before tracing.  docs/python.md shows each in use.
"""
from __future__ import annotations

import math

import diffbench.numpy as np

# each function's array parameters, as trace() declares them
SHAPES = {
    "llsq_objective": {"x": "m", "s": "n", "T": "n,m"},
    "lse_objective": {"x": "n"},
    "det_objective": {"A": "l,l"},
    "gmm_objective": {"alphas": "K", "means": "K,d", "q": "K,d", "l": "K,t", "x": "n,d"},
    "ba_block": {"cam": "11", "X": "3", "w": "", "feat": "2"},
    "lstm_objective": {"main_params": "L2,B4", "extra_params": "3,b", "state": "L2,b", "sequence": "c,b"},
    "ode_objective": {"x": "n"},
}

# ---------------------------------------------------------------- GradBench llsq, lse, det


def llsq_objective(x, s, T):
    """GradBench llsq: 1/2 sum_i (s_i - sum_j x_j t_i^j)^2, with the data
    t_i^j (T) and sign(t_i) (s) passed in, as NumPy code would hold them."""
    residual = s - T @ x
    return 0.5 * residual @ residual


def lse_objective(x):
    """GradBench lse: scipy.special.logsumexp(x)."""
    return np.logsumexp(x)


def det_objective(A):
    """GradBench det."""
    return np.linalg.det(A)


# ---------------------------------------------------------------- GMM (ADBench / GradBench)


def log_gamma_distrib(a, p):
    """log of the multivariate gamma function Gamma_p(a) (a number)."""
    return 0.25 * p * (p - 1) * math.log(math.pi) + sum(math.lgamma(a + 0.5 * (1 - j)) for j in range(1, p + 1))


def q_times_x(q_row, l_row, xcentered):
    """Q x for every point at once (ADBench's Qtimesx): Q has exp(q) on its
    diagonal and l below it, filled column by column; returns Q's columns
    of the product as a list of vectors over the points."""
    d = len(q_row)
    out = [np.exp(q_row[j]) * xcentered[:, j] for j in range(d)]
    index = 0
    for i in range(d):
        for j in range(i + 1, d):
            out[j] = out[j] + l_row[index] * xcentered[:, i]
            index += 1
    return out


def log_wishart_prior(p, gamma, m, sum_qs, q, l):
    """GradBench's log p(Q): the Wishart prior of the precisions Q_k'Q_k."""
    n = p + m + 1
    k = len(sum_qs)
    frobenius = np.sum(np.exp(q) ** 2) + np.sum(l ** 2)
    out = -0.5 * gamma * gamma * frobenius + m * np.sum(sum_qs)
    return out + k * (n * p * math.log(gamma / math.sqrt(2)) - log_gamma_distrib(0.5 * n, p))


def gmm_objective(alphas, means, q, l, x, *, gamma=1.0, m=0, convention="gradbench"):
    """The mixture's log-likelihood plus the Wishart log prior (GradBench's
    log posterior), or minus it (``convention="adbench"``, ADBench's sign)."""
    n, d = x.shape
    k = len(alphas)
    sum_qs = np.sum(q, axis=1)
    columns = []
    for c in range(k):
        qx = q_times_x(q[c], l[c], x - means[c])  # a row broadcast, as in NumPy
        sqsum = qx[0] * qx[0]
        for v in qx[1:]:
            sqsum = sqsum + v * v
        columns.append(alphas[c] + sum_qs[c] - 0.5 * sqsum)
    inner_term = np.stack(columns, axis=1)  # n x K
    slse = np.sum(np.logsumexp(inner_term, axis=1))
    constant = -n * d * 0.5 * math.log(2 * math.pi)
    loglik = constant + slse - n * np.logsumexp(alphas)
    prior = log_wishart_prior(d, gamma, m, sum_qs, q, l)
    return loglik + prior if convention == "gradbench" else loglik - prior


# ---------------------------------------------------------------- ADBench BA


def rodrigues_rotate_point(rot, X):
    # ADBench branches on `sqtheta != 0` (a branch on data, which a trace
    # refuses); the published blocks all take the theta != 0 side, kept here
    sqtheta = np.sum(np.square(rot))
    theta = np.sqrt(sqtheta)
    costheta, sintheta = np.cos(theta), np.sin(theta)
    w = rot / theta
    w_cross_X = np.cross(w, X)
    tmp = np.dot(w, X) * (1.0 - costheta)
    return X * costheta + w_cross_X * sintheta + w * tmp


def radial_distort(rad_params, proj):
    rsq = np.sum(np.square(proj))
    L = 1.0 + rad_params[0] * rsq + rad_params[1] * rsq * rsq
    return proj * L


def project(cam, X):
    Xcam = rodrigues_rotate_point(cam[0:3], X - cam[3:6])
    distorted = radial_distort(cam[9:11], Xcam[0:2] / Xcam[2])
    return distorted * cam[6] + cam[7:9]


def ba_block(cam, X, w, feat):
    """One observation: ADBench's reprojection error and Zach weight error, stacked."""
    reproj_err = w * (project(cam, X) - feat)
    w_err = 1.0 - w * w
    return np.concatenate([reproj_err, np.array([w_err])])


# ---------------------------------------------------------------- ADBench LSTM


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_model(weight, bias, hidden, cell, inp):
    gates = np.concatenate([inp, hidden, inp, hidden]) * weight + bias
    hsize = hidden.shape[0]
    forget = sigmoid(gates[0:hsize])
    ingate = sigmoid(gates[hsize:2 * hsize])
    outgate = sigmoid(gates[2 * hsize:3 * hsize])
    change = np.tanh(gates[3 * hsize:4 * hsize])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


def lstm_predict(w, w2, s, x):
    # ADBench copies s and assigns into it (s2[i] = ...); a list of rows here
    s2 = list(s)
    x = x * w2[0]
    for i in range(0, len(s), 2):
        s2[i], s2[i + 1] = lstm_model(w[i], w[i + 1], s[i], s[i + 1], x)
        x = s2[i]
    return x * w2[1] + w2[2], s2


def lstm_objective(main_params, extra_params, state, sequence):
    """ADBench's lstm_objective.  Its normaliser is Python's
    ``sum(np.exp(ypred), 2)``: the sum *plus 2*, kept (written out here,
    since Python's ``sum`` iterates over the array)."""
    total = 0.0
    count = 0
    _input = sequence[0]
    all_states = [[state[i] for i in range(len(state))]]
    for t in range(0, len(sequence) - 1):
        ypred, new_state = lstm_predict(main_params, extra_params, all_states[t], _input)
        all_states.append(new_state)
        ynorm = ypred - np.log(np.sum(np.exp(ypred)) + 2)
        ygold = sequence[t + 1]
        total = total + np.sum(ygold * ynorm)
        count += ygold.shape[0]
        _input = ygold
    return -total / count


# ---------------------------------------------------------------- GradBench ODE


def ode_fun(x, y):
    """y0' = x0, yi' = xi y(i-1)."""
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def ode_objective(x, *, steps=1):
    """Explicit RK4 over [0, 2] in ``steps`` steps from y = 0; the final
    state's last entry."""
    h = 2.0 / steps
    y = np.zeros_like(x)
    for _ in range(steps):
        k1 = ode_fun(x, y)
        k2 = ode_fun(x, y + h / 2 * k1)
        k3 = ode_fun(x, y + h / 2 * k2)
        k4 = ode_fun(x, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y[-1]


__all__ = ["SHAPES", "llsq_objective", "lse_objective", "det_objective", "gmm_objective",
           "ba_block", "lstm_objective", "ode_objective"]
