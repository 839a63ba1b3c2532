"""`checker new`, `schema` and `show`: a scaffold that lints clean, the format as JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

from checker.cli import main
from checker.scaffold import claim_schema
from tests.conftest import TOY_CLAIM, write_claim

CLAIMS = Path(__file__).resolve().parents[1] / "claims"


def test_new_scaffold_lints_clean_for_every_builtin_measurement(project: Path, capsys) -> None:
    from checker.measure.registry import registered_measurements

    for i, name in enumerate(sorted(registered_measurements())):
        assert main(["new", f"paper{i}/claim", "--measurement", name]) == 0, name
    assert main(["lint", "claims"]) == 0, capsys.readouterr().err


def test_new_refuses_bad_ids_unknown_measurements_and_overwriting(project: Path, capsys) -> None:
    assert main(["new", "NoSlash"]) == 2
    assert main(["new", "a2024/b", "--measurement", "no.such"]) == 2
    assert main(["new", "a2024/b", "--measurement", "toy.gaussian_mean"]) == 0
    assert main(["new", "a2024/b", "--measurement", "toy.gaussian_mean"]) == 2
    assert "not overwriting" in capsys.readouterr().err


def test_schema_describes_the_claim_format_and_the_shipped_copy_is_current(capsys) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"id", "source", "prediction", "must_fail"} <= set(schema["properties"])
    assert "must_fail" in schema["required"]
    assert (CLAIMS / "schema.json").read_text() == claim_schema(), (
        "run: checker schema > claims/schema.json"
    )


def test_show_prints_statement_formula_and_last_result(project: Path, capsys) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    assert main(["show", "toy/gaussian-mean", "claims", "--report-dir", "out"]) == 0
    assert "last result: none" in capsys.readouterr().out
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    capsys.readouterr()
    assert main(["show", "toy/gaussian-mean", "claims", "--report-dir", "out"]) == 0
    out = capsys.readouterr().out
    assert "The mean of n Gaussian draws is unbiased." in out
    assert "require finite-variance: sigma > 0" in out
    assert "must-fail biased" in out
    assert "last result: verified" in out
    assert main(["show", "toy/nothing", "claims"]) == 2
