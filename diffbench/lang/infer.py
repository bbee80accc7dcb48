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
from typing import Iterator

from ..ir import Shape
from .errors import ExpressionError
from .functions import ARITY, ELEMENTWISE, REDUCTIONS, RESERVED, arity_text
from .parser import shorten
from .tree import Binary, Call, Expr, Group, Inner, Name, Num, Transpose, Unary, postorder

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


class Inference:
    def __init__(self, expr: str, declared: dict[str, Shape], inputs: dict[str, Shape]):
        self.expr = expr
        self.declared = declared
        self.inputs = inputs
        self.parent: dict[TVar, object] = {}
        self.tvars: list[TVar] = []
        self.shape: dict[Expr, tuple] = {}
        self.kind: dict[Expr, str] = {}
        self.variables: dict[str, tuple] = {}  # first-appearance order
        # fresh names must not clash with any dim the user named
        self.taken = {d for shape in declared.values() for d in shape if isinstance(d, str)}
        self.nodes: list[Expr] = []

    # ------------------------------------------------------------ driver
    def run(self, tree: Expr) -> "Inference":
        self.nodes = postorder(tree)
        self.taken |= {a.name for n in self.nodes if isinstance(n, Call) and n.name in ("eye", "ones")
                       for a in n.args if isinstance(a, Name)}
        # a misspelt function or wrong arity is reported before any shape
        # error, wherever it is: it is usually the cause of the shape error
        for n in sorted((n for n in self.nodes if isinstance(n, Call)), key=lambda n: n.start):
            self.check_call(n)
        for n in self.nodes:
            self.shape[n] = self.resolve(RULES[type(n)](self, n))
        return self

    # ------------------------------------------------------------ unification
    def fresh(self) -> TVar:
        tv = TVar(len(self.tvars))
        self.tvars.append(tv)
        return tv

    def find(self, dim):
        while isinstance(dim, TVar) and dim in self.parent:
            dim = self.parent[dim]
        return dim

    def unify(self, a, b) -> bool:
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        if isinstance(a, TVar):
            self.parent[a] = b
        elif isinstance(b, TVar):
            self.parent[b] = a
        else:
            return False
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
                out[rep] = next(fresh)
        return out

    def final(self, shape, names: dict[TVar, str]) -> Shape:
        return tuple(names[d] if isinstance(d, TVar) else d for d in self.resolve(shape))

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
        if n.name in RESERVED:
            self.fail(f"{n.name!r} is a function, not a variable: call it as {n.name}(...)", n.start)
        if n.name not in self.variables:
            self.variables[n.name] = self.new_variable(n.name)
        return self.variables[n.name]

    def new_variable(self, name: str) -> tuple:
        if name in self.declared:
            return self.declared[name]
        if name in self.inputs:
            return self.inputs[name]
        # matrixcalculus.org's convention: a-g scalar, h-z vector, A-Z matrix
        first = name[0]
        if "a" <= first <= "g":
            return ()
        if first.islower():
            return (self.fresh(),)
        return (self.fresh(), self.fresh())

    # ------------------------------------------------------------ operators
    def group(self, n: Group):
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

    def rank_hint(self, a, b) -> str | None:
        vector, row = (a, b) if len(a) == 1 else (b, a)
        if len(vector) == 1 and len(row) == 2 and self.is_one(row[0]):
            return "a vector and a row differ (transpose one of them)"
        return None

    def product(self, n: Binary, a, b):
        """``*``: scaling, matrix products, and the row/vector cases."""
        if a == () or b == ():
            self.kind[n] = "scale"
            return b if a == () else a
        if len(a) == 2 and len(b) in (1, 2):
            self.unify_inner(n, a, b)
            if len(b) == 1:
                self.kind[n] = "inner" if self.is_one(a[0]) else "matvec"
                return () if self.is_one(a[0]) else (a[0],)
            self.kind[n] = "matmul"
            return self.scalar_if_one((a[0], b[1]))
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

    def scalar_if_one(self, shape):
        """A (1,1) product is a scalar: the language has no 1x1 matrices."""
        return () if all(self.is_one(d) for d in shape) else shape

    def inner(self, n: Inner):
        a = self.resolve(self.shape[n.left])
        b = self.resolve(self.shape[n.right])
        kw = {"verb": "and", "position": n.start}
        if len(a) != len(b):
            self.mismatch(n, a, b, "<a, b> needs equal shapes", **kw)
        for x, y in zip(a, b):
            self.unify_dims(n, a, b, x, y, **kw)
        return ()

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
        a = self.resolve(self.shape[n.args[0]])
        if n.name in ELEMENTWISE:
            return a
        if n.name in REDUCTIONS:
            return ()
        if n.name == "diag":
            return self.diag(n, a)
        self.square(n, a)
        return a if n.name == "inv" else ()

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
         Inner: Inference.inner, Call: Inference.call}


def infer(tree: Expr, expr: str, declared: dict[str, Shape], inputs: dict[str, Shape]) -> Inference:
    return Inference(expr, declared, inputs).run(tree)
