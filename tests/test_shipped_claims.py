"""The shipped library: every claim lints clean, and a wrong formula turns it red.

The claims' own verification runs in `.ci/run` (`checker verify claims/`); here
each claim's prediction is multiplied by 1.2, and the same check must reject it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from checker.plan import Check, RootOf, Stationary, plan_claim
from checker.run import run_plan
from checker.spec import ClaimFile, claim_files, validate_file
from checker.verify import lint

CLAIMS = Path(__file__).resolve().parents[1] / "claims"
FILES = claim_files([CLAIMS])


def test_library_lints_clean() -> None:
    library = lint([CLAIMS])
    assert not library.problems, "\n".join(map(str, library.problems))
    assert len(library.plans) >= 30
    assert len({plan.claim.paper for plan in library.plans}) >= 15
    rules = {plan.claim.agreement.rule for plan in library.plans}
    assert rules == {"close", "interval", "scaling", "bound", "fit", "rate"}, rules
    forms = {plan.claim.prediction.form for plan in library.plans}
    assert forms == {"expr", "root_of", "stationary"}, forms


def scaled_by(check: Check, factor: float, target: str) -> Check:
    """The same check, predicting `factor` times the claim's value.

    An explicit prediction is multiplied (for a scaling rule, raised to the
    power `factor`: its log-log slope is what is multiplied); a root is moved by substituting
    u -> u/factor (and the bracket with it); a stationary claim is told the
    measured point is `factor` times the minimiser: objective Q(x/factor).
    """
    form = check.implicit
    if isinstance(form, RootOf):
        moved = check.prediction.subs(form.unknown, form.unknown / factor)
        bracket = dataclasses.replace(form, low=form.low * factor, high=form.high * factor)
        return dataclasses.replace(check, prediction=moved, implicit=bracket)
    if isinstance(form, Stationary):
        x = next(s for s in form.gradient.free_symbols if s.name == target)
        gradient = form.gradient.subs(x, x / factor) / factor
        return dataclasses.replace(check, implicit=dataclasses.replace(form, gradient=gradient))
    if check.agreement.rule == "scaling":  # a constant factor leaves a log-log slope alone
        return dataclasses.replace(check, prediction=check.prediction**factor)
    return dataclasses.replace(check, prediction=check.prediction * factor)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CLAIMS)))
def test_prediction_times_1_2_is_not_verified(path: Path) -> None:
    claim_file = validate_file(path)
    assert isinstance(claim_file, ClaimFile)
    plan = plan_claim(claim_file)
    assert not isinstance(plan, list), plan
    target = claim_file.claim.prediction.target
    wrong = dataclasses.replace(plan, check=scaled_by(plan.check, 1.2, target), variants=())
    result = run_plan(wrong, seed=0)
    assert result.verdict == "disagrees", (result.verdict, result.agreement, result.reason)


def test_claims_readme_lists_every_claim() -> None:
    listed = (CLAIMS / "README.md").read_text()
    missing = [p.claim.id for p in lint([CLAIMS]).plans if f"`{p.claim.id}`" not in listed]
    assert not missing, f"regenerate claims/README.md (checker list --markdown): {missing}"
