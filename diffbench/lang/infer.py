"""Shape inference by unification, on the tree exactly as the user wrote it
(so a mismatch quotes the user's own sub-expression, e.g. ``x'*A``).

Every variable's rank is known up front (declared, from an input array, or
from the naming convention), so only dims are unknown: an unknown dim is a
:class:`TVar`, and dims are unified with a union-find.  Declared dim names
and integers are rigid: ``n`` never unifies with ``m`` or with ``3``.

Besides a shape, inference records a *kind* for each product, transpose and
``diag``: the decision lowering must follow (``row * vector`` is an inner
product ...), taken once here so the two passes cannot disagree.
"""
from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass
from typing import Iterator

from ..dims import combine
from ..ir import Shape
from .errors import ExpressionError
from .functions import (ALONG_AXIS, ARITY, CONSTANTS, ELEMENTWISE, ELEMENTWISE_BINARY, REDUCTIONS,
                        RESERVED, TRIANGLES, arity_text)
from .parser import shorten
from . import iterate
from .tree import (Assign, Binary, Call, Concat, Expr, Group, Index, Inner, Lambda, Name, Num, Program,
                   Transpose, Unary, postorder)

FRESH = ("n", "m", "k", "p", "q", "r", "s", "t", "u", "v", "w")
VERBS = {"+": "plus", "-": "minus", "*": "times", ".*": "times", "/": "divided by",
         "./": "divided by", "^": "to the power", ".^": "to the power"}


class TVar:
    """An unknown dim, to be fixed by unification or named at the end."""

    __slots__ = ("id",)

    def __init__(self, ident: int):
        self.id = ident

    def __repr__(self) -> str:
        return f"?{self.id}"


@dataclass(frozen=True)
class Combined:
    """A dim built from others, ``left + right`` or ``left * right`` (the
    heights of a concatenation, vec's length): rigid, equal only to the
    same combination of the same dims."""
    op: str
    left: object
    right: object


