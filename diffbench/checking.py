"""The one agreement helper: engines against each other and central differences.

``check_agree(f, inputs, wrt)`` computes value, gradient and Hessian (or the
Jacobian of a vector-valued function) with every engine asked for, and
compares each pair by the rule of :mod:`diffbench.agreement`.
For large variables it compares random projections instead of full arrays
(``<u, g>`` and ``<u, H v>``, with fd taking directional differences), so no
big Hessian is built by differences.  When engines disagree it names the one
at fault: the engine that disagrees with the referee (``fd``) while the
others agree with it, or the odd one out by majority.
"""
from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np

from .agreement import APPROXIMATE_ENGINES, relative_error, tolerance
from .api import as_function, _as_arrays
from .operators import direction
from .engines import get_engine
from .budget import TimeLimit
from .errors import Unsupported
from .function import InputError

FULL_LIMIT = 64  # above this many wrt entries, compare random projections
# Round-off grows with the conditioning of the function at the inputs, so with
# ``roundoff=True`` the exact engines' bar is raised to ROUNDOFF_MARGIN times
# the change of one exact engine's output when every input moves by a relative
# ROUNDOFF_NUDGE (a few hundred ulps): that change *is* the round-off noise of
# the computation there (plus its true sensitivity, which is as large).
ROUNDOFF_NUDGE = 1e-13
ROUNDOFF_MARGIN = 10.0
# fd's own round-off (see _fd_noise): four evaluations' errors at most add up
FD_NOISE_MARGIN = 4.0


class NotFinite(InputError):
    """The function is not finite at the drawn inputs: no engine has anything to compare there."""


def check_finite(fn, inputs: dict, wrt: list[str], sizes: dict) -> None:
    """Raise :class:`NotFinite` when ``fn``'s value (by the tape) has a NaN or an
    infinity at ``inputs``: every engine would give NaNs, which agree with nothing
    (an accuracy of inf), though the inputs, not an engine, are at fault.  ``compare``
    refuses such inputs and a job records such a cell as failed, by this one check."""
    with np.errstate(all="ignore"):
        value = get_engine("tape").prepare(fn, list(wrt), sizes).value(inputs)
    if not np.all(np.isfinite(value)):
        raise NotFinite(f"{fn.expr!r} is not finite at the sampled inputs (outside its domain?)")


class Disagreement(AssertionError):
    """Engines gave different answers; ``engine`` is the one at fault."""

    def __init__(self, message: str, engine: str, quantity: str, error: float):
        super().__init__(message)
        self.engine = engine
        self.quantity = quantity
        self.error = error


@dataclass
class Agreement:
    """Every quantity's results per engine and the pairwise errors."""

    results: dict = field(default_factory=dict)  # engine -> quantity -> array
    errors: dict = field(default_factory=dict)  # quantity -> (e1, e2) -> error
    unsupported: dict = field(default_factory=dict)  # engine -> message
    failed: dict = field(default_factory=dict)  # engine -> one-line reason (keep_going=True)
    culprits: dict = field(default_factory=dict)  # quantity -> engine at fault
    roundoff: dict = field(default_factory=dict)  # quantity -> measured noise (roundoff=True)
    fd_noise: dict = field(default_factory=dict)  # quantity -> fd's round-off at this |f| (if over its bar)

    def tolerance(self, quantity: str, a: str, b: str) -> float:
        """The bar ``a`` and ``b`` were held to for ``quantity``."""
        return _tolerance(quantity, a, b, self.roundoff.get(quantity, 0.0), self.fd_noise.get(quantity, 0.0))

    def max_error(self, engine: str) -> float:
        """The largest error of ``engine`` against any other engine."""
        worst = 0.0
        for pairs in self.errors.values():
            for (a, b), err in pairs.items():
                if engine in (a, b):
                    worst = max(worst, err)
        return worst


