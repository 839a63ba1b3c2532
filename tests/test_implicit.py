"""The implicit prediction forms, end to end on real JAX measurements: root_of and stationary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from checker.measure import load_plugins
from checker.plan import plan_claim
from checker.run import _kkt_residual, _root, run_plan
from checker.spec import validate_file
from tests.conftest import TOY_CLAIM, write_claim

ROOT_CLAIM = TOY_CLAIM.replace(
    "  expr: mu\n",
    "  root_of: {expr: 'r**3 + r - mu**3 - mu', unknown: r, bracket: [-10, 10]}\n",
).replace(
    "    prediction: {expr: mu + 0.2}",
    "    prediction: {root_of: {expr: 'r - mu - 0.2', unknown: r, bracket: [-10, 10]}}",
)

STATIONARY_CLAIM = """\
id: toy/least-norm
title: The pseudo-inverse solution minimises the Euclidean norm
source: {title: Toy, authors: [Moore, Penrose], year: 1955, where: "Thm 1"}
statement: pinv(A) y minimises |x|^2 subject to A x = y.
symbols:
  x: {doc: "the solution, coordinate-wise"}
  scale: {domain: positive}
prediction:
  stationary: {objective: x**2/2, subject_to: A}
  target: x
measurement:
  name: toy.least_norm
  seeds: 4
sweep:
  scale: [0.5, 2.0]
agreement: {rule: close, atol: 1e-4}
must_fail:
  - name: quartic
    why: the minimum-norm point does not minimise sum(x^4)
    prediction: {stationary: {objective: x**4, subject_to: A}}
  - name: not-minimal
    why: a feasible point off the minimiser
    params: {solution: any}
"""


def _plan(path: Path):
    load_plugins(path.parent.parent)
    loaded = validate_file(path)
    assert not isinstance(loaded, list), loaded
    plan = plan_claim(loaded)
    assert not isinstance(plan, list), [str(p) for p in plan]
    return plan


def _loaded(path: Path):
    load_plugins(path.parent.parent)
    return validate_file(path)


def test_root_of_verifies_and_its_variant_disagrees(project: Path) -> None:
    path = write_claim(project / "claims", "root.yaml", ROOT_CLAIM)
    result = run_plan(_plan(path))
    assert result.verdict == "verified", result
    assert [v.verdict for v in result.must_fail] == ["disagrees"]


def test_stationary_verifies_and_both_variants_disagree(project: Path) -> None:
    path = write_claim(project / "claims", "kkt.yaml", STATIONARY_CLAIM)
    result = run_plan(_plan(path))
    assert result.verdict == "verified", result
    assert result.agreement.figure < 0.01
    assert [v.verdict for v in result.must_fail] == ["disagrees", "disagrees"]


def test_kkt_residual_is_zero_in_the_row_space_and_one_orthogonal_to_it() -> None:
    import sympy as sp

    from checker.plan import Stationary

    x = sp.Symbol("x", real=True)
    a = np.array([[[1.0, 0.0, 0.0]]])
    inside = _kkt_residual(Stationary(x, "A"), "x", {}, {"x": np.array([[2.0, 0, 0]]), "A": a})
    across = _kkt_residual(Stationary(x, "A"), "x", {}, {"x": np.array([[0, 1.0, 0]]), "A": a})
    assert inside[0] == pytest.approx(0, abs=1e-12)
    assert across[0] == pytest.approx(1)


@pytest.mark.parametrize(("pick", "expected"), [("smallest", 1.0), ("largest", 3.0)])
def test_root_picks_among_several(pick: str, expected: float) -> None:
    def cubic(u):
        return (u - 1) * (u - 2) * (u - 3)

    assert _root(cubic, (0.3, 3.7), pick, {}) == pytest.approx(expected, abs=1e-12)


def test_root_refuses_ambiguity_and_absence() -> None:
    from checker.run import MeasurementFailure

    with pytest.raises(MeasurementFailure, match="3 roots"):
        _root(lambda u: (u - 1) * (u - 2) * (u - 3), (0.3, 3.7), "only", {"a": 1.0})
    with pytest.raises(MeasurementFailure, match="no root"):
        _root(lambda u: u**2 + 1, (-1.0, 1.0), "only", {})


def test_stationary_with_a_slope_rule_is_a_lint_error(project: Path) -> None:
    text = STATIONARY_CLAIM.replace(
        "agreement: {rule: close, atol: 1e-4}",
        "agreement: {rule: scaling, variable: scale, tol: 0.1}",
    )
    path = write_claim(project / "claims", "kkt.yaml", text)
    problems = plan_claim(_loaded(path))
    assert isinstance(problems, list)
    assert any("KKT residual" in p.message for p in problems), [p.message for p in problems]


@pytest.mark.parametrize(
    ("prediction", "message"),
    [
        (
            "{expr: mu, root_of: {expr: r, unknown: r, bracket: [0, 1]}, target: mean}",
            "exactly one of",
        ),
        ("{target: mean}", "exactly one of"),
    ],
)
def test_a_prediction_has_exactly_one_form(project: Path, prediction: str, message: str) -> None:
    text = TOY_CLAIM.replace(
        "prediction:\n  expr: mu\n  target: mean\n", f"prediction: {prediction}\n"
    )
    path = write_claim(project / "claims", "bad.yaml", text)
    problems = validate_file(path)
    assert isinstance(problems, list)
    assert any(message in p.message for p in problems), [p.message for p in problems]


def test_root_of_unbound_symbol_names_the_bracket(project: Path) -> None:
    text = ROOT_CLAIM.replace("bracket: [-10, 10]}\n", "bracket: [-10, top]}\n", 1)
    path = write_claim(project / "claims", "root.yaml", text)
    problems = plan_claim(_loaded(path))
    assert isinstance(problems, list)
    assert any(
        "prediction.root_of.bracket.1" in p.message and "'top'" in p.message for p in problems
    )
