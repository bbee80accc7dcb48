"""Lowering: syntax tree to IR, following the decisions inference recorded.

Row vectors are not an IR concept.  A row is carried here as :class:`Row`,
``u' M1 ... Mk`` kept unevaluated, so products read as formulas:
``x'*A*x`` lowers to ``inner(x, matmul(A, x))`` and ``c'*inv(A)*b`` to
``inner(c, matmul(inv(A), b))``.  A row that must become a node (added to
something, returned ...) is ``reshape(matmul(transpose(Mk), ... u), (1,n))``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir import Node, Shape, const, format_shape, node, var
from ..ops import ShapeError, build
from .errors import ExpressionError
from .functions import ALONG_AXIS, CONSTANTS, ELEMENTWISE_BINARY, REDUCTIONS, TRIANGLES
from .infer import Inference
from . import iterate
from .tree import (Assign, Binary, Call, Concat, Expr, Group, Index, Inner, Lambda, Name, Num, Program,
                   Transpose, Unary)

ELEMENTWISE_OPS = {"+": "add", "-": "sub", ".*": "mul", "./": "div", ".^": "pow", "^": "pow", "/": "div"}


@dataclass(frozen=True)
class Row:
    """The row vector ``vector' @ matrices[0] @ ... @ matrices[-1]``."""
    vector: Node
    matrices: tuple[Node, ...] = ()

    @property
    def length(self):
        return self.matrices[-1].shape[1] if self.matrices else self.vector.shape[0]


# ---------------------------------------------------------------- peepholes

def reshape(x: Node, shape: Shape) -> Node:
    """A reshape of a reshape is one reshape; a reshape to the same shape is dropped."""
    if x.op == "reshape":
        x = x.args[0]
    if x.shape == tuple(shape):
        return x
    return build("reshape", (x,), {"shape": tuple(shape)})


def transpose(x: Node) -> Node:
    return x.args[0] if x.op == "transpose" else build("transpose", (x,))


def vector_of(value) -> Node:
    """The column vector behind a row (a Row, or a (1,k) node)."""
    if isinstance(value, Row):
        out = value.vector
        for matrix in value.matrices:  # (u' M)' = M' u
            out = build("matmul", (transpose(matrix), out))
        return out
    return reshape(value, (value.shape[1],)) if value.ndim == 2 else value


def as_node(value) -> Node:
    if isinstance(value, Row):
        return reshape(vector_of(value), (1, value.length))
    return value


def coerce(value, shape: Shape):
    """``value`` with the shape inference gave it: only (1,1)/(1,) -> () style
    reshapes (dropping unit dims) are allowed; anything else is a bug."""
    if isinstance(value, Row) and (1, value.length) == shape:
        return value
    value = as_node(value)
    if value.shape == shape:
        return value
    if [d for d in value.shape if d != 1] != [d for d in shape if d != 1]:
        raise ShapeError(f"internal error: {format_shape(value.shape)} is not {format_shape(shape)}")
    return reshape(value, shape)


# ---------------------------------------------------------------- the pass

class Lowering:
    def __init__(self, inference: Inference):
        self.inference = inference
        self.names = inference.names()
        self.values: dict[Expr, object] = {}

    def final(self, n: Expr) -> Shape:
        return self.inference.final(self.inference.shape[n], self.names)

    def run(self) -> Node:
        for n in self.inference.nodes:
            try:
                self.values[n] = coerce(RULES[type(n)](self, n), self.final(n))
            except ShapeError as err:  # a build that inference should have caught
                position = getattr(n, "op_pos", n.start)
                raise ExpressionError(f"{self.inference.text(n)}: {err}",
                                      self.inference.expr, position) from None
        return as_node(self.values[self.inference.nodes[-1]])

    def variables(self) -> dict[str, Shape]:
        return self.inference.final_variables(self.names)

    # ------------------------------------------------------------ rules
    def num(self, n: Num):
        return const(n.value)

    def name(self, n: Name):
        if n.name in self.inference.loops:
            return iterate.lower_loop_variable(self, n)
        bound = self.inference.bound.get(n.name)
        if bound is not None:  # a named intermediate (never also a variable)
            return self.values[bound]
        return var(n.name, self.inference.final(self.inference.variables[n.name], self.names))

    def assign(self, n: Assign):
        return self.values[n.value]

    def program(self, n: Program):
        return self.values[n.result]

    def concat(self, n: Concat):
        if all(len(row) == 1 and self.values[row[0]].__class__ is not Row
               and as_node(self.values[row[0]]).ndim <= 1 for row in n.rows):
            # [x; y; a]: vectors and scalars stacked into one vector
            return _fold("concat", [_as_vector(self.values[row[0]]) for row in n.rows], 0)
        rows = [_fold("concat", [_as_block(self.values[item]) for item in row], 1) for row in n.rows]
        return _fold("concat", rows, 0)

    def index(self, n: Index):
        return build("take", (as_node(self.values[n.base]),), {"index": self.inference.kind[n]})

    def intermediates(self) -> dict[str, Node]:
        """The user's named intermediates as IR nodes (printing uses the names)."""
        return {name: as_node(self.values[a.value]) for name, a in self.inference.assigned.items()}

    def group(self, n: Group):
        return self.values[n.inner]

    def unary(self, n: Unary):
        value = self.values[n.operand]
        if isinstance(value, Row):
            return Row(build("neg", (value.vector,)), value.matrices)
        return build("neg", (value,))

    def transpose(self, n: Transpose):
        value = self.values[n.operand]
        kind = self.inference.kind[n]
        if kind == "scalar":
            return value
        if kind == "vec2row":
            return Row(value)
        if kind == "row2vec":
            return vector_of(value)
        return transpose(as_node(value))

    def binary(self, n: Binary):
        a, b = self.values[n.left], self.values[n.right]
        if n.op == "*":
            return PRODUCTS[self.inference.kind[n]](a, b)
        if n.op == "/" and isinstance(a, Row):  # b is a scalar: scale the vector
            return Row(build("div", (a.vector, as_node(b))), a.matrices)
        return build(ELEMENTWISE_OPS[n.op], (as_node(a), as_node(b)))

    def inner(self, n: Inner):
        a, b = self.values[n.left], self.values[n.right]
        if isinstance(a, Row) or isinstance(b, Row):
            return build("inner", (vector_of(a), vector_of(b)))
        return build("inner", (a, b))

    def call(self, n: Call):
        if n.name in ("eye", "ones"):
            return node(n.name, (), {}, self.final(n))
        if n.name == "iterate":
            return iterate.lower_iterate(self, n, as_node)
        if n.name in ELEMENTWISE_BINARY or n.name in ("solve", "vec", "kron", "svdvals"):
            return build(n.name, tuple(as_node(self.values[a]) for a in n.args))
        if n.name in CONSTANTS:
            return build("broadcast", (as_node(self.values[n.args[0]]),), {"shape": self.final(n)})
        kind = self.inference.kind.get(n)
        if n.name in ALONG_AXIS and kind is not None:
            op = n.name if n.name == "softmax" else n.name + "_axis"
            return build(op, (as_node(self.values[n.args[0]]),), {"axis": int(kind)})
        if n.name in TRIANGLES:
            return build(n.name, (as_node(self.values[n.args[0]]),), {"k": int(kind)})
        value = self.values[n.args[0]]
        if n.name in REDUCTIONS and isinstance(value, Row):
            return build(n.name, (vector_of(value),))  # same entries, no reshape needed
        value = as_node(value)
        if kind == "1x1":  # tr, det, logdet, inv of a 1x1 matrix, i.e. of a scalar
            return _of_one_by_one(n.name, value)
        if n.name == "diag":
            kind = self.inference.kind[n]
            return build("diag_embed" if kind == "embed" else "diag_part", (value,))
        # elementwise, reductions, tr det logdet inv: same names as the op table's
        return build(n.name, (value,))


