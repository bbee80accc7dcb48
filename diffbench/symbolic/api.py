"""``derive``: closed-form derivative formulas of an expression, printed and compiled.

>>> from diffbench.symbolic.api import derive
>>> d = derive("x'*A*x", wrt="x", shapes={"x": "n", "A": "n,n"})   # doctest: +SKIP
>>> print(d)                                                       # doctest: +SKIP
f = ⟨x, A x⟩
∇_x f = (A + Aᵀ) x
∇²_xx f = A + Aᵀ
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from ..canonical import canonical
from ..engines.base import MAX_ORDER, check_higher_order
from ..errors import TooLarge, Unsupported
from ..function import Function
from ..ir import Node, topological, var
from ..iterate import unroll, unroll_limit
from ..ops.core import GENERATION
from . import budget, codegen
from .balance import balanced
from .derive import differential, gradients, hessian, jacobian
from .language import programs
from .printing import STYLES, index_names, math_block, render, shared_subexpressions, taken_names
from .printing import render as _render
from .simplify import memoized, simplify



@dataclass(eq=False)
class Derivation:
    """Formulas for the value and the derivatives of one function.

    ``gradient[name]`` and ``hessian[(a, b)]`` (scalar functions) or
    ``jacobian[name]`` (vector/matrix-valued ones) are IR nodes; ``None``
    stands for an identically zero block.  ``differentials[(a, b)]`` is the
    Hessian block as a linear map, ``d(∇_a f)`` along a direction ``d<b>``
    -- the readable form when the block is a 4th-order tensor.
    """

    function: Function
    wrt: list[str]
    order: int
    value: Node
    gradient: dict = field(default_factory=dict)
    hessian: dict = field(default_factory=dict)
    jacobian: dict = field(default_factory=dict)
    differentials: dict = field(default_factory=dict)
    #: ``{k: d^k f / dx^k}`` for k = 3 .. order (one scalar variable only)
    higher: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    _source: str | None = None
    _module: dict | None = None
    _one_name: object = None

    # ------------------------------------------------------------ formulas
    def roots(self) -> list[Node]:
        out = [self.value]
        for group in (self.gradient, self.hessian, self.jacobian, self.higher):
            out += [n for n in group.values() if n is not None]
        return out

    def _zero_shapes(self) -> dict:
        shapes = self.function.shapes
        zs = {name: shapes[name] for name in self.wrt}
        zs.update({(a, b): tuple(shapes[a]) + tuple(shapes[b]) for a in self.wrt for b in self.wrt})
        zs.update({name: tuple(self.function.shape) + tuple(shapes[name]) for name in self.wrt})
        zs.update({k: () for k in self.higher})
        return zs

    @property
    def source(self) -> str:
        """The generated NumPy module (size-independent)."""
        if self._source is None:
            groups = {"value": {"value": self.value}}
            if self.function.is_scalar:
                groups["gradient"] = self.gradient
                if self.order >= 2:
                    groups["hessian"] = self.hessian
                if self.higher:
                    groups["higher"] = self.higher
            else:
                groups["jacobian"] = self.jacobian
            # everything in one pass: value, gradient and Hessian share their temporaries
            together = {("value",): self.value}
            zero = self._zero_shapes()
            for group, quantities in groups.items():
                if group != "value":
                    for key, n in quantities.items():
                        together[(group,) + (key if isinstance(key, tuple) else (key,))] = n
                        zero[(group,) + (key if isinstance(key, tuple) else (key,))] = zero[key]
            groups["together"] = together
            groups = {name: balanced(quantities) for name, quantities in groups.items()}
            self._source = codegen.generate(groups, dict(self.function.shapes), zero)
        return self._source

    def evaluate(self, inputs: dict) -> dict:
        """Value and every derivative in one pass (shared temporaries):
        ``{"value": v, "gradient": {...}, "hessian": {...}}`` or ``{"value", "jacobian"}``."""
        return self.compiled()["together"](inputs)  # generated nested: no per-call regrouping

    def one_name(self):
        """``together`` in the form ``diffbench.derivatives`` returns for one ``wrt`` name:
        ``{"value", "gradient"[, "hessian"]}`` (or ``{"value", "jacobian"}``) holding that
        name's arrays themselves, not dicts of one.  Generated on first use (a loop through
        the API asks for it; nothing else pays its compilation)."""
        if self._one_name is None:
            (name,) = self.wrt
            keys = {("value",): "value"}
            if self.function.is_scalar:
                keys.update({("gradient",): name, **({("hessian",): (name, name)} if self.order >= 2 else {})})
            else:
                keys[("jacobian",)] = name
            groups = {"value": {"value": self.value}, "gradient": self.gradient, "hessian": self.hessian,
                      "jacobian": self.jacobian}
            quantities = {key: groups[key[0]][inner] for key, inner in keys.items()}
            zero = self._zero_shapes()
            zero = {key: zero.get(inner, ()) for key, inner in keys.items()}
            source = codegen.generate({"one_name": balanced(quantities)}, dict(self.function.shapes), zero)
            self._one_name = codegen.load(source)["one_name"]
        return self._one_name

    def compiled(self) -> dict:
        """``{"value": f, "gradient": f, ...}`` callables over an inputs dict."""
        if self._module is None:
            start = time.perf_counter()
            self._module = codegen.load(self.source)
            self.stats["compile_seconds"] = time.perf_counter() - start
        return self._module

    # ------------------------------------------------------------ printing
    #: rows longer than this (in text) switch printing to shared names "where z1 = ..."
    LONG_ROW = 150

    def _printed(self) -> list[Node]:
        return [self.value] + [n for group in (self.gradient, self.hessian, self.jacobian, self.differentials)
                               for n in group.values() if n is not None]

    def _user_names(self) -> dict:
        """The user's named intermediates that the printed formulas contain:
        ``z`` reads better than ``X w`` written out again and again."""
        inside = {id(n) for n in topological(self._printed())}
        return {id(n): (name, n) for name, n in self.function.intermediates.items()
                if n.args and id(n) in inside}

    def _rows(self, fmt: str) -> list[tuple[str, str]]:
        user = self._user_names()
        st = STYLES[fmt]
        rows = self._rows_with(fmt, user)
        plain = rows if fmt == "text" else self._rows_with("text", user)
        if max(len(r) for _, r in plain) <= self.LONG_ROW:
            return rows + [(st.sym(name), render(node, fmt, user)) for name, node in user.values()]
        printed = self._printed()
        bound = shared_subexpressions(printed, set(self.function.shapes) | {n for n, _ in user.values()})
        bound = {**_used(printed, {k: v for k, v in bound.items() if k not in user}), **user}
        rows = self._rows_with(fmt, bound)
        return rows + [(st.sym(name), render(node, fmt, bound)) for name, node in bound.values()]

    def _rows_with(self, fmt: str, bound: dict) -> list[tuple[str, str]]:
        st = STYLES[fmt]
        f = st.sym("f")
        fn_shape = self.function.shape

        def render(n, fmt):  # noqa: F811  (the module's, with shared names)
            return _render(n, fmt, bound)

        rows = [(f, render(self.value, fmt))]

        def nabla(names, power=""):
            sub = "".join(names)
            if fmt == "latex":
                sub = "".join(st.sym(n) for n in names)
                return rf"\nabla{power and '^' + power}_{{{sub}}} f"
            if fmt == "mathml":
                base = "<mo>∇</mo>" if not power else f"<msup><mo>∇</mo><mn>{power}</mn></msup>"
                return f"<mrow><msub>{base}<mi>{sub}</mi></msub>{f}</mrow>"
            return f"∇{'²' if power else ''}_{sub} f"

        def zero():
            return "<mn>0</mn>" if fmt == "mathml" else "0"

        if self.higher:
            return rows + self._higher_rows(fmt, render, zero)
        if fn_shape == ():
            for name in self.wrt:
                g = self.gradient.get(name)
                rows.append((nabla([name]), render(g, fmt) if g is not None else zero()))
            for (a, b), h in self.hessian.items():
                if h is not None and h.ndim > 2:  # 4th-order block: index notation
                    rows.append((st.index(nabla([a, b], "2"), index_names(h.ndim, taken_names(h))), render(h, fmt)))
                else:
                    rows.append((nabla([a, b], "2"), render(h, fmt) if h is not None else zero()))
                dlin = self.differentials.get((a, b))
                if dlin is not None:
                    d = "d" + b
                    lhs = {"text": f"d(∇_{a} f)[{d}]", "latex": rf"d\left(\nabla_{{{a}}} f\right)[d{b}]",
                           "mathml": f"<mrow><mi>d</mi><mo>(</mo><msub><mo>∇</mo><mi>{a}</mi></msub>{f}"
                                     f"<mo>)</mo><mo>[</mo><mi>d{b}</mi><mo>]</mo></mrow>"}[fmt]
                    rows.append((lhs, render(dlin, fmt)))
        else:
            for name in self.wrt:
                j = self.jacobian.get(name)
                lhs = {"text": f"∂f/∂{name}", "latex": rf"\frac{{\partial f}}{{\partial {name}}}",
                       "mathml": f"<mfrac><mrow><mo>∂</mo>{f}</mrow><mrow><mo>∂</mo><mi>{name}</mi></mrow></mfrac>"}[fmt]
                if j is not None and j.ndim > 2:
                    lhs = st.index(lhs, index_names(j.ndim, taken_names(j)))
                rows.append((lhs, render(j, fmt) if j is not None else zero()))
        return rows

    def _higher_rows(self, fmt: str, render, zero) -> list[tuple[str, str]]:
        """``f'' = ..., f''' = ...`` rows: every derivative along the one scalar variable."""
        (x,) = self.wrt
        formulas = {1: self.gradient.get(x), 2: self.hessian.get((x, x)), **self.higher}
        rows = []
        for k, n in sorted(formulas.items()):
            lhs = {"text": f"d{_sup(k)}f/d{x}{_sup(k)}",
                   "latex": rf"\frac{{d^{{{k}}} f}}{{d {x}^{{{k}}}}}",
                   "mathml": f"<mfrac><mrow><msup><mi>d</mi><mn>{k}</mn></msup><mi>f</mi></mrow>"
                             f"<mrow><mi>d</mi><msup><mi>{x}</mi><mn>{k}</mn></msup></mrow></mfrac>"}[fmt]
            rows.append((lhs, render(n, fmt) if n is not None else zero()))
        return rows

    def __str__(self) -> str:
        return "\n".join(f"{l} = {r}" for l, r in self._rows("text"))

    def expressions(self) -> dict:
        """``{"f": program, "∇_x f": program, ...}``: each formula in diffbench's own
        input language (``diffbench.parse`` reads it back), or the
        :class:`Unsupported` saying why it cannot be written there; ``None``
        for an identically zero block."""
        formulas = {"f": self.value}
        formulas.update({f"∇_{k} f": v for k, v in self.gradient.items()})
        formulas.update({f"∇²_{a}{b} f": v for (a, b), v in self.hessian.items()})
        formulas.update({f"∂f/∂{k}": v for k, v in self.jacobian.items()})
        taken = set(self.function.shapes) | set(self.function.dims)
        out = programs({k: v for k, v in formulas.items() if v is not None},
                       self.function.intermediates, taken)
        return {k: out.get(k) for k in formulas}

    def expr(self) -> str:
        """Every formula as a program of the input language, under a ``#`` heading."""
        lines = []
        for label, text in self.expressions().items():
            if isinstance(text, Unsupported):
                lines.append(f"# {label}: {text}")
            else:
                lines += [f"# {label}", "0" if text is None else text]
        return "\n".join(lines)

    def latex(self) -> str:
        rows = self._rows("latex")
        return "\\begin{aligned}\n" + " \\\\\n".join(f"{l} &= {r}" for l, r in rows) + "\n\\end{aligned}"

    def mathml(self) -> str:
        return math_block(self._rows("mathml"))

    def to_json(self) -> str:
        return json.dumps({
            "expression": self.function.expr, "wrt": self.wrt, "order": self.order,
            "text": str(self), "latex": self.latex(),
            "gradient": {k: render(v, "text") if v is not None else "0" for k, v in self.gradient.items()},
            "hessian": {f"{a},{b}": render(v, "text") if v is not None else "0"
                        for (a, b), v in self.hessian.items()},
            "jacobian": {k: render(v, "text") if v is not None else "0" for k, v in self.jacobian.items()},
            "derivatives": {str(k): render(v, "text") if v is not None else "0" for k, v in self.higher.items()},
            "source": self.source, "stats": self.stats}, indent=2, sort_keys=True, default=str)


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _sup(k: int) -> str:
    return "" if k == 1 else str(k).translate(_SUPERSCRIPTS)


def _used(roots: list[Node], bound: dict) -> dict:
    """The bindings a printout actually shows (renumbered), in definition order."""
    used: set[int] = set()
    todo = list(roots)
    while todo:
        top = todo.pop()
        stack = list(top.args)
        seen: set[int] = set()
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if id(n) in bound:
                if id(n) not in used:
                    used.add(id(n))
                    todo.append(n)
                continue
            stack.extend(n.args)
    prefix = next(iter(bound.values()))[0].rstrip("0123456789") if bound else "z"
    kept = [k for k in bound if k in used]
    return {k: (f"{prefix}{i + 1}", bound[k][1]) for i, k in enumerate(kept)}


def tree_size(roots: list[Node]) -> int:
    """Nodes of the formulas written out as trees (no sharing)."""
    size: dict[int, int] = {}
    for n in topological(roots):
        size[id(n)] = 1 + sum(size[id(a)] for a in n.args)
    return sum(size[id(r)] for r in roots)


def derive_function(fn: Function, wrt: list[str], order: int = 2) -> Derivation:
    """The (cached) derivation of ``fn`` for ``wrt`` up to ``order``."""
    key = ("symbolic-derivation", tuple(wrt), order, GENERATION[0])
    cached = fn.cache.get(key)
    if cached is not None:
        return cached
    unknown = [w for w in wrt if w not in fn.shapes]
    if unknown:
        raise Unsupported(f"unsupported: {', '.join(unknown)} is not a variable of {fn.expr!r}")
    check_higher_order(fn, wrt, order)
    with memoized(), budget.deadline(_short(fn.expr)):
        d = _derive(fn, wrt, order)
    fn.cache[key] = d
    return d


def _short(expr: str) -> str:
    """A function's name for a message: its expression, cut at 60 characters."""
    text = " ".join(str(expr).split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _derive(fn: Function, wrt: list[str], order: int) -> Derivation:
    start = time.perf_counter()
    variables = {name: var(name, tuple(fn.shapes[name])) for name in wrt}
    unrolled = unroll(fn.root, unroll_limit(order))
    budget.check_size(len(topological(unrolled)), _short(fn.expr))
    value = simplify(canonical(unrolled))  # equivalent spellings, one formula
    d = Derivation(function=fn, wrt=list(wrt), order=order, value=value)
    if fn.is_scalar:
        d.gradient = gradients(value, variables)
        if order >= 2:
            d.hessian = hessian(d.gradient, variables)
            for (a, b), h in d.hessian.items():
                if h is not None and h.ndim > 2 and d.gradient[a] is not None:
                    direction = var("d" + b, tuple(fn.shapes[b]))
                    d.differentials[(a, b)] = differential(d.gradient[a], variables[b], direction)
    else:
        d.jacobian = {name: jacobian(value, v) for name, v in variables.items()}
    if order > 2:
        d.higher = higher_derivatives(d, variables, order)
    _check_complete(d)
    roots = d.roots()
    d.stats.update(derive_seconds=time.perf_counter() - start, tree_nodes=tree_size(roots),
                   dag_nodes=len(topological(roots)))
    return d


#: a derivative formula larger than this (DAG nodes) is not differentiated again:
#: the next order's simplification would take minutes (expression swell)
HIGHER_ORDER_NODES = 300


def higher_derivatives(d: Derivation, variables: dict, order: int) -> dict:
    """``{k: d^k f/dx^k}`` for k = 3..order: each the derivative of the one before.

    Raises ``TooLarge`` when a formula swells past ``HIGHER_ORDER_NODES``."""
    from .scalar_form import tidy

    (x,) = d.wrt
    previous = d.hessian[(x, x)] = tidy(d.hessian.get((x, x)))  # formulas of scalars: factored by SymPy
    out = {}
    for k in range(3, order + 1):
        if previous is not None:
            size = len(topological(previous))
            if size > HIGHER_ORDER_NODES:
                raise TooLarge(f"too large: the derivative of order {k - 1} of {d.function.expr!r} is a formula "
                               f"of {size} nodes (limit {HIGHER_ORDER_NODES}); order {k} is left to the tape")
            previous = tidy(gradients(previous, variables)[x])
        out[k] = previous
    return out


def _check_complete(d: Derivation) -> None:
    """A formula must be fully evaluated: no placeholders, no foreign ops."""
    from ..ops import TABLE

    for n in topological(d.roots()):
        if n.op == "var" and n.attr("name").startswith("\N{PARTIAL DIFFERENTIAL}"):
            raise Unsupported("unsupported: a derivative was left unevaluated")
        if n.op not in TABLE and n.op != "einsum":
            raise Unsupported(f"unsupported: {n.op} in a derivative formula")


def _as_function(expr, shapes) -> Function:
    if isinstance(expr, Function):
        return expr
    if isinstance(expr, Node):
        from ..ir import variables

        return Function(render(expr), expr, variables(expr))
    from ..lang import parse

    return parse(expr, shapes)


def derive(expr, wrt=None, shapes: dict | None = None, order: int = 2) -> Derivation:
    """Closed-form gradient and Hessian (or Jacobian) formulas of ``expr``.

    Args:
        expr: an expression string (parsed with ``shapes``), a parsed
            :class:`~diffbench.function.Function` or an IR node.
        wrt: a variable name or a list of names (default: every variable).
        shapes: declared shapes, ``{"x": "n", "A": "n,n"}``.
        order: 1 for the gradient only, 2 for the Hessian too; 3 and up
            (one scalar variable of a scalar function) adds ``higher[k]``,
            the k-th derivative, for k = 3 .. order.

    Returns:
        a :class:`Derivation`: ``str()`` in matrix notation, ``.latex()``,
        ``.mathml()``, ``.source`` (NumPy code), ``.stats`` and the formulas.

    Raises:
        Unsupported: ``"unsupported: <primitive/rule>"`` for what has no rule.
    """
    fn = _as_function(expr, shapes)
    names = fn.variables if wrt is None else ([wrt] if isinstance(wrt, str) else list(wrt))
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"order must be 1 to {MAX_ORDER}, not {order}")
    d = derive_function(fn, names, order)
    _ = d.source
    d.compiled()
    return d
