"""Formulas written back in diffbench's own input language (``--format expr``).

:func:`programs` turns each derivative formula into a program that
``diffbench.parse`` reads back: shared subformulas become named
intermediates (the user's own names where the user named that very
subformula, else ``z1, z2 ...``), operands are parenthesised unless they are
atoms, so no precedence rule is ever relied on.  Parsing that text and
evaluating it gives the numbers the compiled derivative gives -- the test
suite checks exactly that, which is how we know that what we print is what we
compute.  A formula using something the language cannot spell (a 4th-order
tensor, a slice placed into zeros of a size it cannot name) is reported as
unsupported, never printed approximately.
"""
from __future__ import annotations

from ..dims import is_compound
from ..engines.base import Unsupported
from ..ir import Node, topological
from .printing import shared_subexpressions

ATOM, SUM, PRODUCT, UNARY, POWER = 5, 1, 2, 3, 4

_CALLS = {"diag_embed": "diag", "diag_part": "diag"}
_SAME_NAME = frozenset({
    "exp", "log", "sin", "cos", "tan", "tanh", "sqrt", "sigmoid", "softplus", "arcsin", "arccos",
    "arctan", "log1p", "expm1", "square", "abs", "sign", "relu", "step", "tr", "det", "logdet", "inv",
    "sum", "norm2", "norm1", "logsumexp", "max", "min", "solve", "kron", "vec", "svdvals"})


def _number(v: float) -> tuple[str, int]:
    if v != v or v in (float("inf"), float("-inf")):
        raise Unsupported(f"unsupported: the constant {v} has no spelling in the language")
    text = str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
    return (f"({text})", ATOM) if v < 0 else (text, ATOM)


def _dim(d) -> str:
    if isinstance(d, int):
        return str(d)
    if is_compound(d):
        raise Unsupported(f"unsupported: the size {d} cannot be written as a dimension argument")
    return d


class _Writer:
    def __init__(self, names: dict[int, str]):
        self.names = names
        self.memo: dict[int, tuple[str, int]] = {}

    def text(self, root: Node) -> str:
        for n in topological(root):
            if id(n) not in self.memo:
                name = self.names.get(id(n))
                self.memo[id(n)] = (name, ATOM) if name is not None and n is not root else self.node(n)
        return self.memo[id(root)][0]

    def p(self, n: Node, at_least: int) -> str:
        s, q = self.memo[id(n)]
        return s if q >= at_least else f"({s})"

    def node(self, n: Node) -> tuple[str, int]:
        op, a = n.op, n.args
        rule = _WRITERS.get(op)
        if rule is not None:
            return rule(self, n, a)
        if op in _SAME_NAME or op in _CALLS:
            return f"{_CALLS.get(op, op)}({', '.join(self.memo[id(x)][0] for x in a)})", ATOM
        raise Unsupported(f"unsupported: {op} has no spelling in the language")


def _product(w, n, a):
    x, y = a
    if x.ndim and y.ndim:  # both arrays: Hadamard
        return f"{w.p(x, ATOM)} .* {w.p(y, ATOM)}", PRODUCT
    return f"{w.p(x, ATOM)}*{w.p(y, ATOM)}", PRODUCT


def _divide(w, n, a):
    op = "/" if a[1].ndim == 0 else "./"
    return f"{w.p(a[0], ATOM)}{op}{w.p(a[1], ATOM)}", PRODUCT


def _power(w, n, a):
    op = "^" if a[0].ndim == 0 and a[1].ndim == 0 else ".^"
    return f"{w.p(a[0], ATOM)}{op}{w.p(a[1], ATOM)}", POWER


def _ones(shape) -> str:
    return f"ones({', '.join(_dim(d) for d in shape)})"


def _broadcast(w, n, a):
    if n.ndim == 0:
        return w.memo[id(a[0])]
    return f"{w.p(a[0], ATOM)}*{_ones(n.shape)}", PRODUCT


def _side(w, x, other, at_least: int) -> str:
    """An operand of + or -: a scalar spread to the other side's shape is written as
    the scalar (``1 - v``, not ``1*ones(n) - v``): the language spreads it back."""
    if x.op == "broadcast" and x.args[0].ndim == 0 and other.op != "broadcast" and other.shape == x.shape:
        return w.p(x.args[0], at_least)
    return w.p(x, at_least)


def _reshape(w, n, a):
    src, dst = a[0].shape, n.shape
    if (len(src) == 1 and dst == (1, src[0])) or (len(src) == 2 and src[0] == 1 and dst == (src[1],)):
        return f"{w.p(a[0], ATOM)}'", ATOM  # vector <-> row
    if dst == () and all(d == 1 for d in src):
        return f"sum({w.memo[id(a[0])][0]})", ATOM
    if src == () and all(d == 1 for d in dst):  # the language has no 1x1 arrays: a scalar it is
        return w.memo[id(a[0])]
    raise Unsupported(f"unsupported: a reshape from {src} to {dst} has no spelling in the language")


def _spread(w, n, a):
    v = w.p(a[0], ATOM)
    if a[0].ndim == 0:
        return f"{v}*{_ones(n.shape)}", PRODUCT
    if n.attr("axis") == 0:
        return f"{_ones(n.shape[:1])}*{v}'", PRODUCT
    return f"{v}*{_ones(n.shape[1:])}'", PRODUCT


def _axis(w, n, a):
    name = n.op.replace("_axis", "")
    extra = "" if a[0].ndim == 1 else f", {n.attr('axis') + 1}"  # a vector's only axis: no number
    return f"{name}({w.memo[id(a[0])][0]}{extra})", ATOM


