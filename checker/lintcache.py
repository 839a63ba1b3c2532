"""Claim files that linted clean, remembered by content, so an unchanged library lints at once.

Linting plans every claim (SymPy parses, sweeps, hypotheses at every point),
which is most of `checker lint`'s time; like ruff's or mypy's cache, a file
whose bytes, profile and everything that judges it are unchanged is not
planned again. "Everything that judges it" is the source of every checker
module, of every registered measurement (plugins included) and the versions
of the libraries that parse and validate. Only clean results are kept: a file
with problems is linted again, so its messages are always fresh.

Beside each clean file, `checker verify` keeps what the reports show of it
(`checker.view.ClaimView`: the formula typeset, the printed LaTeX compared),
under the same key. When every file is remembered clean and every selected
claim's view and result are kept, a re-run re-reports without planning. This
module imports neither SymPy nor JAX; a fully cached run never loads them.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import hashlib
import inspect
import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from checker.jsonio import atomic_write, read_json_object
from checker.measure.registry import get_measurement, registered_measurements
from checker.spec import MAX_CLAIM_FILES, ClaimFileError, claim_files, validate_file
from checker.view import ClaimView, LatexCheck
from checker.yamlio import read_claim_bytes

if TYPE_CHECKING:
    from checker.plan import Plan

__all__ = [
    "CleanFile",
    "LintCache",
    "LintOutcome",
    "ViewCache",
    "duplicate_ids",
    "lint_cached",
    "remember_clean",
    "remembered_views",
]

_LIBRARIES = ("sympy", "pydantic", "pyyaml", "numpy")


@dataclasses.dataclass(frozen=True)
class CleanFile:
    """What a later lint needs from a clean file it does not re-plan."""

    path: Path
    id: str
    id_line: int
    profile: str | None  # the --profile it was linted with, where the claim defines it


class LintCache:
    """One small entry per clean (file bytes, profile, judging code) under `folder`/lint."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "lint"

    def get(self, path: Path, profile: str | None) -> CleanFile | None:
        key = _file_key(path, profile)
        entry = None if key is None else read_json_object(self.folder / key)
        if entry is None or not _has_types(entry, _CLEAN_ENTRY):
            return None
        return CleanFile(path, entry["id"], entry["id_line"], entry["profile"])

    def put(self, clean: CleanFile, requested: str | None) -> None:
        entry = {"id": clean.id, "id_line": clean.id_line, "profile": clean.profile}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            key = _file_key(clean.path, requested)
            if key is not None:
                atomic_write(self.folder / key, json.dumps(entry), durable=False)
        except OSError:
            pass  # a read-only cache folder costs speed, not correctness


class ViewCache:
    """What the reports show of each clean file, under the key of its lint entry.

    The claim itself is validated again on the way out (cheap, and it gives the
    file's line numbers); only what planning derives is kept: the typeset formula
    and the outcome of comparing the printed LaTeX.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "views"

    def get(self, path: Path, profile: str | None) -> ClaimView | None:
        key = _file_key(path, profile)
        entry = None if key is None else read_json_object(self.folder / key)
        if entry is None or not _has_types(entry, _VIEW_ENTRY):
            return None
        formula, latex = entry["formula"], entry["latex"]
        try:
            latex = None if latex is None else LatexCheck.from_dict(latex)
        except (KeyError, TypeError, ValueError):
            return None
        claim_file = validate_file(path, profile=profile)
        if isinstance(claim_file, list):
            return None  # changed since it was keyed: plan it, and say what is wrong
        measurement = get_measurement(claim_file.claim.measurement.name)
        if measurement is None:
            return None
        return ClaimView(claim_file, measurement, formula, latex)

    def put(self, view: ClaimView, requested: str | None) -> None:
        latex = None if view.latex is None else view.latex.to_dict()
        entry = {"formula": view.formula, "latex": latex}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            key = _file_key(view.claim_file.path, requested)
            if key is not None:
                atomic_write(self.folder / key, json.dumps(entry), durable=False)
        except OSError:
            pass


def remembered_views(
    paths: Sequence[Path], profile: str | None, pattern: str | None, folder: Path
) -> list[ClaimView] | None:
    """The claims `checker verify` selects, as reports show them, without planning any.

    None unless every file under `paths` is remembered clean (so lint would pass),
    `profile` is one some claim defines, and every selected claim's view is kept:
    then the caller lints and plans as usual, and says what is wrong.
    """
    if not paths or not all(p.exists() for p in paths):
        return None
    files = claim_files(list(paths))
    if not files or len(files) > MAX_CLAIM_FILES:
        return None
    cache = LintCache(folder)
    clean = [cache.get(path, profile) for path in files]
    known = [c for c in clean if c is not None]
    if len(known) < len(clean) or duplicate_ids(known):
        return None
    if profile is not None and all(c.profile != profile for c in known):
        return None
    chosen = [c for c in known if pattern is None or fnmatch.fnmatchcase(c.id, pattern)]
    views = [ViewCache(folder).get(c.path, profile) for c in chosen]
    found = [v for v, c in zip(views, chosen, strict=True) if v is not None and v.claim.id == c.id]
    return found if chosen and len(found) == len(chosen) else None


def remember_clean(plans: Sequence[Plan], profile: str | None, folder: Path) -> None:
    """Keep every plan's file as linted clean (`checker verify` lints the whole library)."""
    cache = LintCache(folder)
    for plan in plans:
        cache.put(_clean(plan), profile)


