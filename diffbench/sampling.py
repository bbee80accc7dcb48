"""Valid random inputs for a function, from sizes and a seed.

Each variable is drawn from its *domain*: ``real`` (standard normal),
``positive`` (uniform in [0.5, 2]), ``nonzero`` (normal pushed away from
zero: keeps kinks of abs/relu/sign out of reach), ``unit`` (uniform in
[-0.9, 0.9]), ``spd`` (Q Q^T / n + I: well conditioned) or ``invertible``
(N(0, 1/n) + 2 I: eigenvalues clustered around 2).  A domain not given is
inferred from the primitives a variable feeds directly (``logdet(X)`` makes
``X`` spd, ``log(w)`` makes ``w`` positive).
"""
from __future__ import annotations

import numpy as np

from .function import Function
from .ir import resolve_shape, topological
from .ops import TABLE

DOMAINS = ("real", "positive", "nonzero", "unit", "spd", "invertible")

# When a variable feeds several constrained primitives, the strongest wins.
_STRENGTH = {"real": 0, "nonzero": 1, "unit": 2, "positive": 2, "invertible": 3, "spd": 4}


def infer_domains(fn: Function) -> dict[str, str]:
    found = {name: "real" for name in fn.shapes}
    for n in topological(fn.root):
        if n.op == "iterate":  # its arguments are the start value and free variables: any real
            continue
        prim = TABLE[n.op]
        for i, arg in enumerate(n.args):
            if arg.op != "var" or i >= len(prim.domain):
                continue
            name, wanted = arg.attr("name"), prim.domain[i]
            if wanted == "positive" and n.op == "pow" and i == 0:
                continue  # x.^2 is fine for any x; only fractional powers need x > 0
            if _STRENGTH.get(wanted, 0) > _STRENGTH[found[name]]:
                found[name] = wanted
    return found


def draw(shape: tuple[int, ...], domain: str, rng: np.random.Generator):
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r} (known: {', '.join(DOMAINS)})")
    if domain in ("spd", "invertible") and (len(shape) != 2 or shape[0] != shape[1]):
        raise ValueError(f"domain {domain!r} needs a square matrix, not shape {shape}")
    if domain == "positive":
        value = rng.uniform(0.5, 2.0, size=shape)
    elif domain == "unit":  # inside (-1, 1), away from the ends (arcsin, arccos)
        value = rng.uniform(-0.9, 0.9, size=shape)
    elif domain == "nonzero":
        value = rng.normal(size=shape)
        value = np.sign(value) * (np.abs(value) + 0.5)
    elif domain == "spd":
        q = rng.normal(size=shape)
        value = q @ q.T / shape[0] + np.eye(shape[0])
    elif domain == "invertible":
        value = rng.normal(size=shape) / np.sqrt(shape[0]) + 2.0 * np.eye(shape[0])
    else:
        value = rng.normal(size=shape)
    return float(value) if shape == () else value


def sample_inputs(fn: Function, sizes: dict[str, int], seed: int = 0,
                  domain: dict[str, str] | None = None) -> dict:
    """Inputs for every variable of ``fn``: floats for scalars, arrays otherwise."""
    rng = np.random.default_rng(seed)
    domains = infer_domains(fn)
    domains.update(domain or {})
    return {name: draw(resolve_shape(shape, sizes), domains[name], rng)
            for name, shape in fn.shapes.items()}
