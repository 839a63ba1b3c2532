"""Claim files are untrusted: whatever text they carry, every output shows it as written.

YAML double-quoted escapes (`"\\e]52;..."`, `"\\u001b[2J"`) put control characters
into a claim that the file bytes never held, and git lets a file name hold a
newline. None of that may act on a terminal, a CI log, a Markdown renderer or
an XML parser; a hostile claim gets its own verdict and the others are untouched.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from checker.cli import main
from checker.report import print_results
from checker.results import ClaimResult
from tests.conftest import TOY_CLAIM, write_claim

OSC_52 = r"\e]52;c;ZXZpbA==\a"  # YAML escapes: sets the clipboard of the reader's terminal
CLEAR = r"\u001b[2J\x9b3J"  # erase the screen (ESC [) and the scrollback (C1 CSI)

WRONG = TOY_CLAIM.replace("toy/gaussian-mean", "toy/wrong").replace(
    "  expr: mu\n", "  expr: mu + 0.5\n"
)


def _claim(claim_id: str, **fields: str) -> str:
    """The toy claim with a new id and some top-level lines replaced (YAML text, as written)."""
    lines = TOY_CLAIM.replace("toy/gaussian-mean", claim_id).splitlines(keepends=True)
    for key, value in fields.items():
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key}: "))
        lines[at] = f"{key}: {value}\n"
    return "".join(lines)


CONTROLS = (
    _claim(
        "toy/controls",
        title=f'"{OSC_52} sample mean {CLEAR}"',
        statement=f'"clears {CLEAR} the screen, \\u202ereversed"',  # and a bidi override
    )
    .replace("text: the draws have finite variance", f'text: "{OSC_52}"')
    .replace(
        "must_fail:\n",
        f'must_fail:\n  - name: "same{CLEAR}"\n    why: "{OSC_52}"\n    prediction: {{expr: mu}}\n',
    )
)


def _no_raw_controls(text: str) -> None:
    found = [c for c in text if not c.isprintable() and c != "\n"]
    assert not found, f"raw control characters reached the output: {found!r}"


def test_show_prints_control_characters_as_visible_escapes(project: Path, capsys) -> None:
    write_claim(project / "claims", "controls.yaml", CONTROLS)
    assert main(["show", "toy/controls", "claims"]) == 0
    out = capsys.readouterr().out
    _no_raw_controls(out)
    assert r"\x1b]52;c;ZXZpbA==\x07 sample mean \x1b[2J\x9b3J" in out


def test_list_prints_control_characters_as_visible_escapes(project: Path, capsys) -> None:
    write_claim(project / "claims", "controls.yaml", CONTROLS)
    assert main(["list", "claims"]) == 0
    out = capsys.readouterr().out
    _no_raw_controls(out)
    assert r"\x1b]52" in out


def test_verify_prints_no_control_characters_and_other_claims_are_unaffected(
    project: Path, capsys
) -> None:
    write_claim(project / "claims", "controls.yaml", CONTROLS)
    write_claim(project / "claims", "good.yaml", TOY_CLAIM)
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    captured = capsys.readouterr()
    _no_raw_controls(captured.out + captured.err)
    assert r"same\x1b[2J\x9b3J" in captured.out
    for name in ("index.html", "summary.md", "junit.xml"):
        _no_raw_controls((project / "out" / name).read_text())
    assert (
        r"clears \x1b[2J\x9b3J the screen, \u202ereversed"
        in (project / "out" / "index.html").read_text()
    )
    verdicts = {
        c["id"]: c["verdict"]
        for c in json.loads((project / "out" / "report.json").read_text())["claims"]
    }
    assert verdicts == {"toy/controls": "toothless", "toy/gaussian-mean": "verified"}


def test_titles_are_shown_as_written_not_read_as_markup(project: Path, capsys) -> None:
    markup = "[/bold] [red]red[/red] [link=https://example.invalid]x[/link]"
    write_claim(project / "claims", "markup.yaml", _claim("toy/markup", title=f'"{markup}"'))
    assert main(["list", "claims"]) == 0
    assert markup in capsys.readouterr().out
    assert main(["show", "toy/markup", "claims"]) == 0
    assert markup in capsys.readouterr().out


def _command_lines(text: str) -> list[str]:
    """Lines the GitHub runner would read as workflow commands (it strips leading blanks)."""
    return [line.lstrip() for line in text.splitlines() if line.lstrip().startswith("::")]


def test_file_names_cannot_add_workflow_commands(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    write_claim(project / "claims", "x\n::warning file=a.py::smuggled.yaml", WRONG)
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    captured = capsys.readouterr()
    commands = _command_lines(captured.out + captured.err)
    assert len(commands) == 1 and commands[0].startswith("::error file=claims/x%0A%3A%3Awarning")
    assert r"x\n::warning file=a.py::smuggled.yaml" in captured.out


def test_invalid_file_with_a_hostile_name_exits_2_with_its_location(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    name = "bad\n::notice::smuggled\x1b[2J.yaml"
    write_claim(project / "claims", name, TOY_CLAIM.replace("seeds: 16", "seedz: 16"))
    assert main(["verify", "claims", "--report-dir", "out"]) == 2
    captured = capsys.readouterr()
    assert not _command_lines(captured.out + captured.err)
    _no_raw_controls(captured.err)
    assert r"claims/bad\n::notice::smuggled\x1b[2J.yaml:25:3:" in captured.err


def test_long_lines_never_wrap_into_a_workflow_command() -> None:
    """A log is 140 columns wide: no wrapped tail of a long path may begin a line."""
    results = [
        ClaimResult(
            id="toy/wrong",
            path=f"claims/{'a' * pad}::warning::wrapped.yaml",
            verdict="error",
            agreement=None,
            must_fail=(),
            seconds=0.1,
            reason=f"{'b ' * pad}::warning::wrapped reason",
        )
        for pad in range(60, 140)
    ]
    buffer = io.StringIO()
    print_results(results, Console(file=buffer, width=140, highlight=False))
    assert not _command_lines(buffer.getvalue())


def test_reproduce_command_quotes_the_path(project: Path, capsys) -> None:
    path = "claims/it's $(touch owned); x.yaml"
    write_claim(project, path, WRONG)
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    out = capsys.readouterr().out
    claim = json.loads((project / "out" / "report.json").read_text())["claims"][0]
    expected = ["checker", "verify", path, "--select", "toy/wrong", "--seed", "0"]
    assert shlex.split(claim["rerun"]) == expected
    shown = next(line for line in out.splitlines() if "reproduce:" in line)
    assert shlex.split(shown.split("reproduce:", 1)[1]) == expected


def test_junit_parses_with_control_characters_in_file_names(project: Path) -> None:
    write_claim(project / "claims", "bell\x07\x1b[2J\x0b.yaml", WRONG)
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    suite = ET.parse(project / "out" / "junit.xml").getroot().find("testsuite")
    case = suite.find("testcase")
    assert case.get("file") == r"claims/bell\x07\x1b[2J\x0b.yaml"
    assert r"bell\x07\x1b[2J\x0b.yaml" in case.find("failure").text


MARKDOWN = (
    _claim(
        "toy/markdown",
        title='"<img src=x onerror=alert(1)> [t](javascript:alert(1)) | cell"',
        statement=r'"[click](javascript:alert(2)) <script>alert(3)</script>\n\n# injected heading"',
    )
    .replace("authors: [Gauss]", 'authors: ["<b>Evil</b> [a](javascript:alert(4))"]')
    .replace('where: "Sec. 1"', r'where: "Sec. 1 | <i>x</i>\n\n# injected where"')
    .replace(
        "  - name: biased\n",
        r'  - name: "v` [x](javascript:alert(5)) <u>u</u>\n\n# injected variant"' + "\n",
    )
)


def _render(markdown: str) -> str:
    """HTML from a CommonMark renderer with raw HTML on and no link filter, the worst case."""
    renderer = MarkdownIt("commonmark").enable("table")
    renderer.validateLink = lambda url: True
    return renderer.render(markdown)


def _assert_inert(page: str) -> None:
    for tag in ("<img src=x", "<script", "<b>", "<i>", "<u>", "<h1>injected", 'href="javascript'):
        assert tag not in page, tag


def test_summary_markdown_shows_claim_text_literally(project: Path) -> None:
    write_claim(project / "claims", "markdown.yaml", MARKDOWN)
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    page = _render((project / "out" / "summary.md").read_text())
    _assert_inert(page)
    assert "&lt;img src=x onerror=alert(1)&gt; [t](javascript:alert(1)) | cell" in page
    assert "# injected variant" in page and "# injected heading" in page


def test_claims_table_shows_claim_text_literally(project: Path, capsys) -> None:
    write_claim(project / "claims", "markdown.yaml", MARKDOWN)
    assert main(["list", "claims", "--markdown"]) == 0
    page = _render(capsys.readouterr().out)
    _assert_inert(page)
    assert "[t](javascript:alert(1)) | cell</td>" in page  # the pipe stayed inside its cell


def test_two_ids_never_share_a_plot_or_an_anchor(project: Path) -> None:
    """`toy/a__b` and `toy__a/b` are distinct valid ids that once shared one slug."""
    write_claim(project / "claims", "one.yaml", _claim("toy/a__b"))
    write_claim(project / "claims", "two.yaml", _claim("toy__a/b"))
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    assert len(list((project / "out" / "plots").glob("*.png"))) == 2
    page = (project / "out" / "index.html").read_text()
    anchors = re.findall(r"<section class='claim' id='([^']+)'", page)
    assert len(set(anchors)) == 2
    assert sorted(re.findall(r"href='#([^']+)'", page)) == sorted(anchors)
    links = re.findall(r"\]\(plots/([^)]+)\)", (project / "out" / "summary.md").read_text())
    assert len(set(links)) == 2


def test_the_longest_valid_id_gets_a_plot(project: Path) -> None:
    long_id = "t" + "/a" * 99  # 199 characters, the most slashes a valid id holds
    write_claim(project / "claims", "long.yaml", _claim(long_id))
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    (plot,) = (project / "out" / "plots").glob("*.png")
    assert len(plot.name) <= 120
