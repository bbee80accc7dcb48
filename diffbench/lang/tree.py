"""The syntax tree: small nodes that keep their source span, so every later
error (a shape mismatch found during inference) can point into the text."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(eq=False)
class Expr:
    start: int
    end: int

    @property
    def children(self) -> tuple["Expr", ...]:
        return ()


@dataclass(eq=False)
class Num(Expr):
    text: str
    value: float


@dataclass(eq=False)
class Name(Expr):
    name: str


@dataclass(eq=False)
class Group(Expr):
    """Parentheses: kept only so spans (and quoted source text) include them."""
    inner: Expr

    @property
    def children(self):
        return (self.inner,)


@dataclass(eq=False)
class Unary(Expr):
    """Unary minus; the operator is at ``start``."""
    operand: Expr

    @property
    def children(self):
        return (self.operand,)


@dataclass(eq=False)
class Transpose(Expr):
    """Postfix ``'``; the quote is at ``end - 1``."""
    operand: Expr

    @property
    def children(self):
        return (self.operand,)


@dataclass(eq=False)
class Binary(Expr):
    op: str
    op_pos: int
    left: Expr
    right: Expr

    @property
    def children(self):
        return (self.left, self.right)


@dataclass(eq=False)
class Inner(Expr):
    """``<a, b>``; the ``<`` is at ``start``."""
    left: Expr
    right: Expr

    @property
    def children(self):
        return (self.left, self.right)


@dataclass(eq=False)
class Call(Expr):
    """``name(args)``; the name is at ``start``.  ``eye``/``ones`` arguments
    are dims, not expressions, so they are not children (never variables)."""
    name: str
    args: tuple[Expr, ...]

    @property
    def children(self):
        if self.name == "iterate" and len(self.args) == 3:
            # the start value first: the loop variable takes its shape
            return (self.args[2], self.args[1])
        return () if self.name in ("eye", "ones") else self.args


@dataclass(eq=False)
class Lambda(Expr):
    """``h -> body``: only as the step of ``iterate(T, h -> body, h0)``."""
    param: str
    body: Expr

    @property
    def children(self):
        return (self.body,)


@dataclass(eq=False)
class Concat(Expr):
    """``[A, B; C, D]``: the items of a row side by side, the rows stacked;
    the ``[`` is at ``start``."""
    rows: tuple[tuple[Expr, ...], ...]

    @property
    def children(self):
        return tuple(item for row in self.rows for item in row)


@dataclass(frozen=True)
class Slot:
    """One index of ``x[...]`` as written (1-based, ranges inclusive):
    ``kind`` is "at" (``i``), "range" (``a:b``) or "all" (``:``)."""
    kind: str
    first: int
    last: int
    start: int


@dataclass(eq=False)
class Index(Expr):
    """``base[slots]``; the ``[`` is at ``bracket``."""
    base: Expr
    bracket: int
    slots: tuple[Slot, ...]

    @property
    def children(self):
        return (self.base,)


@dataclass(eq=False)
class Assign(Expr):
    """``name = value``: a named intermediate; ``start`` is the name's."""
    name: str
    value: Expr

    @property
    def children(self):
        return (self.value,)


@dataclass(eq=False)
class Program(Expr):
    """Named intermediates, then the expression whose value the function is."""
    statements: tuple[Assign, ...]
    result: Expr

    @property
    def children(self):
        return self.statements + (self.result,)


def postorder(root: Expr) -> list[Expr]:
    """Every node after its children, left to right (so variables come in
    source order).  Iterative: a left-nested chain of 10^5 terms is fine."""
    out: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        current, expanded = stack.pop()
        if expanded:
            out.append(current)
            continue
        stack.append((current, True))
        stack.extend((child, False) for child in reversed(current.children))
    return out
