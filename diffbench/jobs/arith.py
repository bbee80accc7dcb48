"""A tiny integer arithmetic parser for derived dims (``k = "2*n + 1"``).

Job files are data: nothing in them is evaluated as Python.  This grammar
knows integers, dim names, ``+ - * //`` and parentheses, nothing else::

    expr   := term (("+" | "-") term)*
    term   := factor (("*" | "//") factor)*
    factor := INT | NAME | "(" expr ")" | "-" factor
"""
from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_]\w*)|(//|[-+*()]))")


class ArithError(ValueError):
    """A derived-dim formula that does not parse or names an unknown dim."""


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ArithError(f"unexpected {text[pos:].strip()[:10]!r} in {text!r} "
                             "(allowed: integers, dim names, + - * // and parentheses)")
        out.append(match.group(match.lastindex))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str, env: dict[str, int]):
        self.text, self.env, self.toks, self.i = text, env, _tokens(text), 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ArithError(f"{self.text!r} ends too early")
        self.i += 1
        return tok

    def expr(self) -> int:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> int:
        value = self.factor()
        while self.peek() in ("*", "//"):
            op, rhs = self.take(), self.factor()
            if op == "//" and rhs == 0:
                raise ArithError(f"division by zero in {self.text!r}")
            value = value * rhs if op == "*" else value // rhs
        return value

    def factor(self) -> int:
        tok = self.take()
        if tok == "(":
            value = self.expr()
            if self.take() != ")":
                raise ArithError(f"missing ')' in {self.text!r}")
            return value
        if tok == "-":
            return -self.factor()
        if tok.isdigit():
            return int(tok)
        if tok[0].isalpha() or tok[0] == "_":
            if tok not in self.env:
                raise ArithError(f"unknown dim {tok!r} in {self.text!r} (known: {', '.join(self.env) or 'none'})")
            return self.env[tok]
        raise ArithError(f"unexpected {tok!r} in {self.text!r}")


def evaluate(text: str, env: dict[str, int]) -> int:
    """Value of ``text`` with dim names looked up in ``env``."""
    parser = _Parser(text, env)
    value = parser.expr()
    if parser.peek() is not None:
        raise ArithError(f"unexpected {parser.peek()!r} in {text!r}")
    return value


def names(text: str) -> list[str]:
    """Dim names a formula refers to (to order derived dims)."""
    return [t for t in _tokens(text) if t[0].isalpha() or t[0] == "_"]
