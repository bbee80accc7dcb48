"""Tracing a NumPy-style Python function into the IR the language produces.

``trace(loss, shapes={"w": "n", "X": "m,n", "y": "m"})`` calls ``loss`` once
with a :class:`Traced` stand-in for each argument.  Every operation on a
stand-in builds an IR node through the op table, with the same peepholes the
language's lowering uses (``x @ A @ x`` becomes ``inner(x, matmul(A, x))``,
as ``x'*A*x`` does), so a catalogue function written in Python traces to the
very interned DAG of its expression: the same closed forms, the same
generated code, the same timings.

Nothing of the user's function is evaluated on data: it runs once, on
stand-ins.  Python control flow that depends on *shapes* unrolls (when the
shapes are concrete: pass ``sizes``); control flow that depends on *values*
cannot be traced and raises :class:`TraceError` naming the user's line.
"""
from __future__ import annotations

import inspect
import linecache
import os
import sys
from dataclasses import dataclass

import numpy as np

from ..function import Function
from ..ir import Node, Shape, const, format_shape, node, var
from ..lang.declare import declared_shape
from ..lang.lower import Row, as_node, transpose, vector_of
from ..ops import TABLE, ShapeError, build

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the machinery a traced call passes through; any other frame is the user's
# (the community problems' Python versions live in the package, and are user code)
_MACHINERY = tuple(os.path.join(_PACKAGE_DIR, part) for part in
                   ("tracing", "numpy", "ops", "lang", "ir.py", "dims.py", "function.py"))


class TraceError(ValueError):
    """What a traced function did that diffbench cannot carry, with the
    user's function name and line."""


class NeedsSizes(TraceError):
    """The function used a dimension as a number (a loop, arithmetic, an
    index from the end): it traces once the dims have sizes."""


def user_frame():
    """The innermost frame outside diffbench: the user's line."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_MACHINERY):
        frame = frame.f_back
    return frame


def fail(message: str, kind: type = TraceError) -> TraceError:
    """A :class:`TraceError` that names the user's function and line."""
    frame = user_frame()
    if frame is None:
        return kind(message)
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    where = f"{frame.f_code.co_name}(), line {frame.f_lineno}"
    return kind(f"{where}: {message}" + (f"  [{line}]" if line else ""))


# ---------------------------------------------------------------- dims


@dataclass(frozen=True)
class SymbolicDim:
    """A dim of a traced shape whose size is not fixed at trace time.

    It compares and prints as its name; using it as a number (``range``,
    arithmetic, indexing) needs a concrete size, so it says how to give one.
    """
    name: str

    def __str__(self) -> str:
        return self.name

    def __index__(self):
        raise fail(f"dimension {self.name!r} has no size at trace time; pass "
                   f"sizes={{{self.name!r}: ...}} to trace() to unroll loops over it", NeedsSizes)

    def _as_number(self, *_):
        raise fail(f"dimension {self.name!r} is used as a number, and has no size at trace "
                   f"time; pass sizes={{{self.name!r}: ...}} to trace()", NeedsSizes)

    __int__ = __index__
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _as_number
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __pow__ = _as_number
    __lt__ = __le__ = __gt__ = __ge__ = __float__ = _as_number

    def __eq__(self, other):
        return isinstance(other, SymbolicDim) and other.name == self.name


# ---------------------------------------------------------------- values


