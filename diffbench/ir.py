"""The one intermediate representation every engine interprets.

A parsed function is a DAG of :class:`Node` objects.  Each node names a
primitive of the op table (``diffbench.ops``), its argument nodes, static
attributes (a variable's name, a constant's value, a reshape's target
shape) and its shape.  Shapes are tuples of *dims*: a dim is a name such as
``"n"`` (bound to a size when inputs arrive) or a literal ``int``.

Nodes are interned: building the same node twice returns the same object,
so structurally equal subexpressions are shared (the DAG is its own CSE)
and equality is identity.  All graph walks are iterative, so a chain of a
hundred thousand nodes needs no recursion.
"""
from __future__ import annotations

import weakref
from typing import Iterable, Iterator

from .dims import is_compound, names as dim_names, size as dim_size

Dim = str | int
Shape = tuple[Dim, ...]

_interned: "weakref.WeakValueDictionary[tuple, Node]" = weakref.WeakValueDictionary()


class Node:
    """One primitive application (or a leaf) with its shape.

    Build nodes with :func:`node`, never ``Node(...)`` directly, so that
    interning holds.
    """

    __slots__ = ("op", "args", "attrs", "shape", "__weakref__")

    def __init__(self, op: str, args: tuple["Node", ...], attrs: tuple, shape: Shape):
        self.op = op
        self.args = args
        self.attrs = attrs
        self.shape = shape

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def attr(self, key: str, default=None):
        for k, v in self.attrs:
            if k == key:
                return v
        return default

    def __repr__(self) -> str:  # short on purpose: a DAG can be huge
        if self.op == "var":
            return f"var({self.attr('name')}:{format_shape(self.shape)})"
        if self.op == "const":
            return f"const({self.attr('value')})"
        return f"{self.op}/{len(self.args)}:{format_shape(self.shape)}"


def node(op: str, args: Iterable[Node] = (), attrs: dict | tuple = (), shape: Shape = ()) -> Node:
    """Return the interned node for ``op(args; attrs)`` with ``shape``."""
    args = tuple(args)
    attrs = tuple(sorted(attrs.items())) if isinstance(attrs, dict) else tuple(attrs)
    key = (op, tuple(id(a) for a in args), attrs, tuple(shape))
    found = _interned.get(key)
    if found is not None:
        return found
    made = Node(op, args, attrs, tuple(shape))
    _interned[key] = made
    return made


def var(name: str, shape: Shape) -> Node:
    return node("var", (), {"name": name}, shape)


def const(value: float) -> Node:
    return node("const", (), {"value": float(value)}, ())


def topological(roots: Node | Iterable[Node]) -> list[Node]:
    """Every node reachable from ``roots``, each after all of its arguments.

    Iterative depth-first post-order: deep chains cost no recursion.
    """
    roots = [roots] if isinstance(roots, Node) else list(roots)
    order: list[Node] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        stack: list[tuple[Node, int]] = [(root, 0)]
        seen.add(id(root))
        while stack:
            current, next_arg = stack[-1]
            if next_arg < len(current.args):
                stack[-1] = (current, next_arg + 1)
                child = current.args[next_arg]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(current)
    return order


def variables(root: Node) -> dict[str, Shape]:
    """Variable names of an expression mapped to their shapes, in first-use order."""
    return {n.attr("name"): n.shape for n in topological(root) if n.op == "var"}


def dims_of(shape: Shape) -> Iterator[str]:
    """The named dims a shape depends on (the parts of ``n+m`` are ``n`` and ``m``)."""
    for d in shape:
        if isinstance(d, str):
            yield from (sorted(dim_names(d)) if is_compound(d) else (d,))


def format_shape(shape: Shape) -> str:
    """``(m,n)`` style, as error messages print shapes."""
    return "(" + ",".join(str(d) for d in shape) + ")"


def resolve_shape(shape: Shape, sizes: dict[str, int]) -> tuple[int, ...]:
    """Concrete sizes of a symbolic shape, given the size of each named dim
    (compound dims such as ``n+m`` are sized from their parts)."""
    return tuple(d if isinstance(d, int) else sizes[d] if d in sizes else dim_size(d, sizes)
                 for d in shape)


def size_of(shape: Shape, sizes: dict[str, int]) -> int:
    total = 1
    for d in resolve_shape(shape, sizes):
        total *= d
    return total
