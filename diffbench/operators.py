"""The public differential operators beyond ``derivatives``: ``jacobian``
(in a chosen accumulation mode), ``hvp`` (a Hessian-vector product without
the Hessian) and ``hessian_trace`` (exact, or Hutchinson's estimate).

Each takes what :func:`diffbench.derivatives` takes -- an expression, a
parsed Function or a catalogue entry, the inputs, ``wrt`` and an engine --
and follows the shape conventions of every engine: a Jacobian has shape
``out.shape + in.shape``; a Hessian-vector product is shaped like its
variable; with ``wrt`` a list, results are dicts keyed by variable.
"""
from __future__ import annotations

import time

import numpy as np

from .api import _as_arrays, as_function, bound_sizes, checked_sizes, wrt_names
from .engines import get_engine
from .function import InputError

METHODS = ("exact", "hutchinson")
PROBES = ("rademacher", "gaussian")
PROBE_STREAM = 0x48757463  # "Hutc": Hutchinson's probes never share a stream with the inputs


def _prepared(f, inputs: dict, wrt, engine: str, order: int, sizes: dict | None):
    """The one path of every operator: the checks of ``diffbench.derivatives``
    (``wrt``, ``sizes``, the inputs' shapes), then the engine's preparation."""
    names = wrt_names(wrt)
    sizes = checked_sizes(sizes)
    fn = as_function(f, inputs)
    unknown = [n for n in names if n not in fn.shapes]
    if unknown:
        raise InputError(f"wrt names {', '.join(map(repr, unknown))}, not a variable of {fn.expr!r} "
                         f"(variables: {', '.join(fn.variables)})")
    arrays = _as_arrays(inputs)
    try:
        prepared = get_engine(engine).prepare(fn, names, bound_sizes(fn, arrays, sizes, isinstance(f, str)), order)
    except KeyError as err:
        raise InputError(str(err.args[0])) from None
    return fn, names, arrays, prepared


def _engine_name(engine: str, mode: str) -> str:
    if mode == "auto" or ":" in engine:
        return engine
    return f"{engine}:{mode}"


def jacobian(f, inputs: dict, wrt, engine: str = "tape", mode: str = "auto", sizes: dict | None = None):
    """The Jacobian of ``f`` at ``inputs``: shape ``out.shape + in.shape``
    (a dict of them when ``wrt`` is a list; a scalar function's Jacobian is
    its gradient).

    ``mode`` is ``"forward"`` (every input direction in one batched sweep),
    ``"reverse"`` (every output cotangent in one batched backward sweep) or
    ``"auto"`` (the cheaper by the tape's cost model); engines without modes
    accept only ``"auto"``.  ``sizes`` as in :func:`diffbench.derivatives`.

    >>> import numpy as np, diffbench
    >>> diffbench.jacobian("A*x", {"A": np.eye(2), "x": np.ones(2)}, "x", mode="reverse")
    array([[1., 0.],
           [0., 1.]])
    """
    if mode not in ("forward", "reverse", "auto"):
        raise InputError(f"mode must be forward, reverse or auto, not {mode!r}")
    fn, names, arrays, prepared = _prepared(f, inputs, wrt, _engine_name(engine, mode), 1, sizes)
    jac = prepared.jacobian(arrays)
    return jac[names[0]] if isinstance(wrt, str) else jac




def hvp(f, inputs: dict, wrt, v, engine: str = "tape", sizes: dict | None = None):
    """The Hessian-vector product ``∇²f · v`` without forming ``∇²f``
    (except in engines that have no other way: ``sympy-scalar``,
    ``closed-form``).  ``v`` is shaped like the variable (a dict of them when
    ``wrt`` is a list); so is the result.  ``sizes`` as in :func:`diffbench.derivatives`.

    tape: forward-over-reverse in one sweep; symbolic: the closed-form
    product ``d(∇f)[v]``; fd: a central difference of exact gradients;
    jax/torch: jvp of grad; autograd: the gradient of ``⟨∇f, v⟩``.

    >>> import numpy as np, diffbench
    >>> diffbench.hvp("x'*A*x", {"x": np.ones(2), "A": np.eye(2)}, "x", np.array([1.0, 0.0]))
    array([2., 0.])
    """
    fn, names, arrays, prepared = _prepared(f, inputs, wrt, engine, 2, sizes)
    if not fn.is_scalar:
        raise InputError(f"hvp needs a scalar function; {fn.expr!r} has shape {fn.shape}")
    vectors = _directions(v, wrt, names, arrays)
    out = prepared.hvp(arrays, vectors)
    return out[names[0]] if isinstance(wrt, str) else out


