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
            return _clip(self.message)
        shown, column = caret_window(self.expr, self.position)
        return f"{_clip(self.message)}\n  {shown}\n  {' ' * column}^"


WINDOW = 30  # characters shown each side of the caret: a long expression is not echoed whole


def caret_window(expr: str, position: int, width: int = WINDOW) -> tuple[str, int]:
    """The text around ``position`` (with ``...`` where it was cut) and the
    caret's column in it.  Every whitespace character becomes one space so
    the caret column still matches."""
    start, end = max(0, position - width), min(len(expr), position + width + 1)
    shown = "".join(" " if c.isspace() else c for c in expr[start:end])
    head = "..." if start > 0 else ""
    tail = "..." if end < len(expr) else ""
    return head + shown + tail, len(head) + position - start


def _clip(message: str, limit: int = 1000) -> str:
    """A message quoting part of the expression stays one readable line."""
    return message if len(message) <= limit else message[:limit - 3] + "..."
