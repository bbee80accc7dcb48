"""Differential operators over the tape, one convention for every engine:
a gradient has its variable's shape, a Hessian block ``(a, b)`` has shape
``shape(a) + shape(b)``, a Jacobian ``out.shape + in.shape``.

Forward mode seeds the variables with a batch of tangent directions
(:class:`~diffbench.tape.dual.Dual`); the Hessian is forward-over-reverse
with *all* ``n`` directions in one batch, so each primitive runs once on a
``(n, ...)`` tangent array (a BLAS call) instead of once per direction.
"""
from __future__ import annotations

import functools

import numpy as np

from ..canonical import canonical_root
from ..ir import size_of, topological
from ..ops.core import IdentityBatch
from . import compiled
from .core import Program, dense
from .cotangents import Cotangents, dense_batch
from .dual import Dual


def value(prog: Program, inputs: dict):
    return prog.forward(inputs)[prog.output]


def vjp(prog: Program, inputs: dict, cotangent) -> dict:
    """Cotangent of each ``wrt`` variable, given the output's cotangent."""
    tape = prog.forward(inputs)
    grads = prog.backward(tape, cotangent)
    return {name: dense(grads.get(name), inputs[name]) for name in prog.wrt}


def grad(prog: Program, inputs: dict) -> dict:
    """Gradient of a scalar function: one forward and one reverse sweep."""
    if not prog.fn.is_scalar:
        raise ValueError(f"grad needs a scalar function; {prog.fn.expr!r} has shape {prog.fn.shape}: use jacobian")
    return value_and_grad_of(prog)(inputs)["gradient"]


def value_and_grad(prog: Program, inputs: dict) -> dict:
    """``{"value", "gradient"}`` from one forward and one reverse sweep."""
    return value_and_grad_of(prog)(inputs)


def value_and_grad_of(prog: Program):
    """``inputs -> {"value", "gradient"}``: the sweeps written out as straight-line code
    (:mod:`~diffbench.tape.compiled`), or the interpreter's where they are not."""
    run = compiled.value_and_grad(prog)
    return run if run is not None else functools.partial(interpreted_value_and_grad, prog)


def interpreted_value_and_grad(prog: Program, inputs: dict) -> dict:
    """``{"value", "gradient"}`` from the interpreter's forward and reverse sweeps."""
    tape = prog.forward(inputs)
    grads = prog.backward(tape, 1.0)
    return {"value": tape[prog.output],
            "gradient": {name: dense(grads.get(name), inputs[name]) for name in prog.wrt}}


# ---------------------------------------------------------------- forward mode

def _blocks(prog: Program, inputs: dict):
    """(name, offset, size, shape) of each variable in the stacked directions."""
    offset = 0
    for name in prog.wrt:
        shape = np.shape(inputs[name])
        size = int(np.prod(shape, dtype=int))
        yield name, offset, size, shape
        offset += size


def _identity_seeds(prog: Program, inputs: dict) -> tuple[dict, list]:
    """Dual inputs whose tangents are the unit directions of every wrt entry."""
    blocks = list(_blocks(prog, inputs))
    total = sum(size for _, _, size, _ in blocks)
    seeds = {}
    for name, offset, size, shape in blocks:
        if len(blocks) == 1 and len(shape) == 1:
            tangent = np.eye(size).view(IdentityBatch)  # lets linear rules skip A @ I
        else:
            tangent = np.zeros((total, size))
            tangent[offset:offset + size] = np.eye(size)
            tangent = tangent.reshape((total,) + shape)
        seeds[name] = Dual(np.asarray(inputs[name], dtype=float), tangent)
    return seeds, blocks


def jvp(prog: Program, inputs: dict, tangents: dict):
    """``(f(x), J v)`` for one direction ``v`` given per variable."""
    seeds = {name: Dual(np.asarray(inputs[name], dtype=float), np.asarray(tangents[name], dtype=float)[None])
             for name in prog.wrt}
    out = prog.forward(inputs, seeds)[prog.output]
    if type(out) is not Dual:
        return out, np.zeros(np.shape(out))
    return out.primal, out.tangent[0]


def _split(batch, blocks, lead_shape):
    """Cut a ``(K, *lead_shape)`` tangent batch into per-variable arrays of
    shape ``lead_shape + var_shape``."""
    out = {}
    lead = len(lead_shape)
    for name, offset, size, shape in blocks:
        part = np.asarray(batch[offset:offset + size]).reshape(shape + tuple(lead_shape))
        axes = tuple(range(len(shape), len(shape) + lead)) + tuple(range(len(shape)))
        out[name] = np.transpose(part, axes)
    return out


def jacobian_forward(prog: Program, inputs: dict) -> dict:
    """Jacobian by forward mode: all input directions in one batched sweep."""
    seeds, blocks = _identity_seeds(prog, inputs)
    out = prog.forward(inputs, seeds)[prog.output]
    out_shape = np.shape(out.primal if type(out) is Dual else out)
    if type(out) is not Dual:
        return {name: np.zeros(out_shape + shape) for name, _, _, shape in blocks}
    return _split(out.tangent, blocks, out_shape)


