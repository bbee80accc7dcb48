"""One IR interpreter for every AD framework, parameterised by an op map.

A framework engine contributes three things and nothing else:

* an **op map** ``{primitive name: function}`` built from the framework's
  own array functions (``jnp.exp``, ``torch.linalg.inv`` ...), one entry per
  primitive of the op table except ``var`` (variables are bound to inputs
  by the interpreter);
* its **differential operators**, used the framework's idiomatic way
  (``jax.grad``/``jax.hessian``, ``torch.func.hessian``, ``autograd.hessian``);
* conversions between NumPy arrays and its own arrays.

The interpreter (:func:`build`) walks the IR once at ``prepare`` time into a
flat list of steps and turns it into a plain Python function
``f(*wrt_arrays, fixed)`` over framework arrays, which the framework then
traces or differentiates like any function a user would write.  No
catalogue function is ever written by hand per framework.

Nothing here imports a framework: each engine registers even when its
package is missing, and reports itself unavailable (with the reason)
instead of failing ``import diffbench``.
"""
from __future__ import annotations

import importlib
import importlib.util
import time
from typing import Callable

import numpy as np

from ...function import Function
from ...ir import resolve_shape
from ...lowering import fill, lower
from ...ops import TABLE
from ...errors import Unsupported
from ...ops.building import slices as _slices
from ..base import Engine, Prepared

#: primitives the interpreter handles itself (bound to inputs, not computed)
BOUND = frozenset({"var"})


def spelled(lib) -> dict[str, Callable]:
    """Primitive -> ``lib``'s function of the record's NumPy spelling (``numpy``
    field: ``"linalg.inv"`` is ``lib.linalg.inv``), for every primitive that has
    one and whose spelling ``lib`` knows.  A framework's op map is this plus its
    own spellings of the rest."""
    out = {}
    for name, prim in TABLE.items():
        target = lib
        for part in (prim.numpy or "").split(".") if prim.numpy else ():
            target = getattr(target, part, None)
        if prim.numpy and target is not None:
            out[name] = target
    return out


def missing_ops(op_map: dict) -> list[str]:
    """Primitives of the op table that ``op_map`` has no function for."""
    return sorted(name for name in TABLE if name not in BOUND and name not in op_map)


def build(fn: Function, wrt: list[str], sizes: dict[str, int], op_map: dict[str, Callable]):
    """``f(*wrt_values, fixed) -> output``: the IR of ``fn`` over ``op_map``.

    ``fixed`` maps every other variable to its (framework) array.  Leaves
    (``const``, ``eye``, ``ones``) are built once here, not per call;
    primitives that need their concrete output shape get it as ``shape=``
    exactly as on the tape.
    """
    lowered = lower(fn, sizes)
    absent = sorted(lowered.ops() - set(op_map) - BOUND)
    if absent:
        raise Unsupported(f"no mapping for primitive(s) {', '.join(absent)} in this framework's op map")
    constants = fill(lowered, op_map, dict.fromkeys(lowered.inputs))  # the leaves, built once
    steps = [(s.slot, op_map[s.op], s.args, s.attrs) for s in lowered.steps]
    position = {name: k for k, name in enumerate(wrt)}
    bound = [(slot, name, position.get(name, -1)) for name, slot in lowered.inputs.items()]
    output = lowered.output

    def f(*args):
        *values, fixed = args
        slots = list(constants)
        for slot, name, k in bound:
            slots[slot] = values[k] if k >= 0 else fixed[name]
        for slot, impl, arg_slots, attrs in steps:
            slots[slot] = impl(*[slots[j] for j in arg_slots], **attrs)
        return slots[output]

    f.__name__ = "interpreted"
    f.__doc__ = fn.expr
    return f


