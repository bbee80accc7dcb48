"""How much array work a Jacobian costs in each mode: the ``auto`` choice.

The textbook model (forward mode costs one sweep per input, reverse one
per output) is right in the limit but wrong at the sizes people run,
because both sweeps here are batched and both take structural shortcuts:

* forward mode seeds the identity (``n^2`` entries to write), and a matrix
  product applied to that seed is free (``A I`` is ``A``);
* reverse mode seeds a *diagonal* batch (``m`` entries) that stays diagonal
  through element-wise steps; the first matrix product makes it dense.

So this model walks the program once per mode and counts the entries each
step's tangent (or cotangent) batch will hold, following the same rules as
:mod:`~diffbench.tape.dual` and :mod:`~diffbench.tape.cotangents`.  A unit
is one float written.  Seconds are then predicted per mode as a fixed cost,
a cost per step (Python dispatch) and a cost per unit, fitted by least
squares (relative error) to 60 timed Jacobians (``A x``, ``sigmoid(A x)``,
``log(1 + exp(A x))`` over the study's grids, CPU time, one BLAS thread) (``benchmarks/bench_modes.py --fit`` re-fits
them); the study in ``jobs/modes.toml`` checks the choice cell by cell.
"""
from __future__ import annotations

import numpy as np

from ..ir import resolve_shape, topological

# seconds = fixed + per_step * active steps + per_unit * units (see above)
SECONDS = {"forward": (3.9e-5, 1.6e-5, 6.7e-10), "reverse": (5.6e-5, 3.6e-6, 1.27e-9)}
# the backward rules of these scale or pass on a same-shaped cotangent
_ELEMENTWISE_SCALING = frozenset({"mul", "div", "neg", "add", "sub"})
_FREE_ON_IDENTITY = frozenset({"matmul", "transpose"})


def _sizes(prog) -> list[int]:
    return [int(np.prod(resolve_shape(n.shape, prog.sizes), dtype=int)) for n in topological(prog.fn.root)]


def forward_cost(prog, sizes: list[int]) -> int:
    """Entries written by one batched forward sweep over every input direction."""
    n_in = sum(sizes[prog.inputs[name]] for name in prog.wrt)
    # only a single vector variable is seeded with the marked identity
    single_vector = len(prog.wrt) == 1 and len(prog.fn.shapes[prog.wrt[0]]) == 1
    identity = {prog.inputs[prog.wrt[0]]} if single_vector else set()
    cost = n_in * n_in
    for slot, step in prog.steps:
        if not prog.active[slot]:
            continue
        if step.prim.name in _FREE_ON_IDENTITY and any(j in identity for j in step.args):
            continue  # A @ I: the seed's columns are read, not multiplied
        cost += n_in * sizes[slot]
    return cost


def reverse_cost(prog, sizes: list[int]) -> int:
    """Entries written by one backward sweep carrying every output cotangent."""
    n_out = sizes[prog.output]
    vector_out = len(resolve_shape(prog.fn.shape, prog.sizes)) == 1
    diagonal = {prog.output} if vector_out else set()
    cost = n_out if vector_out else n_out * n_out
    for slot, step in reversed(prog.steps):
        if not prog.active[slot]:
            continue
        stays_diagonal = slot in diagonal and (step.prim.name in _ELEMENTWISE_SCALING or
                                               (step.prim.family == "elementwise" and step.prim.arity == 1))
        for j in step.args:
            if not prog.active[j]:
                continue
            if stays_diagonal and sizes[j] == sizes[slot]:
                diagonal.add(j)
                cost += n_out
            else:
                cost += n_out * sizes[j] + (n_out * n_out if slot in diagonal and step.prim.name != "matmul" else 0)
    return cost


def mode_costs(prog) -> dict:
    """Each mode's units and predicted seconds (reports and the benchmark show them)."""
    sizes = _sizes(prog)
    steps = sum(1 for slot, _ in prog.steps if prog.active[slot])
    units = {"forward": forward_cost(prog, sizes), "reverse": reverse_cost(prog, sizes)}
    out = {}
    for mode, (fixed, per_step, per_unit) in SECONDS.items():
        out[mode] = {"units": units[mode], "seconds": fixed + per_step * steps + per_unit * units[mode]}
    return out


def choose_mode(prog) -> str:
    """``"forward"`` or ``"reverse"``: the one predicted to take less time."""
    costs = mode_costs(prog)
    return "forward" if costs["forward"]["seconds"] < costs["reverse"]["seconds"] else "reverse"
