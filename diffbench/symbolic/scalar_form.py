"""Derivatives of a function of scalars, put in a tidy form by SymPy.

Each higher derivative is the derivative of the one before, so without
tidying the sixth derivative of ``tanh(x)`` prints as a page of nested
products.  When every node of a formula is a scalar built from arithmetic
and the op table's element-wise functions, SymPy is where it is strong
(STYLE.md, point 3): the formula goes to SymPy, is expanded and factored
there -- polynomial identities, valid everywhere, no assumptions about the
variables -- and comes back as IR, which is what is then printed *and*
compiled: tanh's third derivative becomes ``−2 (1 − tanh(x)²) (1 − 3 tanh(x)²)``.

Anything else (a vector node, an op without a SymPy spelling) is left as it
is.  The conversion builds SymPy objects from the IR directly; no text is
parsed.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ..ir import Node, const, topological
from .simplify import make_node, simplify

_ARITHMETIC = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
               "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}
#: formulas larger than this (DAG nodes), or whose expansion has more operations than
#: MAX_EXPANDED, are left as derived: factoring them takes seconds (and they stay long)
MAX_NODES, MAX_EXPANDED = 120, 300
#: a tidied form more than this many times larger (DAG nodes) than the derived one is not used
SWELL = 1.5


def _number(value: float):
    """An exact rational where the float is one with a small denominator
    (0.5, 0.125: the rules' constants), else the float itself."""
    fraction = Fraction(value).limit_denominator(1000)
    return sp.Rational(fraction.numerator, fraction.denominator) if float(fraction) == value else sp.Float(value)


def to_sympy(root: Node):
    """``root`` as a SymPy expression, or None when it is not all scalars
    built from arithmetic and element-wise functions."""
    from ..ops import TABLE

    nodes = topological(root)
    if len(nodes) > MAX_NODES:
        return None
    out = {}
    for n in nodes:
        if n.shape != ():
            return None
        args = [out[id(a)] for a in n.args]
        if n.op == "var":
            out[id(n)] = sp.Symbol(n.attr("name"), real=True)
        elif n.op == "const":
            out[id(n)] = _number(n.attr("value"))
        elif n.op in _ARITHMETIC and len(args) == 2:
            out[id(n)] = _ARITHMETIC[n.op](*args)
        elif n.op in TABLE and TABLE[n.op].family == "elementwise" and len(args) == 1 and TABLE[n.op].scalar:
            out[id(n)] = TABLE[n.op].scalar(args[0])
        else:
            return None
    return out[id(root)]


def _functions() -> dict:
    """SymPy function class -> primitive name, for the element-wise primitives
    whose SymPy spelling is a function class (looked up lazily by the table)."""
    from ..ops import TABLE

    out = {}
    for name, p in TABLE.items():
        if p.family != "elementwise" or p.arity != 1 or p.scalar is None:
            continue
        found = p.scalar.resolve() if hasattr(p.scalar, "resolve") else p.scalar
        if isinstance(found, type):
            out.setdefault(found, name)
    return out


def from_sympy(expr, variables: dict[str, Node], functions: dict) -> Node:
    """The IR of a SymPy expression over ``variables`` (name -> var node)."""
    if expr.is_Symbol:
        return variables[expr.name]
    if expr.is_Number:
        return const(float(expr))
    args = [a for a in expr.args]
    if expr.is_Add:
        total = from_sympy(args[0], variables, functions)
        for a in args[1:]:
            total = make_node("add", (total, from_sympy(a, variables, functions)))
        return total
    if expr.is_Mul:
        numerator, denominator = sp.fraction(expr, exact=True)
        if denominator != 1:
            return make_node("div", (from_sympy(numerator, variables, functions),
                                     from_sympy(denominator, variables, functions)))
        product = from_sympy(args[0], variables, functions)
        for a in args[1:]:
            product = make_node("mul", (product, from_sympy(a, variables, functions)))
        return product
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Number and exponent < 0:
            return make_node("div", (const(1.0), from_sympy(sp.Pow(base, -exponent, evaluate=False), variables,
                                                             functions)))
        if exponent.is_Rational and exponent.q == 2:  # b^(p/2) = (√b)^p
            root = make_node("sqrt", (from_sympy(base, variables, functions),))
            return root if exponent.p == 1 else make_node("pow", (root, const(float(exponent.p))))
        return make_node("pow", (from_sympy(base, variables, functions), from_sympy(exponent, variables, functions)))
    if expr.func in functions and len(args) == 1:
        return make_node(functions[expr.func], (from_sympy(args[0], variables, functions),))
    raise ValueError(f"no IR spelling for {expr.func}")


def tidy(root: Node | None) -> Node | None:
    """``root`` expanded and factored by SymPy when it is a formula of
    scalars (see above), else ``root`` unchanged."""
    if root is None:
        return None
    expr = to_sympy(root)
    if expr is None:
        return root
    variables = {n.attr("name"): n for n in topological(root) if n.op == "var"}
    expanded = sp.expand(expr)
    if sp.count_ops(expanded) > MAX_EXPANDED:
        return root
    forms = []
    for form in (sp.factor, sp.factor_terms):  # fully factored, or common factors pulled out
        try:
            forms.append(simplify(from_sympy(form(expanded), variables, _functions())))
        except (ValueError, TypeError, sp.PolynomialError):
            continue
    if not forms:
        return root
    best = min(forms, key=lambda n: len(topological(n)))
    # expanding can also swell (square roots of sums): then the derived form stays
    return best if len(topological(best)) <= SWELL * len(topological(root)) else root


__all__ = ["tidy", "to_sympy", "from_sympy"]
