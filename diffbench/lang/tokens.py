"""Tokenizer: expression text to tokens that remember where they start."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ExpressionError

# ASCII only on purpose: str.isdigit-style Unicode digits would reach float().
# A '.' right before * / ^ belongs to the element-wise operator, so "2.*x"
# is 2 .* x (as in MATLAB), not 2. * x.
_NUMBER = r"(?:[0-9]+(?:\.(?![*/^])[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_OPERATOR = r"\.\*|\./|\.\^|[-+*/^'(),<>]"
_SPACE = r"[ \t\r\n\f\v]+"
_TOKEN = re.compile(f"(?P<space>{_SPACE})|(?P<num>{_NUMBER})|(?P<name>{_NAME})|(?P<op>{_OPERATOR})")


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op" or "end"
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def is_op(self, *texts: str) -> bool:
        return self.kind == "op" and self.text in texts

    def describe(self) -> str:
        return "end of expression" if self.kind == "end" else repr(self.text)


def tokenize(expr: str) -> list[Token]:
    """All tokens of ``expr`` followed by one ``end`` token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if match is None:
            raise ExpressionError(f"unexpected character {expr[pos]!r}", expr, pos)
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(expr)))
    return tokens