def _flatten(quantity: dict | object, names: list[str]):
    """Gradient/Hessian/Jacobian dicts as one flat vector in a fixed order."""
    if not isinstance(quantity, dict):
        return np.ravel(np.asarray(quantity, dtype=float))
    keys = sorted(quantity, key=lambda k: [names.index(n) for n in (k if isinstance(k, tuple) else (k,))])
    return np.concatenate([np.ravel(np.asarray(quantity[k], dtype=float)) for k in keys])


class _Projector:
    """Random directions u, v over the wrt variables, fixed by a seed."""

    def __init__(self, inputs: dict, names: list[str], seed: int):
        rng = np.random.default_rng(seed)
        self.names = names
        self.u = {n: rng.normal(size=np.shape(inputs[n])) for n in names}
        self.v = {n: rng.normal(size=np.shape(inputs[n])) for n in names}

    def gradient(self, grads: dict) -> np.ndarray:
        return np.array([sum(np.vdot(self.u[n], grads[n]) for n in self.names)])

    def hessian(self, blocks: dict) -> np.ndarray:
        total = 0.0
        for a, b in itertools.product(self.names, repeat=2):
            block = np.asarray(blocks[(a, b)]).reshape(np.size(self.u[a]), np.size(self.v[b]))
            total += np.ravel(self.u[a]) @ block @ np.ravel(self.v[b])
        return np.array([total])


def _directional_fd(prepared, inputs, proj: _Projector):
    """fd of <u, grad> and <u, H v> from function values only."""
    f, x0, _ = prepared._function(inputs)
    u = np.concatenate([np.ravel(proj.u[n]) for n in proj.names])
    v = np.concatenate([np.ravel(proj.v[n]) for n in proj.names])
    scale = max(1.0, float(np.max(np.abs(x0)))) if x0.size else 1.0
    h1 = np.finfo(float).eps ** (1 / 3) * scale / max(1.0, np.linalg.norm(u))
    h2 = np.finfo(float).eps ** (1 / 4) * scale / max(1.0, np.linalg.norm(u))
    g = (f(x0 + h1 * u) - f(x0 - h1 * u)) / (2 * h1)
    huv = (f(x0 + h2 * (u + v)) - f(x0 + h2 * (u - v)) - f(x0 - h2 * (u - v))
           + f(x0 - h2 * (u + v))) / (4 * h2 * h2)
    return np.array([g]), np.array([huv])


class _Reference:
    """An independent reference: ``f(inputs) -> value`` written directly in
    ``autograd.numpy`` from the published formula, differentiated by
    autograd (imported only when a test passes a reference)."""

    def __init__(self, f, names: list[str], is_scalar: bool):
        self.f, self.names, self.is_scalar = f, names, is_scalar

    def _flat(self, inputs):
        import autograd.numpy as anp

        shapes = [np.shape(inputs[n]) for n in self.names]
        sizes = [int(np.prod(s, dtype=int)) for s in shapes]
        x0 = np.concatenate([np.ravel(inputs[n]) for n in self.names]).astype(float)

        def f(x):
            parts, offset = dict(inputs), 0
            for name, shape, size in zip(self.names, shapes, sizes):
                parts[name] = anp.reshape(x[offset:offset + size], shape)
                offset += size
            return self.f(parts)
        return f, x0, shapes, sizes

    def _cut(self, flat, lead_shape, shapes, sizes):
        out, offset = {}, 0
        for name, shape, size in zip(self.names, shapes, sizes):
            out[name] = np.asarray(flat)[..., offset:offset + size].reshape(tuple(lead_shape) + shape)
            offset += size
        return out

    def value(self, inputs):
        return self.f(dict(inputs))

    def gradient(self, inputs):
        import autograd

        f, x0, shapes, sizes = self._flat(inputs)
        return self._cut(autograd.grad(f)(x0), (), shapes, sizes)

    def hessian(self, inputs):
        import autograd

        f, x0, shapes, sizes = self._flat(inputs)
        with warnings.catch_warnings():  # a zero Hessian is an answer, not a problem
            warnings.filterwarnings("ignore", "Output seems independent of input")
            hess = autograd.hessian(f)(x0)
        rows = self._cut(hess, (x0.size,), shapes, sizes)
        blocks, offset = {}, 0
        for a, shape_a, size_a in zip(self.names, shapes, sizes):
            for b in self.names:
                block = rows[b][offset:offset + size_a]
                blocks[(a, b)] = block.reshape(shape_a + block.shape[1:])
            offset += size_a
        return blocks

    def jacobian(self, inputs):
        import autograd

        f, x0, shapes, sizes = self._flat(inputs)
        jac = np.asarray(autograd.jacobian(f)(x0))
        return self._cut(jac, jac.shape[:-1], shapes, sizes)


