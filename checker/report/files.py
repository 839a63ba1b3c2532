"""Everything a run leaves in the report folder, written in one place.

report.json (the full record), one PNG plot per claim under plots/, the
self-contained index.html, summary.md and junit.xml. Each file is written
atomically, so a reader (or a second run) never sees half of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.jsonio import atomic_write
from checker.report.ci import write_junit
from checker.report.html import slug, write_html_report
from checker.report.json_report import write_json_report
from checker.report.markdown import summary_markdown
from checker.report.plots import plot_claim

if TYPE_CHECKING:
    from checker.plan import Plan
    from checker.run import ClaimResult

__all__ = ["write_reports"]


def write_reports(
    results: Sequence[ClaimResult],
    plans: Mapping[str, Plan],
    report: Mapping[str, Any],
    folder: Path,
) -> dict[str, Path]:
    """Write every report file; returns their paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    summary = {**report["summary"], "seed": report["environment"]["seed"]}
    plots = {}
    for result in results:
        plan = plans.get(result.id)
        if plan is not None:
            path = plot_claim(result, plan.claim, folder / "plots" / f"{slug(result.id)}.png")
            if path is not None:
                plots[result.id] = path
    markdown = folder / "summary.md"
    atomic_write(markdown, summary_markdown(results, plans, plots, summary))
    return {
        "json": write_json_report(dict(report), folder),
        "html": write_html_report(results, plans, folder, plots, summary),
        "markdown": markdown,
        "junit": write_junit(results, plans, folder, float(summary["seconds"])),
    }
