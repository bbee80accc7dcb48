"""A machine fingerprint for comparing timings across runs.

Timings are only comparable on the same kind of machine, but an exact
hash of the environment would split a history at every kernel patch,
host rename or container restart.  So the fingerprint keeps only what
changes speed (CPU model, core count, architecture, OS family, BLAS
library) in a normalised form, and two fingerprints *match* when those
agree, CPU names compared loosely (vendor marks, clock suffixes and
spacing ignored; near-identical names accepted).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass

SIMILAR = 0.9   # CPU names this alike (difflib ratio) are one model


@dataclass(frozen=True)
class Fingerprint:
    cpu: str
    cores: int | None
    arch: str
    system: str
    blas: str | None

    def matches(self, other: "Fingerprint") -> bool:
        same = (self.cores, self.arch, self.system, self.blas) == (other.cores, other.arch, other.system, other.blas)
        return same and (self.cpu == other.cpu or
                         difflib.SequenceMatcher(None, self.cpu, other.cpu).ratio() >= SIMILAR)

    def label(self) -> str:
        return f"{self.cpu or 'unknown cpu'}, {self.cores or '?'} cores, {self.arch}/{self.system}"

    def as_dict(self) -> dict:
        return asdict(self)


def normalise_cpu(name: str | None) -> str:
    """'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz' -> 'intel xeon e5-2680 v4'."""
    text = (name or "").lower()
    text = re.sub(r"\((r|tm|c)\)", " ", text)
    text = re.sub(r"@\s*[\d.]+\s*[gm]hz", " ", text)
    text = re.sub(r"\b(cpu|processor|\d+-core)\b", " ", text)
    return " ".join(text.split())


def fingerprint(env: dict) -> Fingerprint:
    """From a result record's ``env`` (see ``diffbench.jobs.env.environment``)."""
    platform = (env.get("platform") or "").lower()
    arch = next((a for a in ("x86_64", "aarch64", "arm64", "i686", "ppc64le", "s390x") if a in platform), "")
    system = platform.split("-", 1)[0] if platform else ""
    blas = (env.get("blas") or {}).get("library")
    return Fingerprint(normalise_cpu(env.get("cpu")), env.get("cpu_count"), arch, system, blas)
