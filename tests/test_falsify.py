"""`checker falsify`: a counterexample for an over-broad claim, none for a correct one."""

from __future__ import annotations

from pathlib import Path

import lazy_loader as lazy
import numpy as np
import pydantic

from checker import falsify as falsify_module
from checker.cli import main
from checker.falsify import falsify
from checker.measure.registry import load_plugins, measurement
from checker.plan import Plan
from checker.verify import lint
from tests.conftest import TOY_CLAIM, write_claim

jax = lazy.load("jax")

# True only for mu >= 0, yet the domain says real and the sweep has only positive values.
OVER_BROAD = (
    TOY_CLAIM.replace("toy/gaussian-mean", "toy/over-broad")
    .replace("  expr: mu\n", "  expr: Abs(mu)\n")
    .replace("  mu: [-1.0, 0.5, 2.0]", "  mu: [0.5, 1.0, 2.0]")
    .replace("    prediction: {expr: mu + 0.2}", "    prediction: {expr: Abs(mu) + 0.2}")
)
# The same claim with the condition stated as a hypothesis: correct where it applies.
STATED = OVER_BROAD.replace("toy/over-broad", "toy/stated").replace(
    "hypotheses:\n", "hypotheses:\n  - name: nonnegative-mean\n    require: mu >= 0\n"
)


def test_finds_and_shrinks_a_counterexample_for_an_over_broad_claim(project: Path, capsys) -> None:
    write_claim(project / "claims", "broad.yaml", OVER_BROAD)
    assert main(["verify", "claims", "--report-dir", "out"]) == 0  # its own sweep hides it
    capsys.readouterr()
    assert main(["falsify", "toy/over-broad", "claims", "--budget", "60"]) == 1
    out = capsys.readouterr().out
    assert "toy/over-broad: counterexample at mu=-" in out
    mu = float(out.split("mu=")[1].split()[0].rstrip(","))
    assert -3.0 < mu < 0  # shrunk towards the sweep, not far out in the region


