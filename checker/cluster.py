"""`--executor dask`: claims, and the shards of large sweeps, as tasks on a Dask cluster.

When a library outgrows one machine, checker hands the work to an existing
engine instead of growing a scheduler. Each claim travels as its YAML text
(workers need the same checker and plugins installed, not a shared
filesystem); the worker re-plans it, runs it with pinned threads, and returns
the result as plain data, exactly as a local worker process does. A claim that
measures more sweep points than `shard_points` is split instead: each task
measures a contiguous shard of its points and returns the arrays, and the claim
is decided here from all of them. Results do not depend on where anything ran:
keys come from the claim's id and the seed, and a point's values do not depend
on which other points share its batch (bitwise, for the shipped measurements
checked; the test compares a sharded run with a local one).
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from checker.cache import result_from_dict
from checker.plan import Plan
from checker.run import ClaimResult, measurement_points, run_plan

__all__ = ["SHARD_POINTS", "run_on_dask"]

SHARD_POINTS = 16  # default: a claim measuring more points than this is split into shards


@dataclasses.dataclass
class _Claim:
    """One claim in flight: its tasks, and the shards' arrays as they arrive."""

    plan: Plan
    tasks: int
    finished: int = 0
    seconds: float = 0.0  # the shards' own time, summed: what the claim cost, not its wait
    shards: dict[int, list[tuple[dict, dict, dict]]] = dataclasses.field(default_factory=dict)
    failure: str = ""


def run_on_dask(
    plans: Sequence[Plan],
    seed: int,
    scheduler: str,
    plugin_folder: Path,
    on_start: Callable[[Plan], None] | None = None,
    on_done: Callable[[ClaimResult], None] | None = None,
    shard_points: int = SHARD_POINTS,
) -> list[ClaimResult]:
    """Results in the order of `plans`; a task that fails costs only its claim."""
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures: dict[Any, tuple[_Claim, int | None]] = {}
        for plan in plans:
            if on_start:
                on_start(plan)
            futures.update(_submit(client, plan, seed, str(plugin_folder), shard_points))
        results: dict[str, ClaimResult] = {}
        for future in as_completed(futures):
            claim, shard = futures[future]
            result = _collect(future, claim, shard, seed)
            if result is not None:
                results[claim.plan.claim.id] = result
                if on_done:
                    on_done(result)
    return [results[plan.claim.id] for plan in plans]


def _submit(
    client: Any, plan: Plan, seed: int, plugin_folder: str, shard_points: int
) -> dict[Any, tuple[_Claim, int | None]]:
    text = plan.claim_file.path.read_text(encoding="utf-8")
    common = (text, str(plan.claim_file.path), plan.claim.id, seed, plugin_folder,
              plan.claim_file.profile)  # fmt: skip
    points = len(measurement_points(plan))
    if points <= shard_points:
        claim = _Claim(plan, 1)
        return {client.submit(_run_remote, *common, pure=False): (claim, None)}
    shards = [list(range(i, min(i + shard_points, points))) for i in range(0, points, shard_points)]
    claim = _Claim(plan, len(shards))
    return {
        client.submit(_measure_remote, *common, indices, pure=False): (claim, i)
        for i, indices in enumerate(shards)
    }


def _collect(future: Any, claim: _Claim, shard: int | None, seed: int) -> ClaimResult | None:
    """The claim's result once its last task is in (None while shards are outstanding)."""
    plan = claim.plan
    path = str(plan.claim_file.path)
    try:
        kind, payload, *seconds = future.result()
    except Exception as exc:
        kind, payload, seconds = "failed", f"the Dask task failed: {type(exc).__name__}: {exc}", []
    if shard is None:
        if kind != "done":
            return ClaimResult(plan.claim.id, path, "error", None, (), 0.0, payload, seed)
        return dataclasses.replace(result_from_dict(payload), path=path)
    claim.seconds += sum(seconds)
    if kind == "done":
        claim.shards[shard] = payload
    else:
        claim.failure = claim.failure or payload
    claim.finished += 1
    return _decided(claim, seed) if claim.finished == claim.tasks else None


def _decided(claim: _Claim, seed: int) -> ClaimResult:
    """A sharded claim decided here from every shard's arrays, or its first failure."""
    plan = claim.plan
    arrived = [point for i in sorted(claim.shards) for point in claim.shards[i]]
    expected = [(params.model_dump(), inputs) for params, inputs in measurement_points(plan)]
    if not claim.failure and [(params, inputs) for params, inputs, _ in arrived] != expected:
        claim.failure = (
            f"{plan.claim_file.path} changed while running: its shards measured other points"
        )
    if claim.failure:
        path = str(plan.claim_file.path)
        return ClaimResult(
            plan.claim.id, path, "error", None, (), claim.seconds, claim.failure, seed
        )
    measured = [outputs for _, _, outputs in arrived]
    return run_plan(plan, seed, measured=measured, measured_seconds=claim.seconds)


def _run_remote(
    text: str, display: str, claim_id: str, seed: int, plugin_folder: str, profile: str | None
) -> tuple:
    """On a Dask worker: the whole claim, as a local worker runs it."""
    from checker.workers import run_claim_file

    with _claim_file(text, plugin_folder) as path:
        return run_claim_file(path, claim_id, seed, display, profile)


def _measure_remote(
    text: str,
    display: str,
    claim_id: str,
    seed: int,
    plugin_folder: str,
    profile: str | None,
    indices: list[int],
) -> tuple:
    """On a Dask worker: one shard of a large sweep, measured."""
    from checker.workers import measure_claim_file

    with _claim_file(text, plugin_folder) as path:
        return measure_claim_file(path, claim_id, seed, indices, display, profile)


@contextlib.contextmanager
def _claim_file(text: str, plugin_folder: str) -> Iterator[Path]:
    """The claim's text as a file on the worker, with threads pinned and plugins loaded."""
    from checker.measure import load_plugins
    from checker.workers import pin_threads

    pin_threads()
    if Path(plugin_folder).is_dir():
        load_plugins(Path(plugin_folder))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "claim.yaml"
        path.write_text(text, encoding="utf-8")
        yield path
