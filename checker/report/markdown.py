"""Markdown: the claim library table (`claims/README.md`) and a run's `summary.md`.

Built from the claim files alone (no JAX, nothing runs), with each claim's
last verdict taken from a `report.json` when one is given, so the table a
repository shows is regenerated, never edited by hand.

Claim text enters Markdown only through `markdown_text` (prose) and
`markdown_code` (code spans): one line each, so it cannot open a block, and
with every character that starts markup or HTML escaped, so a renderer shows it
as written and no claim adds a link, an image or a tag to the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.report.text import printable
from checker.spec import Claim

if TYPE_CHECKING:
    from checker.results import ClaimResult
    from checker.view import ClaimView

__all__ = ["claims_table", "last_verdicts", "markdown_code", "markdown_text", "summary_markdown"]

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_INLINE = re.compile(r"[&<>\\`*_\[\]|~$!]")  # start HTML, emphasis, links, code, cells, math
_BLOCK_START = re.compile(r"^(\d*)([#+\-=.)])")  # a heading, list item, rule or numbered item


def markdown_text(text: str) -> str:
    """Untrusted text as Markdown that renders as exactly this text, on one line."""
    line = printable(" ".join(text.split()))
    line = _INLINE.sub(lambda m: _HTML.get(m[0], "\\" + m[0]), line)
    return _BLOCK_START.sub(r"\1\\\2", line, count=1)


def markdown_code(text: str, *, in_table: bool = False) -> str:
    """Untrusted text as a code span: fenced by more backticks than it holds, on one line."""
    line = printable(" ".join(text.split()))
    longest = max((len(run) for run in re.findall("`+", line)), default=0)
    fence = "`" * (longest + 1)
    if in_table:  # a table row ends a cell at `|`, even inside a code span
        line = line.replace("|", "\\|")
    return f"{fence} {line} {fence}" if line.startswith("`") or line.endswith("`") else (
        f"{fence}{line}{fence}"
    )  # fmt: skip


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
            f"| {markdown_code(claim.id, in_table=True)} | {_paper(claim)} "
            f"| {markdown_text(claim.title)} | {_rule(claim)} "
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
    return f"{markdown_text(who)} {source.year}{arxiv}"


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
    return markdown_text(f"{entry.get('verdict', '?')}{detail}, seed {entry.get('seed', '?')}")


def _number(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, int | float) else str(value)


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
        lines.append(f"| {markdown_code(r.id, in_table=True)} | {r.verdict} "
                     f"| {markdown_text(figure)} | {caught}/{len(r.must_fail)} |")  # fmt: skip
    for r in results:
        lines += ["", *_claim_markdown(r, views.get(r.id), plots.get(r.id))]
    return "\n".join(lines) + "\n"


def _claim_markdown(result: ClaimResult, view: ClaimView | None, plot: Path | None) -> list[str]:
    text, code = markdown_text, markdown_code
    lines = [f"## {text(result.id)}: {result.verdict}", ""]
    if view is not None:
        claim = view.claim
        lines += [f"**{text(claim.title)}** ({_paper(claim)}; {text(claim.source.where)})", "",
                  text(claim.statement), "", f"Prediction: {code(claim.prediction.text())}", ""]  # fmt: skip
        lines += [
            f"- hypothesis {text(h.name)}: {code(h.require or h.observe or '')}"
            for h in claim.hypotheses
        ]
    if result.agreement is not None:
        lines += ["", f"Agreement ({result.agreement.rule}): {text(result.agreement.describe())}"]
    if result.reason:
        lines += ["", f"Reason: {text(result.reason)}"]
    if plot is not None:  # the name is a slug: nothing in it ends the link
        lines += ["", f"![plot of {text(result.id)}](plots/{plot.name})"]
    for v in result.must_fail:
        figure = v.agreement.describe() if v.agreement else v.reason
        lines.append(f"- must-fail {code(v.name)}: {v.verdict} ({text(figure)})")
    lines += ["", f"Re-run: {code(result.rerun)} ({result.seconds:.1f} s)"]
    return lines
