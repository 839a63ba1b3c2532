"""The result cache: unchanged claims are not re-run; anything that changes a result re-runs it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim


def _run(*extra: str) -> dict:
    assert main(["verify", "claims", "--report-dir", "out", *extra]) == 0
    return json.loads(Path("out/report.json").read_text())


def _entries(project: Path) -> list[Path]:
    return sorted((project / "cache").glob("*.json"))


def test_unchanged_claim_comes_from_the_cache_with_the_same_figures(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    first = _run()["claims"][0]
    second = _run()["claims"][0]
    assert len(_entries(project)) == 1
    assert second["cached"] and not first["cached"]
    assert second["agreement"] == first["agreement"]
    assert second["must_fail"] == first["must_fail"]


def test_editing_the_claim_or_changing_the_seed_re_runs_it(project: Path) -> None:
    path = write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    _run()
    path.write_text(path.read_text().replace("seeds: 16", "seeds: 17"))
    assert not _run()["claims"][0]["cached"]
    assert not _run("--seed", "3")["claims"][0]["cached"]
    assert len(_entries(project)) == 3


def test_no_cache_re_runs_and_refreshes(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    _run()
    assert not _run("--no-cache")["claims"][0]["cached"]
    assert _run()["claims"][0]["cached"]


def test_a_corrupt_or_foreign_entry_is_ignored_and_recomputed(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    _run()
    (entry,) = _entries(project)
    entry.write_text('{"format": 1, "key": "')
    assert not _run()["claims"][0]["cached"]
    data = json.loads(entry.read_text())
    data["key"] = "0" * 64  # an entry copied under another key
    entry.write_text(json.dumps(data))
    assert not _run()["claims"][0]["cached"]
    assert _run()["claims"][0]["cached"]


def test_errors_are_not_cached(project: Path) -> None:
    text = TOY_CLAIM.replace(
        "params: {samples: 4096, sigma: 1.0}", "params: {samples: 64, fail: nan}"
    )
    write_claim(project / "claims", "toy.yaml", text)
    assert main(["verify", "claims", "--report-dir", "out"]) == 1
    assert _entries(project) == []


def test_run_times_are_remembered_and_the_slowest_claims_start_first(project: Path) -> None:
    from checker.cache import ResultCache
    from checker.verify import _longest_first, lint

    for name in ("fast", "slow"):
        text = TOY_CLAIM.replace("toy/gaussian-mean", f"toy/{name}")
        write_claim(project / "claims", f"{name}.yaml", text)
    _run()
    plans = lint([project / "claims"]).plans
    seconds = ResultCache(project / "cache").expected_seconds(plans)
    assert set(seconds) == {"toy/fast", "toy/slow"} and all(s > 0 for s in seconds.values())
    timed = {"toy/fast": 1.0, "toy/slow": 5.0}
    assert [p.claim.id for p in _longest_first(plans, timed)] == ["toy/slow", "toy/fast"]
    assert _longest_first(plans, {"toy/fast": 1.0})[0].claim.id == "toy/slow"


LATEX_CLAIM = TOY_CLAIM.replace("measurement:\n", "latex: '\\mu'\nmeasurement:\n", 1)
PROBE = (
    "import sys; from checker.cli import main; "
    "code = main(['verify', 'claims', '--report-dir', sys.argv[1]]); "
    "print('HEAVY', sorted(m for m in ('sympy', 'checker.plan', 'checker.run') if m in sys.modules)); "
    "sys.exit(code)"
)


def _verify_in_a_fresh_process(project: Path, report_dir: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, report_dir], cwd=project,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _without_timings(text: str) -> str:
    return re.sub(r'\d+\.\d+ s\b|time="[\d.]+"|"seconds": [\d.]+|"out-\w+"', "", text)


def test_an_unchanged_library_re_reports_without_planning_and_writes_the_same_reports(
    project: Path,
) -> None:
    write_claim(project / "claims", "toy.yaml", LATEX_CLAIM)
    _verify_in_a_fresh_process(project, "out-first")
    shutil.rmtree(project / "cache" / "views")  # the result is cached; planned once more
    planned = _verify_in_a_fresh_process(project, "out-planned")
    remembered = _verify_in_a_fresh_process(project, "out-remembered")
    assert "'sympy'" in planned and "'checker.plan'" in planned
    assert "HEAVY []" in remembered
    for name in ("index.html", "summary.md", "junit.xml", "report.json"):
        before = (project / "out-planned" / name).read_text()
        after = (project / "out-remembered" / name).read_text()
        assert _without_timings(after) == _without_timings(before), name
    assert "LaTeX equal" in (project / "out-remembered" / "index.html").read_text()


def test_a_file_broken_after_a_cached_run_still_stops_the_run(project: Path, capsys) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    _run()
    assert _run()["claims"][0]["cached"]
    broken = TOY_CLAIM.replace("toy/gaussian-mean", "toy/broken").replace(
        "expr: mu\n", "expr: mu + nu\n"
    )
    write_claim(project / "claims", "broken.yaml", broken)
    assert main(["verify", "claims", "--report-dir", "out"]) == 2
    assert "broken.yaml:20:3: prediction.expr: unknown symbol 'nu'" in capsys.readouterr().err


def test_select_profile_and_edits_act_alike_on_a_cached_library(project: Path, capsys) -> None:
    for name in ("one", "two"):
        text = TOY_CLAIM.replace("toy/gaussian-mean", f"toy/{name}")
        write_claim(project / "claims", f"{name}.yaml", text)
    _run()
    assert [c["id"] for c in _run("--select", "toy/two")["claims"]] == ["toy/two"]
    assert main(["verify", "claims", "--report-dir", "out", "--profile", "huge"]) == 2
    assert "--profile huge: no claim defines" in capsys.readouterr().err
    path = project / "claims" / "one.yaml"
    path.write_text(path.read_text().replace("The sample mean estimates", "Sample means estimate"))
    claims = {c["id"]: c for c in _run()["claims"]}
    assert claims["toy/one"]["title"].startswith("Sample means") and claims["toy/two"]["cached"]


def test_a_damaged_view_is_planned_again_never_trusted(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", LATEX_CLAIM)
    first = _run()["claims"][0]
    (entry,) = (project / "cache" / "views").iterdir()
    entry.write_text('{"formula": "<math>forged</math>"')
    again = _run()["claims"][0]
    assert again["latex"] == first["latex"] and again["cached"]
    assert "forged" not in Path("out/index.html").read_text()
    assert json.loads(entry.read_text())["latex"]["outcome"] == "equal"
