"""The function language: matrixcalculus.org notation to diffbench IR.

``parse("x'*A*x", shapes={"A": "n,n"})`` returns a :class:`Function` whose
root is built through the op table.  Every problem with the text or the
declarations is an :class:`ExpressionError` pointing at the culprit.
"""
from __future__ import annotations

from typing import Mapping

from ..function import Function
from .declare import read_declarations, read_input_shapes
from .errors import ExpressionError
from .infer import infer
from .lower import lower
from .parser import parse_tree

__all__ = ["parse", "ExpressionError"]


def parse(expr: str, shapes: Mapping | None = None, input_shapes: Mapping | None = None) -> Function:
    """Parse ``expr`` into a :class:`Function`.

    ``shapes`` declares variables (``{"x": "n", "A": "n,n", "c": ""}``, or
    tuples of dims); undeclared ones take their shape from ``input_shapes``
    (name -> tuple of ints) or else from the naming convention (first letter
    a-g scalar, h-z vector, A-Z matrix).  Dims left free are named n, m, k ...
    ``expr`` may name intermediates first: ``"z = X*w; sum(softplus(z)) - y'*z"``
    (``;`` or line breaks between statements).
    """
    if not isinstance(expr, str):
        raise ExpressionError(f"an expression must be a string, not {type(expr).__name__}")
    declared = read_declarations(shapes, expr)
    inputs = read_input_shapes(input_shapes, expr)
    tree = parse_tree(expr)  # every pass is iterative: any depth is fine
    root, variables, intermediates = lower(infer(tree, expr, declared, inputs))
    return Function(expr, root, variables, intermediates=intermediates)
