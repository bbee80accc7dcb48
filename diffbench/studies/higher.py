"""The seeds' figure: tanh (or any function of one scalar) and its first six derivatives."""
from __future__ import annotations

import numpy as np

ORDER = 6
GRID = np.linspace(-7.0, 7.0, 141)


class DerivativesRun:
    def __init__(self, prepared, task: dict):
        self.prepared = prepared
        (self.wrt,) = prepared_wrt(prepared, task)

    def __call__(self, inputs: dict) -> list:
        return self.prepared.derivatives(inputs, ORDER)

    def record(self, inputs: dict) -> dict:
        """``curves[k]``: the k-th derivative over ``GRID`` (k = 0 is the function)."""
        curves = [[] for _ in range(ORDER + 1)]
        for x in GRID:
            at = {**inputs, self.wrt: float(x)}
            values = [float(self.prepared.value(at))] + self.prepared.derivatives(at, ORDER)
            for k, v in enumerate(values):
                curves[k].append(v)
        return {"curves": {"x": GRID.tolist(), "derivatives": curves, "variable": self.wrt}}


def prepared_wrt(prepared, task: dict) -> list[str]:
    return list(task.get("wrt") or getattr(prepared, "wrt", []) or getattr(prepared.program, "wrt"))
