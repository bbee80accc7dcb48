"""How much a Jacobian costs in each mode: the ``auto`` choice.

The textbook model (forward mode costs one sweep per input, reverse one
per output) is right in the limit but wrong at the sizes people run,
because both sweeps here are batched and both take structural shortcuts:

* forward mode seeds the identity (``n^2`` entries to write), and a matrix
  product applied to that seed is free (``A I`` is ``A``);
* reverse mode seeds a *diagonal* batch (``m`` entries) that stays diagonal
  through element-wise steps; the first matrix product makes it dense.

So a mode's time is modelled as two parts:

1. **Array work**: the model walks the program once per mode and counts
   the entries each step's tangent (or cotangent) batch will hold,
   following the same rules as :mod:`~diffbench.tape.dual` and
   :mod:`~diffbench.tape.cotangents`: *dense* entries (a batch written out)
   and *seed* entries (the identity or a diagonal: cheap writes).  Each
   kind has one cost per entry, the same in both modes (a float written
   is a float written), fitted by least squares on the study's grids
   (``benchmarks/bench_modes.py --fit``).
2. **Overhead**: what a sweep costs in Python and NumPy calls whatever the
   sizes.  At the sizes of the lectures' figure (n = 100) this is most of
   the time, and the two modes' overheads differ by a few percent, per
   program: a matrix product's backward rule makes two calls where its
   forward rule makes one, a diagonal cotangent is dispatched where a
   tangent is multiplied.  No fixed constant predicts that to a few
   percent on every machine, so it is **measured**: the same program is
   run in both modes at size 2 in every dimension (interleaved samples,
   the fastest of each, CPU time), once per function and ``wrt``, cached.
   The array work of that small run is subtracted, so only the overhead
   is carried over to the real sizes.  Programs that cannot be measured
   cheaply (loops, a call over the time budget, inputs outside a
   domain) fall back to fitted per-step constants.

Where the model's two predictions are within its own error of each other
(``TIE``: the modes are nearly equal, and which one wins is a matter of a
few microseconds) and a call is cheap, :func:`choose_mode` measures both
modes on the actual inputs instead, once per program, and keeps the
faster (FFTW's planner does the same).  Far from a tie the model decides
alone; a near tie costs at most a few percent whichever mode runs.

``mode_costs`` reports both parts per mode; the study in
``jobs/modes.toml`` and ``benchmarks/bench_modes.py`` check the choice
cell by cell.
"""
from __future__ import annotations

import time

import numpy as np

from ..canonical import canonical_root
from ..ir import resolve_shape, topological
from . import operators as ops

# seconds per entry written, per mode (an identity seed and a diagonal are
# written differently), fitted on the study grids (bench_modes.py --fit)
PER_ENTRY = {"forward": {"dense": 1.2e-9, "seed": 7.6e-10}, "reverse": {"dense": 1.2e-9, "seed": 4.7e-9}}
# overhead when it is not measured: fixed + per active step (fitted likewise)
OVERHEAD = {"forward": (3.9e-5, 1.6e-5), "reverse": (5.6e-5, 1.5e-5)}
# the measurement at size 2: samples of at least SAMPLE seconds, ROUNDS of them
# per mode, given up when one call takes longer than BUDGET
SAMPLE, ROUNDS, BUDGET, SMALL = 5e-4, 15, 2e-3, 2
# predictions closer than this factor are within the model's error (about 5 %
# on the study grids): there the two modes are measured instead
TIE = 1.10
# the backward rules of these scale or pass on a same-shaped cotangent
_ELEMENTWISE_SCALING = frozenset({"mul", "div", "neg", "add", "sub"})
_FREE_ON_IDENTITY = frozenset({"matmul", "transpose"})
_measured: dict[tuple, dict | None] = {}  # (expr, shapes, wrt) -> overhead per mode


def _sizes(prog) -> list[int]:
    return [int(np.prod(resolve_shape(n.shape, prog.sizes), dtype=int)) for n in topological(canonical_root(prog.fn))]  # the program's slots


def _passes_through(prog, slot, step, sizes) -> bool:
    """``u + c``, ``c + u``, ``u - c`` with ``c`` constant and ``u`` of the
    result's size: both rules hand the (co)tangent on without writing it."""
    active = [k for k, j in enumerate(step.args) if prog.active[j]]
    if step.prim is None or step.prim.name not in ("add", "sub") or len(active) != 1:
        return False
    k = active[0]
    return sizes[step.args[k]] == sizes[slot] and (step.prim.name == "add" or k == 0)


