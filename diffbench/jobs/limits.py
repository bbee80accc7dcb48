"""How much one job file may ask for: tasks in a run, characters in an
expression, seconds of validation.

A 3 KB grid can plan 90,000 tasks and a 10 KB one a million; long
expressions take time to check.  These limits are checked while a job is
validated, before anything is planned in full or recorded, and each refusal
is one line naming the limit and how to change it.  The HTTP API uses
:data:`HTTP` by default (``diffbench serve --max-tasks ...`` changes it);
``diffbench submit``, run by the user on their own machine, allows more.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ..errors import UserError


@dataclass(frozen=True)
class Limits:
    max_tasks: int = 100_000
    max_expression: int = 100_000     # characters in one expression
    validation_seconds: float = 120.0
    how: str = "diffbench submit --max-tasks/--max-expression/--max-validation"  # where to raise them


HTTP = Limits(max_tasks=10_000, max_expression=20_000, validation_seconds=10.0,
              how="diffbench serve --max-tasks/--max-expression/--max-validation")
CLI = Limits()


@dataclass
class Budget:
    """One validation's running account against ``limits``."""

    limits: Limits
    source: str
    started: float = field(default_factory=time.monotonic)
    tasks: int = 0

    def expression(self, text: str, where: str) -> None:
        if len(text) > self.limits.max_expression:
            raise UserError(f"{where}: the expression has {len(text):,} characters, over the limit of "
                            f"{self.limits.max_expression:,} (max expression length; {self.limits.how})")

    def add_tasks(self, count: int, where: str) -> None:
        self.tasks += count
        if self.tasks > self.limits.max_tasks:
            raise UserError(f"{where}: the job plans {self.tasks:,} tasks so far, over the limit of "
                            f"{self.limits.max_tasks:,} tasks per run ({self.limits.how})")

    def tick(self, where: str) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed > self.limits.validation_seconds:
            raise UserError(f"{where}: validating the job took over {self.limits.validation_seconds:g}s, the "
                            f"limit of validation time ({self.limits.how})")


def combinations(sizes: dict, grid: bool) -> int:
    """How many size combinations ``sizes`` expands to, without expanding them."""
    lengths = [len(v) if isinstance(v, list) else 1 for v in sizes.values() if not isinstance(v, str)]
    if not lengths:
        return 1
    return math.prod(lengths) if grid else max(lengths)
