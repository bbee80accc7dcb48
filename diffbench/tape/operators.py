"""Differential operators over the tape, one convention for every engine:
a gradient has its variable's shape, a Hessian block ``(a, b)`` has shape
``shape(a) + shape(b)``, a Jacobian ``out.shape + in.shape``.

Forward mode seeds the variables with a batch of tangent directions
(:class:`~diffbench.tape.dual.Dual`); the Hessian is forward-over-reverse
with *all* ``n`` directions in one batch, so each primitive runs once on a
``(n, ...)`` tangent array (a BLAS call) instead of once per direction.
"""
from __future__ import annotations

import numpy as np

from ..ops.core import IdentityBatch
from .core import Program
from .cotangents import Cotangents, dense_batch
from .dual import Dual


def value(prog: Program, inputs: dict):
    return prog.forward(inputs)[prog.output]


def vjp(prog: Program, inputs: dict, cotangent) -> dict:
    """Cotangent of each ``wrt`` variable, given the output's cotangent."""
    tape = prog.forward(inputs)
    grads = prog.backward(tape, cotangent)
    return {name: _dense(grads.get(name), inputs[name]) for name in prog.wrt}


def grad(prog: Program, inputs: dict) -> dict:
    """Gradient of a scalar function: one forward and one reverse sweep."""
    if not prog.fn.is_scalar:
        raise ValueError(f"grad needs a scalar function; {prog.fn.expr!r} has shape {prog.fn.shape}: use jacobian")
    return vjp(prog, inputs, 1.0)


def _dense(g, like):
    """An adjoint as a float array shaped like its variable (zeros if it got none)."""
    if g is None:
        return np.zeros(np.shape(like))
    return np.asarray(g, dtype=float).reshape(np.shape(like))


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
        return {name: _dense(grads.get(name), inputs[name]) for name in prog.wrt}
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


def jacobian(prog: Program, inputs: dict, mode: str = "auto") -> dict:
    """The Jacobian in ``mode``; ``auto`` asks :func:`choose_mode`."""
    if mode == "auto":
        mode = choose_mode(prog, inputs)
    return (jacobian_forward if mode == "forward" else jacobian_reverse)(prog, inputs)


def choose_mode(prog: Program, inputs: dict | None = None) -> str:
    """The mode predicted to take less time (see :mod:`.cost`; near a tie it
    is measured on ``inputs``); it depends on the program and its sizes
    only, so it is worked out once per program (``prog.mode_basis`` says how)."""
    from .cost import choose_mode as cheaper

    if getattr(prog, "mode_choice", None) is None or (prog.mode_basis == "unmeasured" and inputs is not None):
        prog.mode_choice, prog.mode_basis = cheaper(prog, inputs)
    return prog.mode_choice


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
    """Every Hessian block in one forward-over-reverse sweep of ``K`` directions."""
    seeds, blocks = _identity_seeds(prog, inputs)
    grads = _second_order(prog, inputs, seeds)
    total = sum(size for _, _, size, _ in blocks)
    out = {}
    for a, _, _, shape_a in blocks:
        g = grads.get(a)
        batch = g.tangent if type(g) is Dual else np.zeros((total,) + shape_a)
        batch = np.broadcast_to(batch, (total,) + shape_a)
        for b, block in _split(batch, blocks, shape_a).items():
            out[(a, b)] = block
    return out


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
