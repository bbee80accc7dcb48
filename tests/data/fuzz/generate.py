"""Write the fuzz corpora beside this file (run it again after changing it):

    python tests/data/fuzz/generate.py

``expressions.jsonl``: expressions with shapes, wrt and sizes, as a careless
or hostile user of ``diffbench compare`` might type them: grammar-built
ones (valid and not), and mutations of them (cut, doubled, characters
dropped or inserted, operators swapped, deep nesting, huge or odd numbers,
Unicode look-alikes, wrong wrt, odd sizes).

``jobs.jsonl``: job files (TOML, some JSON) as a careless or hostile client
might send them: mutations of a valid file (nonsense values, keys dropped,
doubled or misspelt, text cut or corrupted, deep nesting, huge grids).

Derandomized: the same seed gives the same corpora, so a failure
reproduces.  Data only: nothing here is evaluated.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).parent
SEED = 17
COUNT = 1200

VARIABLES = {"x": "n", "y": "n", "A": "n,n", "B": "n,n", "c": ""}
UNARY = ("exp", "log", "sin", "cos", "tanh", "sqrt", "sigmoid", "softplus", "tan", "arctan", "log1p",
         "expm1", "square", "abs", "relu", "sum", "norm2", "norm1", "logsumexp", "tr", "det", "logdet",
         "inv", "diag", "vec", "softmax", "tril", "triu", "svdvals", "sigmoud", "Log", "")
BINARY = ("+", "-", ".*", "./", "*", ".^", "^", "'*", "/")
ODD = ("³", "½", "∞", "−", "×", "ｘ", "\u200b", "\t", "\n", ";", "=", "[", "]", ",", ":", "'", "\"", "\\",
       "1e308", "1e-320", "nan", "inf", "99999999999", "0", "-0", "1e6", "__import__", "$", "#", "@")


def atom(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.6:
        return rng.choice(list(VARIABLES))
    if choice < 0.8:
        return rng.choice(("1", "2", "0.5", "3.25", "1e-3", "1e6", "0"))
    return rng.choice(("ones(n)", "eye(n)", "ones(0)", "ones(3)", "vector(2)", "matrix(1)"))


def expression(rng: random.Random, depth: int = 0) -> str:
    if depth > 4 or rng.random() < 0.3:
        return atom(rng)
    kind = rng.random()
    if kind < 0.35:
        return f"{rng.choice(UNARY)}({expression(rng, depth + 1)})"
    if kind < 0.85:
        return f"{expression(rng, depth + 1)}{rng.choice(BINARY)}{expression(rng, depth + 1)}"
    if kind < 0.92:
        return f"({expression(rng, depth + 1)})'"
    return f"-{expression(rng, depth + 1)}"


def mutate(rng: random.Random, text: str) -> str:
    """One careless or hostile edit of ``text``."""
    pos = rng.randrange(len(text) + 1)
    kind = rng.randrange(10)
    if kind == 0:
        return text[:pos]
    if kind == 1:
        return text[:pos] + rng.choice(ODD) + text[pos:]
    if kind == 2:
        return text[:pos] + text[pos + 1:]
    if kind == 3:
        return text + rng.choice(BINARY) + text
    if kind == 4:
        depth = rng.choice((50, 500, 3000))
        return "(" * depth + text + ")" * depth
    if kind == 5:
        return "-" + text
    if kind == 6:
        return text.replace("x", rng.choice(("x'", "x.*x", "xx", "X", "ｘ")), 1)
    if kind == 7:
        return ".*".join([text] * rng.choice((2, 40, 400)))
    if kind == 8:
        return text[:pos] + rng.choice(("(", ")", "))", "((", "'", "''")) + text[pos:]
    return text + rng.choice(("", " ", "\n", ";", "; z = x", "+" * 10))


MAX_LENGTH = 20_000  # long enough to find what length does, short enough for a small corpus


ELEMENTWISE = ("exp", "sin", "cos", "tanh", "sigmoid", "softplus", "arctan", "square", "abs", "relu", "expm1")
TEMPLATES = ("sum({f}(x))", "{f}(x)'*A*{f}(x)", "sum({f}(A*x + y))", "log(sum(exp(x))) + {f}(c)*sum(x)",
             "x'*A*x + c*sum({f}(y))", "norm2({f}(x)) + tr(A'*B)", "sum({f}(x)) / (1 + c*c)", "{f}(x)",
             "logsumexp(A*x) - y'*x", "sum(softmax(x) .* {f}(y))", "1e6*x'*x", "-x'*x", "x.*x.*x.*x.*x")


def well_formed(rng: random.Random) -> str:
    """A shape-correct expression, so the corpus runs engines, not only the parser."""
    return rng.choice(TEMPLATES).format(f=rng.choice(ELEMENTWISE))


def expression_case(rng: random.Random) -> dict:
    text = well_formed(rng) if rng.random() < 0.3 else expression(rng)
    for _ in range(rng.choice((0, 0, 1, 2))):
        text = mutate(rng, text)[:MAX_LENGTH]
    shapes = {name: shape for name, shape in VARIABLES.items() if name in text}
    if rng.random() < 0.1:
        shapes[rng.choice(list(VARIABLES))] = rng.choice(("m", "n,m", "1", "0", "n,n,n", "n+m", "³"))
    wrt = [name for name in shapes if name in text][:rng.choice((1, 2))] or ["x"]
    if rng.random() < 0.08:
        wrt = [rng.choice(("y", "z", "", "n", "x,x", "A"))]
    size = rng.choice(("3", "3", "2", "1", "4", "0", "-1", "³", "1e3", "", "99999999999", "x"))
    return {"expr": text, "shapes": shapes, "wrt": wrt, "sizes": {"n": size, "m": "2"}}


VALID_JOB = """version = 1
name = "fuzz"
engines = ["tape", "symbolic"]
quantities = ["value", "gradient"]
repeat = 3
timeout = "20s"
memory = "1GiB"
sample_time = "1ms"
reference = ["fd"]