class FrameworkEngine(Engine):
    """An engine that interprets the IR in an AD framework.

    Subclasses set ``requires`` (import names), implement :meth:`load`
    (import the framework, return a namespace), :meth:`op_map` and the
    differential operators, and the conversions.
    """

    requires: tuple[str, ...] = ()
    extra: str = "compare"  # the optional dependencies of pyproject.toml that bring it
    jit: bool = False
    _loaded: object = None
    _load_error: str = ""

    # -------------------------------------------------------- availability

    def available(self) -> tuple[bool, str]:
        if self._load_error:
            return False, self._load_error
        for module in self.requires:
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):  # blocked, or a broken partial install
                found = False
            if not found:
                return False, f"{module} is not installed ({self.install_hint})"
        return True, ""

    @property
    def install_hint(self) -> str:
        return f"pip install -e '.[{self.extra}]'"

    def lib(self):
        """The framework's namespace, imported on first use; raises Unsupported
        saying why when it cannot be imported."""
        if self._loaded is None:
            ok, why = self.available()
            if not ok:
                raise Unsupported(f"engine {self.name!r} is not available here: {why}")
            try:
                self._loaded = self.load()
            except ImportError as err:
                self._load_error = f"{err.name or 'a dependency'} cannot be imported: {err} ({self.install_hint})"
                raise Unsupported(f"engine {self.name!r} is not available here: {self._load_error}") from None
        return self._loaded

    # -------------------------------------------------------- per framework

    def load(self):
        raise NotImplementedError

    def op_map(self, lib) -> dict[str, Callable]:
        raise NotImplementedError

    def asarray(self, lib, x):
        raise NotImplementedError

    def to_numpy(self, lib, x) -> np.ndarray:
        return np.asarray(x, dtype=float)

    def value_fn(self, lib, f):
        return f

    def grad_fn(self, lib, f, k: int):
        """``g(*wrt, fixed) -> tuple of k gradients``."""
        raise NotImplementedError

    def hessian_fn(self, lib, f, k: int):
        """``h(*wrt, fixed) -> k x k nested blocks``, block (i, j) of shape
        ``shape(i) + shape(j)``."""
        raise NotImplementedError

    hvp_mode = "forward-over-reverse"

    def hvp_fn(self, lib, f, k: int):
        """``p(*wrt, *directions, fixed) -> tuple of k products`` H v: the
        jvp of the gradient (forward-over-reverse) where the framework has one."""
        raise NotImplementedError

    def jacobian_fn(self, lib, f, k: int, forward: bool):
        """``j(*wrt, fixed) -> tuple of k Jacobians`` (``out.shape + in.shape``);
        ``forward`` when inputs are fewer than outputs."""
        raise NotImplementedError

    # -------------------------------------------------------- the engine

    def prepare(self, fn: Function, wrt: list[str], sizes: dict[str, int], order: int = 2) -> Prepared:
        lib = self.lib()
        start = time.perf_counter()
        f = build(fn, list(wrt), sizes, self.op_map(lib))
        stats = {"prepare_seconds": time.perf_counter() - start, "framework": self.name,
                 "jit": self.jit, "compile_seconds": {}}
        return FrameworkPrepared(self, lib, fn, list(wrt), sizes, f, stats)


class FrameworkPrepared(Prepared):
    """Value and derivatives of one function in one framework.

    Inputs may be NumPy arrays (converted on every call) or arrays the
    framework already holds (see :meth:`native`: a benchmark converts once,
    as a user of the framework would).  Results are float64 NumPy arrays.
    Each differential operator is built on first use; with ``jit`` its
    first call compiles, and that time goes into ``stats["compile_seconds"]``.
    """

    def __init__(self, engine: FrameworkEngine, lib, fn: Function, wrt: list[str],
                 sizes: dict[str, int], f, stats: dict):
        self.engine, self.lib, self.fn, self.wrt, self.sizes = engine, lib, fn, wrt, sizes
        self.f = f
        self.stats = stats
        self._ops: dict[str, Callable] = {}

    def native(self, inputs: dict) -> dict:
        """Every input as the framework's float64 array."""
        return {name: self.engine.asarray(self.lib, inputs[name]) for name in self.fn.variables}

    def _call(self, quantity: str, make, inputs: dict, extra=()):
        op = self._ops.get(quantity)
        first = op is None
        if first:
            op = self._ops[quantity] = make()
        native = inputs if getattr(inputs, "_native", False) else self.native(inputs)
        args = [native[name] for name in self.wrt] + list(extra)
        fixed = {name: v for name, v in native.items() if name not in self.wrt}
        start = time.perf_counter()
        out = op(*args, fixed)
        if first and self.engine.jit:
            self.stats["compile_seconds"][quantity] = time.perf_counter() - start
        return out

    def _shape(self, name: str) -> tuple[int, ...]:
        return resolve_shape(self.fn.shapes[name], self.sizes)

    def _array(self, x, shape) -> np.ndarray:
        return self.engine.to_numpy(self.lib, x).reshape(shape)

    def value(self, inputs):
        out = self._call("value", lambda: self.engine.value_fn(self.lib, self.f), inputs)
        out = self.engine.to_numpy(self.lib, out)
        return float(out) if self.fn.is_scalar else out.reshape(resolve_shape(self.fn.shape, self.sizes))

    def gradient(self, inputs):
        if not self.fn.is_scalar:
            raise Unsupported(f"{self.engine.name}: a gradient needs a scalar function (use the Jacobian)")
        k = len(self.wrt)
        self.note_mode("gradient", "reverse")
        grads = self._call("gradient", lambda: self.engine.grad_fn(self.lib, self.f, k), inputs)
        return {name: self._array(g, self._shape(name)) for name, g in zip(self.wrt, grads)}

    def hessian(self, inputs):
        if not self.fn.is_scalar:
            raise Unsupported(f"{self.engine.name}: a Hessian needs a scalar function")
        k = len(self.wrt)
        blocks = self._call("hessian", lambda: self.engine.hessian_fn(self.lib, self.f, k), inputs)
        return {(a, b): self._array(blocks[i][j], self._shape(a) + self._shape(b))
                for i, a in enumerate(self.wrt) for j, b in enumerate(self.wrt)}

    def hvp(self, inputs, vectors):
        if not self.fn.is_scalar:
            raise Unsupported(f"{self.engine.name}: a Hessian-vector product needs a scalar function")
        k = len(self.wrt)
        directions = [self.engine.asarray(self.lib, vectors[name]) for name in self.wrt]
        self.note_mode("hvp", self.engine.hvp_mode)
        out = self._call("hvp", lambda: self.engine.hvp_fn(self.lib, self.f, k), inputs, directions)
        return {name: self._array(p, self._shape(name)) for name, p in zip(self.wrt, out)}

    def jacobian(self, inputs):
        if self.fn.is_scalar:  # a scalar's Jacobian is its gradient
            return self.gradient(inputs)
        out_shape = resolve_shape(self.fn.shape, self.sizes)
        n_in = sum(int(np.prod(self._shape(name), dtype=int)) for name in self.wrt)
        forward = n_in <= int(np.prod(out_shape, dtype=int))
        self.note_mode("jacobian", "forward" if forward else "reverse")
        k = len(self.wrt)
        jacs = self._call("jacobian", lambda: self.engine.jacobian_fn(self.lib, self.f, k, forward), inputs)
        return {name: self._array(j, out_shape + self._shape(name)) for name, j in zip(self.wrt, jacs)}


