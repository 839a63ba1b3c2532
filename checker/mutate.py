"""`checker mutate`: how many plausible wrong formulas does each claim's own check reject?

A verified claim is worth as much as its check's power to tell the formula
from its near relatives. Mutants are generated from the SymPy tree of the
prediction (for `root_of` the equation, for `stationary` the objective): each
numeric constant scaled by 1 +/- delta, each exponent shifted by +/- 1/4 and
+/- 1/2, a term's sign flipped, a term dropped, a function swapped for a near
relative (exp <-> cosh, sqrt -> identity, log -> log1p). Each mutant runs
through the claim's own agreement rule on the same measured arrays, so
mutating costs little beyond one run. A mutant is killed only when the check
disagrees; one that errors or is inconclusive survives.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import sympy as sp

from checker.compile import compile_expr, numpy_backend
from checker.plan import Check, Plan, Stationary
from checker.run import ClaimRunner

__all__ = ["MutationResult", "mutants", "mutate_plan"]

_SHIFTS = (sp.Rational(-1, 2), sp.Rational(-1, 4), sp.Rational(1, 4), sp.Rational(1, 2))
_MAX_MUTANTS = 60


@dataclasses.dataclass(frozen=True)
class MutationResult:
    id: str
    total: int
    killed: int
    survivors: tuple[str, ...]
    seconds: float
    reason: str = ""
    equivalent: tuple[str, ...] = ()  # mutants the rule provably cannot see: not counted

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "total": self.total, "killed": self.killed,
                "survivors": list(self.survivors), "equivalent": list(self.equivalent),
                "reason": self.reason}  # fmt: skip


def mutants(expr: sp.Basic, delta: float = 0.2) -> list[sp.Basic]:
    """Distinct mutants of `expr`, none equal to it, in a stable order."""
    seen = {sp.srepr(expr)}
    found = []
    for mutant in _all_mutants(expr, delta):
        key = sp.srepr(mutant)
        if key not in seen:
            seen.add(key)
            found.append(mutant)
        if len(found) >= _MAX_MUTANTS:
            break
    return found


def _all_mutants(expr: sp.Basic, delta: float) -> Iterator[sp.Basic]:
    for node in sp.preorder_traversal(expr):
        yield from (expr.xreplace({node: m}) for m in _local(node, delta))


def _local(node: sp.Basic, delta: float) -> Iterator[sp.Basic]:
    """Mutants of one node, replacing it in place."""
    if node.is_Number and node not in (sp.S.Zero, sp.S.One, sp.S.NegativeOne):
        yield node * (1 + sp.Float(delta))
        yield node * (1 - sp.Float(delta))
    if isinstance(node, sp.Pow):
        base, exponent = node.args
        for shift in _SHIFTS:
            yield sp.Pow(base, exponent + shift)
    if isinstance(node, sp.Add) and len(node.args) >= 2:
        for i, term in enumerate(node.args):
            yield sp.Add(*node.args[:i], *node.args[i + 1 :])  # a term dropped
            yield sp.Add(*node.args[:i], -term, *node.args[i + 1 :])  # a sign flipped
    if isinstance(node, sp.exp):
        yield sp.cosh(node.args[0])
    if isinstance(node, sp.cosh):
        yield sp.exp(node.args[0])
    if isinstance(node, sp.log):
        yield sp.log(1 + node.args[0])
    if isinstance(node, sp.Pow) and node.args[1] == sp.Rational(1, 2):
        yield node.args[0]  # sqrt -> identity


def mutate_plan(plan: Plan, seed: int = 0, delta: float = 0.2) -> MutationResult:
    """Run every mutant of the claim's prediction through the claim's own check."""
    started = time.perf_counter()
    runner = ClaimRunner(plan, seed)
    check = plan.check
    try:
        baseline = runner.evaluate(check)
    except Exception as exc:
        return MutationResult(plan.claim.id, 0, 0, (), time.perf_counter() - started,
                              f"the claim itself failed to run: {exc}")  # fmt: skip
    if baseline.verdict != "agrees":
        return MutationResult(plan.claim.id, 0, 0, (), time.perf_counter() - started,
                              f"the claim itself {baseline.verdict}; nothing to mutate")  # fmt: skip
    killed, survivors, equivalent = 0, [], []
    blind_to = _invariant_symbol(plan)
    candidates = mutants(check.prediction, delta)
    for i, mutant in enumerate(candidates):
        if blind_to is not None and _factor_free_of(mutant, check.prediction, blind_to):
            equivalent.append(str(mutant))
        elif _killed(runner, _with_prediction(check, mutant, plan, i)):
            killed += 1
        else:
            survivors.append(str(mutant))
    return MutationResult(plan.claim.id, len(candidates) - len(equivalent), killed,
                          tuple(survivors), time.perf_counter() - started,
                          equivalent=tuple(equivalent))  # fmt: skip


def _invariant_symbol(plan: Plan) -> sp.Symbol | None:
    """The symbol a rule looks along, when it cannot see a factor constant in it.

    A scaling rule compares log-log slopes in its variable, so a factor free of
    that variable changes nothing; a stationary objective has the same
    minimiser when multiplied by a factor free of the point. Mutants that only
    add such a factor are equivalent mutants: reported, not counted.
    """
    check = plan.check
    if isinstance(check.implicit, Stationary):
        name = plan.claim.prediction.target
    elif check.agreement.rule == "scaling":
        name = check.agreement.variable
    else:
        return None
    return next((s for s in check.prediction.free_symbols if s.name == name), None)


def _factor_free_of(mutant: sp.Basic, original: sp.Basic, symbol: sp.Symbol) -> bool:
    """d log(mutant/original) / d symbol is 0 at random points (numerically: simplify is slow)."""
    change = sp.diff(sp.log(mutant) - sp.log(original), symbol)
    symbols = sorted(change.free_symbols, key=str)
    function = compile_expr(change, symbols, numpy_backend())
    rng = np.random.default_rng(0)
    with np.errstate(all="ignore"):
        values = function(*(rng.uniform(0.3, 3.0, 16) for _ in symbols))
    values = np.broadcast_to(np.asarray(values, float), (16,))
    finite = np.isfinite(values)
    return bool(finite.sum() >= 8 and np.all(np.abs(values[finite]) < 1e-9))


def _with_prediction(check: Check, mutant: sp.Basic, plan: Plan, index: int) -> Check:
    implicit = check.implicit
    if isinstance(implicit, Stationary):
        target = next(
            (s for s in mutant.free_symbols if s.name == plan.claim.prediction.target), None
        )
        gradient = sp.diff(mutant, target) if target is not None else sp.S.Zero
        implicit = dataclasses.replace(implicit, gradient=gradient)
    return dataclasses.replace(check, name=f"mutant {index}", prediction=mutant, implicit=implicit)


def _killed(runner: ClaimRunner, check: Check) -> bool:
    try:
        return runner.evaluate(check).verdict == "disagrees"
    except Exception:
        return False  # an error is not a kill
