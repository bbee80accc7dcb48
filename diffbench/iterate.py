"""The ``iterate`` IR node: a fixed-count recurrence ``h <- body(h)``, ``T`` times.

One node stands for the whole loop: ``args = (h0, *free)`` where ``free`` are
the variables the body uses besides the loop variable, and ``attrs`` hold
``count`` (T), ``state`` (the loop variable's var node) and ``body`` (the
step's IR graph, in which ``state`` and the free variables are leaves).
Generic graph walks see only ``h0`` and the free variables, which is what
the value depends on.

How each engine treats it:

* the tape (:mod:`diffbench.tape.loop`) runs the body's own small program
  ``T`` times and, for the reverse sweep, either keeps every step's values
  (plain reverse mode) or only some states and recomputes the rest
  (checkpointing);
* the symbolic engine unrolls the loop into one formula when
  ``T <= UNROLL_LIMIT`` (the formula, and its derivation time, grow with T)
  and otherwise answers ``unsupported``;
* engines that translate the graph op by op (frameworks, the scalar SymPy
  baseline) report ``unsupported``.
"""
from __future__ import annotations

from .ir import Node, node, topological

MAX_COUNT = 1_000_000
#: the symbolic engine unrolls loops of at most this many steps into one formula
#: for a gradient; a Hessian of the unrolled formula swells much faster (for
#: h <- tanh(W h + x) in W: 0.5 s at T = 3, 6 s at T = 5, minutes at T = 10)
UNROLL_LIMIT = 32
UNROLL_LIMIT_SECOND_ORDER = 4


def unroll_limit(order: int) -> int:
    return UNROLL_LIMIT if order <= 1 else UNROLL_LIMIT_SECOND_ORDER


def make_iterate(count: int, state: Node, body: Node, h0: Node) -> Node:
    """The node for ``iterate(count, state -> body, h0)``."""
    free = [n for n in topological(body) if n.op == "var" and n is not state]
    return node("iterate", (h0, *free), {"count": int(count), "state": state, "body": body}, h0.shape)


def parts(n: Node) -> tuple[int, Node, Node, Node, tuple[Node, ...]]:
    """``(count, state, body, h0, free)`` of an iterate node."""
    return n.attr("count"), n.attr("state"), n.attr("body"), n.args[0], n.args[1:]


def contains_iterate(root: Node) -> bool:
    return any(n.op == "iterate" for n in topological(root))


def substitute(root: Node, replace: dict[int, Node]) -> Node:
    """``root`` with the nodes whose ids are in ``replace`` swapped (iterative)."""
    from .ops.core import build

    done: dict[int, Node] = dict(replace)
    for n in topological(root):
        if id(n) in done:
            continue
        args = tuple(done[id(a)] for a in n.args)
        if n.op == "iterate":
            count, state, body, _, _ = parts(n)
            done[id(n)] = make_iterate(count, state, body, args[0]) if args[0] is not n.args[0] else n
        elif all(a is b for a, b in zip(args, n.args)):
            done[id(n)] = n
        else:
            done[id(n)] = build(n.op, args, dict(n.attrs))
    return done[id(root)]


def unroll(root: Node, limit: int = UNROLL_LIMIT) -> Node:
    """``root`` with every iterate node written out step by step.

    Raises ``Unsupported`` for a loop longer than ``limit`` steps."""
    from .engines.base import Unsupported

    if not contains_iterate(root):
        return root
    done: dict[int, Node] = {}
    for n in topological(root):
        if n.op != "iterate":
            continue
        count, state, body, h0, _ = parts(n)
        if count > limit:
            raise Unsupported(f"unsupported: iterate of {count} steps is unrolled into one formula only up to "
                              f"{limit} steps at this order (the tape engines differentiate any depth)")
        h = substitute(h0, done)
        body = unroll(body, limit)
        for _ in range(count):
            h = substitute(body, {id(state): h})
        done[id(n)] = h
    return substitute(root, done)
