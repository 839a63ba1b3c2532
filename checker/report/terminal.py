"""The terminal: a result table a reviewer can read at a glance, and problems without tracebacks.

Claim text reaches rich only as `Text` built by `plain`, so it is never read as
markup (`[/bold]`) or emoji codes, and shows control characters as escapes. Lines
are printed unwrapped: in a CI log every line then starts with checker's own
words, so no wrapped tail of a claim's text can begin a workflow command.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from checker.report.text import printable
from checker.spec import ClaimFileError

if TYPE_CHECKING:
    from checker.results import ClaimResult

__all__ = ["plain", "print_line", "print_problems", "print_results"]

STYLE = {
    "verified": "bold green",
    "disagrees": "bold red",
    "toothless": "bold yellow",
    "inconclusive": "yellow",
    "error": "bold magenta",
}


def plain(text: str) -> Text:
    """Untrusted text as a rich renderable that shows exactly what it says, on one line."""
    return Text(printable(text))


def print_line(console: Console, *parts: str | tuple[str, str]) -> None:
    """One output line: plain strings are claim text, (text, style) pairs are checker's own."""
    line = Text.assemble(*(plain(p) if isinstance(p, str) else p for p in parts))
    console.print(line, soft_wrap=True)


def print_problems(problems: Sequence[ClaimFileError], console: Console) -> None:
    for problem in problems:
        print_line(console, ("error", "bold red"), f" {problem.location}: {problem.message}")
        if problem.hint:
            print_line(console, ("  hint:", "dim"), f" {problem.hint}")


def print_results(results: Sequence[ClaimResult], console: Console) -> None:
    table = Table(title="checker verify", title_justify="left", expand=False)
    table.add_column("claim", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("figure vs tolerance")
    table.add_column("must-fail", no_wrap=True)
    table.add_column("s", justify="right")
    for result in results:
        figure = result.agreement.describe() if result.agreement else result.reason
        table.add_row(
            plain(result.id),
            Text(result.verdict, STYLE[result.verdict]),
            plain(figure),
            plain(_must_fail(result)),
            Text("cached", "dim") if result.cached else f"{result.seconds:.1f}",
        )
    console.print(table)
    for result in results:
        if result.verdict != "verified":
            _explain(result, console)


def _must_fail(result: ClaimResult) -> str:
    if not result.must_fail:
        return "-"
    caught = sum(v.verdict == "disagrees" for v in result.must_fail)
    text = f"{caught}/{len(result.must_fail)} disagree"
    missed = [v.name for v in result.must_fail if v.verdict != "disagrees"]
    return text + (f" (not: {', '.join(missed)})" if missed else "")


def _explain(result: ClaimResult, console: Console) -> None:
    print_line(console, (result.verdict, STYLE[result.verdict]), f" {result.id}")
    if result.reason:
        print_line(console, f"  reason: {result.reason}")
    for variant in result.must_fail:
        if variant.verdict != "disagrees":
            figure = variant.agreement.describe() if variant.agreement else variant.reason
            print_line(console, f"  must-fail {variant.name!r} {variant.verdict}: {figure}")
    print_line(console, f"  reproduce: {result.rerun}")
