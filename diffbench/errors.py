"""Errors a user can act on.  The CLI prints them as one clear message,
never a traceback; everything else is a bug and is reported as one."""


class UserError(Exception):
    """Bad input from the user: a flag, a file, a name.  Message says what and where."""
