"""Honest statistics: a `close` check whose seed noise exceeds its tolerance is not trusted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.stats import norm

from checker import spec
from checker.agree import FALSE_FAILURE, Point, decide
from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim


def _point(measured: np.ndarray, prediction: float) -> Point:
    return Point({}, measured, lambda constants: np.asarray(prediction), {"atol": np.asarray(0.1)})


def test_noise_to_tolerance_is_the_quantile_times_the_standard_error_over_the_tolerance() -> None:
    rule = spec.Close(rule="close", atol="0.1")
    measured = np.array([[0.0], [0.2], [0.0], [0.2]])  # mean 0.1, sd 0.1155, SE 0.0577
    verdict = decide(rule, [_point(measured, 0.1)])
    z = norm.ppf(1 - FALSE_FAILURE / 2)
    standard_error = measured.std(ddof=1) / 2.0
    assert verdict.holds
    assert abs(verdict.details["noise_to_tolerance"] - z * standard_error / 0.1) < 1e-9


def test_per_seed_predictions_cancel_shared_noise() -> None:
    rule = spec.Close(rule="close", atol="0.01")
    measured = np.array([[1.0], [2.0], [3.0]])
    point = Point({}, measured, lambda constants: measured + 0.001, {"atol": np.asarray(0.01)})
    verdict = decide(rule, [point])
    assert verdict.holds and verdict.details["noise_to_tolerance"] == 0.0


def test_a_claim_noisier_than_its_tolerance_is_inconclusive(project: Path) -> None:
    noisy = TOY_CLAIM.replace(
        "params: {samples: 4096, sigma: 1.0}", "params: {samples: 4, sigma: 1.0}"
    )
    noisy = noisy.replace(
        "agreement: {rule: interval, confidence: 0.99}", "agreement: {rule: close, atol: 0.2}"
    )
    write_claim(project / "claims", "noisy.yaml", noisy)
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    claim = json.loads(Path("out/report.json").read_text())["claims"][0]
    assert claim["verdict"] == "inconclusive"
    assert "seed noise" in claim["reason"] and "add seeds" in claim["reason"]
    assert claim["agreement"]["details"]["noise_to_tolerance"] > 1


def test_the_same_claim_with_enough_samples_is_verified(project: Path) -> None:
    quiet = TOY_CLAIM.replace(
        "agreement: {rule: interval, confidence: 0.99}", "agreement: {rule: close, atol: 0.2}"
    )
    write_claim(project / "claims", "quiet.yaml", quiet)
    assert main(["verify", "claims", "--report-dir", "out"]) == 0


def test_a_miss_far_beyond_the_noise_is_still_a_disagreement(project: Path) -> None:
    noisy = TOY_CLAIM.replace(
        "params: {samples: 4096, sigma: 1.0}", "params: {samples: 4, sigma: 1.0}"
    )
    noisy = noisy.replace(
        "agreement: {rule: interval, confidence: 0.99}", "agreement: {rule: close, atol: 0.2}"
    )
    write_claim(project / "claims", "far.yaml", noisy.replace("  expr: mu\n", "  expr: mu + 5\n"))
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    assert json.loads(Path("out/report.json").read_text())["claims"][0]["verdict"] == "disagrees"