[[functions]]
name = "quad"
expr = "x'*A*x"
shapes = { x = "n", A = "n,n" }
wrt = "x"
sizes = { n = [3, 5] }

[[functions]]
catalogue = "logistic_regression"
sizes = { n = [4] }
"""
NONSENSE = ("nan", "inf", "-inf", "0", "-1", "1.0", "true", "false", '""', '"99999999TiB"', '"-5s"', "[]", "{}",
            '"x"', "9223372036854775807", "1e308", '"\\u0000"', "[[[[1]]]]", '"' + "a" * 500 + '"', '"³"')
KEYS = ("version", "name", "engines", "quantities", "repeat", "timeout", "memory", "sample_time", "reference",
        "expr", "shapes", "wrt", "sizes", "catalogue", "grid", "domain", "schedule", "seed", "n")


def job_case(rng: random.Random) -> dict:
    text = VALID_JOB
    for _ in range(rng.choice((1, 1, 2, 3))):
        text = mutate_job(rng, text)
    as_json = rng.random() < 0.1
    if as_json:
        text = json.dumps({"version": 1, "name": "fuzz", "engines": ["tape"], "quantities": ["value"],
                           "functions": [{"name": "f", "expr": text[:200], "shapes": {"x": "n"},
                                          "sizes": {"n": [2]}}]})
    return {"text": text, "type": "application/json" if as_json else "application/toml"}


def mutate_job(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    kind = rng.randrange(9)
    i = rng.randrange(len(lines))
    key = lines[i].split("=")[0].strip() if "=" in lines[i] else None
    if kind in (0, 1, 2) and key:  # a nonsense value
        lines[i] = f"{key} = {rng.choice(NONSENSE)}"
    elif kind == 3:  # a line dropped or doubled
        lines[i:i + 1] = [] if rng.random() < 0.5 else [lines[i], lines[i]]
    elif kind == 4 and key:  # a misspelt or unknown key
        lines[i] = lines[i].replace(key, rng.choice(KEYS) + rng.choice(("", "s", "_")), 1)
    elif kind == 5:  # cut anywhere
        return text[:rng.randrange(len(text))]
    elif kind == 6:  # nested deep
        depth = rng.choice((40, 300, 2000))
        lines.insert(rng.randrange(1, 9), f"extra = {'[' * depth}{']' * depth}")
    elif kind == 7:  # a huge grid, a long list, a huge formula
        lines.append(rng.choice(("grid = true", "")))
        lines = [line.replace("sizes = { n = [3, 5] }", rng.choice((
            "sizes = { n = [" + ", ".join(map(str, range(1, 600))) + "] }",
            'sizes = { n = "' + "*".join(["99999"] * 40) + '" }',
            'sizes = { n = "' + "(" * 1000 + "3" + ")" * 1000 + '" }',
            "sizes = { n = [3, 3, 3] }", "sizes = { n = [0] }", "sizes = {}"))) for line in lines]
    else:  # an odd character somewhere
        pos = rng.randrange(len(text))
        return text[:pos] + rng.choice(ODD + ("\x00", "\ufeff", "{", "}", "[[functions]]\n")) + text[pos:]
    return "\n".join(lines) + "\n"


def write() -> None:
    rng = random.Random(SEED)
    expressions = [expression_case(rng) for _ in range(COUNT)]
    jobs = [job_case(rng) for _ in range(COUNT)]
    for name, rows in (("expressions.jsonl", expressions), ("jobs.jsonl", jobs)):
        (HERE / name).write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                                 encoding="utf-8")


if __name__ == "__main__":
    write()