class NativeInputs(dict):
    """Inputs already converted by :meth:`FrameworkPrepared.native`."""

    _native = True


def native_inputs(prepared: Prepared, inputs: dict) -> dict:
    """``inputs`` converted once to the arrays ``prepared`` computes with
    (unchanged for engines that take NumPy arrays)."""
    if isinstance(prepared, FrameworkPrepared):
        return NativeInputs(prepared.native(inputs))
    return inputs


def import_all(*modules: str):
    """Import ``modules`` and return them in order."""
    return tuple(importlib.import_module(m) for m in modules)


# ---------------------------------------------------------------- slices
# ``take``/``put`` (and the tails of ``concat``) in any framework: slicing is
# read-only everywhere, and ``put`` is built by concatenating zero blocks, which
# every framework differentiates (no in-place update).

def take(x, index, shape):
    return x[_slices(index, tuple(x.shape), tuple(shape))]


def put(g, index, shape, concatenate, zeros, expand_dims):
    """``g`` placed at ``index`` into zeros of ``shape``, one leading axis at a time."""
    block = g
    specs = list(enumerate(index))
    for axis, spec in reversed(specs):
        if spec[0] == "at":
            block = expand_dims(block, axis)
        full = shape[axis]
        start, stop = _bounds(spec, full, block.shape[axis])
        pieces = []
        if start:
            pieces.append(zeros(tuple(block.shape[:axis]) + (start,) + tuple(block.shape[axis + 1:])))
        pieces.append(block)
        if full - stop:
            pieces.append(zeros(tuple(block.shape[:axis]) + (full - stop,) + tuple(block.shape[axis + 1:])))
        block = concatenate(pieces, axis) if len(pieces) > 1 else block
    return block


def _bounds(spec, full, part):
    kind = spec[0]
    if kind == "at":
        return spec[1], spec[1] + 1
    if kind == "range":
        return spec[1], spec[2]
    if kind == "head":
        return 0, part
    if kind == "tail":
        return full - part, full
    return 0, full


# ---------------------------------------------------------------- Kronecker products

def kron(einsum, a, b):
    (m, n), (p, q) = a.shape, b.shape
    return einsum("ij,kl->ikjl", a, b).reshape((m * p, n * q))


def unkron(einsum, g, other, side, shape):
    if side == "left":
        (m, n), (p, q) = shape, other.shape
        return einsum("ikjl,kl->ij", g.reshape((m, p, n, q)), other)
    (m, n), (p, q) = other.shape, shape
    return einsum("ikjl,ij->kl", g.reshape((m, p, n, q)), other)


def adj_derivative(einsum, det, inv, a, t):
    """d adj(A)[T] = det(A) (tr(A⁻¹T) A⁻¹ − A⁻¹ T A⁻¹), where A is invertible;
    T may carry trailing axes (a Jacobian's), which ride along."""
    b = inv(a)
    trace = einsum("lk,kl...->...", b, t)
    return det(a) * (einsum("ij,...->ij...", b, trace) - einsum("ik,kl...,lj->ij...", b, t, b))