def forward_entries(prog, sizes: list[int]) -> dict:
    """Entries written by one batched forward sweep over every input direction."""
    n_in = sum(sizes[prog.inputs[name]] for name in prog.wrt)
    # only a single vector variable is seeded with the marked identity
    single_vector = len(prog.wrt) == 1 and len(prog.fn.shapes[prog.wrt[0]]) == 1
    identity = {prog.inputs[prog.wrt[0]]} if single_vector else set()
    dense = 0
    for slot, step in prog.steps:
        if not prog.active[slot]:
            continue
        if step.prim is None:  # a loop: every iteration carries the batch through its state
            dense += n_in * sizes[slot] * step.attrs["loop"].count
            continue
        if step.prim.name in _FREE_ON_IDENTITY and any(j in identity for j in step.args):
            continue  # A @ I: the seed's columns are read, not multiplied
        if _passes_through(prog, slot, step, sizes):
            continue
        dense += n_in * sizes[slot]
    return {"dense": dense, "seed": n_in * n_in}


def reverse_entries(prog, sizes: list[int]) -> dict:
    """Entries written by one backward sweep carrying every output cotangent."""
    n_out = sizes[prog.output]
    vector_out = len(resolve_shape(prog.fn.shape, prog.sizes)) == 1
    diagonal = {prog.output} if vector_out else set()
    seed, dense = (n_out, 0) if vector_out else (0, n_out * n_out)
    for slot, step in reversed(prog.steps):
        if not prog.active[slot]:
            continue
        if step.prim is None:  # a loop: every iteration carries the batch back through its state
            diagonal.discard(slot)
            dense += sum(n_out * sizes[j] for j in step.args if prog.active[j]) * step.attrs["loop"].count
            continue
        stays_diagonal = slot in diagonal and (step.prim.name in _ELEMENTWISE_SCALING or
                                               (step.prim.family == "elementwise" and step.prim.arity == 1))
        through = _passes_through(prog, slot, step, sizes)
        for j in step.args:
            if not prog.active[j]:
                continue
            if through:  # the cotangent is handed on as it is
                diagonal.update([j] if slot in diagonal else [])
            elif stays_diagonal and sizes[j] == sizes[slot]:
                diagonal.add(j)
                seed += n_out
            else:
                dense += n_out * sizes[j] + (n_out * n_out if slot in diagonal and step.prim.name != "matmul" else 0)
    return {"dense": dense, "seed": seed}


def entries(prog) -> dict:
    """``{mode: {"dense": entries, "seed": entries}}`` at the program's sizes."""
    sizes = _sizes(prog)
    return {"forward": forward_entries(prog, sizes), "reverse": reverse_entries(prog, sizes)}


def _work(mode: str, counts: dict) -> float:
    return sum(PER_ENTRY[mode][kind] * n for kind, n in counts.items())


# ---------------------------------------------------------------- overhead

def _interleaved(calls: dict) -> dict:
    """The fastest CPU-time sample of each call, samples interleaved (a load
    that comes and goes lands on both alike); None when a call is too slow."""
    loops = {}
    for mode, call in calls.items():
        start = time.process_time()
        call()
        first = time.process_time() - start
        if first > BUDGET:
            return None
        loops[mode] = max(1, int(SAMPLE / max(first, 1e-6)))
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(ROUNDS):
        for mode, call in calls.items():
            start = time.process_time()
            for _ in range(loops[mode]):
                call()
            best[mode] = min(best[mode], (time.process_time() - start) / loops[mode])
    return best


def _size_free(fn) -> tuple[dict, dict]:
    """``fn``'s shapes with every size above 1 a dimension: ``{name: dims}``
    and ``{dim: size}``.  A function parsed from arrays has fixed sizes
    (``A: (100, 20)``); equal sizes become one dimension, so the shapes stay
    consistent when every dimension is set to ``SMALL``."""
    fixed = [d for shape in fn.shapes.values() for d in shape if isinstance(d, int) and d > 1]
    names = {}
    for d in fixed:  # named in order of appearance: the same pattern at every size
        names.setdefault(d, f"size_{len(names)}")
    shapes = {k: tuple(names.get(d, d) for d in shape) for k, shape in fn.shapes.items()}
    return shapes, {name: d for d, name in names.items()}


def _small_program(prog):
    """The same program at size ``SMALL`` in every dimension."""
    from ..lang import parse
    from .core import Program

    shapes, fixed = _size_free(prog.fn)
    fn = prog.fn if not fixed else parse(prog.fn.expr, {k: ",".join(map(str, s)) for k, s in shapes.items()})
    return Program(fn, prog.wrt, dict.fromkeys([*prog.sizes, *fixed], SMALL))