def _prepare(engine, fn, names, sizes, order):
    if not isinstance(engine, str):  # a reference function
        return _Reference(engine, names, fn.is_scalar)
    return get_engine(engine).prepare(fn, names, sizes, order)


def one_line(err: BaseException) -> str:
    """``Type: first line of the message``: how a failed engine is reported."""
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


#: quantities beyond value/gradient/Hessian that ``check_agree`` can be asked for
EXTRA = ("hvp", "trace")


def _extra(prepared, inputs, names, extra, seed) -> dict:
    out = {}
    if "hvp" in extra:
        out["hvp"] = _flatten(prepared.hvp(inputs, direction(inputs, names, seed)), names)
    if "trace" in extra:
        out["trace"] = np.array([prepared.hessian_trace(inputs)])
    return out


def _hessian_times_v(engine, fn, inputs, names, sizes, seed) -> np.ndarray:
    """``H v`` from ``engine``'s full Hessian: what an HVP must equal."""
    blocks = get_engine(engine).prepare(fn, names, sizes, 2).hessian(inputs)
    v = direction(inputs, names, seed)
    parts = []
    for a in names:
        total = sum(np.tensordot(np.asarray(blocks[(a, b)]), v[b], axes=np.ndim(v[b])) for b in names)
        parts.append(np.ravel(total))
    return np.concatenate(parts)


def _compute(engine: str, fn, inputs, names, sizes, order, proj, extra=(), seed=0):
    prepared = _prepare(engine, fn, names, sizes, order)
    out = {"value": np.asarray(prepared.value(inputs), dtype=float)}
    if fn.is_scalar:
        out.update(_extra(prepared, inputs, names, extra, seed))
    if not fn.is_scalar:
        out["jacobian"] = _flatten(prepared.jacobian(inputs), names)
        return out
    if proj is not None and engine == "fd":
        g, h = _directional_fd(prepared, inputs, proj)
        out["gradient"] = g
        if order == 2:
            out["hessian"] = h
        return out
    grads = prepared.gradient(inputs)
    out["gradient"] = proj.gradient(grads) if proj else _flatten(grads, names)
    if order >= 2:
        hess = prepared.hessian(inputs)
        out["hessian"] = proj.hessian(hess) if proj else _flatten(hess, names)
    if order > 2:  # [f', ..., f^(order)] along one scalar variable
        out["derivatives"] = np.asarray(prepared.derivatives(inputs, order), dtype=float)
    return out


def _tolerance(quantity: str, a: str, b: str, noise: float = 0.0, fd_noise: float = 0.0) -> float:
    bar = tolerance(quantity, a, b)
    if a in APPROXIMATE_ENGINES or b in APPROXIMATE_ENGINES:
        return max(bar, fd_noise)
    return max(bar, ROUNDOFF_MARGIN * noise)