def _of_one_by_one(name: str, value: Node) -> Node:
    """tr(s) = det(s) = s, logdet(s) = log|s|, inv(s) = 1/s."""
    if name in ("tr", "det"):
        return value
    if name == "logdet":
        return build("log", (build("abs", (value,)),))
    return build("div", (const(1.0), value))


# ---------------------------------------------------------------- concatenation

def _fold(op: str, parts: list[Node], axis: int) -> Node:
    out = parts[0]
    for part in parts[1:]:
        out = build(op, (out, part), {"axis": axis})
    return out


def _as_vector(value) -> Node:
    value = as_node(value)
    return reshape(value, (1,)) if value.ndim == 0 else value


def _as_block(value) -> Node:
    """A concatenation's item as a matrix: a vector is a column, a scalar 1x1."""
    value = as_node(value)
    if value.ndim == 0:
        return reshape(value, (1, 1))
    return reshape(value, (value.shape[0], 1)) if value.ndim == 1 else value


# ---------------------------------------------------------------- products

def _scale(a, b):
    if isinstance(a, Row):
        return Row(build("mul", (a.vector, as_node(b))), a.matrices)
    if isinstance(b, Row):
        return Row(build("mul", (as_node(a), b.vector)), b.matrices)
    return build("mul", (a, b))


def _matmul(a, b):
    if isinstance(a, Row):  # u' M1 .. Mk times B: keep the chain for a later vector
        return Row(a.vector, a.matrices + (as_node(b),))
    return build("matmul", (a, as_node(b)))


def _matvec(a, b):
    return build("matmul", (as_node(a), b))


def _inner(a, b):
    """row * vector: u' M1 .. Mk y = <u, M1 (.. (Mk y))>, matrix-vector products only."""
    if not isinstance(a, Row) and a.ndim == 0:  # u'*M of length 1, already a scalar: <Mᵀ u, y>
        return build("inner", (_length_one_vector(a), b))
    if not isinstance(a, Row):
        return build("inner", (vector_of(a), b))
    out = b
    for matrix in reversed(a.matrices):
        out = build("matmul", (matrix, out))
    return build("inner", (a.vector, out))


def _length_one_vector(scalar: Node) -> Node:
    """The vector of length 1 a scalar was reshaped from (else the scalar reshaped)."""
    inner = scalar
    while inner.op == "reshape":
        inner = inner.args[0]
    if inner.shape == (1,):
        return inner
    return reshape(inner, (1,))


def _outer(a, b):
    return build("outer", (a, vector_of(b)))


PRODUCTS = {"scale": _scale, "matmul": _matmul, "matvec": _matvec, "inner": _inner, "outer": _outer}

RULES = {Num: Lowering.num, Name: Lowering.name, Group: Lowering.group,
         Unary: Lowering.unary, Transpose: Lowering.transpose, Binary: Lowering.binary,
         Inner: Lowering.inner, Call: Lowering.call, Assign: Lowering.assign,
         Program: Lowering.program, Concat: Lowering.concat, Index: Lowering.index,
         Lambda: iterate.lower_lambda}


def lower(inference: Inference) -> tuple[Node, dict[str, Shape], dict[str, Node]]:
    """The IR root, the variables' final shapes and the named intermediates."""
    lowering = Lowering(inference)
    return lowering.run(), lowering.variables(), lowering.intermediates()
