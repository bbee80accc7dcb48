"""Expanding a function's ``sizes`` table into concrete size combinations.

Several listed dims are *tied* by default: ``{n = [10, 100], m = [5, 50]}``
gives (10, 5) and (100, 50), and the lists must be equally long.  With
``grid = true`` they combine as a grid: four combinations.  A single integer
is a constant dim; a string is a formula in other dims (``k = "2*n"``),
read by :mod:`diffbench.dims` (a tiny arithmetic parser, never ``eval``).
"""
from __future__ import annotations

import itertools

from .. import dims as dimexpr
from ..errors import UserError


def expand_sizes(sizes: dict, grid: bool, fn_dims: list[str], where: str,
                 complete=None, required: tuple[str, ...] = ()) -> list[dict[str, int]]:
    """Every size combination, each a full ``{dim: int}``; ``complete`` may
    fill further dims (a catalogue entry's derived ones)."""
    for dim in sizes:
        if dim not in fn_dims:
            raise UserError(f"{where}.{dim}: the function has no dim {dim!r} "
                            f"(expected one of: {', '.join(fn_dims) or 'none'})")
    missing = [d for d in required if d not in sizes]
    if missing:
        raise UserError(f"{where}: no size for dim {', '.join(map(repr, missing))} "
                        f"(expected a list such as {missing[0]} = [10, 100] or a formula such as \"2*n\")")
    listed = {d: (v if isinstance(v, list) else [v]) for d, v in sizes.items() if not isinstance(v, str)}
    _check_listed(listed, where)
    formulas = {d: v for d, v in sizes.items() if isinstance(v, str)}
    out = []
    for base in _combinations(listed, grid, where):
        combo = _derive(base, formulas, where)
        if complete is not None:
            combo = _complete(complete, combo, where)
        out.append(combo)
    return out


def _check_listed(listed: dict[str, list[int]], where: str) -> None:
    for dim, values in listed.items():
        big = [v for v in values if v > dimexpr.MAX_VALUE]
        if big:
            raise UserError(f"{where}.{dim}: {big[0]} is too large for an array size; "
                            f"expected at most 2**62")


def _combinations(listed: dict[str, list[int]], grid: bool, where: str) -> list[dict[str, int]]:
    if not listed:
        return [{}]
    if grid:
        return [dict(zip(listed, values)) for values in itertools.product(*listed.values())]
    lengths = {d: len(v) for d, v in listed.items() if len(v) > 1}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{d}: {k}" for d, k in lengths.items())
        raise UserError(f"{where}: tied size lists differ in length ({detail}); expected equal lengths, "
                        "or set grid = true for every combination")
    count = max(len(v) for v in listed.values())
    return [{d: (v[i] if len(v) > 1 else v[0]) for d, v in listed.items()} for i in range(count)]


def _derive(base: dict[str, int], formulas: dict[str, str], where: str) -> dict[str, int]:
    """Evaluate formulas in dependency order (a formula may use another)."""
    combo, pending = dict(base), dict(formulas)
    uses = {d: _names(text, f"{where}.{d}") for d, text in formulas.items()}
    while pending:
        ready = [d for d in pending if uses[d] <= set(combo)]
        if not ready:
            dim, text = next(iter(pending.items()))
            unknown = sorted(uses[dim] - set(combo) - set(pending))
            why = f"names unknown dim {unknown[0]!r}" if unknown else "depends on itself"
            raise UserError(f"{where}.{dim}: formula {text!r} {why}; expected a formula in the listed dims")
        for dim in ready:
            combo[dim] = _evaluate(pending.pop(dim), combo, f"{where}.{dim}")
    return combo


def _names(text: str, where: str) -> set[str]:
    try:
        return dimexpr.names(text)
    except ValueError as err:
        raise UserError(f"{where}: {err}; expected a formula such as \"2*n\"") from None


def _evaluate(text: str, combo: dict[str, int], where: str) -> int:
    try:
        value = dimexpr.evaluate(text, combo)
    except ValueError as err:
        raise UserError(f"{where}: {err}; expected a formula such as \"2*n\"") from None
    if value <= 0:
        raise UserError(f"{where}: formula {text!r} gives {value} at {combo}; expected a positive size")
    return value


def _complete(complete, combo: dict[str, int], where: str) -> dict[str, int]:
    try:
        return complete(combo)
    except ValueError as err:
        raise UserError(f"{where}: {err}") from None
