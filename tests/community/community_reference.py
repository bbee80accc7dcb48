"""Independent references for the community problems, in autograd.numpy.

Each is written directly from the published definition, loop for loop where
the published code loops (ADBench's src/cpp/shared/{gmm,ba,lstm}.h,
GradBench's cpp/gradbench/evals/{llsq,lse,det,ode}.hpp), never through
diffbench's expression language or IR, so that agreement with diffbench's
engines means something.
"""
from __future__ import annotations

import math

import autograd.numpy as anp
from autograd import grad, jacobian

from diffbench.community.data import gmm_constant

# ---------------------------------------------------------------- GradBench


def llsq(x, n):
    """1/2 sum_i (s_i - sum_j x_j t_i^j)^2, t_i = -1 + 2i/(n-1), s_i = sign(t_i)."""
    total = 0.0
    for i in range(n):
        ti = -1.0 + i * 2.0 / (n - 1)
        inner, power = float(anp.sign(ti)), 1.0
        for j in range(len(x)):
            inner = inner - x[j] * power
            power *= ti
        total = total + inner * inner
    return total / 2.0


def lse(x):
    """a + log sum_i exp(x_i - a), a = max x (the LogSumExp trick)."""
    a = anp.max(x)
    return a + anp.log(anp.sum(anp.exp(x - a)))


def det_by_minors(A):
    """Expansion by minors along the first row (GradBench det / cmpad det_by_minor)."""
    rows = [[A[i, j] for j in range(A.shape[1])] for i in range(A.shape[0])]
    return _minor(rows)


def _minor(rows):
    if len(rows) == 1:
        return rows[0][0]
    total, sign = 0.0, 1.0
    for j in range(len(rows)):
        sub = [row[:j] + row[j + 1:] for row in rows[1:]]
        total = total + sign * rows[0][j] * _minor(sub)
        sign = -sign
    return total


