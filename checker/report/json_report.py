"""report.json: every claim's verdict, figures, must-fail results, timing, source, environment.

Written atomically (a temporary file in the same folder, then a rename), so a
reader never sees half a report and an interrupted run never destroys the last
good one.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.jsonio import atomic_write, plain

if TYPE_CHECKING:
    from checker.results import ClaimResult, Verdict
    from checker.view import ClaimView

__all__ = ["report_dict", "versions", "write_json_report"]

_PACKAGES = ("checker", "jax", "jaxlib", "numpy", "scipy", "sympy", "pydantic", "optax")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def report_dict(
    results: Sequence[ClaimResult], views: Mapping[str, ClaimView], seed: int, seconds: float
) -> dict[str, Any]:
    counts = Counter(r.verdict for r in results)
    papers = {views[r.id].claim.paper for r in results if r.id in views}
    return {
        "claims": [_claim(r, views.get(r.id)) for r in results],
        "summary": {
            "total": len(results),
            **{v: counts.get(v, 0) for v in _VERDICTS},
            "papers": len(papers),
            "seconds": round(seconds, 3),
            "ok": bool(results) and counts.get("verified", 0) == len(results),
        },
        "environment": {
            "versions": versions(),
            "seed": seed,
            "platform": platform.platform(),
            "argv": sys.argv[1:],
        },
    }


_VERDICTS = ("verified", "disagrees", "toothless", "inconclusive", "error")


def _claim(result: ClaimResult, view: ClaimView | None) -> dict[str, Any]:
    claim = view.claim if view else None
    return {
        "id": result.id,
        "title": claim.title if claim else "",
        "path": result.path,
        "profile": view.claim_file.profile if view else None,
        "verdict": result.verdict,
        "reason": result.reason,
        "rule": claim.agreement.rule if claim else "",
        "prediction": claim.prediction.text() if claim else "",
        "agreement": _verdict(result.agreement),
        "must_fail": [
            {
                "name": v.name,
                "verdict": v.verdict,
                "agreement": _verdict(v.agreement),
                "reason": v.reason,
            }
            for v in result.must_fail
        ],
        "seconds": round(result.seconds, 3),
        "cached": result.cached,
        "seed": result.seed,
        "rerun": result.rerun,
        "source": claim.source.model_dump() if claim else {},
        "latex": _latex(view),
        "series": plain(list(result.series)),
    }


def _latex(view: ClaimView | None) -> dict[str, Any] | None:
    """The printed formula and the outcome of comparing it with expr (None without latex:)."""
    check = view.latex if view else None
    if check is None:
        return None
    return {"text": view.claim.latex.text, "outcome": check.outcome,
            "message": check.message, "parsed": check.parsed}  # fmt: skip


def _verdict(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return plain(dataclasses.asdict(verdict))


def write_json_report(report: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.json"
    atomic_write(path, json.dumps(report, indent=2, sort_keys=False) + "\n")
    return path
