"""`index.html`: one self-contained page a reviewer reads to see why each claim holds.

Self-contained means no network request at all: styles inline, plots embedded
as data URIs (and written beside the page as PNG), formulas as MathML from
SymPy (typeset when the claim is planned: `checker.view`), which browsers
render natively. Claim files are untrusted, so every piece of claim text is
escaped; the only script is a few inline lines that record, on the page
itself, how many plots and formulas rendered (the browser test reads them).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.jsonio import atomic_write
from checker.report.mutation import mutation_html
from checker.report.text import printable

if TYPE_CHECKING:
    from checker.results import ClaimResult
    from checker.view import ClaimView

__all__ = ["slug", "write_html_report"]

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2.2em;border-top:1px solid #ddd;padding-top:1em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:left;vertical-align:top}code,pre{background:#f5f5f5;padding:.1em .3em}
pre{padding:.6em;overflow-x:auto}.verdict{font-weight:bold;padding:.1em .5em;border-radius:4px}
.verified{background:#d4f4dd;color:#05631d}.disagrees,.error{background:#fbd5d5;color:#8a1010}
.toothless,.inconclusive{background:#fff1c2;color:#7a5600}.formula{font-size:1.25em;margin:.5em 0}
img{max-width:100%;border:1px solid #eee}.muted{color:#666;font-size:.9em}
"""

_SCRIPT = """
addEventListener("load", () => {
  const imgs = [...document.querySelectorAll("section.claim img")];
  document.body.dataset.claims = document.querySelectorAll("section.claim").length;
  document.body.dataset.plots = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.formulas = document.querySelectorAll("section.claim math").length;
  document.body.dataset.rendered = "yes";
});
"""


_SLUG_READABLE = 80  # characters of the id kept in a slug; the hash tells the rest apart


