"""`checker falsify`: a counterexample for an over-broad claim, none for a correct one."""

from __future__ import annotations

from pathlib import Path

from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim

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
    out = capsys.readouterr().out
    assert "no counterexample in" in out and "mu in [" in out


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
