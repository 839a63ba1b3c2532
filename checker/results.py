"""What running a claim produced: its verdict, its must-fail variants' results, its time.

Kept apart from the rules and the runner so that a re-run served wholly from
the result cache, and the reports it writes, import neither JAX, SymPy nor
NumPy.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import shlex
from typing import Any, Literal

__all__ = ["MASTER_SEEDS", "ClaimResult", "Outcome", "VariantResult", "Verdict", "master_seed"]

# The master seeds `jax.random.PRNGKey` takes as they are: outside this range a seed
# is wrapped or overflows, and two different seeds would silently run the same keys.
MASTER_SEEDS = range(2**32)


def master_seed(text: str) -> int:
    """A command-line master seed, refused outside `MASTER_SEEDS` rather than aliased."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if value not in MASTER_SEEDS:
        raise argparse.ArgumentTypeError(
            f"seeds run from 0 to {MASTER_SEEDS[-1]} (2**32 - 1), got {text}"
        )
    return value


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
