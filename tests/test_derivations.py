"""Symbolic derivations: asymptotic exponents, `order: auto` and the closed-form fit, end to end."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from checker import agree, derive
from checker.measure import load_plugins
from checker.plan import Plan, plan_claim
from checker.run import ClaimRunner, run_plan
from checker.spec import ClaimFileError, validate_file
from tests.conftest import TOY_CLAIM, write_claim

ROOT = Path(__file__).resolve().parents[1]
n, c, a = sp.symbols("n c a")

# The spread of N(0, sigma^2) draws grows like sigma; `sigma + 1` has the same asymptotic
# exponent (1) but a range slope of about 0.7 over sigma = 1..8.
SCALING_CLAIM = TOY_CLAIM.replace(
    "  expr: mu\n  target: mean\n", "  expr: sigma + 1\n  target: spread\n"
)
SCALING_CLAIM = SCALING_CLAIM.replace(
    "  mu: [-1.0, 0.5, 2.0]\n", "  mu: [0.0]\n  sigma: [1, 2, 4, 8]\n"
)
SCALING_CLAIM = SCALING_CLAIM.replace(
    "agreement: {rule: interval, confidence: 0.99}",
    "agreement:\n  rule: scaling\n  variable: sigma\n  tol: 0.05\n  exponent: asymptotic\n",
).replace("{expr: mu + 0.2}", "{expr: sigma**2 + 1}")

# The sample mean reaches mu at rate samples^-1/2, stated as f(n) = mu + sigma/sqrt(n).
RATE_CLAIM = TOY_CLAIM.replace("  expr: mu\n", "  expr: mu + sigma/sqrt(samples)\n")
RATE_CLAIM = RATE_CLAIM.replace(
    "  sigma: {domain: positive, doc: the standard deviation}\n",
    "  sigma: {domain: positive, doc: the standard deviation}\n"
    "  samples: {domain: positive_integer, doc: draws per estimate}\n",
)
RATE_CLAIM = (
    RATE_CLAIM.replace(
        "  mu: [-1.0, 0.5, 2.0]\n", "  mu: [0.5]\n  samples: [64, 256, 1024, 4096]\n"
    )
    .replace(
        "agreement: {rule: interval, confidence: 0.99}",
        "agreement: {rule: rate, variable: samples, order: auto, tol: 0.15}",
    )
    .replace(
        "  - name: biased\n    prediction: {expr: mu + 0.2}\n",
        "  - name: order-one\n    prediction: {expr: mu + sigma/samples}\n"
        "  - name: wrong-limit\n    prediction: {expr: mu + 0.3 + sigma/sqrt(samples)}\n",
    )
)

# The sample mean is mu: fitted as C*mu + D (affine), or as C**2*mu (not affine).
FIT_CLAIM = (
    TOY_CLAIM.replace("  expr: mu\n", "  expr: C*mu + D\n  fit: [C, D]\n")
    .replace(
        "  sigma: {domain: positive, doc: the standard deviation}\n",
        "  sigma: {domain: positive, doc: the standard deviation}\n  C: {}\n  D: {}\n",
    )
    .replace("agreement: {rule: interval, confidence: 0.99}", "agreement: {rule: fit, tol: 0.05}")
    .replace("{expr: mu + 0.2}", "{expr: C*mu**2 + D}")
)


def _loaded(path: Path):
    load_plugins(path.parent.parent)
    loaded = validate_file(path)
    assert not isinstance(loaded, list), [str(p) for p in loaded]
    return loaded


def _plan(path: Path) -> Plan:
    plan = plan_claim(_loaded(path))
    assert not isinstance(plan, list), [str(p) for p in plan]
    return plan


def _problems(project: Path, text: str) -> list[ClaimFileError]:
    problems = plan_claim(_loaded(write_claim(project / "claims", "claim.yaml", text)))
    assert isinstance(problems, list), "expected lint errors"
    return problems


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --------------------------------------------------------------------------- derivations


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (c * n**a * (1 + 1 / n), a),
        (sp.log(n), 0),
        (n * sp.log(n), 1),
        (n**2 / sp.log(n), 2),
        (sp.sqrt(n) + sp.log(n) ** 3, sp.Rational(1, 2)),
        (c / (1 + n) ** 2, -2),
        (c, 0),
    ],
)
def test_asymptotic_exponent(expr: sp.Basic, expected: sp.Basic) -> None:
    exponent = derive.asymptotic_exponent(expr, "n", {"c": "positive", "a": "real"})
    assert sp.simplify(exponent - expected) == 0


@pytest.mark.parametrize("expr", [sp.sin(n) + 2, 2**n, sp.exp(sp.sqrt(n))])
def test_an_exponent_sympy_cannot_find_is_not_derivable(expr: sp.Basic) -> None:
    with pytest.raises(derive.NotDerivable, match="no finite limit of d log f / d log n"):
        derive.asymptotic_exponent(expr, "n")


def test_limit_and_order_of_a_finite_n_formula() -> None:
    aspect = sp.Symbol("aspect")
    assert derive.limit_and_order(1 + c / sp.sqrt(n) + 1 / n, "n", {"c": "positive"}) == (
        1,
        sp.Rational(1, 2),
    )
    # Johnstone (2001): the centring of lambda_max/n approaches the edge at rate n^-2/3
    root = sp.sqrt(n - 1) + sp.sqrt(aspect * n)
    edge = (root**2 - sp.Rational(6, 5) * root * (1 / sp.sqrt(n - 1) + 1 / sp.sqrt(aspect * n))
            ** sp.Rational(1, 3)) / n  # fmt: skip
    limit, order = derive.limit_and_order(edge, "n", {"aspect": "positive"})
    assert sp.simplify(limit - (1 + sp.sqrt(aspect)) ** 2) == 0
    assert order == sp.Rational(2, 3)


def test_affine_in_the_fit_constants() -> None:
    d = sp.Symbol("d")
    assert derive.is_affine(c * sp.log(n) + d / n + n, (c, d))
    assert not derive.is_affine(c * d / n, (c, d))
    assert not derive.is_affine(n**c, (c,))


# --------------------------------------------------------------------------- scaling


def test_asymptotic_exponent_verifies_where_the_range_slope_fails(project: Path) -> None:
    plan = _plan(write_claim(project / "claims", "scaling.yaml", SCALING_CLAIM))
    result = run_plan(plan)
    assert result.verdict == "verified", result
    details = result.agreement.details
    assert details["exponent"] == "asymptotic" and details["asymptotic_formula"] == "1"
    slope = details["slopes"][0]
    assert slope["predicted"] == slope["asymptotic_exponent"] == 1.0
    assert 0.6 < slope["range_slope"] < 0.8  # what exponent: range would have compared

    ranged = SCALING_CLAIM.replace("exponent: asymptotic", "exponent: range")
    result = run_plan(_plan(write_claim(project / "claims", "scaling.yaml", ranged)))
    assert result.verdict == "disagrees"
    assert result.agreement.details["slopes"][0]["asymptotic_exponent"] is None  # not derived


def test_a_limit_sympy_cannot_find_is_a_lint_error_at_the_field(project: Path) -> None:
    text = SCALING_CLAIM.replace("expr: sigma + 1", "expr: 2**sigma")
    (problem,) = _problems(project, text)
    assert problem.location.line == _line_of(text, "exponent: asymptotic")
    assert "agreement.exponent" in problem.message and "oo" in problem.message
    assert problem.hint == "use exponent: range"


def test_an_underivable_exponent_is_no_error_with_range(project: Path) -> None:
    text = SCALING_CLAIM.replace("expr: sigma + 1", "expr: 2**sigma").replace(
        "exponent: asymptotic", "exponent: range"
    )
    plan = _plan(write_claim(project / "claims", "scaling.yaml", text))
    assert agree.derived(plan.check.agreement).exponents is None


def test_a_variant_with_an_underivable_prediction_names_the_variant(project: Path) -> None:
    text = SCALING_CLAIM.replace("{expr: sigma**2 + 1}", "{expr: sin(sigma) + 2}")
    (problem,) = _problems(project, text)
    assert problem.message.startswith("must_fail.0.prediction.expr: SymPy finds no finite limit")
    assert problem.location.line == _line_of(text, "sin(sigma) + 2")


def test_a_mutant_re_derives_its_exponent(project: Path) -> None:
    plan = _plan(write_claim(project / "claims", "scaling.yaml", SCALING_CLAIM))
    sigma = next(s for s in plan.check.prediction.free_symbols if s.name == "sigma")
    mutant = dataclasses.replace(plan.check, prediction=sigma**3 + sigma)
    assert agree.derived(mutant.agreement).exponents == {(("mu", 0.0),): 3.0}
    assert agree.derived(plan.check.agreement).exponents == {(("mu", 0.0),): 1.0}


# --------------------------------------------------------------------------- rate


def test_order_auto_derives_limit_and_order_per_check(project: Path) -> None:
    plan = _plan(write_claim(project / "claims", "rate.yaml", RATE_CLAIM))
    assert str(plan.check.prediction) == "mu"
    assert plan.check.agreement.order == 0.5
    order_one, wrong_limit = plan.variants
    assert order_one.agreement.order == 1.0 and str(order_one.prediction) == "mu"
    assert wrong_limit.agreement.order == 0.5
    assert float(wrong_limit.prediction - plan.check.prediction) == pytest.approx(0.3)

    result = run_plan(plan)
    assert result.verdict == "verified", result
    assert result.agreement.details["derived_order"] == "1/2"
    assert result.agreement.details["derived_limit"] == "mu"
    assert [v.verdict for v in result.must_fail] == ["disagrees", "disagrees"]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("mu + 0*samples", "does not depend on samples"),
        ("mu + sin(samples)/samples", "no finite limit"),
        ("mu + samples", "no finite limit"),
        ("mu + sigma/log(samples)", "derived order is 0"),
    ],
)
def test_order_auto_problems_are_lint_errors(project: Path, expr: str, message: str) -> None:
    text = RATE_CLAIM.replace("expr: mu + sigma/sqrt(samples)", f"expr: {expr}")
    problems = _problems(project, text)
    assert any(message in p.message for p in problems), [p.message for p in problems]
    problem = next(p for p in problems if message in p.message)
    assert problem.location.line == _line_of(text, "order: auto")
    assert problem.hint == "give order: as a number"


def test_order_auto_needs_one_order_across_the_sweep(project: Path) -> None:
    text = RATE_CLAIM.replace("expr: mu + sigma/sqrt(samples)", "expr: mu + samples**(-sigma)")
    text = text.replace("  mu: [0.5]\n", "  mu: [0.5]\n  sigma: [0.5, 1.0]\n")
    problems = _problems(project, text)
    assert any("changes across the sweep" in p.message for p in problems)


# --------------------------------------------------------------------------- fit


def _fit_both_ways(plan: Plan, check=None) -> tuple[agree.Verdict, agree.Verdict]:
    """The check's verdict as planned, and with least squares forced (no affine flag)."""
    check = check or plan.check
    runner = ClaimRunner(plan, seed=0)
    planned = runner.evaluate(check).agreement
    plain = agree.with_derived(check.agreement, agree.Derived())
    forced = runner.evaluate(dataclasses.replace(check, agreement=plain)).agreement
    return planned, forced


