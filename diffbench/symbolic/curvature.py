"""Curvature without the Hessian: closed-form Hessian-vector products and
Hessian traces, derived as formulas and compiled like every other one.

* :func:`hvp_formulas` -- ``∇²f·v = ∇⟨∇f, v⟩``, the seed's identity, done as
  matrix calculus: the directional derivative of the gradient *formula*
  along a direction variable ``v`` (:func:`~diffbench.symbolic.derive.differential`).
  For logistic regression it reads ``Xᵀ (σ(Xw) ⊙ (1 − σ(Xw)) ⊙ (X v))``:
  two matrix-vector products, never the ``n × n`` Hessian.
* :func:`trace_formula` -- ``Tr ∇²f`` as one index contraction of the
  Hessian formula's *factors*: ``Tr(Xᵀ diag(d) X) = Σ_ki X_ki d_k X_ki``,
  which costs ``O(mn)`` where forming the Hessian costs ``O(mn²)``.
"""
from __future__ import annotations

from ..errors import Unsupported
from ..ir import Node, var
from .derive import differential
from .einsum import LETTERS, einsum_form
from .simplify import is_const, make_node, simplify


def direction_names(shapes: dict, wrt: list[str]) -> dict[str, str]:
    """The direction variable of each ``wrt`` name: ``v`` for one variable,
    ``v_<name>`` for several; never the name of a variable of the function."""
    names = {}
    for b in wrt:
        name = "v" if len(wrt) == 1 else f"v_{b}"
        while name in shapes or name in names.values():
            name += "_"
        names[b] = name
    return names


def hvp_formulas(gradient: dict, shapes: dict, wrt: list[str]) -> tuple[dict, dict]:
    """``({a: Σ_b d(∇_a f)[v_b]}, {b: direction name})`` from gradient formulas."""
    directions = direction_names(shapes, wrt)
    variables = {b: var(b, tuple(shapes[b])) for b in wrt}
    out = {}
    for a in wrt:
        total = None
        for b in wrt:
            g = gradient.get(a)
            if g is None:
                continue
            term = differential(g, variables[b], var(directions[b], tuple(shapes[b])))
            if term is not None:
                total = term if total is None else make_node("add", (total, term))
        out[a] = simplify(total) if total is not None else None
    return out, directions


# ---------------------------------------------------------------- the trace

def _terms(n: Node, scale: float = 1.0):
    """``n`` as a signed sum of products: [(scale, node)], by linearity."""
    if n.op in ("add", "sub"):
        yield from _terms(n.args[0], scale)
        yield from _terms(n.args[1], -scale if n.op == "sub" else scale)
    elif n.op == "neg":
        yield from _terms(n.args[0], -scale)
    elif n.op == "mul" and is_const(n.args[0]):
        yield from _terms(n.args[1], scale * n.args[0].attr("value"))
    else:
        yield scale, n


def _factors(n: Node, idx: str, fresh) -> list[tuple[Node, str]]:
    """The factors of a matrix-algebra product with named indices, opened up
    through products, transposes and diagonal matrices."""
    if n.op == "transpose":
        return _factors(n.args[0], idx[::-1], fresh)
    if n.op == "matmul":
        a, b = n.args
        k = next(fresh)
        left = idx[:a.ndim - 1] + k
        right = k + idx[a.ndim - 1:]
        return _factors(a, left, fresh) + _factors(b, right, fresh)
    if n.op == "diag_embed" and idx[0] == idx[1]:
        return [(n.args[0], idx[:1])]
    return [(n, idx)]


def trace_formula(hessian: dict, shapes: dict, wrt: list[str]) -> Node | None:
    """``Σ_a Tr ∇²_aa f`` as one scalar formula over the Hessian's factors."""
    total = None
    for a in wrt:
        block = hessian.get((a, a))
        rank = len(shapes[a])
        if block is None:
            continue
        if rank > 2:
            raise Unsupported(f"unsupported: the trace over a rank-{rank} variable")
        for scale, term in _terms(block):
            fresh = iter(LETTERS[rank:])
            idx = LETTERS[:rank] * 2
            part = einsum_form(_factors(term, idx, fresh) if rank else [(term, "")], "", scale)
            if part is not None:
                total = part if total is None else make_node("add", (total, part))
    return simplify(total) if total is not None else None


