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

from checker.compile import CompileError, compile_expr, numpy_backend
from checker.derive import NotDerivable, asymptotic_exponent
from checker.plan import Check, Plan, RootOf, Stationary
from checker.run import ClaimRunner

__all__ = ["Mutant", "MutationResult", "described_mutants", "mutants", "mutate_plan"]

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
    changes: tuple[str, ...] = ()  # what each survivor changed, aligned with `survivors`
    outcomes: tuple[str, ...] = ()  # why each survived: its verdict, or the error it raised

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "total": self.total, "killed": self.killed,
                "survivors": list(self.survivors), "changes": list(self.changes),
                "outcomes": list(self.outcomes), "equivalent": list(self.equivalent),
                "reason": self.reason}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Mutant:
    """A wrong formula and the one change that made it, for a reader of the survivors."""

    expr: sp.Basic
    change: str


def mutants(expr: sp.Basic, delta: float = 0.2) -> list[sp.Basic]:
    """Distinct mutant formulas of `expr`, none equal to it, in a stable order."""
    return [m.expr for m in described_mutants(expr, delta)]


def described_mutants(expr: sp.Basic, delta: float = 0.2) -> list[Mutant]:
    """Distinct mutants of `expr` with their changes.

    One site is changed per mutant (as in mutation testing of code), so a
    constant that occurs twice gives two mutants. A large tree is sampled
    evenly down to `_MAX_MUTANTS`, so every part of the formula is tried.
    """
    seen = {sp.srepr(expr)}
    found = []
    for mutant in _all_mutants(expr, delta, root=True):
        key = sp.srepr(mutant.expr)
        if key not in seen:
            seen.add(key)
            found.append(mutant)
    if len(found) > _MAX_MUTANTS:
        picks = np.linspace(0, len(found) - 1, _MAX_MUTANTS).round().astype(int)
        found = [found[i] for i in picks]
    return found


def _all_mutants(node: sp.Basic, delta: float, root: bool = False) -> Iterator[Mutant]:
    """Mutants of the tree under `node`: its own, then each child's in place."""
    for replacement in _local(node, delta, root):
        yield Mutant(replacement, f"{_short(node)} -> {_short(replacement)}")
    for i, arg in enumerate(node.args):
        if isinstance(arg, sp.Expr):
            for mutant in _all_mutants(arg, delta):
                rebuilt = node.func(*node.args[:i], mutant.expr, *node.args[i + 1 :])
                yield Mutant(rebuilt, mutant.change)