def jacobian_reverse(prog: Program, inputs: dict) -> dict:
    """Jacobian by reverse mode: every output cotangent in one batched
    backward sweep over one tape (see :mod:`~diffbench.tape.cotangents`)."""
    tape = prog.forward(inputs)
    out_shape = np.shape(tape[prog.output])
    if out_shape == ():
        grads = prog.backward(tape, 1.0)
        return {name: dense(grads.get(name), inputs[name]) for name in prog.wrt}
    seed = Cotangents.identity(out_shape)
    grads = prog.backward(tape, seed)
    k = seed.size
    return {name: dense_batch(grads.get(name), k, np.shape(inputs[name])).reshape(out_shape + np.shape(inputs[name]))
            for name in prog.wrt}


def grad_forward(prog: Program, inputs: dict) -> dict:
    """The gradient by forward mode: n input directions in one batched sweep
    (what the cheap-gradient principle is measured against)."""
    if not prog.fn.is_scalar:
        raise ValueError(f"grad needs a scalar function; {prog.fn.expr!r} has shape {prog.fn.shape}: use jacobian")
    return jacobian_forward(prog, inputs)


MODES = ("forward", "reverse", "auto")


# ---------------------------------------------------------------- second order

def _second_order(prog: Program, inputs: dict, seeds: dict) -> dict:
    """Forward-over-reverse: run the tape on duals, then the backward pass on
    them.  Returns the dual gradient of each variable (or None)."""
    tape = prog.forward(inputs, seeds)
    return prog.backward(tape, 1.0)


def hvp(prog: Program, inputs: dict, vectors: dict) -> dict:
    """Hessian-vector product ``H v`` (v given per variable), one sweep."""
    seeds = {name: Dual(np.asarray(inputs[name], dtype=float), np.asarray(vectors[name], dtype=float)[None])
             for name in prog.wrt}
    grads = _second_order(prog, inputs, seeds)
    out = {}
    for name in prog.wrt:
        g = grads.get(name)
        out[name] = g.tangent[0].reshape(np.shape(inputs[name])) if type(g) is Dual else np.zeros(np.shape(inputs[name]))
    return out


def hvp_batch(prog: Program, inputs: dict, directions: list[dict]) -> list[dict]:
    """``H v`` for every direction in one forward-over-reverse sweep whose
    tangent batch holds them all (Hutchinson's probes: one BLAS-sized pass)."""
    k = len(directions)
    seeds = {name: Dual(np.asarray(inputs[name], dtype=float),
                        np.stack([np.asarray(d[name], dtype=float) for d in directions]))
             for name in prog.wrt}
    grads = _second_order(prog, inputs, seeds)
    out = [{} for _ in range(k)]
    for name in prog.wrt:
        g = grads.get(name)
        shape = np.shape(inputs[name])
        batch = g.tangent.reshape((k,) + shape) if type(g) is Dual else np.zeros((k,) + shape)
        for i in range(k):
            out[i][name] = batch[i]
    return out


def hessian(prog: Program, inputs: dict) -> dict:
    """Every Hessian block by forward-over-reverse sweeps of ``K`` directions: one
    sweep of all of them, or sweeps of :func:`hessian_chunk` directions each when
    the batch's tangents would take more memory than the Hessian and the inputs."""
    chunk = hessian_chunk(prog)
    blocks = list(_blocks(prog, inputs))
    total = sum(size for _, _, size, _ in blocks)
    if chunk >= total:
        seeds, blocks = _identity_seeds(prog, inputs)
        return _hessian_blocks(_second_order(prog, inputs, seeds), blocks)
    rows = {name: np.zeros((total,) + shape) for name, _, _, shape in blocks}
    for start in range(0, total, chunk):
        stop = min(total, start + chunk)
        grads = _second_order(prog, inputs, _unit_seeds(inputs, blocks, start, stop))
        for name, _, _, shape in blocks:
            g = grads.get(name)
            if type(g) is Dual:
                rows[name][start:stop] = np.broadcast_to(g.tangent, (stop - start,) + shape)
    out = {}
    for a, _, _, shape_a in blocks:
        for b, block in _split(rows[a], blocks, shape_a).items():
            out[(a, b)] = block
    return out


def _unit_seeds(inputs: dict, blocks: list, start: int, stop: int) -> dict:
    """Dual inputs whose tangents are the unit directions ``start .. stop - 1`` of
    all the stacked wrt entries."""
    seeds = {}
    for name, offset, size, shape in blocks:
        tangent = np.zeros((stop - start, size))
        for k in range(max(start, offset), min(stop, offset + size)):
            tangent[k - start, k - offset] = 1.0
        seeds[name] = Dual(np.asarray(inputs[name], dtype=float), tangent.reshape((stop - start,) + shape))
    return seeds


#: a batch of directions whose tangents fit in this is never split
MIN_CHUNK_BYTES = 4 * 2**20


