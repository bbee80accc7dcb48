"""Pratt parser: tokens to a syntax tree with source spans.

Binding powers, high to low: postfix ``'`` and indexing ``x[i]``; ``^``
``.^`` (right-assoc); unary minus (so ``-x^2`` is ``-(x^2)`` but ``-x*y`` is
``(-x)*y``); ``* / .* ./``; ``+ -``.

The parser keeps its own stack of constructs still waiting for an operand
(a binary operator's right side, a call's next argument, an open bracket)
instead of recursing, so nesting depth costs memory, never Python's
recursion limit: ten thousand nested parentheses parse like ten.

A program is named intermediates then one expression:
``z = X*w; sum(softplus(z)) - y'*z`` (``;`` or line breaks between them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import ExpressionError
from .tokens import Token, tokenize
from .iterate import looks_like_lambda
from .tree import (Assign, Binary, Call, Concat, Expr, Group, Index, Inner, Lambda, Name, Num, Program,
                   Slot, Transpose, Unary)

BINARY = {"+": 10, "-": 10, "*": 20, "/": 20, ".*": 20, "./": 20, "^": 40, ".^": 40}
RIGHT_ASSOC = frozenset({"^", ".^"})
UNARY_MINUS = 30


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else "..." + text[-(limit - 3):]


@dataclass
class Pending:
    """A construct waiting for the operand being parsed: ``kind`` says which
    (binary, unary, group, call, inner, concat), ``token`` is its operator or
    opener, ``power`` the binding power in force around it."""
    kind: str
    token: Token
    power: int
    left: Expr | None = None
    items: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    name: Token | None = None


class Parser:
    def __init__(self, expr: str):
        self.expr = expr
        self.tokens = tokenize(expr)
        self.index = 0

    # ------------------------------------------------------------ helpers
    def fail(self, message: str, position: int):
        raise ExpressionError(message, self.expr, position)

    def peek(self, ahead: int = 0) -> Token:
        if ahead:
            return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":  # the end token is sticky
            self.index += 1
        return token

    def text(self, node: Expr) -> str:
        return " ".join(self.expr[node.start:node.end].split())

    # ------------------------------------------------------------ statements
    def parse(self) -> Expr:
        self.skip_separators()
        if self.peek().kind == "end":
            self.fail("empty expression", 0)
        statements: list[Assign] = []
        while True:
            if self.peek().kind == "name" and self.peek(1).is_op("="):
                statements.append(self.assignment())
                self.end_of_statement(assignment=True)
                continue
            tree = self.expression()
            self.end_of_statement(assignment=False)
            break
        return Program(statements[0].start, tree.end, tuple(statements), tree) if statements else tree

    def assignment(self) -> Assign:
        name = self.advance()
        self.advance()  # '='
        value = self.expression()
        return Assign(name.start, value.end, name.text, value)

    def skip_separators(self) -> None:
        while self.peek().is_separator():
            self.advance()

    def end_of_statement(self, assignment: bool) -> None:
        token = self.peek()
        if token.is_op("="):
            self.fail("only a name can be assigned: write name = expression", token.start)
        if assignment:
            if token.kind == "end":
                self.fail("the last statement must be the expression to differentiate, "
                          "not an assignment", token.start)
            if not token.is_separator():
                self.fail(self.stray(token), token.start)
            self.skip_separators()
            if self.peek().kind == "end":
                self.fail("the last statement must be the expression to differentiate, "
                          "not an assignment", self.peek().start)
            return
        if token.is_separator():
            self.skip_separators()
            if self.peek().kind != "end":
                self.fail("only the last statement may be a bare expression: the ones before it "
                          "name intermediates (z = ...); to continue a line, end it with an operator",
                          self.peek().start)
            return
        if token.kind != "end":
            self.fail(self.stray(token), token.start)

    def stray(self, token: Token) -> str:
        if token.is_op(")"):
            return "unmatched ')'"
        if token.is_op("]"):
            return "unmatched ']'"
        if token.is_op(">"):
            return "unmatched '>' (there are no comparisons: '>' only closes an inner product <a, b>)"
        return f"unexpected {token.describe()}"

    # ------------------------------------------------------------ expressions
    def expression(self) -> Expr:
        """One expression, parsed with an explicit stack of pending constructs."""
        stack: list[Pending] = []
        power = 0
        while True:
            left = self.operand(stack, power)
            if left is None:  # an opener was pushed: parse what goes inside it
                power = UNARY_MINUS if stack[-1].kind == "unary" else 0
                continue
            while True:  # extend ``left``, or hand it to what waits for it
                step = self.infix(left, power, stack)
                if isinstance(step, int):  # a binary operator: parse its right side
                    power = step
                    break
                if step is not None:
                    left = step
                    continue
                if not stack:
                    return left
                done = self.resume(stack, left)
                if done is None:  # the construct wants another operand
                    power = 0
                    break
                left, power = done

    def operand(self, stack: list[Pending], power: int) -> Expr | None:
        """An operand, or None after pushing a construct that needs one."""
        token = self.peek()
        if token.kind == "end" or token.kind == "sep":
            self.fail("unexpected end of expression", token.start)
        if stack and stack[-1].kind == "call" and looks_like_lambda(self.tokens, self.index):
            self.advance(), self.advance(), self.advance()  # h - >: iterate's step, h -> body
            stack.append(Pending("lambda", token, power))
            return None
        self.advance()
        if token.kind == "num":
            return self.number(token)
        if token.kind == "name":
            if self.peek().is_op("("):
                opener = self.advance()
                if self.peek().is_op(")"):
                    closer = self.advance()
                    return Call(token.start, closer.end, token.text, ())
                stack.append(Pending("call", opener, power, name=token))
                return None
            return Name(token.start, token.end, token.text)
        if token.is_op("("):
            stack.append(Pending("group", token, power))
            return None
        if token.is_op("<"):
            stack.append(Pending("inner", token, power))
            return None
        if token.is_op("["):
            if self.peek().is_op("]"):
                self.fail("empty brackets: [A, B] joins side by side, [A; B] stacks", token.start)
            stack.append(Pending("concat", token, power))
            return None
        if token.is_op("-"):
            stack.append(Pending("unary", token, power))
            return None
        self.fail(self.not_an_operand(token), token.start)

    def infix(self, left: Expr, min_power: int, stack: list[Pending]):
        """``left`` extended by a postfix operator; the binding power of a
        binary operator after pushing it; or None to stop."""
        token = self.peek()
        if token.is_op("'"):  # binds tighter than anything: no power check
            self.advance()
            return Transpose(left.start, token.end, left)
        if token.is_op("["):
            return self.index_of(left)
        if token.kind == "op" and token.text in BINARY:
            power = BINARY[token.text]
            if power < min_power:
                return None
            self.advance()
            stack.append(Pending("binary", token, min_power, left=left))
            return power if token.text in RIGHT_ASSOC else power + 1
        if token.kind in ("num", "name") or token.is_op("(", "<"):
            self.missing_operator(left, token)
        return None

    def resume(self, stack: list[Pending], operand: Expr):
        """Give ``operand`` to the innermost pending construct: returns the
        finished expression and the power around it, or None when the
        construct wants another operand (its next argument, item ...)."""
        top = stack[-1]
        if top.kind == "binary":
            stack.pop()
            return Binary(top.left.start, operand.end, top.token.text, top.token.start, top.left, operand), top.power
        if top.kind == "unary":
            stack.pop()
            return Unary(top.token.start, operand.end, operand), top.power
        if top.kind == "group":
            stack.pop()
            closer = self.close(top.token, ")")
            return Group(top.token.start, closer.end, operand), top.power
        if top.kind == "call":
            return self.call_argument(stack, top, operand)
        if top.kind == "lambda":
            stack.pop()
            return Lambda(top.token.start, operand.end, top.token.text, operand), top.power
        if top.kind == "inner":
            return self.inner_operand(stack, top, operand)
        return self.concat_item(stack, top, operand)

    def call_argument(self, stack, top: Pending, operand: Expr):
        top.items.append(operand)
        if self.peek().is_op(","):
            self.advance()
            return None
        closer = self.close(top.token, ")")
        stack.pop()
        return Call(top.name.start, closer.end, top.name.text, tuple(top.items)), top.power

    def inner_operand(self, stack, top: Pending, operand: Expr):
        if top.left is None:
            separator = self.peek()
            if separator.kind in ("end", "sep"):
                self.fail("unclosed '<'", top.token.start)
            if separator.is_op(">"):
                self.fail("an inner product has two arguments: <a, b>", separator.start)
            if not separator.is_op(","):
                self.fail(f"expected ',' in the inner product <a, b>, found {separator.describe()}",
                          separator.start)
            self.advance()
            top.left = operand
            return None
        closer = self.close(top.token, ">")
        stack.pop()
        return Inner(top.token.start, closer.end, top.left, operand), top.power

    def concat_item(self, stack, top: Pending, operand: Expr):
        top.items.append(operand)
        token = self.peek()
        if token.is_op(","):
            self.advance()
            return None
        if token.is_op(";"):
            self.advance()
            top.rows.append(tuple(top.items))
            top.items = []
            return None
        closer = self.close(top.token, "]")
        stack.pop()
        rows = tuple(top.rows) + (tuple(top.items),)
        return Concat(top.token.start, closer.end, rows), top.power

    def number(self, token: Token) -> Num:
        value = float(token.text)  # the token matched the numeric regex: safe
        if not math.isfinite(value):
            self.fail(f"number {token.text} is too large", token.start)
        return Num(token.start, token.end, token.text, value)

    def close(self, opener: Token, closer: str) -> Token:
        token = self.peek()
        if token.is_op(closer):
            return self.advance()
        # the text ran out, or closes an outer bracket first: this opener is the culprit
        if token.kind in ("end", "sep") or token.is_op(")", ">", "]"):
            self.fail(f"unclosed {opener.text!r}", opener.start)
        self.fail(f"expected {closer!r} to match {opener.text!r}, found {token.describe()}",
                  token.start)

    # ------------------------------------------------------------ indexing
    def index_of(self, base: Expr) -> Index:
        """``base[i]``, ``base[i, :]``, ``base[a:b]``: 1-based, ranges inclusive.
        Indices are integer literals, read here without any recursion."""
        opener = self.advance()
        slots = [self.slot(opener)]
        while self.peek().is_op(","):
            self.advance()
            slots.append(self.slot(opener))
        closer = self.close(opener, "]")
        return Index(base.start, closer.end, base, opener.start, tuple(slots))

    def slot(self, opener: Token) -> Slot:
        token = self.peek()
        if token.is_op(":"):
            self.advance()
            return Slot("all", 0, 0, token.start)
        first = self.position(opener)
        if not self.peek().is_op(":"):
            return Slot("at", first, first, token.start)
        self.advance()
        last = self.position(opener)
        if last < first:
            self.fail(f"empty range {first}:{last} (ranges are first:last, inclusive)", token.start)
        return Slot("range", first, last, token.start)

    def position(self, opener: Token) -> int:
        token = self.peek()
        if token.kind in ("end", "sep"):
            self.fail(f"unclosed {opener.text!r}", opener.start)
        if token.kind != "num" or not (token.text.isascii() and token.text.isdigit()):
            self.fail("an index is a whole number, counting from 1 (x[1] is the first entry, "
                      f"x[2:4] the 2nd to 4th), not {token.describe()}", token.start)
        self.advance()
        if int(token.text) == 0:
            self.fail("indices count from 1: x[1] is the first entry (there is no x[0])", token.start)
        return int(token.text)

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
        if token.is_op("="):
            return "only a name can be assigned: write name = expression"
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