def _short(node: sp.Basic, limit: int = 60) -> str:
    text = str(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _local(node: sp.Basic, delta: float, root: bool) -> Iterator[sp.Basic]:
    """Mutants of one node, replacing it in place."""
    scale = (1 + sp.Float(delta), 1 - sp.Float(delta))
    if root and not node.is_Number:
        yield from (factor * node for factor in scale)  # the leading constant, implicitly 1
    if node.is_Number and (root or node not in (sp.S.Zero, sp.S.One, sp.S.NegativeOne)):
        yield from (node * factor for factor in scale) if node != 0 else (sp.Float(delta),)
    if isinstance(node, sp.Pow):
        base, exponent = node.args
        for shift in _SHIFTS:
            yield sp.Pow(base, exponent + shift)
    if root and isinstance(node, sp.Symbol):  # a bare symbol: its exponent, implicitly 1
        for shift in _SHIFTS:
            yield sp.Pow(node, 1 + shift)
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
    candidates = described_mutants(check.prediction, delta)
    changes, outcomes = [], []
    for i, mutant in enumerate(candidates):
        if _equivalent(plan, mutant.expr, runner):
            equivalent.append(str(mutant.expr))
            continue
        outcome = _outcome(runner, _with_prediction(check, mutant.expr, plan, i))
        if outcome == "disagrees":
            killed += 1
        else:
            survivors.append(str(mutant.expr))
            changes.append(mutant.change)
            outcomes.append(outcome)
    return MutationResult(plan.claim.id, len(candidates) - len(equivalent), killed,
                          tuple(survivors), time.perf_counter() - started,
                          equivalent=tuple(equivalent), changes=tuple(changes),
                          outcomes=tuple(outcomes))  # fmt: skip


def _equivalent(plan: Plan, mutant: sp.Basic, runner: ClaimRunner) -> bool:
    """Whether the rule provably cannot tell `mutant` from the prediction, on any data.

    Such equivalent mutants are reported, not counted. A scaling rule compares
    log-log slopes in its variable, so a factor free of that variable changes
    nothing (and with `exponent: asymptotic`, neither does a lower-order term). A stationary objective keeps its stationary points when its
    gradient in the point is multiplied by a factor free of the point (an
    added constant, an overall scale). An equation keeps its roots when
    multiplied by a factor free of its unknown. A fit rule sees only the family of
    curves its free constants span over the claim's own points: a mutant that
    spans the same family there (a fitted constant's sign flipped, a term the
    constants absorb) gets the same fit, whatever the seed.
    """
    check = plan.check
    original = check.prediction

    def symbol(name: str) -> sp.Symbol | None:
        return next((s for s in original.free_symbols if s.name == name), None)

    if isinstance(check.implicit, Stationary):
        point = symbol(plan.claim.prediction.target)
        return point is not None and _factor_free_of(
            sp.diff(mutant, point), sp.diff(original, point), point
        )
    if isinstance(check.implicit, RootOf):  # the same roots, times a factor free of the unknown
        return _factor_free_of(mutant, original, check.implicit.unknown)
    if check.agreement.rule == "scaling":
        variable = symbol(check.agreement.variable)
        if variable is not None and getattr(check.agreement, "exponent", "") == "asymptotic":
            return _same_asymptotic_exponent(mutant, original, variable, plan)
        return variable is not None and _factor_free_of(mutant, original, variable)
    if check.fit:
        return _same_affine_family(mutant, original, check.fit, runner.values(check))
    return False


def _same_asymptotic_exponent(
    mutant: sp.Basic, original: sp.Basic, variable: sp.Symbol, plan: Plan
) -> bool:
    """An asymptotic scaling rule sees only the leading exponent: lower orders are invisible."""
    domains = {name: symbol.domain for name, symbol in plan.claim.symbols.items()}
    try:
        exponents = [asymptotic_exponent(e, variable.name, domains) for e in (mutant, original)]
    except NotDerivable:
        return False  # no proof, so the mutant counts (its own check will say why)
    (difference,) = _probe([exponents[0] - exponents[1]])
    return bool(np.all(np.abs(difference) < 1e-9))


_PROBES = 48  # random points at which two formulas are compared numerically


def _positive(rng: np.random.Generator) -> np.ndarray:
    """Half below 1 (a fraction p keeps (1 - p)**x real), half above (powers and scales)."""
    below, above = rng.uniform(0.05, 0.95, _PROBES), rng.uniform(1.05, 3.0, _PROBES)
    return np.where(rng.random(_PROBES) < 0.5, below, above)


def _probe(expressions: list[sp.Basic]) -> list[np.ndarray]:
    """Each expression at the same random positive points (simplify is slow and incomplete).

    NaN throughout where an expression cannot be compiled (a derivative that
    brought in DiracDelta, say): no proof of equivalence, so the mutant counts.
    """
    symbols = sorted(set().union(*(e.free_symbols for e in expressions)), key=str)
    rng = np.random.default_rng(0)
    at = [_positive(rng) for _ in symbols]
    values = []
    with np.errstate(all="ignore"):
        for expression in expressions:
            try:
                value = np.asarray(compile_expr(expression, symbols, numpy_backend())(*at), complex)
            except CompileError:
                value = np.asarray(np.nan, complex)
            values.append(np.broadcast_to(value, (_PROBES,)))
    return values


def _factor_free_of(mutant: sp.Basic, original: sp.Basic, symbol: sp.Symbol) -> bool:
    """d log(mutant/original) / d symbol is 0 at random points."""
    (values,) = _probe([sp.diff(sp.log(mutant) - sp.log(original), symbol)])
    finite = np.isfinite(values)
    return bool(finite.sum() >= _PROBES // 4 and np.all(np.abs(values[finite]) < 1e-9))


def _same_affine_family(
    mutant: sp.Basic,
    original: sp.Basic,
    constants: tuple[sp.Symbol, ...],
    rows: list[dict[str, Any]],
) -> bool:
    """Both are g0 + sum c_i g_i, spanning the same curves at the claim's points.

    `rows` are the points' bound values (seeds first); the fit compares seed
    means, so the parts are seed means too.
    """
    parts = [_affine_parts(e, constants) for e in (original, mutant)]
    if parts[0] is None or parts[1] is None:
        return False  # not linear in its constants: no cheap proof, so counted
    columns = [_column(part, rows) for part in (*parts[0], *parts[1])]
    if any(c is None for c in columns):
        return False
    k = len(constants) + 1
    offset_a, basis_a = columns[0], np.stack(columns[1:k], axis=1)
    offset_b, basis_b = columns[k], np.stack(columns[k + 1 :], axis=1)
    rank = np.linalg.matrix_rank
    same_span = rank(basis_a) == rank(basis_b) == rank(np.column_stack([basis_a, basis_b]))
    offset_in_span = rank(np.column_stack([basis_a, offset_b - offset_a])) == rank(basis_a)
    return bool(same_span and offset_in_span)


def _column(part: sp.Basic, rows: list[dict[str, Any]]) -> np.ndarray | None:
    """A formula's seed mean at each point, flattened; None where it is not finite."""
    symbols = sorted(part.free_symbols, key=str)
    try:
        function = compile_expr(part, symbols, numpy_backend())
        with np.errstate(all="ignore"):
            values = [_seed_mean(function(*(row[s.name] for s in symbols)), row) for row in rows]
    except (CompileError, KeyError):
        return None
    column = np.concatenate(values)
    return column if np.all(np.isfinite(column)) else None


def _seed_mean(value: Any, row: dict[str, Any]) -> np.ndarray:
    shape = np.broadcast_shapes(*(np.shape(v) for v in row.values()))
    full = np.broadcast_to(np.asarray(value, float), shape)
    return np.ravel(full.mean(axis=0) if full.ndim else full)


def _affine_parts(expression: sp.Basic, constants: tuple[sp.Symbol, ...]) -> list[sp.Basic] | None:
    """[g0, g1, ...] with expression = g0 + sum c_i g_i, or None when it is not affine."""
    slopes = [sp.diff(expression, c) for c in constants]
    if any(slope.free_symbols & set(constants) for slope in slopes):
        return None
    return [expression.subs({c: 0 for c in constants}), *slopes]


def _with_prediction(check: Check, mutant: sp.Basic, plan: Plan, index: int) -> Check:
    implicit = check.implicit
    if isinstance(implicit, Stationary):
        target = next(
            (s for s in mutant.free_symbols if s.name == plan.claim.prediction.target), None
        )
        gradient = sp.diff(mutant, target) if target is not None else sp.S.Zero
        implicit = dataclasses.replace(implicit, gradient=gradient)
    return dataclasses.replace(check, name=f"mutant {index}", prediction=mutant, implicit=implicit)


def _outcome(runner: ClaimRunner, check: Check) -> str:
    """The mutant's verdict; only "disagrees" is a kill, so an error survives."""
    try:
        return runner.evaluate(check).verdict
    except Exception as exc:
        return f"error: {type(exc).__name__}: {exc}"[:200]
