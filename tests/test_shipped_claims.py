"""The shipped library: every claim lints clean, and a wrong formula turns it red.

The claims' own verification runs in `.ci/run` (`checker verify claims/`); here
each claim's prediction is multiplied by 1.2, and the same check must reject it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.plan import plan_claim
from checker.run import run_plan
from checker.spec import ClaimFile, claim_files, validate_file
from checker.verify import lint

CLAIMS = Path(__file__).resolve().parents[1] / "claims"
FILES = claim_files([CLAIMS])


def test_library_lints_clean() -> None:
    library = lint([CLAIMS])
    assert not library.problems, "\n".join(map(str, library.problems))
    assert len(library.plans) >= 5
    assert len({plan.claim.paper for plan in library.plans}) >= 5
    rules = {plan.claim.agreement.rule for plan in library.plans}
    assert len(rules) >= 4, rules


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CLAIMS)))
def test_prediction_times_1_2_is_not_verified(path: Path) -> None:
    claim_file = validate_file(path)
    assert isinstance(claim_file, ClaimFile)
    claim = claim_file.claim
    wrong = claim.prediction.model_copy(update={"expr": f"({claim.prediction.expr})*1.2"})
    mutated = ClaimFile(claim.model_copy(update={"prediction": wrong}), path, claim_file.located)
    plan = plan_claim(mutated)
    assert not isinstance(plan, list), plan
    result = run_plan(plan, seed=0)
    assert result.verdict == "disagrees", (result.verdict, result.agreement, result.reason)
