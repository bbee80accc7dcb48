"""The language's functions: arity and what kind of shape rule applies."""
from __future__ import annotations

ELEMENTWISE = ("exp", "log", "sin", "cos", "tanh", "sqrt", "sigmoid", "softplus")
REDUCTIONS = ("sum", "norm2", "logsumexp")  # any shape -> scalar
SQUARE_TO_SCALAR = ("tr", "det", "logdet")

# name -> (fewest, most) arguments
ARITY: dict[str, tuple[int, int]] = {
    **{name: (1, 1) for name in ELEMENTWISE + REDUCTIONS + SQUARE_TO_SCALAR},
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
