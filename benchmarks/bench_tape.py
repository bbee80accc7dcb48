"""Tape engine speed, as ratios measured side by side in one run.

    python benchmarks/bench_tape.py [--quick]

1. gradient cost per primitive: a 300-primitive chain on 3-element inputs
   (target <= 4 us per primitive; autograd measured alongside if installed);
2. the cheap-gradient principle: gradient time / function time for
   logistic regression at n = 1000, m = 2000 (target <= 3);
3. the Hessian of logistic regression at n = 300 and 1000 against the
   hand-written closed form (X.T * (s*(1-s))) @ X (target <= 4x).
BLAS is pinned to one thread before NumPy loads.
"""
import sys

import _common  # noqa: F401  (pins BLAS threads first)
from _common import fmt, optional, seconds_per_call

import numpy as np

import diffbench
from diffbench.function import Function
from diffbench.ir import var
from diffbench.ops import build
from diffbench.tape import Program, grad, hessian, value

autograd = optional("autograd")
CHAIN = ("sin", "cos", "tanh")


def chain(length: int) -> Function:
    node = var("x", ("n",))
    for i in range(length):
        node = build(CHAIN[i % 3], (node,))
    return Function(f"chain{length}", build("sum", (node,)), {"x": ("n",)})


def bench_chain(length=300):
    fn = chain(length)
    x = np.array([0.1, 0.2, 0.3])
    p = Program(fn, ["x"], {"n": 3})
    t_grad = seconds_per_call(lambda: grad(p, {"x": x}))
    rows = [("tape gradient per primitive", t_grad / length, 4e-6)]
    if autograd:
        import autograd.numpy as anp

        funcs = (anp.sin, anp.cos, anp.tanh)

        def f(v):
            for i in range(length):
                v = funcs[i % 3](v)
            return anp.sum(v)

        g = autograd.grad(f)
        rows.append(("autograd gradient per primitive", seconds_per_call(lambda: g(x)) / length, None))
    return rows


def logistic(n: int, seed: int = 0):
    entry = diffbench.get_entry("logistic_regression")
    inputs = entry.sample({"n": n}, seed)
    return entry, inputs


def closed_form_hessian(X, w):
    s = 1.0 / (1.0 + np.exp(-(X @ w)))
    return (X.T * (s * (1 - s))) @ X


def closed_form_value(X, w, y):
    z = X @ w
    return np.sum(np.logaddexp(0.0, z)) - y @ z


def bench_logistic(sizes):
    rows = []
    for n in sizes:
        entry, inputs = logistic(n)
        p = Program(entry.function, ["w"], entry.resolve_sizes({"n": n}))
        X, w, y = inputs["X"], inputs["w"], inputs["y"]
        t_value = seconds_per_call(lambda: value(p, inputs))
        t_grad = seconds_per_call(lambda: grad(p, inputs))
        t_hess = seconds_per_call(lambda: hessian(p, inputs), repeat=5)
        t_closed = seconds_per_call(lambda: closed_form_hessian(X, w), repeat=5)
        t_closed_value = seconds_per_call(lambda: closed_form_value(X, w, y))
        rows.append((f"n={n}: tape gradient / tape value", t_grad / t_value, 3.0 if n >= 1000 else None))
        rows.append((f"n={n}: tape gradient / hand-written value", t_grad / t_closed_value, None))
        rows.append((f"n={n}: tape Hessian / closed form", t_hess / t_closed, 4.0 if n >= 300 else None))
        if autograd:
            import autograd.numpy as anp

            def f(v):
                z = anp.dot(X, v)
                return anp.sum(anp.logaddexp(0.0, z)) - anp.dot(y, z)

            H = autograd.hessian(f)
            t_ag = seconds_per_call(lambda: H(w), repeat=3, min_time=0.01)
            rows.append((f"n={n}: autograd Hessian / closed form", t_ag / t_closed, None))
            rows.append((f"n={n}: autograd Hessian / tape Hessian", t_ag / t_hess, None))
        np.testing.assert_allclose(hessian(p, inputs)[("w", "w")], closed_form_hessian(X, w), rtol=1e-9)
    return rows


def main(argv):
    quick = "--quick" in argv
    rows = bench_chain() + bench_logistic([100] if quick else [300, 1000])
    print(f"{'measure':<46}{'figure':>14}{'target':>10}  verdict")
    for name, figure, target in rows:
        shown = fmt(figure) if "per primitive" in name else f"{figure:10.2f}x"
        if target is None:
            verdict, tgt = "", ""
        else:
            verdict = "ok" if figure <= target else "MISSED"
            tgt = fmt(target) if "per primitive" in name else f"<= {target:g}x"
        print(f"{name:<46}{shown:>14}{tgt:>10}  {verdict}")


if __name__ == "__main__":
    main(sys.argv[1:])
