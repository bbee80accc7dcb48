"""A parsed function: the expression text, its IR root and its variables."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ir import Node, Shape, dims_of, format_shape, topological


class InputError(ValueError):
    """Inputs that do not fit a function (missing, wrong rank, sizes that disagree)."""


@dataclass(frozen=True, eq=False)
class Function:
    """A function written once and interpreted by every engine.

    ``root`` is the IR; ``shapes`` maps each variable to its symbolic shape,
    in order of first appearance in ``expr``.
    """

    expr: str
    root: Node
    shapes: dict[str, Shape]
    # the user's named intermediates (``z = X*w; ...``): name -> IR node, for printing
    intermediates: dict = field(default_factory=dict, repr=False, compare=False)
    # engines cache their per-size set-up work here, keyed by their own keys
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def variables(self) -> list[str]:
        return list(self.shapes)

    @property
    def shape(self) -> Shape:
        return self.root.shape

    @property
    def is_scalar(self) -> bool:
        return self.root.shape == ()

    @property
    def dims(self) -> list[str]:
        found = self.cache.get("dims")  # a walk of the whole DAG: once per function
        if found is None:
            seen: dict[str, None] = {}
            for n in topological(self.root):
                for d in dims_of(n.shape):
                    seen.setdefault(d)
            found = self.cache["dims"] = list(seen)
        return list(found)

    def bind(self, inputs: dict, given: dict | None = None) -> dict[str, int]:
        """Sizes of the named dims, read off the inputs (and ``given`` sizes for
        dims no input shows); checks every input."""
        sizes: dict[str, int] = {d: int(v) for d, v in (given or {}).items() if d in self.dims}
        source: dict[str, str] = {d: "sizes" for d in sizes}
        for name, shape in self.shapes.items():
            if name not in inputs:
                raise InputError(f"missing input {name!r} (shape {format_shape(shape)})")
            actual = np.shape(inputs[name])
            if len(actual) != len(shape):
                raise InputError(
                    f"input {name!r} has shape {actual}, expected rank {len(shape)} {format_shape(shape)}")
            for dim, size in zip(shape, actual):
                if size == 0:  # every engine would fail on it deep inside NumPy, each in its own way
                    raise InputError(f"input {name!r} has shape {actual}: a dimension of size 0 "
                                     "(expected every dimension at least 1)")
                if isinstance(dim, int):
                    if dim != size:
                        raise InputError(f"input {name!r} has shape {actual}, expected {format_shape(shape)}")
                elif sizes.setdefault(dim, size) != size:
                    raise InputError(
                        f"dimension {dim} is {sizes[dim]} from {source[dim]!r} but {size} from {name!r}")
                else:
                    source.setdefault(dim, name)
        missing = [d for d in self.dims if d not in sizes]
        if missing:
            raise InputError(f"no input fixes the size of dimension(s) {', '.join(missing)} "
                             f"(give sizes={{{missing[0]!r}: ...}})")
        return sizes

    def __str__(self) -> str:
        return self.expr
