"""Pratt parser: tokens to a syntax tree with source spans.

Binding powers, high to low: postfix ``'``; ``^`` ``.^`` (right-assoc);
unary minus (so ``-x^2`` is ``-(x^2)`` but ``-x*y`` is ``(-x)*y``);
``* / .* ./``; ``+ -``.  Left-assoc chains are parsed by a loop, so only
real nesting (parentheses, unary minus, powers) costs recursion, and that
is capped so no input can reach Python's recursion limit.
"""
from __future__ import annotations

import math

from .errors import ExpressionError
from .tokens import Token, tokenize
from .iterate import looks_like_lambda
from .tree import Binary, Call, Expr, Group, Inner, Lambda, Name, Num, Transpose, Unary

BINARY = {"+": 10, "-": 10, "*": 20, "/": 20, ".*": 20, "./": 20, "^": 40, ".^": 40}
RIGHT_ASSOC = frozenset({"^", ".^"})
UNARY_MINUS = 30
MAX_DEPTH = 100


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else "..." + text[-(limit - 3):]


class Parser:
    def __init__(self, expr: str):
        self.expr = expr
        self.tokens = tokenize(expr)
        self.index = 0
        self.depth = 0

    # ------------------------------------------------------------ helpers
    def fail(self, message: str, position: int):
        raise ExpressionError(message, self.expr, position)

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":  # the end token is sticky
            self.index += 1
        return token

    def text(self, node: Expr) -> str:
        return " ".join(self.expr[node.start:node.end].split())

    # ------------------------------------------------------------ grammar
    def parse(self) -> Expr:
        if self.peek().kind == "end":
            self.fail("empty expression", 0)
        tree = self.expression(0)
        token = self.peek()
        if token.kind != "end":
            self.fail(self.stray(token), token.start)
        return tree

    def stray(self, token: Token) -> str:
        if token.is_op(")"):
            return "unmatched ')'"
        if token.is_op(">"):
            return "unmatched '>' (there are no comparisons: '>' only closes an inner product <a, b>)"
        return f"unexpected {token.describe()}"

    def expression(self, min_power: int) -> Expr:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                self.fail(f"expression nested too deeply (more than {MAX_DEPTH} levels)",
                          self.peek().start)
            left = self.prefix()
            while (extended := self.infix(left, min_power)) is not None:
                left = extended
            return left
        finally:
            self.depth -= 1

    def infix(self, left: Expr, min_power: int) -> Expr | None:
        """``left`` extended by one postfix or binary operator, or None to stop."""
        token = self.peek()
        if token.is_op("'"):  # binds tighter than anything: no power check
            self.advance()
            return Transpose(left.start, token.end, left)
        if token.kind == "op" and token.text in BINARY:
            power = BINARY[token.text]
            if power < min_power:
                return None
            self.advance()
            right = self.expression(power if token.text in RIGHT_ASSOC else power + 1)
            return Binary(left.start, right.end, token.text, token.start, left, right)
        if token.kind in ("num", "name") or token.is_op("(", "<"):
            self.missing_operator(left, token)
        return None

    def prefix(self) -> Expr:
        token = self.peek()
        if token.kind == "end":
            self.fail("unexpected end of expression", token.start)
        self.advance()
        if token.kind == "num":
            return self.number(token)
        if token.kind == "name":
            if self.peek().is_op("("):
                return self.call(token)
            return Name(token.start, token.end, token.text)
        if token.is_op("("):
            return self.group(token)
        if token.is_op("<"):
            return self.inner(token)
        if token.is_op("-"):
            operand = self.expression(UNARY_MINUS)
            return Unary(token.start, operand.end, operand)
        self.fail(self.not_an_operand(token), token.start)

    def number(self, token: Token) -> Num:
        value = float(token.text)  # the token matched the numeric regex: safe
        if not math.isfinite(value):
            self.fail(f"number {token.text} is too large", token.start)
        return Num(token.start, token.end, token.text, value)

    def group(self, opener: Token) -> Group:
        inner = self.expression(0)
        closer = self.close(opener, ")")
        return Group(opener.start, closer.end, inner)

    def call(self, name: Token) -> Call:
        opener = self.advance()
        args: list[Expr] = []
        if self.peek().is_op(")"):
            closer = self.advance()
        else:
            args.append(self.argument())
            while self.peek().is_op(","):
                self.advance()
                args.append(self.argument())
            closer = self.close(opener, ")")
        return Call(name.start, closer.end, name.text, tuple(args))

    def argument(self) -> Expr:
        """A call's argument: an expression, or ``h -> body`` (iterate's step)."""
        if looks_like_lambda(self.tokens, self.index):
            param = self.advance()
            self.advance(), self.advance()  # '-' '>'
            body = self.expression(0)
            return Lambda(param.start, body.end, param.text, body)
        return self.expression(0)

    def inner(self, opener: Token) -> Inner:
        left = self.expression(0)
        separator = self.peek()
        if separator.kind == "end":
            self.fail("unclosed '<'", opener.start)
        if separator.is_op(">"):
            self.fail("an inner product has two arguments: <a, b>", separator.start)
        if not separator.is_op(","):
            self.fail(f"expected ',' in the inner product <a, b>, found {separator.describe()}",
                      separator.start)
        self.advance()
        right = self.expression(0)
        closer = self.close(opener, ">")
        return Inner(opener.start, closer.end, left, right)

    def close(self, opener: Token, closer: str) -> Token:
        token = self.peek()
        if token.is_op(closer):
            return self.advance()
        # the text ran out, or closes an outer bracket first: this opener is the culprit
        if token.kind == "end" or token.is_op(")", ">"):
            self.fail(f"unclosed {opener.text!r}", opener.start)
        self.fail(f"expected {closer!r} to match {opener.text!r}, found {token.describe()}",
                  token.start)

    # ------------------------------------------------------------ diagnostics
    def not_an_operand(self, token: Token) -> str:
        previous = self.tokens[self.index - 2] if self.index >= 2 else None
        if token.is_op("*") and previous is not None and previous.is_op("*") \
                and previous.end == token.start:
            return "'**' is not an operator: use ^ for a power (.^ element-wise)"
        if token.is_op(")") and previous is not None and previous.is_op("("):
            return "empty parentheses"
        if token.is_op("'"):
            return "unexpected \"'\": a transpose must follow an operand"
        return f"expected an operand, found {token.describe()}"

    def missing_operator(self, left: Expr, token: Token):
        if token.is_op("<"):
            self.fail("missing operator before '<' (there are no comparisons: "
                      "'<' opens an inner product <a, b>)", token.start)
        left_text = shorten(self.text(left))
        right_text = "(...)" if token.is_op("(") else token.text
        self.fail(f"missing operator between {left_text} and {token.text}: "
                  f"did you mean {left_text}*{right_text}?", token.start)


def parse_tree(expr: str) -> Expr:
    """The syntax tree of ``expr``; ExpressionError for any syntax error."""
    return Parser(expr).parse()
