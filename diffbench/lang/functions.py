"""The language's functions: arity and what kind of shape rule applies."""
from __future__ import annotations

ELEMENTWISE = ("exp", "log", "sin", "cos", "tanh", "sqrt", "sigmoid", "softplus",
               "tan", "arcsin", "arccos", "arctan", "log1p", "expm1", "square",
               "abs", "sign", "relu", "step")
ELEMENTWISE_BINARY = ("max", "min")  # element-wise, either side may be a scalar
REDUCTIONS = ("sum", "norm2", "norm1", "logsumexp")  # any shape -> scalar
ALONG_AXIS = ("sum", "logsumexp", "softmax")  # f(X, 1) down the columns, f(X, 2) along the rows
TRIANGLES = ("tril", "triu")  # tril(X) or tril(X, k)
CONSTANTS = ("vector", "matrix")  # vector(c): every entry c, the length from context
SQUARE_TO_SCALAR = ("tr", "det", "logdet")

# name -> (fewest, most) arguments
ARITY: dict[str, tuple[int, int]] = {
    **{name: (1, 1) for name in ELEMENTWISE + REDUCTIONS + SQUARE_TO_SCALAR},
    **{name: (2, 2) for name in ELEMENTWISE_BINARY},
    **{name: (1, 2) for name in ALONG_AXIS + TRIANGLES},
    **{name: (1, 1) for name in CONSTANTS},
    "solve": (2, 2),
    "vec": (1, 1),
    "kron": (2, 2),
    "svdvals": (1, 1),
    "inv": (1, 1),
    "diag": (1, 1),
    "eye": (1, 1),
    "ones": (1, 2),
    "iterate": (3, 3),  # iterate(T, h -> body, h0): see diffbench/lang/iterate.py
}

# function names can never be variables or dims
RESERVED = frozenset(ARITY)


def arity_text(name: str) -> str:
    fewest, most = ARITY[name]
    if fewest == most:
        return f"{fewest} argument" + ("s" if fewest != 1 else "")
    return f"{fewest} or {most} arguments"
