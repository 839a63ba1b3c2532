"""Planning a claim: `where:` helpers that use each other."""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from checker.measure.registry import load_plugins
from checker.plan import plan_claim
from checker.spec import validate_file
from tests.conftest import TOY_CLAIM, write_claim


def _planned(project: Path, text: str):
    path = write_claim(project / "claims", "toy.yaml", text)
    load_plugins(project)
    loaded = validate_file(path)
    assert not isinstance(loaded, list), loaded
    return plan_claim(loaded)


def test_where_helpers_that_use_each_other_expand_fully(project: Path) -> None:
    chained = "  where: {a: b + 1, b: c*2, c: mu/4}\n  expr: a - 1\n"
    plan = _planned(project, TOY_CLAIM.replace("  expr: mu\n", chained))
    assert not isinstance(plan, list), [str(p) for p in plan]
    mu = sp.Symbol("mu", real=True)
    assert sp.simplify(plan.check.prediction - mu / 2) == 0


def test_where_helpers_that_use_each_other_in_a_cycle_are_refused(project: Path) -> None:
    cycle = "  where: {a: b + 1, b: a*2}\n  expr: a + mu\n"
    problems = _planned(project, TOY_CLAIM.replace("  expr: mu\n", cycle))
    assert isinstance(problems, list)
    assert any("a -> b -> a define each other in a cycle" in p.message
               and "prediction.where.a" in str(p) for p in problems)  # fmt: skip
