"""The result cache: unchanged claims are not re-run; anything that changes a result re-runs it."""

from __future__ import annotations

import json
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
