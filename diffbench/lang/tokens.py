"""Tokenizer: expression text to tokens that remember where they start.

A program is statements separated by ``;`` or by line breaks
(``z = X*w; sum(softplus(z)) - y'*z``).  A line break separates statements
only outside brackets, after a token that can end an operand, and before
one that can start one (not ``+``, ``*`` ...), so a long expression
continues on the next line after or before an operator, or inside
parentheses; such a break becomes a ``sep`` token.
"""
from __future__ import annotations

import re

from .errors import ExpressionError

# ASCII only on purpose: str.isdigit-style Unicode digits would reach float().
# A '.' right before * / ^ belongs to the element-wise operator, so "2.*x"
# is 2 .* x (as in MATLAB), not 2. * x.
_NUMBER = r"(?:[0-9]+(?:\.(?![*/^])[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_OPERATOR = r"\.\*|\./|\.\^|[-+*/^'(),<>=;:\[\]]"
_SPACE = r"[ \t\f\v]+|#[^\r\n]*"  # a comment runs to the end of its line
_BREAK = r"(?:\r\n|[\r\n])"
_TOKEN = re.compile(f"(?P<space>{_SPACE})|(?P<break>{_BREAK})|(?P<num>{_NUMBER})|(?P<name>{_NAME})"
                    f"|(?P<op>{_OPERATOR})")
# a line starting with one of these continues the previous line (``-`` does
# not: a new line may start with a negation)
CONTINUING = frozenset({"+", "*", "/", ".*", "./", "^", ".^", "'", ")", "]", ">", ",", ";", "="})
OPENERS = frozenset("([<")
CLOSERS = frozenset(")]>")


class Token:
    """``kind`` is "num", "name", "op", "sep" (a statement-ending line break)
    or "end"; ``start`` the 0-based position of ``text`` in the expression."""

    __slots__ = ("kind", "text", "start")  # a megabyte of text is ~200,000 tokens

    def __init__(self, kind: str, text: str, start: int):
        self.kind, self.text, self.start = kind, text, start

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, {self.start})"

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def is_op(self, *texts: str) -> bool:
        return self.kind == "op" and self.text in texts

    def is_separator(self) -> bool:
        return self.kind == "sep" or self.is_op(";")

    def ends_operand(self) -> bool:
        return self.kind in ("num", "name") or self.is_op(")", "]", ">", "'")

    def describe(self) -> str:
        if self.kind == "sep":
            return "end of line"
        return "end of expression" if self.kind == "end" else repr(self.text)


def tokenize(expr: str) -> list[Token]:
    """All tokens of ``expr`` followed by one ``end`` token."""
    tokens: list[Token] = []
    depth = 0  # brackets open: a line break inside them is only space
    pos, size, match_at = 0, len(expr), _TOKEN.match
    while pos < size:
        match = match_at(expr, pos)
        if match is None:
            raise ExpressionError(f"unexpected character {expr[pos]!r}", expr, pos)
        kind, text = match.lastgroup, match.group()
        if kind == "break":
            if depth == 0 and tokens and tokens[-1].ends_operand():
                tokens.append(Token("sep", "\n", pos))
        elif kind != "space":
            if kind == "op" and text in OPENERS:
                depth += 1
            elif kind == "op" and text in CLOSERS:
                depth = max(depth - 1, 0)
            tokens.append(Token(kind, text, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(expr)))
    return [t for i, t in enumerate(tokens)
            if t.kind != "sep" or not (tokens[i + 1].kind == "op" and tokens[i + 1].text in CONTINUING)]