def _fd_noise(value, proj) -> dict:
    """fd's round-off error at a function of this magnitude, per quantity.

    Each evaluation of f is off by about eps*|f|; the central difference
    divides that by its step h (gradient, h = eps^(1/3)) and the four-point
    Hessian by h^2 (h = eps^(1/4)), so fd's absolute error grows with |f|
    whatever the step: for ``1e6*x'*x`` it passes fd's fixed bar while every
    exact engine is right.  Only over that bar does the bar move (with
    projections the steps shrink by |u|, so the bound grows by as much)."""
    magnitude = float(np.max(np.abs(value))) if np.size(value) else 0.0
    if not np.isfinite(magnitude):
        return {}
    shrink = max(1.0, float(np.sqrt(sum(np.size(u) for u in proj.u.values())))) if proj else 1.0
    eps = np.finfo(float).eps
    noise = {"gradient": FD_NOISE_MARGIN * eps ** (2 / 3) * magnitude * shrink,
             "jacobian": FD_NOISE_MARGIN * eps ** (2 / 3) * magnitude,
             "hessian": FD_NOISE_MARGIN * eps ** (1 / 2) * magnitude * shrink ** 2}
    return {q: n for q, n in noise.items() if n > tolerance(q, "fd", None)}


def _roundoff(engine: str, fn, inputs, names, sizes, order, proj, before: dict, seed: int) -> dict:
    """Per quantity, how far ``engine``'s output moves when the inputs are nudged."""
    rng = np.random.default_rng(seed + 1)
    nudged = {k: np.asarray(v, dtype=float) * (1 + ROUNDOFF_NUDGE * rng.choice([-1.0, 1.0], size=np.shape(v)))
              for k, v in inputs.items()}
    after = _compute(engine, fn, nudged, names, sizes, order, proj)
    return {q: relative_error(after[q], before[q]) for q in before if q in after}


def _blame(quantity: str, engines: list[str], errors: dict, referee: str, noise: float = 0.0,
           fd_noise: float = 0.0) -> str | None:
    """The engine at fault for ``quantity``, or None when all agree."""
    ok = {pair: err <= _tolerance(quantity, *pair, noise, fd_noise) for pair, err in errors.items()}
    if all(ok.values()):
        return None

    def agrees(a, b):
        return ok.get((a, b), ok.get((b, a), True))

    if referee in engines:
        if referee == "reference":  # an independent formula: whoever disagrees with it is wrong
            culprits = [e for e in engines if e != referee and not agrees(e, referee)]
            if culprits:
                return culprits[0]
        friends_of_referee = [e for e in engines if e != referee and agrees(e, referee)]
        culprits = [e for e in engines if e != referee and not agrees(e, referee)]
        if culprits and (friends_of_referee or len(engines) == 2):
            return culprits[0]
        if not friends_of_referee and len(culprits) >= 2 and all(
                agrees(a, b) for a, b in itertools.combinations(culprits, 2)):
            return referee
    # majority: the engine with the fewest agreements
    return min(engines, key=lambda e: sum(agrees(e, o) for o in engines if o != e))


def _blamed(report: Agreement, referee: str) -> bool:
    """Would anyone be blamed with the round-off measured so far?"""
    for quantity in report.results[next(iter(report.results))]:
        parties = [e for e in report.results if quantity in report.results[e]]
        errors = {(a, b): relative_error(report.results[a][quantity], report.results[b][quantity])
                  for a, b in itertools.combinations(parties, 2)}
        if _blame(quantity, parties, errors, referee, report.roundoff.get(quantity, 0.0)) is not None:
            return True
    return False


