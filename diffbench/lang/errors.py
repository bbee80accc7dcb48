"""The one error the language raises for anything wrong with an expression
or its declarations, printed with a caret under the offending character."""
from __future__ import annotations


class ExpressionError(ValueError):
    """A bad expression or shape declaration, located in the source text.

    ``message`` says what is wrong, ``expr`` is the expression text and
    ``position`` the 0-based index of the offending character (``None`` when
    no single character is to blame, e.g. a malformed declaration).
    """

    def __init__(self, message: str, expr: str | None = None, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.expr = expr
        self.position = position

    def __reduce__(self):  # keep expr and position across pickling (dask workers)
        return (type(self), (self.message, self.expr, self.position))

    def __str__(self) -> str:
        if self.expr is None or self.position is None:
            return self.message
        # every whitespace char becomes one space so the caret column still matches
        shown = "".join(" " if c.isspace() else c for c in self.expr)
        return f"{self.message}\n  {shown}\n  {' ' * self.position}^"
