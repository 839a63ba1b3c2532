"""Many claims: find the files, validate and plan every one, then run the selection.

The library entry points behind `checker lint` and `checker verify`; the CLI
only parses arguments and prints.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from checker.latex import latex_problems
from checker.plan import Plan, plan_claim
from checker.spec import MAX_CLAIM_FILES, ClaimFile, ClaimFileError, claim_files, validate_file

if TYPE_CHECKING:  # the runner (SciPy, JAX) loads when something runs, not for lint
    from checker.cache import ResultCache
    from checker.results import ClaimResult

__all__ = [
    "MAX_CLAIM_FILES",
    "InvalidClaims",
    "Library",
    "least_verified",
    "lint",
    "run_plans",
    "select",
    "verify",
]


class InvalidClaims(Exception):
    """Some claim files cannot be run; `problems` names each file, line and field."""

    def __init__(self, problems: Sequence[ClaimFileError]) -> None:
        self.problems = tuple(problems)
        lines = [str(p) for p in problems[:10]]
        more = len(problems) - len(lines)
        super().__init__("\n".join(lines) + (f"\n... and {more} more" if more > 0 else ""))


@dataclasses.dataclass(frozen=True)
class Library:
    """The plans that are runnable and the problems of those that are not."""

    plans: tuple[Plan, ...]
    problems: tuple[ClaimFileError, ...]
    files: int


def lint(paths: Sequence[Path], profile: str | None = None) -> Library:
    """Validate and plan every claim under `paths` (with `profile` laid over those that
    have it) without running anything."""
    problems: list[ClaimFileError] = []
    files = claim_files(list(paths))
    if len(files) > MAX_CLAIM_FILES:
        where = ", ".join(map(str, paths))
        too_many = ClaimFileError(where, f"{len(files)} claim files; one run takes at most "
                                  f"{MAX_CLAIM_FILES}", "run subfolders separately")  # fmt: skip
        return Library((), (too_many,), len(files))
    for path in paths:
        if not path.exists():
            problems.append(ClaimFileError(str(path), "no such file or directory"))
    valid: list[ClaimFile] = []
    for file in files:
        result = validate_file(file, profile=profile)
        if isinstance(result, list):
            problems.extend(result)
        else:
            valid.append(result)
    problems.extend(_duplicate_ids(valid))
    plans = []
    for claim_file in valid:
        plan = plan_claim(claim_file)
        if isinstance(plan, list):
            problems.extend(plan)
        elif printed := latex_problems(plan):  # the paper's LaTeX differs from expr
            problems.extend(printed)
        else:
            plans.append(plan)
    if not files and not problems:
        problems.append(ClaimFileError(", ".join(map(str, paths)), "no claim files (*.yaml) found"))
    return Library(tuple(plans), tuple(problems), len(files))


def _duplicate_ids(files: Sequence[ClaimFile]) -> list[ClaimFileError]:
    first: dict[str, ClaimFile] = {}
    problems = []
    for claim_file in files:
        claim_id = claim_file.claim.id
        if claim_id in first:
            problems.append(ClaimFileError(
                claim_file.where("id"), f"id: duplicate claim id {claim_id!r}",
                f"also used by {first[claim_id].path}; ids must be unique",
            ))  # fmt: skip
        else:
            first[claim_id] = claim_file
    return problems


def select(plans: Sequence[Plan], pattern: str | None) -> list[Plan]:
    """Plans whose id matches the glob (all when no pattern is given)."""
    if pattern is None:
        return list(plans)
    return [p for p in plans if fnmatch.fnmatchcase(p.claim.id, pattern)]


def run_plans(
    plans: Sequence[Plan],
    seed: int = 0,
    on_start: Callable[[Plan], None] | None = None,
    on_done: Callable[[ClaimResult], None] | None = None,
    cache: ResultCache | None = None,
    workers: int = 1,
    timeout: float | None = None,
    plugin_folder: Path | None = None,
    scheduler: str | None = None,
    shard_points: int | None = None,
) -> list[ClaimResult]:
    """Run every plan; one claim's failure never stops the others; unchanged ones come cached.

    With a Dask `scheduler` address, claims run on that cluster (`checker.cluster`),
    a claim measuring more than `shard_points` points as shards of that many;
    with `workers` > 1 or a `timeout`, in spawned worker processes
    (`checker.workers`); otherwise here, one after another.
    """
    from checker.run import run_plan
    from checker.workers import WorkerPool

    by_id = {plan.claim.id: plan for plan in plans}
    results: dict[str, ClaimResult] = {}

    def finished(result: ClaimResult) -> None:
        results[result.id] = result
        if cache and not result.cached:
            cache.put(by_id[result.id], seed, result)
        if on_done:
            on_done(result)

    pending = []
    for plan in plans:
        hit = cache.get(plan, seed) if cache else None
        if hit is None:
            pending.append(plan)
            continue
        if on_start:
            on_start(plan)
        finished(hit)
    workers = min(workers, len(pending))
    if cache and (workers > 1 or scheduler):
        pending = _longest_first(pending, cache.expected_seconds(pending))
    if pending and scheduler:
        from checker.cluster import SHARD_POINTS, run_on_dask

        folder = plugin_folder or Path.cwd()
        shard = shard_points or SHARD_POINTS
        run_on_dask(pending, seed, scheduler, folder, on_start, finished, shard)
    elif pending and (workers > 1 or timeout):
        pool = WorkerPool(workers, plugin_folder or Path.cwd(), timeout)
        pool.run(pending, seed, on_start, finished)
    else:
        for plan in pending:
            if on_start:
                on_start(plan)
            finished(run_plan(plan, seed))
    ordered = [results[plan.claim.id] for plan in plans]
    if cache:
        cache.remember_seconds(ordered)
    return ordered


def _longest_first(plans: Sequence[Plan], seconds: dict[str, float]) -> list[Plan]:
    """The slowest claims start first, so no worker is left with a long one at the end.

    Claims never timed here go first of all: they may be the slowest.
    """
    return sorted(plans, key=lambda plan: -seconds.get(plan.claim.id, float("inf")))


def least_verified(rounds: Sequence[Sequence[ClaimResult]]) -> list[ClaimResult]:
    """Per claim, across rounds (seeds): its first result that is not verified, else its last.

    A round may be partial (interrupted); claims keep the order of their first appearance.
    """
    chosen: dict[str, ClaimResult] = {}
    for results in rounds:
        for result in results:
            kept = chosen.get(result.id)
            if kept is None or kept.verdict == "verified":
                chosen[result.id] = result
    return list(chosen.values())


def verify(
    paths: Sequence[Path | str],
    *,
    select_glob: str | None = None,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> list[ClaimResult]:
    """Lint, then run every claim under `paths` (the library form of `checker verify`).

    Results are cached under `cache_dir` when one is given; nothing is cached otherwise.
    """
    library = lint([Path(p) for p in paths])
    if library.problems:
        raise InvalidClaims(library.problems)
    from checker.cache import ResultCache

    cache = ResultCache(cache_dir) if cache_dir else None
    return run_plans(select(library.plans, select_glob), seed=seed, cache=cache)