def _clean(plan: Plan) -> CleanFile:
    claim_file = plan.claim_file
    return CleanFile(
        claim_file.path, plan.claim.id, claim_file.where("id").line, claim_file.profile
    )


def _file_key(path: Path, profile: str | None) -> str | None:
    """The entry name for the file's bytes, or None when it cannot be a claim (a FIFO, a
    device, too large): it is then linted afresh, and lint says what is wrong."""
    try:
        content = read_claim_bytes(path)
    except ClaimFileError:
        return None
    digest = hashlib.sha256(f"profile {profile}\0{_judges()}\0".encode())
    digest.update(content)
    return digest.hexdigest()


_CLEAN_ENTRY = {"id": str, "id_line": int, "profile": (str, type(None))}
_VIEW_ENTRY = {"formula": str, "latex": (dict, type(None))}


def _has_types(entry: dict[str, object], fields: dict[str, type | tuple[type, ...]]) -> bool:
    """Whether each field is present with its type: an entry of another shape is a miss."""
    return all(
        name in entry and isinstance(entry[name], kind) and not isinstance(entry[name], bool)
        for name, kind in fields.items()
    )


def duplicate_ids(files: Sequence[CleanFile]) -> list[ClaimFileError]:
    """The same check lint makes, across files linted now and files remembered clean."""
    first: dict[str, CleanFile] = {}
    problems = []
    for clean in files:
        if clean.id in first:
            problems.append(ClaimFileError(
                f"{clean.path}:{clean.id_line}:1", f"id: duplicate claim id {clean.id!r}",
                f"also used by {first[clean.id].path}; ids must be unique",
            ))  # fmt: skip
        else:
            first.setdefault(clean.id, clean)
    return problems


@functools.cache
def _judges() -> str:
    """A digest of the code and libraries that decide whether a claim file is clean."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode() + source.read_bytes())
    for name, measurement in sorted(registered_measurements().items()):
        digest.update(name.encode() + _source_of(measurement.fn).encode())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=none".encode())
    return digest.hexdigest()


def _source_of(function: object) -> str:
    try:
        return Path(inspect.getsourcefile(function) or "").read_text(encoding="utf-8")
    except (OSError, TypeError):
        return "<no source>"


@dataclasses.dataclass(frozen=True)
class LintOutcome:
    problems: tuple[ClaimFileError, ...]
    clean: tuple[CleanFile, ...]
    files: int
    planned: int  # how many files were planned this time (the rest were remembered clean)


def lint_cached(paths: Sequence[Path], profile: str | None, folder: Path) -> LintOutcome:
    """`checker lint`: plan only the files not remembered clean; remember them when all are."""
    files = claim_files(list(paths)) if all(p.exists() for p in paths) else []
    if not files or len(files) > MAX_CLAIM_FILES:
        return _lint_fresh(paths, profile)  # lint words these problems
    cache = LintCache(folder)
    remembered = {path: cache.get(path, profile) for path in files}
    stale = [path for path, hit in remembered.items() if hit is None]
    outcome = _lint_fresh(stale, profile) if stale else LintOutcome((), (), 0, 0)
    known = [hit for hit in remembered.values() if hit is not None]
    fresh = {clean.path for clean in outcome.clean}
    problems = [*outcome.problems, *(
        p for p in duplicate_ids([*known, *outcome.clean]) if not _both_fresh(p, fresh)
    )]  # fmt: skip
    if not problems:
        for clean in outcome.clean:
            cache.put(clean, profile)
    return LintOutcome(tuple(problems), (*known, *outcome.clean), len(files), len(stale))


def _lint_fresh(paths: Sequence[Path], profile: str | None) -> LintOutcome:
    from checker.verify import lint

    library = lint(paths, profile)
    clean = tuple(_clean(plan) for plan in library.plans)
    return LintOutcome(library.problems, clean, library.files, library.files)


def _both_fresh(problem: ClaimFileError, fresh: set[Path]) -> bool:
    """lint itself reported duplicates among the files it planned; report those once."""
    here = str(problem.location).rsplit(":", 2)[0]
    there = problem.hint.removeprefix("also used by ").split(";")[0]
    return Path(here) in fresh and Path(there) in fresh
