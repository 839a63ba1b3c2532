"""`checker falsify`: look for a point, beyond the claim's own sweep, where it disagrees.

A claim is verified on the grid its author chose; the theorem speaks of every
point its hypotheses allow. This searches that larger region for a
counterexample, in the spirit of QuickCheck and Hypothesis: random points of
the swept inputs drawn from a region around the sweep that respects each
symbol's domain and every `require` hypothesis (except one dropped with
`--drop`, to learn whether it bears load), checked with the claim's own rule
at each point, then shrunk towards the sweep: the simplest counterexample is
the one nearest the points the author already trusts. Only pointwise rules
(close, interval, bound) can be falsified one point at a time.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from checker.compile import compile_expr, numpy_backend
from checker.expr import parse_expr, symbols_for
from checker.plan import DOMAINS, Check, Plan
from checker.run import ClaimRunner

__all__ = ["Counterexample", "FalsifyResult", "falsify"]

POINTWISE = ("close", "interval", "bound")
_BATCH = 8
_SHRINK_STEPS = 10


@dataclasses.dataclass(frozen=True)
class Counterexample:
    point: dict[str, float]
    figure: str


@dataclasses.dataclass(frozen=True)
class FalsifyResult:
    id: str
    found: Counterexample | None
    tried: int
    region: dict[str, tuple[float, float]]
    reason: str = ""


def falsify(
    plan: Plan, budget: float = 60.0, seed: int = 0, drop: str | None = None
) -> FalsifyResult:
    """Search the allowed region for a disagreeing point within `budget` seconds."""
    check, claim = plan.check, plan.claim
    if check.agreement.rule not in POINTWISE:
        return FalsifyResult(claim.id, None, 0, {}, f"rule {check.agreement.rule!r} is not "
                             f"pointwise; falsify handles {', '.join(POINTWISE)}")  # fmt: skip
    inputs = [k for k in claim.sweep if k in plan.measurement.inputs]
    if not inputs:
        return FalsifyResult(claim.id, None, 0, {}, "no swept traced input to search over")
    region = {k: _region(claim.sweep[k], _domain(plan, k)) for k in inputs}
    allowed = _Allowed(plan, drop)
    runner = ClaimRunner(plan, seed)
    rng = np.random.default_rng(seed)
    started, tried = time.perf_counter(), 0
    while time.perf_counter() - started < budget:
        points = [p for p in (_draw(rng, region, check) for _ in range(_BATCH)) if allowed(p)]
        tried += len(points)
        for point, verdict in zip(points, _verdicts(runner, check, points), strict=True):
            if verdict is not None and not verdict.holds:
                found = _shrink(runner, check, point, allowed, plan)
                return FalsifyResult(claim.id, found, tried, region)
    return FalsifyResult(claim.id, None, tried, region)


def _region(values: list[float], domain: str) -> tuple[float, float]:
    """Three times the swept range, around it, clipped to the symbol's domain."""
    low, high = float(min(values)), float(max(values))
    width = max(high - low, abs(low), abs(high), 1.0)
    low, high = low - width, high + width
    if domain in ("positive", "positive_integer"):
        low = max(low, min(values) / 10 if min(values) > 0 else 1e-3)
    if domain in ("nonnegative", "unit_interval"):
        low = max(low, 0.0)
    if domain == "unit_interval":
        high = min(high, 1.0)
    if domain == "negative":
        high = min(high, max(values) / 10)
    return low, high


def _domain(plan: Plan, name: str) -> str:
    symbol = plan.claim.symbols.get(name)
    return symbol.domain if symbol else "real"


def _draw(
    rng: np.random.Generator, region: Mapping[str, tuple[float, float]], check: Check
) -> dict:
    base = dict(check.sweep[0])
    for name, (low, high) in region.items():
        base[name] = float(rng.uniform(low, high))
    return base


class _Allowed:
    """Symbol domains and `require` hypotheses (all but the dropped one) at a point."""

    def __init__(self, plan: Plan, drop: str | None) -> None:
        names = symbols_for(plan.claim.symbols)
        self.plan = plan
        self.conditions = []
        for hypothesis in plan.claim.hypotheses:
            if hypothesis.require is None or hypothesis.name == drop:
                continue
            expr = parse_expr(hypothesis.require, names, allow_compare=True)
            symbols = sorted(expr.free_symbols, key=str)
            self.conditions.append((symbols, compile_expr(expr, symbols, numpy_backend())))

    def __call__(self, point: Mapping[str, float]) -> bool:
        values = {**self._params(), **point}
        for name, value in point.items():
            if not DOMAINS[_domain(self.plan, name)](value):
                return False
        for symbols, condition in self.conditions:
            if any(str(s) not in values for s in symbols):
                return False
            with np.errstate(all="ignore"):
                if not bool(np.all(condition(*(np.float64(values[str(s)]) for s in symbols)))):
                    return False
        return True

    def _params(self) -> dict[str, float]:
        merged = {**self.plan.check.params}
        return {k: float(v) for k, v in merged.items() if isinstance(v, int | float)}


def _verdicts(runner: ClaimRunner, check: Check, points: list[dict]) -> list[Any]:
    if not points:
        return []
    return runner.pointwise(dataclasses.replace(check, name="falsify", sweep=tuple(points)))


def _shrink(
    runner: ClaimRunner, check: Check, point: dict, allowed: _Allowed, plan: Plan
) -> Counterexample:
    """Bisect towards the nearest swept point while the claim still disagrees there."""
    anchor = min(check.sweep, key=lambda p: sum((p[k] - point[k]) ** 2 for k in p if k in point))
    bad, good = dict(point), dict(anchor)
    verdict = _verdicts(runner, check, [bad])[0]
    for _ in range(_SHRINK_STEPS):
        middle = {k: (bad[k] + good[k]) / 2 if k in good else v for k, v in bad.items()}
        if not allowed(middle):
            break
        result = _verdicts(runner, check, [middle])[0]
        if result is not None and not result.holds:
            bad, verdict = middle, result
        else:
            good = middle
    rounded = {k: float(f"{v:.3g}") for k, v in bad.items()}
    if rounded != bad and allowed(rounded):
        result = _verdicts(runner, check, [rounded])[0]
        if result is not None and not result.holds:
            bad, verdict = rounded, result
    return Counterexample(bad, verdict.describe() if verdict is not None else "")
