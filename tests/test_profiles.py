"""`--profile NAME`: larger sizes a claim declares for a machine that affords them."""

from __future__ import annotations

import json
from pathlib import Path

from checker.cli import main
from checker.spec import validate_file
from tests.conftest import TOY_CLAIM, write_claim

LARGE = (
    TOY_CLAIM
    + """\
profiles:
  large:
    measurement: {params: {samples: 16384}, seeds: 24}
    sweep: {mu: [-3.0, 0.0, 3.0, 6.0]}
"""
)


def test_a_profile_is_laid_over_params_seeds_and_sweep(tmp_path: Path) -> None:
    path = write_claim(tmp_path, "toy.yaml", LARGE)
    plain, large = validate_file(path), validate_file(path, profile="large")
    assert plain.profile is None and plain.claim.measurement.seeds == 16
    assert large.profile == "large" and large.claim.measurement.seeds == 24
    assert large.claim.measurement.params == {"samples": 16384, "sigma": 1.0}
    assert large.claim.sweep == {"mu": [-3.0, 0.0, 3.0, 6.0]}
    assert validate_file(path, profile="huge").profile is None  # not defined here: as written


def test_an_error_in_a_profile_names_the_profile_line(tmp_path: Path) -> None:
    path = write_claim(tmp_path, "toy.yaml", LARGE.replace("seeds: 24", "seeds: 0"))
    errors = validate_file(path, profile="large")
    lines = path.read_text().splitlines()
    assert any(e.message.startswith("measurement.seeds") for e in errors)
    assert all("seeds: 0" in lines[e.location.line - 1] for e in errors)  # the profile's line


def test_verify_runs_the_profile_and_caches_it_apart(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", LARGE)
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    assert main(["verify", "claims", "--report-dir", "big", "--profile", "large"]) == 0
    plain = json.loads(Path("out/report.json").read_text())
    large = json.loads(Path("big/report.json").read_text())
    assert large["environment"]["profile"] == "large"
    assert large["claims"][0]["profile"] == "large" and plain["claims"][0]["profile"] is None
    assert not large["claims"][0]["cached"]  # the plain run's entry is not the large run's
    assert large["claims"][0]["agreement"] != plain["claims"][0]["agreement"]


def test_a_profile_no_claim_defines_is_a_usage_error(project: Path, capsys) -> None:
    write_claim(project / "claims", "toy.yaml", LARGE)
    assert main(["verify", "claims", "--profile", "lagre"]) == 2
    assert "no claim defines profiles.lagre" in capsys.readouterr().err


def test_workers_run_the_profile_too(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", LARGE)
    assert main(["verify", "claims", "--report-dir", "big", "--profile", "large",
                 "--workers", "2", "--timeout", "120"]) == 0  # fmt: skip
    (claim,) = json.loads(Path("big/report.json").read_text())["claims"]
    assert claim["profile"] == "large" and claim["verdict"] == "verified"