def _measure(prog) -> dict | None:
    """Each mode's overhead: its time at size ``SMALL`` less the array work there."""
    from ..sampling import sample_inputs

    if prog.loops:
        return None  # a loop's count is no size: size 2 would not make it cheap
    try:
        small = _small_program(prog)
        with np.errstate(all="ignore"):
            inputs = sample_inputs(small.fn, small.sizes, seed=0)
            best = _interleaved({"forward": lambda: ops.jacobian_forward(small, inputs),
                                 "reverse": lambda: ops.jacobian_reverse(small, inputs)})
    except Exception:  # noqa: BLE001  (no size-free parse, a domain error at the sample: fall back)
        return None
    if best is None:
        return None
    work = entries(small)
    return {mode: max(0.0, best[mode] - _work(mode, work[mode])) for mode in best}


def _traced() -> bool:
    """Whether tracemalloc is tracing (a job's warm-up call, traced for its
    peak memory): Python runs slower then, by more for the mode that makes
    more Python calls, and a measurement would count toward the call's peak."""
    import tracemalloc

    return tracemalloc.is_tracing()


def overheads(prog) -> dict:
    """``{"forward": s, "reverse": s, "measured": bool}``: measured once per
    function and ``wrt`` (see above), else the fitted per-step constants
    (also while traced: measured at the next untraced call)."""
    key = (prog.fn.expr, tuple(sorted(_size_free(prog.fn)[0].items())), tuple(prog.wrt))
    if key not in _measured and not _traced():
        _measured[key] = _measure(prog)
    found = _measured.get(key)
    if found is not None:
        return {**found, "measured": True}
    steps = sum(1 for slot, _ in prog.steps if prog.active[slot])
    return {mode: fixed + per_step * steps for mode, (fixed, per_step) in OVERHEAD.items()} | {"measured": False}


def mode_costs(prog) -> dict:
    """Each mode's entries, overhead and predicted seconds (reports and the benchmark show them)."""
    counts, fixed = entries(prog), overheads(prog)
    return {mode: {"units": sum(counts[mode].values()), "entries": counts[mode], "overhead": fixed[mode],
                   "measured": fixed["measured"], "seconds": fixed[mode] + _work(mode, counts[mode])}
            for mode in ("forward", "reverse")}


def choose_mode(prog, inputs: dict | None = None) -> tuple[str, str]:
    """``(mode, basis)``: the mode predicted to take less time, ``basis``
    ``"model"``; or, where the model's two predictions are within its own
    error of each other (``TIE``) and a call is cheap, the faster of the two
    measured on ``inputs`` (basis ``"measured"``, like FFTW's planner).
    ``"unmeasured"``: a prediction to be revisited at the first untraced
    call with inputs (none were given, or tracemalloc is tracing)."""
    costs = mode_costs(prog)
    f, r = costs["forward"]["seconds"], costs["reverse"]["seconds"]
    predicted = "forward" if f < r else "reverse"
    if costs["forward"]["measured"] and (max(f, r) > TIE * min(f, r) or max(f, r) > BUDGET):
        return predicted, "model"
    if inputs is None or _traced():
        return predicted, "unmeasured"  # measured at the first untraced call that has inputs
    if max(f, r) > TIE * min(f, r) or max(f, r) > BUDGET:
        return predicted, "model"

    with np.errstate(all="ignore"):
        best = _interleaved({"forward": lambda: ops.jacobian_forward(prog, inputs),
                             "reverse": lambda: ops.jacobian_reverse(prog, inputs)})
    if best is None:
        return predicted, "model"
    return ("forward" if best["forward"] < best["reverse"] else "reverse"), "measured"


def mode_for(prog, inputs: dict | None = None) -> str:
    """The mode predicted to take less time (near a tie measured on
    ``inputs``); it depends on the program and its sizes only, so it is worked
    out once per program (``prog.mode_basis`` says how)."""
    if getattr(prog, "mode_choice", None) is None or (prog.mode_basis == "unmeasured" and inputs is not None):
        prog.mode_choice, prog.mode_basis = choose_mode(prog, inputs)
    return prog.mode_choice


def jacobian(prog, inputs: dict, mode: str = "auto") -> dict:
    """The Jacobian in ``mode``; ``auto`` asks :func:`mode_for`."""
    if mode == "auto":
        mode = mode_for(prog, inputs)
    return (ops.jacobian_forward if mode == "forward" else ops.jacobian_reverse)(prog, inputs)