def _is_constant(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def lift(x) -> "Node | Row":
    """The IR value of a traced value or a Python/NumPy scalar constant."""
    if isinstance(x, Traced):
        return x.value
    if isinstance(x, bool):
        raise fail("a boolean cannot enter a traced computation")
    if _is_constant(x):
        return const(float(x))
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return const(float(x))
    if isinstance(x, np.ndarray) and x.ndim <= 2:
        carried = constant_array(x)
        if carried is not None:
            return carried
    if isinstance(x, (np.ndarray, list, tuple)):
        raise fail("array constants cannot be traced (only arrays of one value and the "
                   "identity): pass the array as an input of the function (a variable "
                   "with a declared shape)")
    raise fail(f"cannot trace a value of type {type(x).__name__}")


def constant_array(x: np.ndarray) -> "Node | None":
    """The constant arrays the IR can hold exactly: every entry one value
    (``np.zeros(3)``, ``np.ones((2, 2))``: that value times ``ones``) and
    the identity (``np.eye(3)``: ``eye``).  Anything else is data."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return None
    if x.ndim == 2 and x.shape[0] == x.shape[1] and np.array_equal(x, np.eye(x.shape[0])):
        return node("eye", (), {}, x.shape)
    first = float(x.flat[0])
    if not np.all(x == first):
        return None
    if first == 1.0:
        return node("ones", (), {}, x.shape)  # the language's ones(n)
    return build("broadcast", (const(first),), {"shape": x.shape})  # vector(c), matrix(c)


def column(x) -> Node:
    """The node of a value, rows turned back into plain (column) vectors:
    NumPy has no row vectors, so a 1-D result is just a vector."""
    value = lift(x)
    return vector_of(value) if isinstance(value, Row) else value


def shape_of(value) -> Shape:
    return (value.length,) if isinstance(value, Row) else value.shape


def make(op: str, *args, **attrs) -> "Traced":
    """``op(args)`` built through the op table, shape-checked, as a Traced."""
    if op not in TABLE:
        raise fail(f"{op} is not a primitive of this diffbench")
    try:
        return Traced(build(op, args, attrs))
    except ShapeError as err:
        raise fail(str(err)) from None


def _elementwise(op: str, a, b) -> "Traced":
    left, right = column(a), column(b)
    if left.shape and right.shape and left.shape != right.shape:
        left, right = _broadcast_rows(op, left, right)
    return make(op, left, right)


def _broadcast_rows(op: str, left: Node, right: Node) -> tuple[Node, Node]:
    """NumPy's one broadcast beyond scalars that the IR spells exactly: a
    vector against every row of a matrix (``X - mu`` with ``X`` m x n and
    ``mu`` of length n) is ``X - ones(m) mu'``.  Other shapes are refused."""
    if left.ndim == 2 and right.ndim == 1 and left.shape[1] == right.shape[0]:
        return left, build("outer", (node("ones", (), {}, (left.shape[0],)), right))
    if left.ndim == 1 and right.ndim == 2 and right.shape[1] == left.shape[0]:
        return build("outer", (node("ones", (), {}, (right.shape[0],)), left)), right
    raise fail(f"{op}: shapes {format_shape(left.shape)} and {format_shape(right.shape)} "
               "do not broadcast; diffbench broadcasts scalars, and a vector against the "
               "rows of a matrix (as NumPy does), nothing else")


def matmul_values(a, b) -> "Traced":
    """``a @ b`` with NumPy's rank rules, built as the language lowers
    products: a vector on the left stays a row ``u' M1 .. Mk`` until it
    meets a vector, so ``x @ A @ x`` is ``inner(x, matmul(A, x))``."""
    left, right = lift(a), lift(b)
    lrank, rrank = len(shape_of(left)), len(shape_of(right))
    if lrank == 0 or rrank == 0:
        raise fail("matmul: scalar operands are not allowed; use * for scaling")
    if lrank == 1 and rrank == 1:
        return _inner(left, vector_of(right) if isinstance(right, Row) else right)
    if lrank == 1:
        row = left if isinstance(left, Row) else Row(left)
        _check(row.length, right.shape[0], "matmul", (row.length,), right.shape)
        return Traced(Row(row.vector, row.matrices + (right,)))
    right = vector_of(right) if isinstance(right, Row) else right
    return make("matmul", left, right)


def _inner(row, vector: Node) -> "Traced":
    if not isinstance(row, Row):
        return make("inner", row, vector)
    _check(row.length, vector.shape[0], "inner", (row.length,), vector.shape)
    out = vector
    for matrix in reversed(row.matrices):
        out = build("matmul", (matrix, out))
    return make("inner", row.vector, out)


def _check(a, b, op, sa, sb):
    if a != b:
        raise fail(f"{op}: incompatible shapes {format_shape(sa)} and {format_shape(sb)} ({a} vs {b})")


class Traced:
    """A stand-in for an array while a function is traced: it carries an
    IR value (a :class:`Node`, or a pending row ``u' M1 .. Mk``)."""

    __slots__ = ("value",)
    __array_priority__ = 1000

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """NumPy hands us its ufunc calls: arithmetic with a NumPy scalar
        (``np.float64(2) * x``) is traced; a real NumPy function applied to
        a traced value is the user's mistake, named."""
        operator = _ARITHMETIC.get(ufunc.__name__)
        if method == "__call__" and operator is not None and len(inputs) == 2 and not kwargs:
            return operator(*inputs)
        raise fail(f"numpy.{ufunc.__name__} was applied to a traced value: import "
                   "diffbench.numpy as np in the traced function")

    def __init__(self, value):
        self.value = value

    # ------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple:
        return tuple(SymbolicDim(d) if isinstance(d, str) else d for d in shape_of(self.value))

    @property
    def ndim(self) -> int:
        return len(shape_of(self.value))

    def __len__(self):
        if not self.ndim:
            raise fail("len() of a scalar")
        return int(self.shape[0])

    @property
    def T(self) -> "Traced":
        if self.ndim < 2:
            return Traced(column(self))
        return Traced(transpose(self.value))

    def transpose(self) -> "Traced":
        return self.T

    def sum(self, axis=None):
        return traced_sum(self, axis)

    def dot(self, other):
        return matmul_values(self, other)

    def __getitem__(self, key):
        node = column(self)
        specs = index_specs(key, node.shape)
        if all(spec == ("all",) for spec in specs):
            return Traced(node)
        return make("take", node, index=specs)

    # ------------------------------------------------------------ arithmetic
    def __add__(self, other): return _elementwise("add", self, other)
    def __radd__(self, other): return _elementwise("add", other, self)
    def __sub__(self, other): return _elementwise("sub", self, other)
    def __rsub__(self, other): return _elementwise("sub", other, self)
    def __mul__(self, other): return _elementwise("mul", self, other)
    def __rmul__(self, other): return _elementwise("mul", other, self)
    def __truediv__(self, other): return _elementwise("div", self, other)
    def __rtruediv__(self, other): return _elementwise("div", other, self)
    def __pow__(self, other): return _elementwise("pow", self, other)
    def __rpow__(self, other): return _elementwise("pow", other, self)
    def __matmul__(self, other): return matmul_values(self, other)
    def __rmatmul__(self, other): return matmul_values(other, self)

    def __neg__(self):
        if isinstance(self.value, Row):
            return Traced(Row(build("neg", (self.value.vector,)), self.value.matrices))
        return make("neg", self.value)

    def __pos__(self):
        return self

    # ------------------------------------------------------------ what cannot be traced
    def __bool__(self):
        raise fail("the function branches on a traced value (if/while/and/or on data); "
                   "only branches on shapes can be traced")

    def _value_dependent(self, *_):
        raise fail("comparisons of traced values cannot be traced (they depend on data)")

    __lt__ = __le__ = __gt__ = __ge__ = _value_dependent

    def __float__(self):
        raise fail("float() of a traced value: the function needs data at trace time")

    def __iter__(self):
        raise fail("iterating over a traced array: index it (x[i]) or use a reduction")

    def __array__(self, *_, **__):
        raise fail("a traced value was passed to real NumPy: import diffbench.numpy as np "
                   "in the traced function")

    def __repr__(self) -> str:
        return f"Traced({format_shape(shape_of(self.value))})"


_ARITHMETIC = {
    "add": lambda a, b: _elementwise("add", a, b),
    "subtract": lambda a, b: _elementwise("sub", a, b),
    "multiply": lambda a, b: _elementwise("mul", a, b),
    "divide": lambda a, b: _elementwise("div", a, b),
    "true_divide": lambda a, b: _elementwise("div", a, b),
    "power": lambda a, b: _elementwise("pow", a, b),
    "matmul": lambda a, b: matmul_values(a, b),
}


# ---------------------------------------------------------------- indexing


def index_specs(key, shape: Shape) -> tuple:
    """NumPy's basic indexing (integers and unit-step slices, counted from
    0) as the ``take`` primitive's specs: ``("at", i)``, ``("range", a, b)``
    (b exclusive) or ``("all",)``, one per axis."""
    key = key if isinstance(key, tuple) else (key,)
    if len(key) > len(shape):
        raise fail(f"{len(key)} indices into an array of rank {len(shape)}")
    key = key + (slice(None),) * (len(shape) - len(key))
    return tuple(_one_index(item, dim) for item, dim in zip(key, shape))


def _one_index(item, dim):
    if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
        item = int(item)
        if item < 0:
            item += _concrete(dim, "a negative index")
        if isinstance(dim, int) and not 0 <= item < dim:
            raise fail(f"index {item} is out of range for a dimension of size {dim}")
        return ("at", item)
    if isinstance(item, slice):
        if item.step not in (None, 1):
            raise fail("slices with a step cannot be traced")
        if isinstance(dim, int):
            start, stop, _ = item.indices(dim)
        else:
            start, stop = item.start or 0, item.stop
            if stop is None:
                if start == 0:
                    return ("all",)
                stop = _concrete(dim, "a slice to the end")
            if start < 0 or stop < 0:
                _concrete(dim, "a negative slice bound")
        if (start, stop) == (0, dim):
            return ("all",)
        if stop <= start:
            raise fail(f"the slice {start}:{stop} is empty")
        return ("range", start, stop)
    raise fail(f"indexing with {type(item).__name__} cannot be traced (integers and slices only)")


def _concrete(dim, what: str) -> int:
    if isinstance(dim, int):
        return dim
    raise fail(f"{what} needs the size of dimension {dim!r}: pass sizes={{{dim!r}: ...}} to trace()", NeedsSizes)


# ---------------------------------------------------------------- trace()


def _declared(fn, shapes: dict | None) -> dict[str, Shape]:
    params = [p.name for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    shapes = dict(shapes or {})
    unknown = [n for n in shapes if n not in params]
    if unknown:
        raise TraceError(f"shapes names {', '.join(map(repr, unknown))}, not a parameter of "
                         f"{fn.__name__}({', '.join(params)})")
    missing = [n for n in params if n not in shapes]
    if missing:
        raise TraceError(f"declare the shape of {', '.join(map(repr, missing))} in shapes= "
                         f"(e.g. {{{missing[0]!r}: 'n'}}; '' for a scalar)")
    return {name: declared_shape(name, shapes[name]) for name in params}


def _fix_sizes(shape: Shape, sizes: dict) -> Shape:
    return tuple(int(sizes[d]) if isinstance(d, str) and d in sizes else d for d in shape)


def _local_names(fn, args) -> tuple[object, dict[str, Node]]:
    """Call ``fn`` and read its locals as it returns: the user's names for
    intermediates (``z = X @ w``), so formulas can print them."""
    names: dict[str, Node] = {}
    inner = getattr(fn, "func", fn)  # functools.partial: the function it binds
    code = getattr(inner, "__code__", None)

    def profile(frame, event, arg):
        if event == "return" and frame.f_code is code:
            for name, value in frame.f_locals.items():
                if isinstance(value, Traced):
                    names[name] = column(value)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        out = fn(*args)
    except TraceError:
        raise
    except Exception as err:  # the function's own failure on a stand-in: one line at its line
        raise _raised_by(fn, err) from err
    finally:
        sys.setprofile(previous)
    return out, names


def _raised_by(fn, err: Exception) -> TraceError:
    """``err``, raised while tracing ``fn``, as one line naming the innermost line
    outside diffbench (``os:system`` given a stand-in, a bug in the user's code)."""
    tb, frame = err.__traceback__, None
    while tb is not None:
        if not os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(_MACHINERY):
            frame, lineno = tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next
    inner = getattr(fn, "func", fn)
    where, line = getattr(inner, "__qualname__", type(inner).__name__) + "()", ""
    if frame is not None:
        where = f"{frame.f_code.co_name}(), line {lineno}"
        line = linecache.getline(frame.f_code.co_filename, lineno).strip()
    message = str(err).splitlines()[0] if str(err) else ""
    return TraceError(f"{where}: raised {type(err).__name__} while traced ({message}); diffbench.numpy "
                      "carries what docs/python.md lists" + (f"  [{line}]" if line else ""))


def trace(fn, shapes: dict | None = None, sizes: dict | None = None, name: str | None = None) -> Function:
    """Trace a NumPy-style Python function into a :class:`Function`.

    Args:
        fn: a Python function of arrays written with ``import diffbench.numpy as np``.
        shapes: each parameter's shape, as the language declares them:
            ``{"w": "n", "X": "m,n", "y": "m", "c": ""}``.
        sizes: optional concrete sizes of dims (``{"n": 3}``), needed only
            when the function loops over a dimension.
        name: the name the function is shown under (default ``fn.__name__``).

    Returns:
        a :class:`Function` every engine, job and report takes, exactly as a
        parsed expression.

    Raises:
        TraceError: one line naming the function and the line that could not
            be traced.
    """
    if not callable(fn):
        raise TraceError(f"trace() needs a Python function, not {type(fn).__name__}")
    declared = {k: _fix_sizes(v, sizes or {}) for k, v in _declared(fn, shapes).items()}
    args = [Traced(var(n, s)) for n, s in declared.items()]
    out, names = _local_names(fn, args)
    if isinstance(out, (tuple, list)):
        raise fail("the traced function returns several values; return one array")
    root = column(out)
    inputs = {id(a.value) for a in args}
    labels = {nm: n for nm, n in names.items() if id(n) not in inputs and n.op not in ("const", "var")}
    inner = getattr(fn, "func", fn)
    title = name or getattr(inner, "__qualname__", getattr(inner, "__name__", "function"))
    return Function(f"python:{title}", root, declared, intermediates=labels)


__all__ = ["trace", "Traced", "TraceError", "NeedsSizes", "SymbolicDim", "make", "lift", "column", "matmul_values", "fail"]


def along_axis(op: str, x, axis):
    """``op`` along NumPy's ``axis`` of a matrix (the language's ``op(X, axis + 1)``);
    a vector's only axis is the whole vector."""
    node = column(x)
    if node.ndim == 1 and axis in (0, -1):
        return make(op.removesuffix("_axis"), node)
    if node.ndim != 2 or axis not in (0, 1, -1, -2):
        raise fail(f"{op.removesuffix('_axis')} over axis {axis} of a rank-{node.ndim} array cannot be traced")
    return make(op, node, axis=axis % 2)


def traced_sum(x, axis=None) -> Traced:
    """``x.sum(axis)`` / ``np.sum(x, axis)`` of a traced array: every entry, or along an axis."""
    if axis is None:
        return make("sum", column(x))
    return along_axis("sum_axis", x, axis)