def hessian_chunk(prog: Program) -> int:
    """Directions per forward-over-reverse sweep (recorded as ``hessian_chunk``).

    Each direction adds a tangent to every value that depends on the variables
    while it is held, forward and backward (:func:`live_tangent_entries`: the
    tape frees what no later step reads); a chunk's tangents are kept within
    half the bytes of the Hessian plus the inputs, the floor the result itself
    needs, so peak memory stays a small multiple of it (and never split below
    ``MIN_CHUNK_BYTES``, where one sweep is cheaper and small anyway)."""
    cached = getattr(prog, "hessian_chunk", None)
    if cached is not None:
        return cached
    sizes = prog.sizes
    per_direction = 8 * live_tangent_entries(prog)
    total = sum(size_of(prog.fn.shapes[name], sizes) for name in prog.wrt)
    floor = 8 * total * total + 8 * sum(size_of(shape, sizes) for shape in prog.fn.shapes.values())
    budget = max(floor // 2, MIN_CHUNK_BYTES)  # small problems: one sweep, no chunking overhead
    chunk = max(1, min(total, budget // max(per_direction, 1)))
    prog.hessian_chunk = chunk
    return chunk


def live_tangent_entries(prog: Program) -> int:
    """The most tangent entries one direction of a forward-over-reverse sweep
    holds at once, walked over the program's own release plan: a value's
    tangent from its step to its release (after its last forward reader, or
    its last reverse reader if a VJP rule reads it), each adjoint's from its
    first contribution to its use, plus what the step at hand builds (its
    result, or the incoming adjoint and a contribution being summed).  Only
    values that depend on the variables carry tangents.  A program with an
    ``iterate`` loop counts every active value (a loop's record holds its
    steps' values on its own terms)."""
    entries = [size_of(n.shape, prog.sizes) for n in topological(canonical_root(prog.fn))]
    active = prog.active
    if prog.loops:
        return sum(e for e, on in zip(entries, active) if on)
    held = {prog.inputs[name]: entries[prog.inputs[name]] for name in prog.wrt if name in prog.inputs}
    now = peak = sum(held.values())
    for (slot, _), frees in zip(prog.steps, prog.forward_release):
        if not active[slot]:
            continue
        held[slot] = entries[slot]
        now += entries[slot]
        peak = max(peak, now + entries[slot])  # the step's own temporaries, about one result more
        for j in frees:
            now -= held.pop(j, 0)
    adjoints = {prog.output: entries[prog.output]}
    now += entries[prog.output]
    for (slot, _, _, rules), frees in zip(prog.reverse_steps, prog.reverse_release):
        incoming = adjoints.pop(slot, None)
        if incoming is not None:
            # a contribution is built while the incoming adjoint is held, and summed into
            # an adjoint already there: both, and the sum, at once
            peak = max(peak, now + max((2 * entries[j] for _, j in rules), default=0))
            now -= incoming
            for _, j in rules:
                if j not in adjoints:
                    adjoints[j] = entries[j]
                    now += entries[j]
            peak = max(peak, now + incoming)
        for j in frees:
            now -= held.pop(j, 0)
    return peak


def _hessian_blocks(grads: dict, blocks: list) -> dict:
    """Hessian blocks ``(a, b)`` from the dual gradients' tangent batches."""
    total = sum(size for _, _, size, _ in blocks)
    out = {}
    for a, _, _, shape_a in blocks:
        g = grads.get(a)
        batch = g.tangent if type(g) is Dual else np.zeros((total,) + shape_a)
        batch = np.broadcast_to(batch, (total,) + shape_a)
        for b, block in _split(batch, blocks, shape_a).items():
            out[(a, b)] = block
    return out


def value_gradient_hessian(prog: Program, inputs: dict) -> dict:
    """Value, gradient and Hessian from the one forward-over-reverse sweep: the
    duals' primal parts are the ordinary forward and reverse passes."""
    if hessian_chunk(prog) < sum(size for _, _, size, _ in _blocks(prog, inputs)):
        return dict(value_and_grad(prog, inputs), hessian=hessian(prog, inputs))  # in chunks
    seeds, blocks = _identity_seeds(prog, inputs)
    tape = prog.forward(inputs, seeds)
    grads = prog.backward(tape, 1.0)
    out = tape[prog.output]
    value = out.primal if type(out) is Dual else out
    gradient = {name: dense(g.primal if type(g) is Dual else g, inputs[name])
                for name, g in ((name, grads.get(name)) for name in prog.wrt)}
    return {"value": value, "gradient": gradient, "hessian": _hessian_blocks(grads, blocks)}


def gradient_and_hessian(prog: Program, inputs: dict) -> tuple[dict, dict]:
    return grad(prog, inputs), hessian(prog, inputs)


# ---------------------------------------------------------------- higher order

def derivatives(prog: Program, inputs: dict, order: int) -> list:
    """``[f', f'', ..., f^(order)]`` of a scalar function along its one scalar
    ``wrt`` variable, by Taylor arithmetic over the same tape (one forward pass
    on truncated power series; see :mod:`diffbench.tape.taylor`)."""
    from . import taylor

    (name,) = prog.wrt
    series = taylor.seed(inputs[name], order)
    out = prog.forward(inputs, {name: series})[prog.output]
    return taylor.derivatives_of(out, order)