def slug(claim_id: str) -> str:
    """The id as a plot file name and HTML anchor: readable, and distinct for distinct ids.

    Spelling `/` as `__` alone is not enough: ids may hold `_`, so `a/b__c` and
    `a__b/c` would share one, and an id of 99 slashes would pass the file-name
    length limit. A hash of the exact id makes each slug its own."""
    readable = re.sub(r"[^a-z0-9._-]", "_", claim_id.replace("/", "__"))[:_SLUG_READABLE]
    digest = hashlib.sha256(claim_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{readable.lstrip('.')}-{digest}"


def _text(value: str) -> str:
    """Untrusted text for HTML: entities for markup, escapes for control characters."""
    return html.escape(printable(value, keep="\n"))


def write_html_report(
    results: Sequence[ClaimResult],
    views: Mapping[str, ClaimView],
    folder: Path,
    plots: Mapping[str, Path],
    summary: Mapping[str, Any],
    mutation: Mapping[str, Any] | None = None,
) -> Path:
    sections = [_section(r, views.get(r.id), plots.get(r.id)) for r in results]
    if mutation is not None:  # what `checker mutate` left in this folder
        sections.append(mutation_html(mutation, views))
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>checker report</title><style>{_STYLE}</style><script>{_SCRIPT}</script>"
        f"</head><body><h1>checker report</h1>{_overview(results, summary)}"
        + "".join(sections)
        + "</body></html>\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    atomic_write(path, page)
    return path


def _overview(results: Sequence[ClaimResult], summary: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><a href='#{slug(r.id)}'>{_text(r.id)}</a></td>"
        f"<td>{_badge(r.verdict)}</td><td>{_figure(r.agreement, r.reason)}</td></tr>"
        for r in results
    )
    return (
        f"<p>{summary.get('verified', 0)}/{summary.get('total', 0)} verified from "
        f"{summary.get('papers', 0)} paper(s) in {summary.get('seconds', 0):.1f} s, "
        f"master seed {_text(str(summary.get('seed', '')))}.</p>"
        f"<table><tr><th>claim</th><th>verdict</th><th>figure</th></tr>{rows}</table>"
    )


def _section(result: ClaimResult, view: ClaimView | None, plot: Path | None) -> str:
    e = _text
    parts = [
        f"<section class='claim' id='{slug(result.id)}'>",
        f"<h2>{e(result.id)} {_badge(result.verdict)}</h2>",
    ]
    if view is not None:
        parts.append(_claim_text(view))
    parts.append(f"<p><b>Agreement</b> ({e(view.claim.agreement.rule) if view else ''}): "
                 f"{_figure(result.agreement, result.reason)}</p>")  # fmt: skip
    if plot is not None and plot.exists():
        data = base64.b64encode(plot.read_bytes()).decode()
        parts.append(f"<img alt='plot of {e(result.id)}' src='data:image/png;base64,{data}'>")
    parts.append(_variants(result, view))
    cached = " (cached result)" if result.cached else ""
    parts.append(
        f"<p class='muted'>{result.seconds:.1f} s{cached}, master seed {result.seed}. "
        f"Re-run: <code>{e(result.rerun)}</code></p></section>"
    )
    return "".join(parts)


def _claim_text(view: ClaimView) -> str:
    e = _text
    claim, source = view.claim, view.claim.source
    arxiv = (
        f" <a href='https://arxiv.org/abs/{e(source.arxiv)}'>arXiv:{e(source.arxiv)}</a>"
        if source.arxiv else ""
    )  # fmt: skip
    hypotheses = "".join(
        f"<li><b>{e(h.name)}</b>: {e(h.text)} <code>{e(h.require or h.observe or '')}</code> "
        f"<span class='muted'>({'require' if h.require else 'observe'})</span></li>"
        for h in claim.hypotheses
    )
    latex = _latex(view)
    return (
        f"<p><b>{e(claim.title)}</b></p>"
        f"<p class='muted'>{e(', '.join(source.authors))} ({source.year}), "
        f"<i>{e(source.title)}</i>.{arxiv} Where: {e(source.where)}</p>"
        f"<p>{e(claim.statement)}</p>"
        f"<div class='formula'>{view.formula}</div>"
        f"<p class='muted'>Prediction as written: <code>{e(claim.prediction.text())}</code></p>"
        f"{latex}" + (f"<p><b>Hypotheses</b></p><ul>{hypotheses}</ul>" if hypotheses else "")
    )


def _latex(view: ClaimView) -> str:
    """The paper's LaTeX, what the parser read in it, and whether that equals expr."""
    check = view.latex
    if check is None:
        return ""
    e = _text
    parsed = f"<div class='formula'>{check.mathml}</div>" if check.mathml else ""
    kind = check.outcome.replace(" ", "-")
    return (
        f"<p class='muted'>As printed (LaTeX): <code>{e(view.claim.latex.text)}</code></p>"
        f"{parsed}<p class='latex {kind}'>LaTeX {e(check.outcome)}: {e(check.message)}</p>"
    )


def _variants(result: ClaimResult, view: ClaimView | None) -> str:
    if not result.must_fail:
        return ""
    why = {v.name: v.why for v in view.claim.must_fail} if view else {}
    rows = "".join(
        f"<tr><td>{_text(v.name)}</td><td>{_text(why.get(v.name, ''))}</td>"
        f"<td>{_badge(v.verdict)}</td><td>{_figure(v.agreement, v.reason)}</td></tr>"
        for v in result.must_fail
    )
    return (
        "<p><b>Must-fail variants</b> (each must disagree)</p><table><tr><th>variant</th>"
        f"<th>why it is wrong</th><th>verdict</th><th>figure</th></tr>{rows}</table>"
    )


def _figure(agreement: Any, reason: str) -> str:
    return _text(agreement.describe() if agreement is not None else reason)


def _badge(verdict: str) -> str:
    return f"<span class='verdict {_text(verdict)}'>{_text(verdict)}</span>"
