"""The ``[scaling]`` table of a job file: a sweep over worker counts.

    [scaling]
    workers = [1, 2, 4]
    mode = "strong"     # the same tasks on each count; "weak": tasks × count

Strong scaling asks "how much faster does this job get with more
workers"; weak scaling "does the time stay flat when the work grows with
the workers".  Either way the report plots throughput (tasks per second)
against workers, with the ideal line (linear in workers).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ScalingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    workers: list[int] = Field(min_length=1, max_length=32)
    mode: Literal["strong", "weak"] = "strong"

    @field_validator("workers")
    @classmethod
    def _counts(cls, counts: list[int]) -> list[int]:
        if any(c < 1 for c in counts) or len(set(counts)) != len(counts):
            raise ValueError(f"expected distinct worker counts of at least 1, got {counts}")
        return sorted(counts)
