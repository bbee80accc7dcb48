"""A wider sweep of spellings: every way of writing a function that the generator below
knows, timed against the function's first (catalogue) spelling.

    python benchmarks/bench_spelling_sweep.py [--functions a,b] [--n 300] [--repeat 5]
                                              [--random 4] [--list] [--engines symbolic,tape]

For each function, :func:`spellings` writes variants from its template: every
alternative of one slot with the others at their first choice (a transpose moved,
``ones(n)'*v`` for ``sum(v)``, ``x'*x`` / ``norm2(x)^2`` / ``sum(x.*x)`` /
``sum(square(x))``, ``diag(y)*X*w`` for ``y.*(X*w)``, ``log(1 + exp(z))`` /
``-log(sigmoid(-z))`` for ``softplus(z)``, a named intermediate ``z = X*w; ...``)
plus ``--random`` combinations of several slots.  Each variant's gradient and Hessian,
symbolic and tape, are timed side by side with the first spelling's (calls
interleaved, fastest of ``--repeat`` samples) and printed as ratios, the worst
first, each marked with whether its generated code and its tape steps are the first
spelling's (a difference there is no noise).  Not judged: this finds the spellings
worth a line in ``bench_spellings.py``'s judged list (a ratio well above 1 is a
spelling the engines do not reach the canonical form from).  ``--list`` prints the
variants without timing them; ``--forms`` only compares their code and tape steps.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402,F401  (one BLAS thread, before NumPy loads)

import argparse  # noqa: E402
import itertools  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from bench_spellings import draw, side_by_side  # noqa: E402

# ------------------------------------------------------------------ the generator
# function -> (shapes, wrt, template, {slot: alternatives}); the first alternative of
# every slot gives the catalogue spelling.  A slot's text may use other slots ({Z} in
# {L}); "named" slots put an assignment in front.
_LOSS = ["softplus({Z})", "log(1 + exp({Z}))", "log(exp({Z}) + 1)", "log1p(exp({Z}))",
         "-log(sigmoid(-{Z}))", "-log(1 - sigmoid({Z}))"]
_SUM = ["sum({V})", "ones(m)'*{V}", "{V}'*ones(m)", "<ones(m), {V}>"]

TEMPLATES = {
    "logistic": ({"X": "m,n", "w": "n", "y": "m"}, "w", "{S} - {D}", {
        "S": _SUM,
        "V": _LOSS,
        "Z": ["X*w", "(w'*X')'"],
        "D": ["y'*X*w", "(X*w)'*y", "w'*X'*y", "y'*(X*w)", "sum(y.*(X*w))", "<y, X*w>",
              "ones(m)'*(y.*(X*w))", "(X'*y)'*w"],
    }),
    "logistic_pm": ({"X": "m,n", "w": "n", "y": "m"}, "w", "{S}", {
        "S": _SUM,
        "V": _LOSS,
        "Z": ["-y.*(X*w)", "-diag(y)*X*w", "-(diag(y)*X)*w", "-diag(y)*(X*w)", "diag(-y)*X*w",
              "-(X*w).*y", "-(X'*diag(y))'*w", "-(w'*X'*diag(y))'"],
    }),
    "scalar_logistic": ({"w": "", "x": "", "y": ""}, "w", "{V} - {D}", {  # scalar arguments
        "V": ["softplus(w*x)", "log(1 + exp(w*x))", "log(exp(x*w) + 1)", "log1p(exp(w*x))",
              "-log(sigmoid(-w*x))", "-log(1 - sigmoid(x*w))"],
        "D": ["y*w*x", "y*(w*x)", "x*w*y", "(w*x)*y"],
    }),
    "log_one_plus_exp": ({"a": "n", "x": "n"}, "x", "{V}", {
        "V": ["log(1 + exp({Z}))", "softplus({Z})", "log(exp({Z}) + 1)", "log1p(exp({Z}))",
              "-log(sigmoid(-{Z}))", "-log(1 - sigmoid({Z}))"],
        "Z": ["a'*x", "x'*a", "<a, x>", "sum(a.*x)", "ones(n)'*(a.*x)"],
    }),
    "least_squares": ({"A": "m,n", "x": "n", "b": "m"}, "x", "{F}", {
        "F": ["0.5*norm2({R})^2", "0.5*({R})'*({R})", "0.5*sum(({R}).^2)", "0.5*sum(({R}).*({R}))",
              "0.5*sum(square({R}))", "norm2({R})^2/2", "0.5*<{R}, {R}>", "0.5*sqrt(sum(({R}).^2))^2",
              "0.5*x'*A'*A*x - b'*A*x + 0.5*b'*b", "0.5*x'*(A'*A)*x - (A'*b)'*x + 0.5*b'*b"],
        "R": ["A*x - b", "-(b - A*x)", "(x'*A')' - b"],
    }),
    "gaussian_bump": ({"x": "n"}, "x", "{E}", {
        "E": ["-exp(-{Q})", "-1/exp({Q})", "-exp(-1*{Q})", "-exp(-{Q}/2*2)"],
        "Q": ["x'*x", "norm2(x)^2", "sum(x.^2)", "sum(x.*x)", "sum(square(x))", "<x, x>",
              "sqrt(sum(x.^2))^2", "x'*eye(n)*x", "ones(n)'*(x.*x)", "norm2(x)*norm2(x)"],
    }),
    "quadratic": ({"A": "n,n", "x": "n", "b": "n"}, "x", "{Q} - {L}", {
        "Q": ["0.5*x'*A*x", "1/2*x'*A*x", "x'*A*x/2", "0.5*(A*x)'*x", "0.5*sum(x.*(A*x))",
              "0.5*x'*(A*x)", "0.5*<x, A*x>", "0.5*x'*A'*x", "0.5*(x'*A)*x"],
        "L": ["b'*x", "x'*b", "<b, x>", "sum(b.*x)"],
    }),
    "trace_solve": ({"X": "n,n", "A": "n,n"}, "X", "{T}", {
        "T": ["tr(solve(X, A))", "tr(inv(X)*A)", "tr(A*inv(X))", "sum(diag(solve(X, A)))",
              "<inv(X)', A>", "tr(solve(X', A')')", "sum(inv(X).*A')"],
    }),
    "log_quadratic": ({"x": "n", "A": "n,n"}, "x", "log({Q})", {
        "Q": ["x'*A*x", "<x, A*x>", "sum(x.*(A*x))", "(A*x)'*x", "x'*A'*x", "x'*(A*x)"],
    }),
    "softmax_cross_entropy": ({"W": "k,n", "x": "n", "y": "k"}, "W", "{L} - {D}", {
        "L": ["logsumexp(W*x)", "log(sum(exp(W*x)))", "log(ones(k)'*exp(W*x))"],
        "D": ["y'*W*x", "(W*x)'*y", "x'*W'*y", "sum(y.*(W*x))", "<y, W*x>", "<W, y*x'>"],
    }),
    "log_determinant": ({"X": "n,n"}, "X", "{D}", {
        "D": ["logdet(X)", "log(det(X))", "-logdet(inv(X))", "logdet(X')"],
    }),
    "bilinear_inverse": ({"A": "n,n", "b": "n", "c": "n"}, "A", "{B}", {
        "B": ["c'*inv(A)*b", "c'*solve(A, b)", "(inv(A)'*c)'*b", "solve(A', c)'*b", "<c, inv(A)*b>",
              "sum(c.*solve(A, b))"],
    }),
    "linear_solve_loss": ({"A": "n,n", "b": "n", "c": "n"}, "A", "{F}", {
        "F": ["0.5*norm2(inv(A)*b - c)^2", "0.5*norm2(solve(A, b) - c)^2", "0.5*sum((inv(A)*b - c).^2)",
              "0.5*(solve(A, b) - c)'*(solve(A, b) - c)"],
    }),
}

# named intermediates: a variant with ``name = text;`` in front and the name in the body,
# for every spelling that contains the text
NAMED = {
    "logistic": [("z", "X*w")],
    "logistic_pm": [("z", "X*w"), ("z", "diag(y)*X*w")],
    "least_squares": [("r", "A*x - b")],
    "quadratic": [("q", "A*x")],
    "log_quadratic": [("q", "A*x")],
}

# sizes of the sweep: a matrix variable's Hessian has n⁴ entries
SWEEP_N = {"trace_solve": 30, "log_determinant": 30, "bilinear_inverse": 30, "linear_solve_loss": 30,
           "softmax_cross_entropy": 100}


def _fill(template: str, choice: dict, depth: int = 4) -> str:
    text = template
    for _ in range(depth):
        text = text.format(**choice)
        if "{" not in text:
            break
    return text


def spellings(function: str, combos: int = 0, seed: int = 0) -> list[str]:
    """The catalogue spelling first, then every one-slot variant, then ``combos``
    random several-slot variants, then each of these with a named intermediate;
    duplicates dropped, order kept."""
    _, _, template, slots = TEMPLATES[function]
    base = {k: v[0] for k, v in slots.items()}
    out = [_fill(template, base)]
    for slot, options in slots.items():
        for option in options[1:]:
            out.append(_fill(template, dict(base, **{slot: option})))
    rng = random.Random(seed)
    for _ in range(combos):
        out.append(_fill(template, {k: rng.choice(v) for k, v in slots.items()}))
    out += [f"{name} = {text}; " + s.replace(text, name)
            for name, text in NAMED.get(function, []) for s in out if text in s]
    out = list(dict.fromkeys(out))
    return out[:1] + [s for s in out[1:] if _same_function(function, out[0], s)]


def _same_function(function: str, first: str, text: str) -> bool:
    """Does ``text`` parse and give ``first``'s value at a random point?  (A named
    intermediate put in by text substitution can change what is computed.)"""
    import diffbench

    shapes, wrt, _, _ = TEMPLATES[function]
    p = _draw(function, 5, np.random.default_rng(1))
    values = []
    for expr in (first, text):
        try:
            fn = diffbench.parse(expr, shapes)
        except ValueError:  # the language refused it (ExpressionError)
            return False
        values.append(diffbench.engines.get_engine("tape").prepare(fn, [wrt], {"n": 5, "m": 10, "k": 5}).value(p))
    return bool(np.isclose(values[0], values[1], rtol=1e-10))


def _draw(function: str, n: int, rng) -> dict:
    B = rng.normal(size=(n, n)) / np.sqrt(n)
    if function == "log_quadratic":
        return {"x": rng.normal(size=n), "A": B @ B.T + np.eye(n)}  # A SPD
    if function == "softmax_cross_entropy":
        return {"W": rng.normal(size=(5, n)) / np.sqrt(n), "x": rng.normal(size=n), "y": np.eye(5)[2]}
    if function == "scalar_logistic":
        return {"w": 0.3, "x": 0.7, "y": 1.0}
    if function == "log_determinant":
        return {"X": B @ B.T + np.eye(n)}
    if function in ("bilinear_inverse", "linear_solve_loss"):
        return {"A": B + 3 * np.eye(n), "b": rng.normal(size=n), "c": rng.normal(size=n)}
    return draw(function, n, rng)


# ------------------------------------------------------------------ timing

def _prepared(expr, shapes, wrt, sizes, engines):
    import diffbench

    fn = diffbench.parse(expr, shapes)
    return {e: diffbench.engines.get_engine(e).prepare(fn, [wrt], sizes) for e in engines}


def _forms(expr, shapes, wrt) -> tuple:
    """What decides the cost without a timer: the symbolic engine's generated gradient
    and Hessian, and the operations the tape runs (its canonical IR's steps)."""
    from diffbench import parse
    from diffbench.canonical import canonical_root
    from diffbench.ir import topological
    from diffbench.symbolic.api import derive_function

    fn = parse(expr, shapes)
    source = derive_function(fn, [wrt], 2).source
    code = tuple(source.split(f"def {q}(")[1].split("\ndef ")[0] for q in ("gradient", "hessian"))
    steps = tuple(sorted(n.op for n in topological(canonical_root(fn)) if n.args))
    return code, steps


def sweep(function: str, n: int, repeat: int, combos: int, engines) -> list[tuple]:
    shapes, wrt, _, _ = TEMPLATES[function]
    n = SWEEP_N.get(function, n)
    sizes = {"n": n, "m": 2 * n, "k": 5}
    p = _draw(function, n, np.random.default_rng(0))
    texts = spellings(function, combos)
    base = _prepared(texts[0], shapes, wrt, sizes, engines)
    base_code, base_steps = _forms(texts[0], shapes, wrt)
    rows = []
    for text in texts[1:]:
        try:
            other = _prepared(text, shapes, wrt, sizes, engines)
            code, steps = _forms(text, shapes, wrt)
        except Exception as error:  # a variant the language refuses is a finding too
            print(f"{function:17} {text:70} refused: {str(error).splitlines()[0]}", flush=True)
            continue
        same = ("code " + ("same" if code == base_code else "DIFFERS") + ", tape steps "
                + ("same" if steps == base_steps else "DIFFER"))
        calls, names = [], []
        for e in engines:
            for q in ("gradient", "hessian"):
                calls += [lambda e=e, q=q: getattr(other[e], q)(p), lambda e=e, q=q: getattr(base[e], q)(p)]
                names.append(f"{e} {q}")
        times = side_by_side(calls, repeat, per_repeat=1)
        ratios = {names[i]: times[2 * i] / times[2 * i + 1] for i in range(len(names))}
        rows.append((function, text, n, ratios, same))
        print(f"{function:17} {text:70} " + "  ".join(f"{k} {v:5.2f}x" for k, v in ratios.items())
              + f"  ({same})", flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", default=",".join(TEMPLATES))
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--random", type=int, default=4, help="random several-slot variants per function")
    parser.add_argument("--engines", default="symbolic,tape")
    parser.add_argument("--list", action="store_true", help="print the variants, time nothing")
    parser.add_argument("--malloc", choices=("steady", "default"), default="steady",
                        help="steady: glibc keeps freed memory (see bench_spellings.py)")
    parser.add_argument("--forms", action="store_true", help="compare code and tape steps, time nothing")
    args = parser.parse_args(argv)
    functions = args.functions.split(",")
    if args.list:
        for function in functions:
            for text in spellings(function, args.random):
                print(f"{function:17} {text}")
        return 0
    if args.forms:
        for function in functions:
            shapes, wrt, _, _ = TEMPLATES[function]
            texts = spellings(function, args.random)
            base = _forms(texts[0], shapes, wrt)
            for text in texts[1:]:
                code, steps = _forms(text, shapes, wrt)
                print(f"{function:17} {text:70} code {'same' if code == base[0] else 'DIFFERS'}, "
                      f"tape steps {'same' if steps == base[1] else 'DIFFER'}")
        return 0
    if args.malloc == "steady":
        _common.keep_freed_memory()
    start = time.perf_counter()
    rows = list(itertools.chain.from_iterable(
        sweep(f, args.n, args.repeat, args.random, args.engines.split(",")) for f in functions))
    print(f"\n{len(rows)} variants timed in {time.perf_counter() - start:.0f} s; worst ratio per variant "
          "(variant / first spelling), worst first; a variant with the same code and tape steps "
          "as the first spelling differs from it by the machine's noise only:")
    rows.sort(key=lambda r: -max(r[3].values()))
    for function, text, n, ratios, same in rows:
        measure, worst = max(ratios.items(), key=lambda kv: kv[1])
        print(f"  {worst:6.2f}x  {measure:17} {function:17} n={n:<5d} {text:70} {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