def direction(inputs: dict, names: list[str], seed: int) -> dict:
    """The HVP direction of a job cell or an agreement check: standard normal
    entries over the ``names`` variables, fixed by ``seed``."""
    rng = np.random.default_rng(seed + 2)
    return {n: rng.normal(size=np.shape(inputs[n])) for n in names}


def _directions(v, wrt, names: list[str], arrays: dict) -> dict:
    given = {names[0]: v} if isinstance(wrt, str) else dict(v)
    missing = [n for n in names if n not in given]
    if missing:
        raise InputError(f"v has no direction for {', '.join(missing)}")
    vectors = {}
    for n in names:
        vectors[n] = np.asarray(given[n], dtype=float)
        if vectors[n].shape != np.shape(arrays[n]):
            raise InputError(f"v for {n} has shape {vectors[n].shape}, not the variable's {np.shape(arrays[n])}")
    return vectors


def probe_vectors(inputs: dict, names: list[str], count: int, seed: int, distribution: str) -> list[dict]:
    """``count`` random probes over the ``wrt`` entries with E[v vᵀ] = I.

    The stream is keyed apart from ``seed`` alone: inputs are often sampled
    with ``default_rng(seed)`` too, and probes equal to the data's first
    draws (``X``'s rows) bias the estimate by several standard errors."""
    rng = np.random.default_rng([seed, PROBE_STREAM])
    probes = []
    for _ in range(count):
        if distribution == "rademacher":
            probes.append({n: 2.0 * rng.integers(0, 2, size=np.shape(inputs[n])) - 1.0 for n in names})
        else:
            probes.append({n: rng.normal(size=np.shape(inputs[n])) for n in names})
    return probes


def hutchinson_samples(prepared, inputs: dict, names: list[str], probes: list[dict]) -> np.ndarray:
    """``vᵢᵀ H vᵢ`` for every probe (the tape does them all in one batched sweep)."""
    batched = getattr(prepared, "hvp_batch", None)
    if batched is not None:
        products = batched(inputs, probes)
    else:
        products = [prepared.hvp(inputs, p) for p in probes]
    return np.array([sum(float(np.vdot(p[n], hv[n])) for n in names) for p, hv in zip(probes, products)])


def hessian_trace(f, inputs: dict, wrt, engine: str = "tape", method: str = "exact", probes: int = 100,
                  seed: int = 0, distribution: str = "rademacher", sizes: dict | None = None) -> dict:
    """``Tr ∇²f`` over the ``wrt`` entries: ``{"trace", "stderr", "probes", "seconds"}``.

    ``method="exact"``: the symbolic engine's closed-form trace (one
    contraction of the Hessian formula's factors, the Hessian never formed);
    other engines sum their Hessian's diagonal.  ``method="hutchinson"``:
    Hutchinson's estimate ``(1/V) Σ vᵢᵀ ∇²f vᵢ`` over ``probes`` random
    vectors with ``E[v vᵀ] = I`` (``distribution`` ``"rademacher"``, entries
    ±1, or ``"gaussian"``), each term a Hessian-vector product; ``stderr`` is
    the sample standard deviation over ``sqrt(V)``.  ``seconds`` is the
    computation alone (set-up excluded).  ``sizes`` as in :func:`diffbench.derivatives`.
    """
    if method not in METHODS:
        raise InputError(f"method must be {' or '.join(METHODS)}, not {method!r}")
    if distribution not in PROBES:
        raise InputError(f"distribution must be {' or '.join(PROBES)}, not {distribution!r}")
    if method == "hutchinson" and (not isinstance(probes, int) or probes < 1):
        raise InputError(f"probes must be a positive integer, not {probes!r}")
    fn, names, arrays, prepared = _prepared(f, inputs, wrt, engine, 2, sizes)
    if not fn.is_scalar:
        raise InputError(f"a Hessian trace needs a scalar function; {fn.expr!r} has shape {fn.shape}")
    start = time.perf_counter()
    if method == "exact":
        trace = prepared.hessian_trace(arrays)
        return {"trace": float(trace), "stderr": 0.0, "probes": 0, "seconds": time.perf_counter() - start}
    vectors = probe_vectors(arrays, names, probes, seed, distribution)
    samples = hutchinson_samples(prepared, arrays, names, vectors)
    stderr = float(samples.std(ddof=1) / np.sqrt(probes)) if probes > 1 else float("inf")
    return {"trace": float(samples.mean()), "stderr": stderr, "probes": probes,
            "seconds": time.perf_counter() - start}


__all__ = ["jacobian", "hvp", "hessian_trace", "direction", "probe_vectors", "hutchinson_samples"]