def ode_final(x, s):
    """Explicit RK4 over [0, 2] in s steps of y0' = x0, yi' = xi y(i-1), y(0) = 0;
    the last component of the final state."""
    h = 2.0 / s
    y = anp.zeros(len(x))

    def f(y):
        return anp.concatenate([x[:1], x[1:] * y[:-1]])

    for _ in range(s):
        k1 = f(y)
        k2 = f(y + h * k1 / 2)
        k3 = f(y + h * k2 / 2)
        k4 = f(y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y[-1]


# ---------------------------------------------------------------- ADBench GMM


def _q_times(qk, lk, z):
    """ADBench's Qtimesx: exp(q) .* z plus the strictly lower part, column by column."""
    d = len(z)
    out = [anp.exp(qk[j]) * z[j] for j in range(d)]
    idx = 0
    for i in range(d):
        for j in range(i + 1, d):
            out[j] = out[j] + lk[idx] * z[i]
            idx += 1
    return out


def _logsumexp(values):
    top = max(values, key=lambda v: float(getattr(v, "_value", v)))
    return top + anp.log(sum(anp.exp(v - top) for v in values))


def gmm(alpha, mu, q, l, x, gamma, m, convention="gradbench"):
    """Log-likelihood of the mixture plus (GradBench) or minus (ADBench) the
    Wishart log prior of the precision matrices Q_k'Q_k."""
    n, d = x.shape
    k = len(alpha)
    slse = 0.0
    for i in range(n):
        terms = []
        for c in range(k):
            qz = _q_times(q[c], l[c], [x[i, j] - mu[c, j] for j in range(d)])
            terms.append(alpha[c] + anp.sum(q[c]) - 0.5 * sum(v * v for v in qz))
        slse = slse + _logsumexp(terms)
    likelihood_const, prior_const = gmm_constant(d, k, n, gamma, m)
    loglik = likelihood_const + slse - n * _logsumexp([alpha[c] for c in range(k)])
    frobenius = [anp.sum(anp.exp(q[c]) ** 2) + anp.sum(l[c] ** 2) for c in range(k)]
    logprior = prior_const + sum(-0.5 * gamma ** 2 * frobenius[c] + m * anp.sum(q[c]) for c in range(k))
    return loglik + logprior if convention == "gradbench" else loglik - logprior


def gmm_naive(alpha, mu, q, l, x, gamma, m):
    """GradBench's --validate-naive formula: log(likelihood x prior) from the
    Gaussian and Wishart densities themselves (plain floats; tiny sizes only)."""
    import numpy as np
    from scipy.special import multigammaln

    n, d = x.shape
    k = len(alpha)
    phi = np.exp(alpha) / np.sum(np.exp(alpha))
    precisions = []
    for c in range(k):
        Q, idx = np.diag(np.exp(q[c])), 0
        for j in range(d):  # l fills the strictly lower triangle column by column
            for i in range(j + 1, d):
                Q[i, j], idx = l[c][idx], idx + 1
        precisions.append(Q.T @ Q)
    likelihood = 1.0
    for i in range(n):
        total = 0.0
        for c in range(k):
            z = x[i] - mu[c]
            total += phi[c] * np.exp(-0.5 * z @ precisions[c] @ z) / np.sqrt(
                (2 * np.pi) ** d / np.linalg.det(precisions[c]))
        likelihood *= total
    dof, V = d + m + 1, np.eye(d) / gamma ** 2
    prior = 1.0
    for P in precisions:
        prior *= (np.linalg.det(P) ** ((dof - d - 1) / 2) * np.exp(-np.trace(np.linalg.inv(V) @ P) / 2)) / (
            2 ** (d * dof / 2) * np.linalg.det(V) ** (dof / 2) * np.exp(multigammaln(dof / 2, d)))
    return math.log(likelihood * prior)


# ---------------------------------------------------------------- ADBench BA


def _cross(a, b):
    return anp.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def ba_block(cam, X, w, feat):
    """ADBench's computeReprojError and computeZachWeightError for one
    observation: [w (proj - feat); 1 - w^2] (the rotation's theta != 0 branch)."""
    rot, C, f, principal, k = cam[0:3], cam[3:6], cam[6], cam[7:9], cam[9:11]
    Xo = X - C
    theta = anp.sqrt(anp.sum(rot * rot))
    axis = rot / theta
    Xcam = (Xo * anp.cos(theta) + _cross(axis, Xo) * anp.sin(theta)
            + axis * anp.sum(axis * Xo) * (1.0 - anp.cos(theta)))
    proj = Xcam[0:2] / Xcam[2]
    rsq = anp.sum(proj * proj)
    proj = proj * (1.0 + k[0] * rsq + k[1] * rsq * rsq)
    proj = proj * f + principal
    return anp.concatenate([w * (proj - feat), anp.array([1.0 - w * w])])


def ba_jacobian(cam, X, w, feat):
    """3 x 15 over (cam, X, w): rows err0, err1 and the weight residual."""
    def packed(v):
        return ba_block(v[0:11], v[11:14], v[14], feat)
    return jacobian(packed)(anp.concatenate([cam, X, anp.array([w])]))


# ---------------------------------------------------------------- ADBench LSTM


def _sigmoid(v):
    return 1.0 / (1.0 + anp.exp(-v))


def lstm(main, extra, state, seq):
    """ADBench's lstm_objective: l layers of the diagonal LSTM over c - 1
    predictions; the normaliser is log(sum exp(ypred) + 2), the '+2' kept."""
    layers, b = main.shape[0] // 2, seq.shape[1]
    hidden = [state[2 * i] for i in range(layers)]
    cell = [state[2 * i + 1] for i in range(layers)]
    # per layer: weights and biases of the forget, input, output gates and the change
    gates = [[main[2 * i + r][g * b:(g + 1) * b] for r in (0, 1) for g in range(4)]
             for i in range(layers)]
    total = 0.0
    for t in range(seq.shape[0] - 1):
        out = seq[t] * extra[0]
        for i in range(layers):
            wf, wi, wo, wc, bf, bi, bo, bc = gates[i]
            forget = _sigmoid(out * wf + bf)
            ingate = _sigmoid(hidden[i] * wi + bi)
            outgate = _sigmoid(out * wo + bo)
            change = anp.tanh(hidden[i] * wc + bc)
            cell[i] = cell[i] * forget + ingate * change
            hidden[i] = outgate * anp.tanh(cell[i])
            out = hidden[i]
        ypred = out * extra[1] + extra[2]
        ynorm = ypred - anp.log(anp.sum(anp.exp(ypred)) + 2.0)
        total = total + anp.sum(seq[t + 1] * ynorm)
    return -total / ((seq.shape[0] - 1) * b)


__all__ = ["llsq", "lse", "det_by_minors", "ode_final", "gmm", "gmm_naive", "ba_block",
           "ba_jacobian", "lstm", "grad", "jacobian"]
