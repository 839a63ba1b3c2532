"""The report folder after `checker verify`: HTML, Markdown, JUnit, plots, annotations, browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim

WRONG = TOY_CLAIM.replace("toy/gaussian-mean", "toy/wrong").replace(
    "  expr: mu\n", "  expr: mu + 0.5\n"
)
HOSTILE = TOY_CLAIM.replace("toy/gaussian-mean", "toy/hostile").replace(
    "statement: The mean of n Gaussian draws is unbiased.",
    "statement: \"<script>document.title='owned'</script><img src=http://example.invalid/x.png>\"",
)


@pytest.fixture
def reports(project: Path, capsys) -> Path:
    write_claim(project / "claims", "good.yaml", TOY_CLAIM)
    write_claim(project / "claims", "wrong.yaml", WRONG)
    write_claim(project / "claims", "hostile.yaml", HOSTILE)
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    capsys.readouterr()
    return project / "out"


def test_report_folder_holds_every_file_and_a_plot_per_claim(reports: Path) -> None:
    for name in ("index.html", "summary.md", "junit.xml", "report.json"):
        assert (reports / name).is_file(), name
    plots = sorted(p.name for p in (reports / "plots").glob("*.png"))
    named = [re.sub(r"-[0-9a-f]{12}\.png$", "", p) for p in plots]  # slug, then a hash of the id
    assert named == ["toy__gaussian-mean", "toy__hostile", "toy__wrong"]
    assert all((reports / "plots" / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in plots)


def test_html_is_self_contained_and_escapes_claim_text(reports: Path) -> None:
    page = (reports / "index.html").read_text()
    sources = re.findall(r"""\bsrc=['"]([^'"]*)""", page)
    assert len(sources) == 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<link" not in page and "url(" not in page and "@import" not in page
    assert "<script>document.title" not in page
    assert "&lt;script&gt;document.title=&#x27;owned&#x27;&lt;/script&gt;" in page
    assert page.count("<section class='claim'") == 3
    assert page.count('<math display="block">') == 3
    assert "checker verify" in page and "arXiv" not in page.split("<section")[0]


def test_summary_markdown_links_the_plots(reports: Path) -> None:
    text = (reports / "summary.md").read_text()
    assert "1/3 verified" not in text  # the hostile claim verifies too
    assert "2/3 verified" in text
    assert re.search(r"!\[plot of toy/wrong\]\(plots/toy__wrong-[0-9a-f]{12}\.png\)", text)
    assert "| `toy/wrong` | disagrees |" in text


def test_junit_has_one_testcase_per_claim_and_says_why(reports: Path) -> None:
    suite = ET.parse(reports / "junit.xml").getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"toy/gaussian-mean", "toy/wrong", "toy/hostile"}
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    failure = cases["toy/wrong"].find("failure")
    assert failure is not None and cases["toy/gaussian-mean"].find("failure") is None
    assert "wrong.yaml:19:1" in failure.text and "max |mean-pred|" in failure.text


def test_github_annotations_point_at_the_claim_yaml(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_claim(project / "claims", "wrong.yaml", WRONG)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("::error")]
    assert len(lines) == 1
    assert re.match(r"::error file=claims/wrong\.yaml,line=19,title=disagrees::toy/wrong", lines[0])
    assert "%0A  agreement: " in lines[0]


def _chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


@pytest.mark.skipif(
    _chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)
def test_a_real_browser_renders_every_section_formula_and_plot(reports: Path) -> None:
    browser = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=5000",
    ]
    url = (reports / "index.html").resolve().as_uri()
    dom = subprocess.run([*browser, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body, dom.stderr[-2000:]
    assert 'data-rendered="yes"' in body.group(0)
    assert 'data-claims="3"' in body.group(0)
    assert 'data-plots="3"' in body.group(0)  # every plot decoded, with a width
    assert 'data-formulas="3"' in body.group(0)
    shot = reports / "shot.png"
    subprocess.run([*browser, "--window-size=1000,2000", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120, check=True)  # fmt: skip
    _assert_not_blank(shot)


def _assert_not_blank(png: Path) -> None:
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 900
    assert pixels.std() > 0.05  # text, tables and plots, not an empty page


def test_two_runs_writing_one_folder_leave_one_complete_set(project: Path) -> None:
    import json
    import sys

    write_claim(project / "claims", "good.yaml", TOY_CLAIM)
    command = "from checker.cli import main; import sys; raise SystemExit(main(sys.argv[1:]))"
    runs = [
        subprocess.Popen([sys.executable, "-c", command, "verify", "claims", "--report-dir", "out",
                          "--seed", str(seed), "--no-cache"], cwd=project)
        for seed in (11, 12)
    ]  # fmt: skip
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    seed = json.loads((project / "out" / "report.json").read_text())["environment"]["seed"]
    assert f"master seed {seed}." in (project / "out" / "summary.md").read_text()
    assert f"master seed {seed}." in (project / "out" / "index.html").read_text()
    assert ET.parse(project / "out" / "junit.xml").getroot().find("testsuite") is not None


def test_plots_are_drawn_once_per_result_and_reused(project: Path, capsys) -> None:
    write_claim(project / "claims", "good.yaml", TOY_CLAIM)
    assert main(["verify", "claims", "--report-dir", "one"]) == 0
    stored = sorted((project / "cache" / "plots").glob("*.png"))
    assert len(stored) == 1
    assert main(["verify", "claims", "--report-dir", "two"]) == 0
    (first,) = (project / "one" / "plots").glob("toy__gaussian-mean-*.png")
    assert (project / "two" / "plots" / first.name).read_bytes() == first.read_bytes()
    assert sorted((project / "cache" / "plots").glob("*.png")) == stored