class Inference:
    def __init__(self, expr: str, declared: dict[str, Shape], inputs: dict[str, Shape]):
        self.expr = expr
        self.declared = declared
        self.inputs = inputs
        self.parent: dict[TVar, object] = {}
        self.observed: dict[TVar, int] = {}  # the size an input array showed for a dim
        self.tvars: list[TVar] = []
        self.shape: dict[Expr, tuple] = {}
        self.kind: dict[Expr, str] = {}
        self.variables: dict[str, tuple] = {}  # first-appearance order
        # fresh names must not clash with any dim the user named
        self.taken = {d for shape in declared.values() for d in shape if isinstance(d, str)}
        self.nodes: list[Expr] = []
        self.collapsed: set[Expr] = set()  # row * matrix products that became scalars (all dims 1)
        self.loops: dict[str, Call] = {}  # iterate's loop variables -> their call
        self.bound: dict[str, Expr] = {}  # named intermediates assigned so far
        self.assigned: dict[str, Assign] = {}  # every assignment of the program

    # ------------------------------------------------------------ named intermediates
    def check_assignments(self, tree: Expr) -> None:
        """Each name is assigned once, and is neither a function nor a declared variable."""
        for statement in tree.statements if isinstance(tree, Program) else ():
            name = statement.name
            if name in RESERVED:
                self.fail(f"{name!r} is a function name and cannot be assigned", statement.start)
            if name in self.declared or name in self.inputs:
                self.fail(f"{name!r} is an input variable and cannot also be assigned", statement.start)
            if name in self.assigned:
                self.fail(f"{name!r} is assigned twice (each name is assigned once)", statement.start)
            self.assigned[name] = statement

    # ------------------------------------------------------------ driver
    def run(self, tree: Expr) -> "Inference":
        self.check_assignments(tree)
        self.nodes = postorder(tree)
        self.taken |= {a.name for n in self.nodes if isinstance(n, Call) and n.name in ("eye", "ones")
                       for a in n.args if isinstance(a, Name)}
        # a misspelt function or wrong arity is reported before any shape
        # error, wherever it is: it is usually the cause of the shape error
        for n in sorted((n for n in self.nodes if isinstance(n, Call)), key=lambda n: n.start):
            self.check_call(n)
        iterate.bind_loops(self)
        for n in self.nodes:
            self.shape[n] = self.resolve(RULES[type(n)](self, n))
        return self

    # ------------------------------------------------------------ unification
    def fresh(self) -> TVar:
        tv = TVar(len(self.tvars))
        self.tvars.append(tv)
        return tv

    def find(self, dim):
        if isinstance(dim, Combined):
            left, right = self.find(dim.left), self.find(dim.right)
            if isinstance(left, int) and isinstance(right, int):
                return combine(dim.op, left, right)
            if dim.op == "min" and left == right:
                return left
            return Combined(dim.op, left, right)
        root = dim
        while isinstance(root, TVar) and root in self.parent:
            root = self.parent[root]
        while isinstance(dim, TVar) and dim in self.parent:  # path compression: linear time
            self.parent[dim], dim = root, self.parent[dim]
        return root

    def observed_dim(self, size: int):
        """A dim an input array shows: an unknown that remembers its size, so
        it may still meet a named dim (``x'*eye(n)*x`` with x of length 3 binds
        n = 3) but not another size.  A 1 is kept as 1: a 1x1 product is a scalar."""
        if size == 1:
            return 1
        tv = self.fresh()
        self.observed[tv] = size
        return tv

    def unify(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        if isinstance(b, TVar) and not isinstance(a, TVar):
            a, b = b, a
        if not isinstance(a, TVar):
            if isinstance(a, Combined) and isinstance(b, Combined) and a.op == b.op:
                if a.op == "min" and (self.find(a.left), self.find(a.right)) == (self.find(b.right), self.find(b.left)):
                    return True  # min(m,n) is min(n,m)
                return self.unify(a.left, b.left) and self.unify(a.right, b.right)
            return False
        seen = self.observed.get(a)
        if seen is not None:
            other = self.observed.get(b) if isinstance(b, TVar) else b
            if isinstance(other, int) and other != seen:
                return False
            if isinstance(b, TVar):
                self.observed.setdefault(b, seen)
        self.parent[a] = b
        return True

    def resolve(self, shape) -> tuple:
        return tuple(self.find(d) for d in shape)

    def is_one(self, dim) -> bool:
        return self.find(dim) == 1

    # ------------------------------------------------------------ naming
    def fresh_names(self) -> Iterator[str]:
        for suffix in itertools.chain([""], (str(i) for i in itertools.count(1))):
            for base in FRESH:
                if base + suffix not in self.taken:
                    yield base + suffix

    def names(self) -> dict[TVar, str]:
        """A name for each dim still unknown, in order of first appearance."""
        out: dict[TVar, str] = {}
        fresh = self.fresh_names()
        for tv in self.tvars:
            rep = self.find(tv)
            if isinstance(rep, TVar) and rep not in out:
                out[rep] = self.observed[rep] if rep in self.observed else next(fresh)
        return out

    def final(self, shape, names: dict[TVar, str]) -> Shape:
        return tuple(self.final_dim(d, names) for d in self.resolve(shape))

    def final_dim(self, d, names: dict[TVar, str]):
        if isinstance(d, TVar):
            return names[d]
        if isinstance(d, Combined):  # spelt as the IR's shape rules spell it
            return combine(d.op, self.final_dim(d.left, names), self.final_dim(d.right, names))
        return d

    def final_variables(self, names: dict[TVar, str]) -> dict[str, Shape]:
        return {name: self.final(shape, names) for name, shape in self.variables.items()}

    # ------------------------------------------------------------ errors
    def fail(self, message: str, position: int | None):
        raise ExpressionError(message, self.expr, position)

    def fmt(self, shape) -> str:
        names = self.names()
        return "(" + ",".join(str(d) for d in self.final(shape, names)) + ")"

    def fmt_dim(self, dim) -> str:
        return self.fmt((dim,))[1:-1]

    def text(self, n: Expr) -> str:
        # one line whatever the source layout: messages quote it after a colon
        return shorten(" ".join(self.expr[n.start:n.end].split()), 60)

    def mismatch(self, n: Expr, a, b, detail: str, verb: str | None = None, position=None):
        """``x'*A: (1,n) times (m,m): <detail>`` with the caret at the operator."""
        verb = verb or VERBS[n.op]
        position = n.op_pos if position is None else position
        self.fail(f"{self.text(n)}: {self.fmt(a)} {verb} {self.fmt(b)}: {detail}", position)

    def unify_dims(self, n: Expr, a, b, x, y, what: str = "dimensions", **kw) -> None:
        if not self.unify(x, y):
            self.mismatch(n, a, b, f"{what} {self.fmt_dim(x)} and {self.fmt_dim(y)} differ", **kw)

    # ------------------------------------------------------------ leaves
    def num(self, n: Num):
        return ()

    def name(self, n: Name):
        if n.name in self.loops:
            return iterate.loop_variable_shape(self, n)
        if n.name in RESERVED:
            self.fail(f"{n.name!r} is a function, not a variable: call it as {n.name}(...)", n.start)
        if n.name in self.bound:
            return self.shape[self.bound[n.name]]
        if n.name in self.assigned:
            self.fail(f"{n.name!r} is used before it is assigned", n.start)
        if n.name not in self.variables:
            self.variables[n.name] = self.new_variable(n.name)
        return self.variables[n.name]

    def new_variable(self, name: str) -> tuple:
        if name in self.declared:
            return self.declared[name]
        if name in self.inputs:
            return tuple(self.observed_dim(d) for d in self.inputs[name])
        # matrixcalculus.org's convention: a-g scalar, h-z vector, A-Z matrix
        first = name[0]
        if "a" <= first <= "g":
            return ()
        if first.islower():
            return (self.fresh(),)
        return (self.fresh(), self.fresh())

    def assign(self, n: Assign):
        self.bound[n.name] = n.value
        return self.shape[n.value]

    def program(self, n: Program):
        return self.shape[n.result]

    # ------------------------------------------------------------ operators
    def group(self, n: Group):
        if n.inner in self.collapsed:
            self.collapsed.add(n)
        return self.shape[n.inner]

    def unary(self, n: Unary):
        return self.shape[n.operand]

    def transpose(self, n: Transpose):
        a = self.resolve(self.shape[n.operand])
        if len(a) == 0:
            kind, out = "scalar", ()
        elif len(a) == 1:
            kind, out = "vec2row", (1, a[0])
        elif len(a) == 2 and self.is_one(a[0]):
            kind, out = "row2vec", (a[1],)
        elif len(a) == 2:
            kind, out = "matrix", (a[1], a[0])
        else:
            self.fail(f"{self.text(n)}: cannot transpose {self.fmt(a)} "
                      "(only scalars, vectors and matrices)", n.end - 1)
        self.kind[n] = kind
        return out

    def binary(self, n: Binary):
        a = self.resolve(self.shape[n.left])
        b = self.resolve(self.shape[n.right])
        if n.op == "*":
            return self.product(n, a, b)
        if n.op == "/" and b != ():
            self.mismatch(n, a, b, "'/' divides by a scalar only (use ./ for element-wise division)")
        if n.op == "^" and (a != () or b != ()):
            inverse = ", inv(...) for the inverse" if len(a) == 2 else ""
            self.mismatch(n, a, b, f"'^' is the power of a scalar (use .^ for element-wise powers{inverse})")
        return self.elementwise(n, a, b)

    def elementwise(self, n: Binary, a, b):
        if a == () or b == ():
            return b if a == () else a
        if len(a) != len(b):
            self.mismatch(n, a, b, self.rank_hint(a, b) or f"{n.op!r} needs equal shapes or a scalar side")
        for x, y in zip(a, b):
            self.unify_dims(n, a, b, x, y)
        return a

    def broadcast_args(self, n: Call, a, b):
        """Two arguments of an element-wise function: equal shapes or a scalar."""
        if a == () or b == ():
            return b if a == () else a
        kw = {"verb": "and", "position": n.start}
        if len(a) != len(b):
            self.mismatch(n, a, b, f"{n.name} needs equal shapes or a scalar side", **kw)
        for x, y in zip(a, b):
            self.unify_dims(n, a, b, x, y, **kw)
        return a

    def rank_hint(self, a, b) -> str | None:
        vector, row = (a, b) if len(a) == 1 else (b, a)
        if len(vector) == 1 and len(row) == 2 and self.is_one(row[0]):
            return "a vector and a row differ (transpose one of them)"
        return None

    def product(self, n: Binary, a, b):
        """``*``: scaling, matrix products, and the row/vector cases."""
        if a == () and n.left in self.collapsed and len(b) == 1 and self.is_one(b[0]):
            self.kind[n] = "inner"  # (x'*A)*x, all of length 1: still a row times a vector, xᵀ A x
            return ()
        if a == () or b == ():
            self.kind[n] = "scale"
            return b if a == () else a
        if len(a) == 2 and len(b) in (1, 2):
            self.unify_inner(n, a, b)
            if len(b) == 1:
                self.kind[n] = "inner" if self.is_one(a[0]) else "matvec"
                return () if self.is_one(a[0]) else (a[0],)
            self.kind[n] = "matmul"
            return self.scalar_if_one((a[0], b[1]), n)
        if len(a) == 1 and len(b) == 2:
            if not self.is_one(b[0]):
                self.mismatch(n, a, b, "a vector can only multiply a row (1,k) on its right")
            self.kind[n] = "outer"
            return self.scalar_if_one((a[0], b[1]))
        if len(a) == 1 and len(b) == 1:
            self.mismatch(n, a, b, "use x'*y for the inner product or x*y' for the outer product")
        self.mismatch(n, a, b, "'*' multiplies scalars, vectors and matrices only")

    def unify_inner(self, n: Binary, a, b) -> None:
        """Inner dims of a product must agree, but an unknown dim is never
        made 1 here: ``x'*x'`` is a mistake, not a vector of length 1."""
        x, y = self.find(a[1]), self.find(b[0])
        if (x == 1 and isinstance(y, TVar)) or (y == 1 and isinstance(x, TVar)):
            self.mismatch(n, a, b, f"inner dimensions {self.fmt_dim(x)} and {self.fmt_dim(y)} differ")
        self.unify_dims(n, a, b, x, y, "inner dimensions")

    def scalar_if_one(self, shape, n: Expr | None = None):
        """A (1,1) product is a scalar: the language has no 1x1 matrices.  A
        row times a matrix that collapses so is remembered: times a vector of
        length 1 it is still a 1x1 product, a scalar (``x'*A*x``)."""
        if all(self.is_one(d) for d in shape):
            if n is not None and self.is_one(self.resolve(self.shape[n.left])[0]):
                self.collapsed.add(n)
            return ()
        return shape

    def inner(self, n: Inner):
        a = self.resolve(self.shape[n.left])
        b = self.resolve(self.shape[n.right])
        kw = {"verb": "and", "position": n.start}
        if len(a) != len(b):
            self.mismatch(n, a, b, "<a, b> needs equal shapes", **kw)
        for x, y in zip(a, b):
            self.unify_dims(n, a, b, x, y, **kw)
        return ()

    # ------------------------------------------------------------ building, taking apart
    def concat(self, n: Concat):
        """``[A, B; C, D]``: a vector counts as one column, a scalar as 1x1;
        items of a row need equal heights, rows equal widths."""
        height = width = None
        for row in n.rows:
            row_height = row_width = None
            for item in row:
                h, w = self.as_block(n, item)
                if row_height is None:
                    row_height, row_width = h, w
                    continue
                self.same_dim(n, item, row_height, h, "heights")
                row_width = Combined("+", row_width, w)
            if height is None:
                height, width = row_height, row_width
                continue
            self.same_dim(n, row[0], width, row_width, "widths")
            height = Combined("+", height, row_height)
        if self.is_one(width):
            return () if self.is_one(height) else (height,)
        return (height, width)

    def as_block(self, n: Concat, item: Expr):
        shape = self.resolve(self.shape[item])
        if len(shape) == 0:
            return 1, 1
        if len(shape) == 1:
            return shape[0], 1
        if len(shape) == 2:
            return shape
        self.fail(f"{self.text(item)}: cannot concatenate {self.fmt(shape)}", item.start)

    def same_dim(self, n: Concat, item: Expr, want, got, what: str) -> None:
        """Equal dims, never binding an unknown length to 1 (``[x, a]`` is a mistake)."""
        want_, got_ = self.find(want), self.find(got)
        ones = (want_ == 1 and isinstance(got_, TVar)) or (got_ == 1 and isinstance(want_, TVar))
        if ones or not self.unify(want_, got_):
            self.fail(f"{self.text(n)}: {what} {self.fmt_dim(want_)} and {self.fmt_dim(got_)} "
                      "differ ([A, B] joins side by side, [A; B] stacks)", item.start)

    def index(self, n: Index):
        """``x[i]``, ``X[i, :]``, ``x[a:b]``: counted from 1, ranges inclusive."""
        shape = self.resolve(self.shape[n.base])
        if len(n.slots) != len(shape):
            what = {0: "a scalar has no entries to index",
                    1: "a vector takes one index: x[i] or x[a:b]",
                    2: "a matrix takes two indices: X[i, j], X[i, :], X[a:b, :]"}.get(len(shape), "")
            self.fail(f"{self.text(n.base)}{self.expr[n.bracket:n.end]}: {what}", n.bracket)
        out, specs = [], []
        for slot, dim in zip(n.slots, shape):
            if slot.kind != "all" and isinstance(self.find(dim), int) and slot.last > self.find(dim):
                self.fail(f"index {slot.last} is beyond the length {self.find(dim)}", slot.start)
            if slot.kind == "at":
                specs.append(("at", slot.first - 1))
            elif slot.kind == "range":
                specs.append(("range", slot.first - 1, slot.last))
                out.append(slot.last - slot.first + 1)
            else:
                specs.append(("all",))
                out.append(dim)
        self.kind[n] = tuple(specs)
        return tuple(out)

    # ------------------------------------------------------------ functions
    def check_call(self, n: Call):
        if n.name not in ARITY:
            self.unknown_function(n)
        fewest, most = ARITY[n.name]
        if not fewest <= len(n.args) <= most:
            self.fail(f"{n.name} takes {arity_text(n.name)}, got {len(n.args)}", n.start)

    def call(self, n: Call):
        if n.name in ("eye", "ones"):
            dims = tuple(self.dim_argument(n, arg) for arg in n.args)
            return dims * 2 if n.name == "eye" else dims
        if n.name == "iterate":
            return iterate.iterate_shape(self, n)
        a = self.resolve(self.shape[n.args[0]])
        if n.name in ELEMENTWISE:
            return a
        if n.name in ELEMENTWISE_BINARY:
            return self.broadcast_args(n, a, self.resolve(self.shape[n.args[1]]))
        if n.name in ALONG_AXIS and (len(n.args) == 2 or n.name == "softmax"):
            return self.along_axis(n, a)
        if n.name in REDUCTIONS:
            return ()
        if n.name in TRIANGLES:
            return self.triangle(n, a)
        if n.name in CONSTANTS:
            return self.constant(n, a)
        if n.name == "solve":
            return self.solve(n, a, self.resolve(self.shape[n.args[1]]))
        if n.name == "svdvals":
            if len(a) != 2:
                self.fail(f"{self.text(n)}: svdvals takes a matrix, got {self.fmt(a)}", n.start)
            return (a[0],) if self.find(a[0]) == self.find(a[1]) else (Combined("min", a[0], a[1]),)
        if n.name == "kron":
            b = self.resolve(self.shape[n.args[1]])
            if len(a) != 2 or len(b) != 2:
                self.fail(f"{self.text(n)}: kron takes two matrices, got {self.fmt(a)} and {self.fmt(b)}",
                          n.start)
            return (Combined("*", a[0], b[0]), Combined("*", a[1], b[1]))
        if n.name == "vec":
            if len(a) != 2:
                self.fail(f"{self.text(n)}: vec takes a matrix, got {self.fmt(a)}", n.start)
            return (Combined("*", a[0], a[1]),)
        if n.name == "diag":
            return self.diag(n, a)
        if a == ():  # a scalar is the language's 1x1 matrix (x*x' for x of length 1)
            self.kind[n] = "1x1"
            return ()
        self.square(n, a)
        return a if n.name == "inv" else ()

    def along_axis(self, n: Call, a):
        """``sum(X, 1)``: one entry per column; ``sum(X, 2)``: one per row;
        ``softmax(x)`` of a vector, ``softmax(X, 2)`` of each row."""
        if n.name == "softmax" and len(n.args) == 1:
            if len(a) == 1:
                self.kind[n] = "0"
                return a
            self.fail(f"{self.text(n)}: softmax takes a vector, got {self.fmt(a)} "
                      "(softmax(X, 2) normalises each row, softmax(X, 1) each column)", n.start)
        axis = self.integer_argument(n, n.args[1], "the axis, 1 or 2")
        if axis not in (1, 2):
            self.fail(f"{n.name}: the axis is 1 (down the columns) or 2 (along the rows), "
                      f"not {axis}", n.args[1].start)
        if len(a) != 2:
            self.fail(f"{self.text(n)}: {n.name}(X, {axis}) takes a matrix, got {self.fmt(a)}"
                      f" ({n.name}(x) of a vector has no axis)", n.start)
        self.kind[n] = str(axis - 1)
        if n.name == "softmax":
            return a
        return (a[1],) if axis == 1 else (a[0],)

    def triangle(self, n: Call, a):
        if len(a) != 2:
            self.fail(f"{self.text(n)}: {n.name} takes a matrix, got {self.fmt(a)}", n.start)
        self.kind[n] = str(self.integer_argument(n, n.args[1], "the diagonal offset") if len(n.args) > 1 else 0)
        return a

    def constant(self, n: Call, a):
        if a != ():
            self.fail(f"{self.text(n)}: {n.name}(c) takes a scalar c (every entry), "
                      f"got {self.fmt(a)}", n.args[0].start)
        return (self.fresh(),) if n.name == "vector" else (self.fresh(), self.fresh())

    def solve(self, n: Call, a, b):
        """``solve(A, B)`` = A⁻¹ B for a square A and a vector or matrix B."""
        self.square(n, a)
        if len(b) not in (1, 2):
            self.fail(f"{self.text(n)}: solve(A, b) needs a vector or matrix b, got {self.fmt(b)}",
                      n.args[1].start)
        one_to_unknown = self.is_one(b[0]) and isinstance(self.find(a[1]), TVar)
        if one_to_unknown or not self.unify(a[1], b[0]):  # a row is never a 1x1 system
            self.fail(f"{self.text(n)}: A is {self.fmt(a)} but b has {self.fmt_dim(b[0])} rows",
                      n.args[1].start)
        return b

    def integer_argument(self, n: Call, arg: Expr, what: str) -> int:
        """A whole number written in place (``1``, ``-1``), never an expression."""
        negative = isinstance(arg, Unary)
        inner = arg.operand if negative else arg
        if isinstance(inner, Num) and inner.text.isascii() and inner.text.isdigit():
            return -int(inner.text) if negative else int(inner.text)
        self.fail(f"{n.name}: {what} is a whole number written in place, not {self.text(arg)}",
                  arg.start)

    def square(self, n: Call, a, wanted: str = "a square matrix"):
        if len(a) != 2 or not self.unify(a[0], a[1]):
            self.fail(f"{self.text(n)}: {n.name} needs {wanted}, got {self.fmt(a)}", n.start)

    def diag(self, n: Call, a):
        if len(a) == 1:
            self.kind[n] = "embed"
            return (a[0], a[0])
        wanted = "a vector or a square matrix"
        if len(a) == 2 and self.is_one(a[0]) and not self.is_one(a[1]):
            # a row: binding its length to 1 would only hide the mistake
            self.fail(f"{self.text(n)}: {n.name} needs {wanted}, got the row {self.fmt(a)}", n.start)
        self.square(n, a, wanted)
        self.kind[n] = "part"
        return (a[0],)

    def dim_argument(self, n: Call, arg: Expr):
        if isinstance(arg, Name) and arg.name not in RESERVED:
            return arg.name
        if isinstance(arg, Num) and arg.text.isdigit() and int(arg.text) > 0:
            return int(arg.text)
        self.fail(f"{n.name} takes dimensions (names such as n, or positive integers), "
                  f"not {self.text(arg)}", arg.start)

    def unknown_function(self, n: Call):
        name = n.name
        used = any(isinstance(m, Name) and m.name == name for m in self.nodes)
        if name in self.declared or name in self.inputs or used or len(name) == 1:
            self.fail(f"{name!r} is a variable, not a function: write {name}*(...) to multiply",
                      n.start)
        close = difflib.get_close_matches(name, list(ARITY), n=1)
        if close:
            self.fail(f"unknown function {name!r}: did you mean {close[0]!r}?", n.start)
        self.fail(f"unknown function {name!r} (known: {', '.join(sorted(ARITY))})", n.start)


RULES = {Num: Inference.num, Name: Inference.name, Group: Inference.group,
         Unary: Inference.unary, Transpose: Inference.transpose, Binary: Inference.binary,
         Inner: Inference.inner, Call: Inference.call, Assign: Inference.assign,
         Program: Inference.program, Concat: Inference.concat, Index: Inference.index,
         Lambda: iterate.lambda_shape}


def infer(tree: Expr, expr: str, declared: dict[str, Shape], inputs: dict[str, Shape]) -> Inference:
    return Inference(expr, declared, inputs).run(tree)
