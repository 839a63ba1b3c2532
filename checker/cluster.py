"""`--executor dask`: claims as tasks on a Dask distributed cluster.

When a library outgrows one machine, checker hands the claims to an existing
engine instead of growing a scheduler. Each claim travels as its YAML text
(workers need the same checker and plugins installed, not a shared
filesystem); the worker re-plans it, runs it with pinned threads, and returns
the result as plain data, exactly as a local worker process does. Results do
not depend on where a claim ran: its keys come from its id and the seed.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from checker.cache import result_from_dict
from checker.plan import Plan
from checker.run import ClaimResult

__all__ = ["run_on_dask"]


def run_on_dask(
    plans: Sequence[Plan],
    seed: int,
    scheduler: str,
    plugin_folder: Path,
    on_start: Callable[[Plan], None] | None = None,
    on_done: Callable[[ClaimResult], None] | None = None,
) -> list[ClaimResult]:
    """Results in the order of `plans`; a task that fails costs only its claim."""
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = {}
        for plan in plans:
            if on_start:
                on_start(plan)
            text = plan.claim_file.path.read_text(encoding="utf-8")
            future = client.submit(_run_remote, text, str(plan.claim_file.path), plan.claim.id,
                                   seed, str(plugin_folder), plan.claim_file.profile,
                                   pure=False)  # fmt: skip
            futures[future] = plan
        results: dict[str, ClaimResult] = {}
        for future in as_completed(futures):
            plan = futures[future]
            result = _collect(future, plan, seed)
            results[plan.claim.id] = result
            if on_done:
                on_done(result)
    return [results[plan.claim.id] for plan in plans]


def _collect(future: object, plan: Plan, seed: int) -> ClaimResult:
    path = str(plan.claim_file.path)
    try:
        kind, payload = future.result()  # type: ignore[attr-defined]
    except Exception as exc:
        reason = f"the Dask task failed: {type(exc).__name__}: {exc}"
        return ClaimResult(plan.claim.id, path, "error", None, (), 0.0, reason, seed)
    if kind != "done":
        return ClaimResult(plan.claim.id, path, "error", None, (), 0.0, payload, seed)
    return dataclasses.replace(result_from_dict(payload), path=path)


def _run_remote(
    text: str, display: str, claim_id: str, seed: int, plugin_folder: str, profile: str | None
) -> tuple:
    """On a Dask worker: write the claim to a temporary file, then run it as a local worker does."""
    from checker.workers import pin_threads, run_claim_file

    pin_threads()
    from checker.measure import load_plugins

    if Path(plugin_folder).is_dir():
        load_plugins(Path(plugin_folder))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "claim.yaml"
        path.write_text(text, encoding="utf-8")
        return run_claim_file(path, claim_id, seed, display, profile)
