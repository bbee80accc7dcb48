"""``iterate(T, h -> body, h0)``: a fixed-count recurrence in the language.

``h`` starts at ``h0`` and is replaced by ``body`` (which may use ``h`` and
any variable of the function) ``T`` times; the result is the last ``h``::

    sum(iterate(1000, h -> tanh(W*h + x), h0))      # h_{t+1} = tanh(W h_t + x)

``T`` is a positive integer literal (so the depth is part of the function,
as a size is part of its inputs).  ``h`` has the shape of ``h0``, the body
must keep that shape, and ``h`` exists only inside its body.  The grammar
change is one rule: a call's argument may be ``name -> expression``.

Lowered, the recurrence is a single IR node (``op = "iterate"``) whose
arguments are ``h0`` and the body's free variables and whose attributes
hold the count, the loop variable and the body graph, so a depth of 10^4
costs one node, not 10^4 nested ones.  See :mod:`diffbench.iterate` for
how engines run and differentiate it.
"""
from __future__ import annotations

from ..iterate import MAX_COUNT, make_iterate
from ..ir import var
from .tree import Call, Lambda, Num


def looks_like_lambda(tokens, index: int) -> bool:
    """``name - >`` with the two signs adjacent: the start of ``h -> body``."""
    if index + 2 >= len(tokens):
        return False
    name, minus, greater = tokens[index:index + 3]
    return (name.kind == "name" and minus.is_op("-") and greater.is_op(">")
            and minus.end == greater.start)


# ---------------------------------------------------------------- inference

def bind_loops(inf) -> None:
    """Check every ``iterate`` call's form and record its loop variable."""
    lambdas = [n for n in inf.nodes if isinstance(n, Lambda)]
    for n in inf.nodes:
        if not (isinstance(n, Call) and n.name == "iterate" and len(n.args) == 3):
            continue
        count, step, _ = n.args
        if not isinstance(count, Num) or not count.text.isdigit() or not 1 <= int(count.text) <= MAX_COUNT:
            inf.fail(f"iterate's first argument is the number of steps: an integer from 1 to {MAX_COUNT}, "
                     f"not {inf.text(count)}", count.start)
        if not isinstance(step, Lambda):
            inf.fail(f"iterate's second argument is the step, written h -> expression, not {inf.text(step)}",
                     step.start)
        if step.param in inf.declared or step.param in inf.loops:
            inf.fail(f"{step.param!r} is already a variable: give iterate's loop variable another name",
                     step.start)
        inf.loops[step.param] = n
        lambdas.remove(step)
    if lambdas:
        inf.fail("'h -> expression' is only iterate's step: iterate(T, h -> expression, h0)", lambdas[0].start)


def loop_variable_shape(inf, n):
    """The loop variable has its start value's shape, inside its own step only."""
    call = inf.loops[n.name]
    step, start = call.args[1], call.args[2]
    if not step.start <= n.start < step.end:
        inf.fail(f"{n.name!r} is the loop variable of {inf.text(call)}: it exists only after '->'", n.start)
    return inf.shape[start]


def iterate_shape(inf, n):
    step, start = n.args[1], n.args[2]
    body, h0 = inf.resolve(inf.shape[step.body]), inf.resolve(inf.shape[start])
    if len(body) != len(h0) or not all(inf.unify(a, b) for a, b in zip(body, h0)):
        inf.fail(f"{inf.text(n)}: the step gives {inf.fmt(body)} but the start value has {inf.fmt(h0)}: "
                 "a step must keep the shape of h", step.body.start)
    return h0


def lambda_shape(inf, n):
    return inf.shape[n.body]


# ---------------------------------------------------------------- lowering

def lower_loop_variable(low, n):
    call = low.inference.loops[n.name]
    return var(n.name, low.final(call.args[2]))


def lower_iterate(low, n, as_node):
    count, step, start = n.args
    state = var(step.param, low.final(start))
    return make_iterate(int(count.text), state, as_node(low.values[step.body]), as_node(low.values[start]))


def lower_lambda(low, n):
    return low.values[n.body]
