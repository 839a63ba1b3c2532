"""`checker lint` remembers clean files by content: an unchanged library lints at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim

PROBE = (
    "import sys; from checker.cli import main; code = main(['lint', 'claims']); "
    "print('HEAVY', sorted(m for m in ('sympy', 'jax', 'checker.plan') if m in sys.modules)); "
    "sys.exit(code)"
)


def _lint_in_a_fresh_process(project: Path) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=project, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_unchanged_clean_library_is_not_planned_again(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    first = _lint_in_a_fresh_process(project)
    second = _lint_in_a_fresh_process(project)
    assert "ok 1 claim(s) valid" in first and "'sympy'" in first
    assert "(1 unchanged since they last linted clean)" in second
    assert "'sympy'" not in second and "'checker.plan'" not in second  # (the toy plugin loads JAX)


def test_an_edited_file_is_linted_again_and_problems_are_never_remembered(
    project: Path, capsys
) -> None:
    path = write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    assert main(["lint", "claims"]) == 0
    path.write_text(TOY_CLAIM.replace("expr: mu\n", "expr: mu + nu\n"))
    for _ in range(2):
        assert main(["lint", "claims"]) == 2
        assert "nu" in capsys.readouterr().err
    path.write_text(TOY_CLAIM)
    assert main(["lint", "claims"]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_a_remembered_file_still_counts_for_duplicate_ids(project: Path, capsys) -> None:
    write_claim(project / "claims", "a.yaml", TOY_CLAIM)
    assert main(["lint", "claims"]) == 0
    write_claim(project / "claims", "b.yaml", TOY_CLAIM)
    assert main(["lint", "claims"]) == 2
    err = capsys.readouterr().err
    assert err.count("duplicate claim id 'toy/gaussian-mean'") == 1 and "b.yaml" in err


def test_changing_a_measurement_plugin_forgets_what_was_clean(project: Path, capsys) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    _lint_in_a_fresh_process(project)
    assert "unchanged" in _lint_in_a_fresh_process(project)
    plugin = project / "toy_measure.py"
    plugin.write_text(plugin.read_text() + "\n# edited\n")
    assert "unchanged" not in _lint_in_a_fresh_process(project)
