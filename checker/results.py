"""What running a claim produced: its verdict, its must-fail variants' results, its time.

Kept apart from the rules and the runner so that a re-run served wholly from
the result cache, and the reports it writes, import neither JAX, SymPy nor
NumPy.
"""

from __future__ import annotations

import dataclasses
import math
import shlex
from typing import Any, Literal

__all__ = ["ClaimResult", "Outcome", "VariantResult", "Verdict"]

Outcome = Literal["verified", "disagrees", "toothless", "inconclusive", "error"]


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of one rule: `figure relation limit` holds or not."""

    rule: str
    holds: bool
    figure: float
    limit: float
    label: str
    relation: str = "<="
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.label} {_fmt(self.figure)} {self.relation} {_fmt(self.limit)}"


@dataclasses.dataclass(frozen=True)
class VariantResult:
    name: str
    verdict: Literal["disagrees", "agrees", "inconclusive", "error"]
    agreement: Verdict | None
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class ClaimResult:
    id: str
    path: str
    verdict: Outcome
    agreement: Verdict | None
    must_fail: tuple[VariantResult, ...]
    seconds: float
    reason: str = ""
    seed: int = 0
    series: tuple[dict[str, Any], ...] = ()
    cached: bool = False

    @property
    def rerun(self) -> str:
        """The command that reproduces this result, quoted for a POSIX shell: the path is
        whatever the file is called, and pasting the command must run nothing else."""
        command = ["checker", "verify", self.path, "--select", self.id, "--seed", str(self.seed)]
        return shlex.join(command)


def _fmt(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else str(value)