# ---------------------------------------------------------------- compiled

def _compiled(fn, key: tuple, make):
    from ..ops.core import GENERATION

    key = key + (GENERATION[0],)
    if key not in fn.cache:
        fn.cache[key] = make()
    return fn.cache[key]


def compiled_hvp(fn, wrt: list[str]):
    """``(call(inputs_with_directions) -> {a: Hv}, formulas, directions)``, cached on ``fn``."""
    from . import codegen
    from .api import derive_function

    def make():
        d = derive_function(fn, list(wrt), 1)
        formulas, directions = hvp_formulas(d.gradient, fn.shapes, list(wrt))
        shapes = {**fn.shapes, **{directions[b]: fn.shapes[b] for b in wrt}}
        source = codegen.generate({"hvp": formulas}, shapes, {a: fn.shapes[a] for a in wrt})
        return codegen.load(source)["hvp"], formulas, directions

    return _compiled(fn, ("symbolic-hvp", tuple(wrt)), make)


def compiled_trace(fn, wrt: list[str]):
    """``(call(inputs) -> trace, formula)``, cached on ``fn``."""
    from . import codegen
    from .api import derive_function

    def make():
        d = derive_function(fn, list(wrt), 2)
        formula = trace_formula(d.hessian, fn.shapes, list(wrt))
        source = codegen.generate({"value": {"trace": formula}}, dict(fn.shapes), {"trace": ()})
        return codegen.load(source)["value"], formula

    return _compiled(fn, ("symbolic-trace", tuple(wrt)), make)


__all__ = ["direction_names", "hvp_formulas", "trace_formula", "compiled_hvp", "compiled_trace",
           "curvature_rows", "curvature_programs"]


# ---------------------------------------------------------------- printing

_LHS = {
    "hvp": {"text": "∇²_{a} f · {v}", "latex": r"\nabla^2_{{{a}}} f \cdot {v}",
            "mathml": "<mrow><msubsup><mo>∇</mo><mi>{a}</mi><mn>2</mn></msubsup><mi>f</mi><mo>·</mo><mi>{v}</mi></mrow>"},
    "trace": {"text": "Tr ∇² f", "latex": r"\operatorname{{Tr}} \nabla^2 f",
              "mathml": "<mrow><mi>Tr</mi><msup><mo>∇</mo><mn>2</mn></msup><mi>f</mi></mrow>"},
}


def curvature_rows(fn, wrt: list[str], fmt: str, trace: bool = False) -> list[tuple[str, str]]:
    """``(lhs, rhs)`` rows in ``fmt``: each variable's closed-form HVP (the
    direction named ``v``/``v_<name>``), then the closed-form trace if asked.
    The HVP of ``a`` is the sum over ``b`` of the block ``(a, b)`` applied to ``v_b``."""
    from .printing import render

    _, formulas, directions = compiled_hvp(fn, wrt)
    rows = []
    for a in wrt:
        lhs = _LHS["hvp"][fmt].format(a=a, v=directions[a] if len(wrt) == 1 else "v")
        rows.append((lhs, render(formulas[a], fmt) if formulas[a] is not None else "0"))
    if trace:
        _, formula = compiled_trace(fn, wrt)
        rows.append((_LHS["trace"][fmt].format(), render(formula, fmt) if formula is not None else "0"))
    return rows


def curvature_programs(fn, wrt: list[str], trace: bool = False) -> list[tuple[str, object]]:
    """The rows of :func:`curvature_rows` as programs of the input language
    (``derive --hvp --format expr``): each reads back with ``diffbench.parse``
    given the direction's shape, so the printed product is unambiguous.
    A formula the language cannot write is its :class:`Unsupported`."""
    from .language import programs

    _, formulas, directions = compiled_hvp(fn, wrt)
    labels = {}
    for a in wrt:
        labels[_LHS["hvp"]["text"].format(a=a, v=directions[a] if len(wrt) == 1 else "v")] = formulas[a]
    if trace:
        labels[_LHS["trace"]["text"].format()] = compiled_trace(fn, wrt)[1]
    taken = set(fn.shapes) | set(fn.dims) | set(directions.values())
    out = programs(labels, fn.intermediates, taken)
    return [(label, out[label]) for label in labels]
