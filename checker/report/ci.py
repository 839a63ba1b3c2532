"""What a CI system reads: JUnit XML (one testcase per claim) and GitHub annotations.

Both point at the claim's YAML: the JUnit failure text names the file and
line of the prediction and the agreement figures; an annotation makes the
pull request show the failure on the line that was changed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from checker.jsonio import atomic_write
from checker.report.text import printable

if TYPE_CHECKING:
    from checker.results import ClaimResult
    from checker.spec import ClaimFile
    from checker.view import ClaimView

__all__ = ["failure_text", "github_annotations", "write_junit"]


def failure_text(result: ClaimResult, claim_file: ClaimFile | None) -> str:
    """Why a claim is not verified, where it is, and how to reproduce it.

    Each line is checker's own, with the claim's text made `printable` inside it:
    the line breaks are the only ones in the result, whatever the claim holds."""
    where = claim_file.where("prediction") if claim_file else result.path
    lines = [f"{result.id}: {result.verdict} ({where})"]
    if result.agreement is not None:
        lines.append(f"  agreement: {result.agreement.describe()}")
    if result.reason:
        lines.append(f"  reason: {result.reason}")
    for variant in result.must_fail:
        if variant.verdict != "disagrees":
            figure = variant.agreement.describe() if variant.agreement else variant.reason
            lines.append(f"  must-fail {variant.name!r} {variant.verdict}: {figure}")
    lines.append(f"  reproduce: {result.rerun}")
    return "\n".join(printable(line) for line in lines)


def write_junit(
    results: Sequence[ClaimResult], views: Mapping[str, ClaimView], folder: Path, seconds: float
) -> Path:
    """junit.xml; every value from a claim is `printable`, so it is legal XML 1.0 whatever the
    claim or its file name holds (ElementTree writes control characters as they are)."""
    failed = [r for r in results if r.verdict != "verified"]
    errors = [r for r in failed if r.verdict == "error"]
    suite = ET.Element("testsuite", name="checker", tests=str(len(results)),
                       failures=str(len(failed) - len(errors)), errors=str(len(errors)),
                       time=f"{seconds:.3f}")  # fmt: skip
    for result in results:
        paper = printable(result.id.split("/")[0])
        case = ET.SubElement(suite, "testcase", classname=f"claims.{paper}",
                             name=printable(result.id), file=printable(result.path),
                             time=f"{result.seconds:.3f}")  # fmt: skip
        if result.verdict != "verified":
            tag = "error" if result.verdict == "error" else "failure"
            view = views.get(result.id)
            text = failure_text(result, view.claim_file if view else None)
            node = ET.SubElement(case, tag, message=text.splitlines()[0], type=result.verdict)
            node.text = text
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    path = folder / "junit.xml"
    atomic_write(path, ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")
    return path


def github_annotations(results: Sequence[ClaimResult], views: Mapping[str, ClaimView]) -> list[str]:
    """`::error file=...,line=...::message` for every claim that is not verified.

    The file keeps its real name (GitHub decodes the escapes, so the annotation lands on
    it); escaping as GitHub specifies keeps each annotation on its one line."""
    lines = []
    for result in results:
        if result.verdict == "verified":
            continue
        view = views.get(result.id)
        where = view.claim_file.where("prediction") if view else None
        file = _escape_property(where.file if where else result.path)
        line = where.line if where else 1
        message = _escape_data(failure_text(result, view.claim_file if view else None))
        lines.append(f"::error file={file},line={line},title={result.verdict}::{message}")
    return lines


def _escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF as GitHub's runner decodes them."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value: also `:` and `,`, which end a property."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