def test_closed_form_fit_equals_least_squares_when_affine(project: Path) -> None:
    plan = _plan(write_claim(project / "claims", "fit.yaml", FIT_CLAIM))
    closed, lm = _fit_both_ways(plan)
    assert closed.details["method"] == "closed form" and lm.details["method"] == "least squares"
    np.testing.assert_allclose(
        list(closed.details["constants"].values()), list(lm.details["constants"].values()),
        rtol=1e-6, atol=1e-9,
    )  # fmt: skip
    assert closed.details["constants"]["C"] == pytest.approx(1.0, abs=0.05)


def test_least_squares_when_not_affine(project: Path) -> None:
    text = FIT_CLAIM.replace("expr: C*mu + D", "expr: C**2*mu + D")
    plan = _plan(write_claim(project / "claims", "fit.yaml", text))
    assert not agree.derived(plan.check.agreement).affine
    verdict = ClaimRunner(plan, seed=0).evaluate(plan.check).agreement
    assert verdict.details["method"] == "least squares" and verdict.holds


def test_a_wrong_affine_flag_falls_back_to_least_squares(project: Path) -> None:
    text = FIT_CLAIM.replace("expr: C*mu + D", "expr: exp(C)*mu + D")
    plan = _plan(write_claim(project / "claims", "fit.yaml", text))
    flagged = agree.with_derived(plan.check.agreement, agree.Derived(affine=True))
    verdict = ClaimRunner(plan, seed=0).evaluate(dataclasses.replace(plan.check, agreement=flagged))
    assert verdict.agreement.details["method"] == "least squares" and verdict.agreement.holds


def test_closed_form_on_the_shipped_fit_claim() -> None:
    plan = _plan(ROOT / "claims" / "lobacheva2020" / "ensemble-one-over-m.yaml")
    closed, lm = _fit_both_ways(plan)
    assert closed.details["method"] == "closed form"
    (got,), (want,) = closed.details["constants"].values(), lm.details["constants"].values()
    assert got == pytest.approx(want, rel=1e-6)
    assert closed.figure == pytest.approx(lm.figure, rel=1e-5)
