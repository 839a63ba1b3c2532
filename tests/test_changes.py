"""`--changed-since`: a clean tree runs nothing; touching a claim or its measurement runs exactly those."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim


def _git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True)


@pytest.fixture
def repo(project: Path) -> Path:
    write_claim(project / "claims", "a.yaml", TOY_CLAIM)
    write_claim(project / "claims", "b.yaml", TOY_CLAIM.replace("toy/gaussian-mean", "toy/b"))
    (project / ".gitignore").write_text("out/\ncache/\n")
    _git(project, "init", "-q")
    _git(project, "add", ".")
    _git(project, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "claims")
    return project


def _ran(capsys) -> list[str]:
    capsys.readouterr()
    return [c["id"] for c in json.loads(Path("out/report.json").read_text())["claims"]]


def test_clean_tree_runs_nothing_and_exits_0(repo: Path, capsys) -> None:
    assert main(["verify", "claims", "--changed-since", "HEAD", "--report-dir", "out"]) == 0
    assert "nothing to run" in capsys.readouterr().out
    assert not (repo / "out").exists()


def test_touching_one_claim_runs_exactly_that_one(repo: Path, capsys) -> None:
    path = repo / "claims" / "b.yaml"
    path.write_text(path.read_text().replace("seeds: 16", "seeds: 12"))
    assert main(["verify", "claims", "--changed-since", "HEAD", "--report-dir", "out"]) == 0
    assert _ran(capsys) == ["toy/b"]


def test_new_untracked_claim_counts_as_changed(repo: Path, capsys) -> None:
    write_claim(repo / "claims", "c.yaml", TOY_CLAIM.replace("toy/gaussian-mean", "toy/c"))
    assert main(["verify", "claims", "--changed-since", "HEAD", "--report-dir", "out"]) == 0
    assert _ran(capsys) == ["toy/c"]


def test_changed_measurement_code_runs_every_claim_using_it(repo: Path, capsys) -> None:
    plugin = repo / "toy_measure.py"
    plugin.write_text(plugin.read_text() + "\n# a comment changes the source\n")
    # A fresh process: this one may hold the plugin module of an earlier test's project.
    command = "from checker.cli import main; raise SystemExit(main(['verify', 'claims', '--changed-since', 'HEAD', '--report-dir', 'out']))"
    subprocess.run([sys.executable, "-c", command], cwd=repo, check=True, capture_output=True)
    assert sorted(_ran(capsys)) == ["toy/b", "toy/gaussian-mean"]


def test_unknown_ref_is_a_usage_error(repo: Path, capsys) -> None:
    assert main(["verify", "claims", "--changed-since", "no-such-ref"]) == 2
    assert "--changed-since: git diff" in capsys.readouterr().err
