"""Markdown: the claim library table (`claims/README.md`) and a run's `summary.md`.

Built from the claim files alone (no JAX, nothing runs), with each claim's
last verdict taken from a `report.json` when one is given, so the table a
repository shows is regenerated, never edited by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.spec import Claim

if TYPE_CHECKING:
    from checker.results import ClaimResult
    from checker.view import ClaimView

__all__ = ["claims_table", "last_verdicts", "summary_markdown"]


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


def summary_markdown(
    results: Sequence[ClaimResult],
    views: Mapping[str, ClaimView],
    plots: Mapping[str, Path],
    summary: Mapping[str, Any],
) -> str:
    """`summary.md`: the HTML report's content in Markdown, plots linked beside it."""
    lines = [
        "# checker report",
        "",
        f"{summary.get('verified', 0)}/{summary.get('total', 0)} verified from "
        f"{summary.get('papers', 0)} paper(s) in {summary.get('seconds', 0):.1f} s, "
        f"master seed {summary.get('seed', '')}.",
        "",
        "| claim | verdict | figure | must-fail |",
        "| --- | --- | --- | --- |",
    ]
    for r in results:
        figure = r.agreement.describe() if r.agreement else r.reason
        caught = sum(v.verdict == "disagrees" for v in r.must_fail)
        lines.append(f"| `{r.id}` | {r.verdict} | {_cell(figure)} | {caught}/{len(r.must_fail)} |")
    for r in results:
        lines += ["", *_claim_markdown(r, views.get(r.id), plots.get(r.id))]
    return "\n".join(lines) + "\n"


def _claim_markdown(result: ClaimResult, view: ClaimView | None, plot: Path | None) -> list[str]:
    lines = [f"## {result.id}: {result.verdict}", ""]
    if view is not None:
        claim = view.claim
        lines += [f"**{_cell(claim.title)}** ({_paper(claim)}; {_cell(claim.source.where)})", "",
                  _cell(claim.statement), "", f"Prediction: `{claim.prediction.text()}`", ""]  # fmt: skip
        lines += [f"- hypothesis {h.name}: `{h.require or h.observe}`" for h in claim.hypotheses]
    if result.agreement is not None:
        lines += ["", f"Agreement ({result.agreement.rule}): {result.agreement.describe()}"]
    if result.reason:
        lines += ["", f"Reason: {_cell(result.reason)}"]
    if plot is not None:
        lines += ["", f"![plot of {result.id}](plots/{plot.name})"]
    for v in result.must_fail:
        figure = v.agreement.describe() if v.agreement else v.reason
        lines.append(f"- must-fail `{v.name}`: {v.verdict} ({_cell(figure)})")
    lines += ["", f"Re-run: `{result.rerun}` ({result.seconds:.1f} s)"]
    return lines