def check_agree(f, inputs: dict, wrt, engines=("tape", "fd"), order: int = 2, referee: str = "fd",
                seed: int = 0, allow_unsupported: tuple[str, ...] = (), strict: bool = True,
                roundoff: bool = False, extra: tuple[str, ...] = (), reference=None,
                keep_going: bool = False, sizes: dict | None = None) -> Agreement:
    """Compare ``engines`` on ``f`` at ``inputs``; raise :class:`Disagreement`
    naming the engine at fault (with ``strict=False``, record it in
    ``culprits`` instead), or return the :class:`Agreement` measured.

    ``roundoff=True`` measures the round-off noise at these inputs (see
    ``ROUNDOFF_NUDGE``) and holds exact engines to it when it is larger than
    their fixed tolerance: for random expressions, whose inputs can be badly
    conditioned.  A wrong rule is still off by far more than that.

    ``extra`` adds quantities of scalar functions: ``"hvp"`` (every engine's
    Hessian-vector product along a seeded direction, and ``H v`` from the
    first exact engine's full Hessian as one more party, named ``"H·v"``) and
    ``"trace"`` (closed-form traces against sums of Hessian diagonals).

    ``reference``: an independent ``f(inputs) -> value`` written directly
    in ``autograd.numpy`` from the published formula; it joins as the engine
    ``"reference"`` (differentiated by autograd) and is the referee.
    ``keep_going=True`` records an engine that raises in ``failed`` (its
    one-line reason) and compares the others, as ``diffbench compare`` does."""
    fn = as_function(f, inputs)
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    inputs = _as_arrays(inputs)
    sizes = fn.bind(inputs, sizes)  # ``sizes``: dims no input shows (``b*ones(n)``)
    total = sum(np.size(inputs[n]) for n in names)
    proj = _Projector(inputs, names, seed) if total > FULL_LIMIT and fn.is_scalar else None
    report = Agreement()
    engines = list(engines)
    runners = {e: e for e in engines}
    if reference is not None:
        engines.append("reference")
        runners["reference"] = reference
        referee = "reference"
    for engine in engines:
        try:
            report.results[engine] = _compute(runners[engine], fn, inputs, names, sizes, order, proj, extra, seed)
        except Unsupported as err:
            if engine not in allow_unsupported:
                raise
            report.unsupported[engine] = str(err)
        except TimeLimit:  # the caller's budget ran out: that ends the comparison, not one engine
            raise
        except Exception as err:  # noqa: BLE001  (an engine's crash is a finding, not the end)
            if not keep_going:
                raise
            report.failed[engine] = one_line(err)
    ran = [e for e in engines if e in report.results]
    exact = [e for e in ran if e != "fd"]
    if "hvp" in extra and fn.is_scalar and exact:
        report.results["H·v"] = {"hvp": _hessian_times_v(exact[0], fn, inputs, names, sizes, seed)}
    if roundoff and exact:
        report.roundoff = _roundoff(runners[exact[0]], fn, inputs, names, sizes, order, proj,
                                    report.results[exact[0]], seed)
        if "reference" in report.results and _blamed(report, referee):
            # a reference is a computation too (autograd's det Hessian can lose more
            # digits than the engines): its own noise counts before anyone is blamed
            noise = _roundoff(reference, fn, inputs, names, sizes, order, proj, report.results["reference"], seed)
            report.roundoff = {q: max(n, report.roundoff.get(q, 0.0)) for q, n in noise.items()}
    if "fd" in ran:
        noise = _fd_noise(report.results["fd"]["value"], proj)
        report.fd_noise = {q: n for q, n in noise.items() if q in report.results["fd"]}
    for quantity in report.results[ran[0]] if ran else ():
        parties = [e for e in report.results if quantity in report.results[e]]
        errors = {(a, b): relative_error(report.results[a][quantity], report.results[b][quantity])
                  for a, b in itertools.combinations(parties, 2)}
        report.errors[quantity] = errors
        culprit = _blame(quantity, parties, errors, referee, report.roundoff.get(quantity, 0.0),
                         report.fd_noise.get(quantity, 0.0))
        if culprit is not None and not strict:
            report.culprits[quantity] = culprit
        elif culprit is not None:
            worst = max(err for pair, err in errors.items() if culprit in pair)
            raise Disagreement(
                f"engine {culprit!r} disagrees on the {quantity} of {fn.expr!r} "
                f"(max relative error {worst:.3g}; pairwise: "
                + ", ".join(f"{a}~{b} {e:.2g}" for (a, b), e in errors.items()) + ")",
                culprit, quantity, worst)
    return report