def test_reports_none_for_a_correct_claim_within_its_budget(project: Path, capsys) -> None:
    write_claim(project / "claims", "stated.yaml", STATED)
    assert main(["falsify", "toy/stated", "claims", "--budget", "8"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "no counterexample in" in out and "mu in [" in out
    assert "search: gradient ascent (" in out  # the toy mean is differentiable in mu


def test_dropping_the_hypothesis_that_bears_load_finds_the_failure(project: Path, capsys) -> None:
    write_claim(project / "claims", "stated.yaml", STATED)
    code = main(["falsify", "toy/stated", "claims", "--budget", "60", "--drop", "nonnegative-mean"])
    assert code == 1
    assert "counterexample without hypothesis 'nonnegative-mean' at mu=-" in capsys.readouterr().out


def test_unknown_hypothesis_and_non_pointwise_rules_are_refused(project: Path, capsys) -> None:
    write_claim(project / "claims", "stated.yaml", STATED)
    assert main(["falsify", "toy/stated", "claims", "--drop", "no-such"]) == 2
    assert "these bear on parameters: finite-variance, nonnegative-mean" in capsys.readouterr().err
    scaling = STATED.replace("agreement: {rule: interval, confidence: 0.99}",
                             "agreement: {rule: scaling, variable: mu, tol: 0.1}")  # fmt: skip
    write_claim(project / "claims", "stated.yaml", scaling)
    assert main(["falsify", "toy/stated", "claims"]) == 2
    assert "rule 'scaling' is not pointwise" in capsys.readouterr().out


# A measurement that follows x except for a narrow bump of height 0.3 at x = 3.3: with
# atol 0.299 the claim "y = x" fails only within 0.02 of the bump's top (0.6 % of the
# searched region), which random draws rarely hit; the bump's slope leads an ascent there.
class BumpParams(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")
    rounded: bool = False  # x rounded to quarters first: the output's derivative is then 0


@measurement("falsify_test.bump", params=BumpParams, outputs=["y"])
def bump(key, params: BumpParams, *, x):
    at = jax.numpy.round(4 * x) / 4 if params.rounded else x
    return {"y": at + 0.3 / (1 + ((at - 3.3) / 0.3) ** 2) + 1e-4 * jax.random.normal(key)}


NARROW = """\
id: toy/narrow
title: A measurement that follows its input
source: {title: A toy source for the tests, authors: [Gauss], year: 1809, where: "Sec. 1"}
statement: y equals x, give or take 0.299.
symbols:
  x: {domain: real, doc: the input}
prediction: {expr: x, target: y}
measurement: {name: falsify_test.bump, params: {}, seeds: 4}
sweep:
  x: [0.5, 1.0, 2.0]
agreement: {rule: close, atol: 0.299}
must_fail:
  - name: shifted
    prediction: {expr: x + 1}
"""


def _plan(folder: Path, name: str, text: str) -> Plan:
    write_claim(folder, name, text)
    load_plugins(folder.parent)  # the project's toy measurements, as the CLI loads them
    library = lint([folder / name])
    assert not library.problems, library.problems
    return library.plans[0]


def test_gradient_ascent_finds_a_narrow_failure_random_draws_rarely_hit(project: Path) -> None:
    plan = _plan(project / "claims", "narrow.yaml", NARROW)
    climbed = falsify(plan, budget=60, seed=0, max_evaluations=60)
    drawn = falsify(plan, budget=60, seed=0, strategy="random", max_evaluations=60)
    assert climbed.strategy == "gradient" and climbed.gradient_steps > 0
    assert climbed.found is not None and climbed.found.found_by == "gradient"
    assert abs(climbed.found.point["x"] - 3.3) < 0.03  # confirmed by the rule, not by JAX
    assert drawn.strategy == "random" and drawn.found is None and drawn.evaluations == 60
    longer = falsify(plan, budget=60, seed=0, strategy="random", max_evaluations=2000)
    assert longer.found is not None  # the same failure, at several times the cost
    assert longer.evaluations > 2 * climbed.evaluations


def test_the_search_is_reproducible_for_a_seed(project: Path) -> None:
    plan = _plan(project / "claims", "narrow.yaml", NARROW)
    first, again = (falsify(plan, budget=60, seed=3, max_evaluations=60) for _ in range(2))
    assert first.found == again.found and first.evaluations == again.evaluations


def test_a_measurement_without_a_derivative_falls_back_to_random_draws(
    project: Path, capsys
) -> None:
    rounded = NARROW.replace("params: {}", "params: {rounded: true}")
    write_claim(project / "claims", "narrow.yaml", rounded)
    assert main(["falsify", "toy/narrow", "claims", "--budget", "30"]) == 1
    out = " ".join(capsys.readouterr().out.split())  # rounding to quarters is off by 0.125
    assert "toy/narrow: counterexample at x=" in out and "found by random search" in out
    assert "search: random draws (the measurement's derivative in x is zero" in out


def test_the_margin_the_ascent_climbs_is_the_rules_own(project: Path) -> None:
    """The JAX margin equals the rule's figure minus its limit (checker.agree) at any point."""
    bound = STATED.replace("agreement: {rule: interval, confidence: 0.99}",
                           "agreement: {rule: bound, side: upper, slack: 0.01}")  # fmt: skip
    for name, text in (("narrow", NARROW), ("interval", STATED), ("bound", bound)):
        plan = _plan(project / "claims", f"{name}.yaml", text)
        region = {k: falsify_module._region(v, "real") for k, v in plan.claim.sweep.items()}
        allowed = falsify_module._Allowed(plan, None)
        search = falsify_module._Search(plan, region, allowed, 0, float("inf"), None)
        points = search.draw()[:4]
        rule = [falsify_module._margin(v) for v in falsify_module._verdicts(
            search.runner, plan.check, points)]  # fmt: skip
        ascent, _ = falsify_module._Ascent.build(search)
        names = ascent.names
        jax_margin, _, _ = ascent.margin(np.array([[p[n] for n in names] for p in points]),
                                         np.zeros((len(points), 0)))  # fmt: skip
        np.testing.assert_allclose(jax_margin, rule, rtol=1e-3, atol=1e-4, err_msg=name)
