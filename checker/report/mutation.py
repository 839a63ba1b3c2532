"""The mutation section of `index.html`: how much each check's verdict is worth.

`checker mutate --report-dir DIR` leaves `mutation.json` in the report folder;
the next `checker verify` into that folder shows it beside the verdicts. Each
entry carries the digest of the claim file it was computed from, so a claim
edited since is marked stale instead of being credited with an old kill rate.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checker.view import ClaimView

__all__ = ["claim_digest", "mutation_html", "read_mutation"]

_SURVIVORS_SHOWN = 8


def claim_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_mutation(folder: Path) -> dict[str, Any] | None:
    """The folder's mutation.json, or None when there is none or it cannot be read."""
    try:
        data = json.loads((folder / "mutation.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("claims"), list):
        return None
    return data


def mutation_html(data: Mapping[str, Any], views: Mapping[str, ClaimView]) -> str:
    """A table of kill rates per claim, with the changes that survived."""
    rows = "".join(_row(entry, views.get(str(entry.get("id")))) for entry in data["claims"])
    total, killed = int(data.get("total", 0)), int(data.get("killed", 0))
    rate = f"{killed / total:.1%}" if total else "-"
    return (
        "<section id='mutation'><h2>Mutation testing</h2>"
        f"<p>The checks rejected {killed}/{total} plausible wrong formulas ({rate}); "
        f"{int(data.get('equivalent', 0))} mutants the rules provably cannot see were set "
        "aside. A surviving change is a wrong formula the claim's own check accepts.</p>"
        "<table><tr><th>claim</th><th>killed</th><th>surviving changes</th></tr>"
        f"{rows}</table></section>"
    )


def _row(entry: Mapping[str, Any], view: ClaimView | None) -> str:
    claim = html.escape(str(entry.get("id", "?")))
    total, killed = int(entry.get("total", 0)), int(entry.get("killed", 0))
    score = f"{killed}/{total}" + (f" ({killed / total:.0%})" if total else "")
    if view is not None and entry.get("digest") not in (None, claim_digest(view.claim_file.path)):
        score += " <span class='muted'>stale: the claim changed since</span>"
    changes = [str(c) for c in entry.get("changes", [])]
    outcomes = [str(o) for o in entry.get("outcomes", [])] or [""] * len(changes)
    listed = "".join(
        f"<li><code>{html.escape(c)}</code> <span class='muted'>{html.escape(o)}</span></li>"
        for c, o in list(zip(changes, outcomes, strict=False))[:_SURVIVORS_SHOWN]
    )
    more = len(changes) - _SURVIVORS_SHOWN
    tail = f"<li class='muted'>and {more} more in mutation.json</li>" if more > 0 else ""
    body = f"<ul>{listed}{tail}</ul>" if changes else html.escape(str(entry.get("reason", "")))
    return f"<tr><td>{claim}</td><td>{score}</td><td>{body}</td></tr>"
