"""The claim library as a Markdown table: the list a reviewer reads in `claims/README.md`.

Built from the claim files alone (no JAX, nothing runs), with each claim's
last verdict taken from a `report.json` when one is given, so the table a
repository shows is regenerated, never edited by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from checker.spec import Claim

__all__ = ["claims_table", "last_verdicts"]


def last_verdicts(report: Path) -> dict[str, dict[str, Any]]:
    """id -> the claim's entry in a report.json; empty when the file is missing or unreadable."""
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        return {c["id"]: c for c in data["claims"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def claims_table(claims: Iterable[Claim], verdicts: Mapping[str, Mapping[str, Any]] = {}) -> str:
    """One row per claim: id, paper, what it checks, rule (and form), last verdict."""
    lines = [
        "| claim | paper | what it checks | rule | last verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for claim in sorted(claims, key=lambda c: c.id):
        lines.append(
            f"| `{claim.id}` | {_paper(claim)} | {_cell(claim.title)} | {_rule(claim)} "
            f"| {_verdict(verdicts.get(claim.id))} |"
        )
    return "\n".join(lines) + "\n"


def _paper(claim: Claim) -> str:
    source = claim.source
    surname = source.authors[0].split()[-1]
    who = surname if len(source.authors) == 1 else (
        f"{surname} & {source.authors[1].split()[-1]}" if len(source.authors) == 2
        else f"{surname} et al."
    )  # fmt: skip
    arxiv = f" ([{source.arxiv}](https://arxiv.org/abs/{source.arxiv}))" if source.arxiv else ""
    return f"{who} {source.year}{arxiv}"


def _rule(claim: Claim) -> str:
    form = claim.prediction.form
    return claim.agreement.rule + ("" if form == "expr" else f" ({form})")


def _verdict(entry: Mapping[str, Any] | None) -> str:
    if not entry:
        return "not run"
    agreement = entry.get("agreement") or {}
    figure = agreement.get("figure")
    limit = agreement.get("limit")
    detail = f" ({_number(figure)} {agreement.get('relation', '<=')} {_number(limit)})" if (
        figure is not None and limit is not None
    ) else ""  # fmt: skip
    return f"{entry.get('verdict', '?')}{detail}, seed {entry.get('seed', '?')}"


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, int | float) else str(value)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
