"""The mutation section of `index.html`: how much each check's verdict is worth.

`checker mutate --report-dir DIR` leaves `mutation.json` in the report folder;
the next `checker verify` into that folder shows it beside the verdicts. Each
entry carries the digest of the claim file it was computed from, so a claim
edited since is marked stale instead of being credited with an old kill rate.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.jsonio import read_json_object

if TYPE_CHECKING:
    from checker.view import ClaimView

__all__ = ["claim_digest", "mutation_html", "read_mutation"]

_SURVIVORS_SHOWN = 8


def claim_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_mutation(folder: Path) -> dict[str, Any] | None:
    """The folder's mutation.json, or None when there is none, it cannot be read, or it is
    not what `checker mutate` writes: the folder may come from a pull request."""
    data = read_json_object(folder / "mutation.json")
    if data is None or not _has_types(data, _TOTALS):
        return None
    claims = data.get("claims")
    if not isinstance(claims, list) or not all(_is_entry(entry) for entry in claims):
        return None
    return data


_TOTALS = {"total": int, "killed": int, "equivalent": int}
_ENTRY = {"id": str, "total": int, "killed": int, "reason": str, "digest": (str, type(None))}
_TEXT_LISTS = ("changes", "outcomes", "survivors", "equivalent")


def _is_entry(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and _has_types(entry, _ENTRY)
        and all(
            isinstance(entry.get(name, []), list) and all(isinstance(t, str) for t in entry[name])
            for name in _TEXT_LISTS
            if name in entry
        )
    )


def _has_types(data: Mapping[str, Any], fields: Mapping[str, type | tuple[type, ...]]) -> bool:
    """Each field, where present, of its type (a bool is not a count)."""
    return all(
        isinstance(data[name], kind) and not isinstance(data[name], bool)
        for name, kind in fields.items()
        if name in data
    )


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
