"""`pytest claims/` through the installed plugin, run as a user would: a real pytest process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import TOY_CLAIM, write_claim


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_collects_one_item_per_claim(project: Path) -> None:
    write_claim(project / "claims", "a/one.yaml", TOY_CLAIM)
    write_claim(project / "claims", "b/two.yaml", TOY_CLAIM.replace("toy/gaussian-mean", "toy/two"))
    out = _pytest(project, "claims", "--collect-only", "-q")
    assert "claims/a/one.yaml::toy/gaussian-mean" in out.stdout
    assert "claims/b/two.yaml::toy/two" in out.stdout
    assert "2 tests collected" in out.stdout


def test_verified_claim_passes_and_wrong_one_fails_with_file_line_and_figures(
    project: Path,
) -> None:
    write_claim(project / "claims", "good.yaml", TOY_CLAIM)
    wrong = TOY_CLAIM.replace("toy/gaussian-mean", "toy/wrong").replace(
        "  expr: mu\n", "  expr: mu + 0.5\n"
    )
    write_claim(project / "claims", "wrong.yaml", wrong)
    out = _pytest(project, "claims", "-q")
    assert out.returncode == 1, out.stdout
    assert "1 failed, 1 passed" in out.stdout
    assert "toy/wrong: disagrees (" in out.stdout
    assert "claims/wrong.yaml:19:1)" in out.stdout  # the line of prediction:
    assert "agreement: max |mean-pred|/(t*SE+tol)" in out.stdout
    assert "reproduce: checker verify" in out.stdout


def test_invalid_claim_fails_with_its_location(project: Path) -> None:
    write_claim(
        project / "claims", "bad.yaml", TOY_CLAIM.replace("rule: interval", "rule: intervall")
    )
    out = _pytest(project, "claims", "-q")
    assert out.returncode == 1
    assert "bad.yaml:" in out.stdout and "rule is one of" in out.stdout
