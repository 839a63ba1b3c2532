"""`--changed-since REF`: only the claims a change could affect.

A claim is affected when its YAML changed, or the code of its measurement did
(the module that defines it, and for built-in measurements the shared pieces
in `checker/measure/nets.py`), since the git ref, counting uncommitted edits
and new untracked files. Git is asked, not re-implemented.
"""

from __future__ import annotations

import inspect
import subprocess
from collections.abc import Sequence
from pathlib import Path

from checker.plan import Plan

__all__ = ["ChangeError", "changed_files", "touched_by"]


class ChangeError(Exception):
    """Git could not say what changed (not a repository, unknown ref)."""


def changed_files(ref: str, where: Path = Path(".")) -> set[Path]:
    """Absolute paths of files changed since `ref`, uncommitted and untracked ones included."""
    if ref.startswith("-"):
        raise ChangeError(f"{ref!r} is not a git ref")
    top = Path(_git(["rev-parse", "--show-toplevel"], where).strip())
    names = _git(["diff", "--name-only", "--no-renames", ref, "--"], where).splitlines()
    names += _git(["ls-files", "--others", "--exclude-standard"], top).splitlines()
    return {(top / name).resolve() for name in names if name}


def touched_by(plans: Sequence[Plan], changed: set[Path]) -> list[Plan]:
    return [plan for plan in plans if _inputs(plan) & changed]


def _inputs(plan: Plan) -> set[Path]:
    files = {plan.claim_file.path.resolve()}
    source = inspect.getsourcefile(plan.measurement.fn)
    if source:
        files.add(Path(source).resolve())
    if plan.measurement.fn.__module__.startswith("checker.measure."):
        files.add((Path(__file__).parent / "measure" / "nets.py").resolve())
    return files


def _git(args: list[str], where: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=where, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ChangeError(f"git could not run: {exc}") from exc
    if done.returncode != 0:
        raise ChangeError(f"git {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout
