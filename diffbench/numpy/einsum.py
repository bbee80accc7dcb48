"""``einsum`` on vectors and matrices, traced as the products it spells.

Operands are combined left to right, two at a time; each pair is one of
the op table's products (``inner``, ``matmul`` with transposes, ``outer``,
an element-wise ``mul`` and ``sum``), so ``einsum("i,ij,j->", x, A, x)``
traces to the same DAG as ``x'*A*x``.  Repeated indices within one operand
are a trace (``ii->``) or a diagonal (``ii->i``).  Anything else (rank 3,
broadcasting ellipses) raises a :class:`TraceError` naming the user's line.
"""
from __future__ import annotations

import numpy as _np

from ..tracing.tracer import Traced, column, fail, make, matmul_values


def einsum(subscripts: str, *operands):
    if not any(isinstance(op, Traced) for op in operands):
        return _np.einsum(subscripts, *operands)
    inputs, output = _parse(subscripts, len(operands))
    current, indices = operands[0], inputs[0]
    current, indices = _single(current, indices, _needed(inputs[1:], output))
    for k in range(1, len(operands)):
        keep = _needed(inputs[k + 1:], output)
        nxt, nxt_idx = _single(operands[k], inputs[k], keep + indices)
        current, indices = _pair(current, indices, nxt, nxt_idx, keep)
    return _arrange(current, indices, output)


def _parse(subscripts: str, count: int) -> tuple[list[str], str]:
    text = subscripts.replace(" ", "")
    if "." in text:
        raise fail("einsum with '...' cannot be traced")
    if "->" not in text:
        raise fail("einsum needs an explicit output ('ij,j->i')")
    left, output = text.split("->")
    inputs = left.split(",")
    if len(inputs) != count:
        raise fail(f"einsum: {len(inputs)} operand subscripts for {count} operands")
    if any(len(ix) > 2 for ix in inputs) or len(output) > 2:
        raise fail("einsum beyond rank 2 cannot be traced")
    return inputs, output


def _needed(later: list[str], output: str) -> str:
    return "".join(dict.fromkeys("".join(later) + output))


def _single(x, idx: str, needed: str):
    """Resolve what one operand does alone: ``ii`` (a trace or diagonal)
    and indices no one else needs (summed out)."""
    if len(idx) == 2 and idx[0] == idx[1]:
        if idx[0] in needed:
            return make("diag_part", column(x)), idx[0]
        return make("tr", column(x)), ""
    gone = [i for i in idx if i not in needed]
    if gone and len(gone) == len(idx):
        return make("sum", column(x)), ""
    if gone:
        raise fail(f"einsum: summing index {gone[0]!r} of a single operand cannot be traced")
    return x, idx


def _pair(a, ia: str, b, ib: str, keep: str):
    shared = [i for i in ia if i in ib]
    summed = [i for i in shared if i not in keep]
    if not shared:  # outer product or scaling
        if not ia or not ib:
            return a * b, ia + ib
        if len(ia) == 1 and len(ib) == 1:
            return make("outer", column(a), column(b)), ia + ib
        raise fail("einsum: an outer product beyond vectors cannot be traced")
    if len(summed) == 1 and len(shared) == 1:
        (s,) = summed
        left = a if ia.endswith(s) else _t(a)
        right = b if ib.startswith(s) else _t(b)
        la = ia.replace(s, "")
        lb = ib.replace(s, "")
        return matmul_values(left, right), la + lb
    if not summed:  # element-wise product on the same indices
        return a * (b if ib == ia else _t(b)), ia
    if sorted(summed) == sorted(ia) == sorted(ib):  # full contraction
        return make("sum", column(a * (b if ib == ia else _t(b)))), ""
    raise fail(f"einsum: the contraction {ia},{ib} cannot be traced")


def _t(x):
    return x.T if getattr(x, "ndim", 0) == 2 else x


def _arrange(x, indices: str, output: str):
    if sorted(indices) != sorted(output):
        raise fail(f"einsum: the output {output!r} cannot be formed from {indices!r}")
    if indices != output:
        return _t(x)
    return x