def _triangle(w, n, a):
    return f"{n.op}({w.memo[id(a[0])][0]}, {n.attr('k')})", ATOM


def _take(w, n, a):
    slots = []
    for spec, dim in zip(n.attr("index"), a[0].shape):
        if spec[0] == "at":
            slots.append(str(spec[1] + 1))
        elif spec[0] == "range":
            slots.append(f"{spec[1] + 1}:{spec[2]}")
        elif spec[0] == "all":
            slots.append(":")
        elif isinstance(spec[1], int) and isinstance(dim, int):
            first = 1 if spec[0] == "head" else dim - spec[1] + 1
            slots.append(f"{first}:{first + spec[1] - 1}")
        else:
            raise Unsupported("unsupported: a slice whose bounds are sizes, not numbers")
    if a[0].ndim == 2 and all(s == ":" for s in slots):
        return w.memo[id(a[0])]
    return f"{w.p(a[0], ATOM)}[{', '.join(slots)}]", ATOM


def _selector(spec, dim, part) -> str | None:
    """Columns of the identity that place a slice: ``eye(n)[:, 2:3]`` (None: all of it)."""
    if spec[0] == "all":
        return None
    if spec[0] == "at":
        cols = str(spec[1] + 1)
    elif spec[0] == "range":
        cols = f"{spec[1] + 1}:{spec[2]}"
    elif isinstance(part, int) and isinstance(dim, int):
        first = 1 if spec[0] == "head" else dim - part + 1
        cols = f"{first}:{first + part - 1}"
    else:
        raise Unsupported("unsupported: a slice whose bounds are sizes, not numbers")
    return f"eye({_dim(dim)})[:, {cols}]"


def _put(w, n, a):
    """A slice placed into zeros: products with columns of the identity,
    ``P g`` for a vector, ``P G Qᵀ`` for a matrix (``P g'`` for a row)."""
    index, full, g = n.attr("index"), n.shape, w.p(a[0], ATOM)
    if len(index) != len(full) or len(full) > 2:
        raise Unsupported("unsupported: put with trailing axes has no spelling in the language")
    parts = list(a[0].shape)
    sizes = [None if spec[0] == "at" else parts.pop(0) for spec in index]
    left = _selector(index[0], full[0], sizes[0])
    if len(full) == 1:
        return f"{left}*{g}", PRODUCT
    right = _selector(index[1], full[1], sizes[1])
    if index[0][0] == "at":  # g is row i: e_i gᵀ, placed in its columns
        return (f"{left}*({right}*{g})'" if right else f"{left}*{g}'"), PRODUCT
    if index[1][0] == "at":  # g is column j
        return (f"({left}*{g})*{right}'" if left else f"{g}*{right}'"), PRODUCT
    text = g if left is None else f"{left}*{g}"
    return (f"({text})*{right}'" if right else text), PRODUCT


def _concat(w, n, a):
    sep = "; " if n.attr("axis") == 0 else ", "
    return f"[{w.memo[id(a[0])][0]}{sep}{w.memo[id(a[1])][0]}]", ATOM


_WRITERS = {
    "var": lambda w, n, a: (n.attr("name"), ATOM),
    "const": lambda w, n, a: _number(n.attr("value")),
    "eye": lambda w, n, a: (f"eye({_dim(n.shape[0])})", ATOM),
    "ones": lambda w, n, a: (_ones(n.shape), ATOM),
    "add": lambda w, n, a: (f"{_side(w, a[0], a[1], SUM)} + {_side(w, a[1], a[0], PRODUCT)}", SUM),
    "sub": lambda w, n, a: (f"{_side(w, a[0], a[1], SUM)} - {_side(w, a[1], a[0], PRODUCT)}", SUM),
    "neg": lambda w, n, a: (f"-{w.p(a[0], ATOM)}", UNARY),
    "mul": _product, "div": _divide, "pow": _power,
    "matmul": lambda w, n, a: (f"{w.p(a[0], ATOM)}*{w.p(a[1], ATOM)}", PRODUCT),
    "outer": lambda w, n, a: (f"{w.p(a[0], ATOM)}*{w.p(a[1], ATOM)}'", PRODUCT),
    "transpose": lambda w, n, a: (f"{w.p(a[0], ATOM)}'", ATOM),
    "inner": lambda w, n, a: (f"<{w.memo[id(a[0])][0]}, {w.memo[id(a[1])][0]}>", ATOM),
    "broadcast": _broadcast, "reshape": _reshape, "spread": _spread,
    "sum_axis": _axis, "logsumexp_axis": _axis, "softmax": _axis,
    "tril": _triangle, "triu": _triangle, "take": _take, "put": _put, "concat": _concat,
}


def program(root: Node, names: dict[int, str]) -> str:
    """``root`` as a program: the named subformulas it uses, then the formula."""
    order = [n for n in topological(root) if id(n) in names and n is not root]
    lines = [f"{names[id(n)]} = {_Writer(names).text(n)}" for n in order]
    return "; ".join(lines + [_Writer(names).text(root)])


def programs(formulas: dict, user_names: dict[str, Node], taken: set[str]) -> dict:
    """``{label: program text or Unsupported}`` for ``{label: node}``.

    Subformulas shared between the formulas (or used twice in one) are
    named: the user's own name where the user named that node, else z1 ...
    """
    roots = [n for n in formulas.values() if n is not None]
    shared = shared_subexpressions(roots, taken | set(user_names))
    names = {key: name for key, (name, _) in shared.items()}
    names.update({id(node): name for name, node in user_names.items()})
    out = {}
    for label, n in formulas.items():
        if n is None:
            out[label] = "0"
            continue
        try:
            out[label] = program(n, names)
        except Unsupported as err:
            out[label] = err
    return out
