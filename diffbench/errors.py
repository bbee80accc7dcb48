"""Errors a user can act on, and an engine's honest refusals.

The CLI prints a :class:`UserError` as one clear message, never a
traceback; everything else is a bug and is reported as one.  The bottom of
the house: every layer may raise these, so they import nothing.
"""


class UserError(Exception):
    """Bad input from the user: a flag, a file, a name.  Message says what and where."""


class Unsupported(Exception):
    """The engine cannot handle this expression or size; says what and why.

    Reported apart from "disagrees": it is an honest gap, not a wrong answer.
    """


class TooLarge(Unsupported):
    """The engine would exceed its size or time guard (expression swell, fd cost)."""
