"""The terminal: a result table a reviewer can read at a glance, and problems without tracebacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from checker.spec import ClaimFileError

if TYPE_CHECKING:
    from checker.results import ClaimResult

__all__ = ["print_problems", "print_results"]

STYLE = {
    "verified": "bold green",
    "disagrees": "bold red",
    "toothless": "bold yellow",
    "inconclusive": "yellow",
    "error": "bold magenta",
}


def print_problems(problems: Sequence[ClaimFileError], console: Console) -> None:
    for problem in problems:
        console.print(f"[bold red]error[/] {escape(f'{problem.location}: {problem.message}')}",
                      highlight=False)  # fmt: skip
        if problem.hint:
            console.print(f"  [dim]hint:[/] {escape(problem.hint)}", highlight=False)


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
            result.id,
            f"[{STYLE[result.verdict]}]{result.verdict}[/]",
            escape(figure),
            escape(_must_fail(result)),
            "[dim]cached[/]" if result.cached else f"{result.seconds:.1f}",
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
    console.print(f"[{STYLE[result.verdict]}]{result.verdict}[/] {result.id}", highlight=False)
    if result.reason:
        console.print(f"  reason: {escape(result.reason)}", highlight=False)
    for variant in result.must_fail:
        if variant.verdict != "disagrees":
            figure = variant.agreement.describe() if variant.agreement else variant.reason
            console.print(
                escape(f"  must-fail {variant.name!r} {variant.verdict}: {figure}"), highlight=False
            )
    console.print(f"  reproduce: {escape(result.rerun)}", highlight=False)
