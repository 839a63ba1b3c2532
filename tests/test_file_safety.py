"""Files a pull request or a working folder can plant: special files, links, damaged caches.

Claim files, the report folder's contents, the cache and the working folder's matplotlibrc
are all outside checker's control. Each case here must end in exit 2 naming the file, or be
ignored and recomputed; none may hang, write outside the report folder or crash.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim

if TYPE_CHECKING:
    from checker.plan import Plan

RUN = "from checker.cli import main; import sys; raise SystemExit(main(sys.argv[1:]))"
NOT_OBJECTS = ["[]", "3", '"x"', "null", "{"]


def _checker(
    project: Path, *args: str, timeout: float = 120, memory: int | None = None
) -> subprocess.CompletedProcess[str]:
    """checker in a fresh interpreter: a hang fails the test instead of the suite, and
    matplotlib reads the working folder's matplotlibrc as it would for a user."""

    def limit_memory() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-c", RUN, *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory,
    )


# --- special files as claims ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["device", "fifo", "folder-with-fifo", "sparse-8-GiB"])
def test_a_claim_path_that_is_not_a_small_regular_file_is_refused_without_reading_it(
    project: Path, kind: str
) -> None:
    if kind == "device":
        target, named = "/dev/zero", "/dev/zero"
    elif kind == "fifo":
        os.mkfifo(project / "claims" / "pipe.yaml")
        target, named = "claims/pipe.yaml", "claims/pipe.yaml"
    elif kind == "folder-with-fifo":
        write_claim(project / "claims", "good.yaml", TOY_CLAIM)
        os.mkfifo(project / "claims" / "x.yaml")
        target, named = "claims", "claims/x.yaml"
    else:
        with open(project / "claims" / "huge.yaml", "wb") as handle:
            handle.truncate(8 * 2**30)  # sparse: costs no disk, but reading it would
        target, named = "claims/huge.yaml", "claims/huge.yaml"
    run = _checker(project, "lint", target, timeout=30, memory=2 * 2**30)
    output = run.stdout + run.stderr
    assert run.returncode == 2, output
    assert named in output
    assert "internal error" not in output
    expected = "claim files are limited to" if kind.startswith("sparse") else "regular file"
    assert expected in output


# --- the report folder, checked before anything runs ---------------------------------------


def _nothing_ran(project: Path, output: str) -> None:
    assert "internal error" not in output
    assert "verified" not in output
    assert not list((project / "cache").glob("*.json"))  # no claim result was computed


@pytest.mark.parametrize("case", ["a-file", "under-a-file", "report.json-is-a-folder"])
def test_an_unusable_report_folder_is_refused_before_any_claim_runs(
    project: Path, case: str, capsys
) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    (project / "taken").write_text("not a folder")
    report_dir = {"a-file": "taken", "under-a-file": "taken/out", "report.json-is-a-folder": "out"}
    (project / "out" / "report.json").mkdir(parents=True)
    assert main(["verify", "claims", "--report-dir", report_dir[case]]) == 2
    captured = capsys.readouterr()
    output = captured.out + captured.err
    _nothing_ran(project, output)
    assert "report folder" in output


def test_a_report_folder_nobody_may_write_is_refused_before_any_claim_runs(
    project: Path, capsys
) -> None:
    """root ignores permission bits, so as root the folder is one in a filesystem the kernel
    keeps read-only (sysfs); a full disk has no such stand-in and is not tested here."""
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    if os.geteuid() != 0:
        (project / "locked").mkdir(mode=0o500)
        report_dir = "locked/out"
    elif Path("/sys").is_dir() and not os.access("/sys", os.W_OK | os.X_OK, effective_ids=True):
        report_dir = "/sys/checker-report"
    else:
        try:
            (Path("/sys") / "checker-probe").mkdir()
        except OSError:
            report_dir = "/sys/checker-report"
        else:
            (Path("/sys") / "checker-probe").rmdir()
            pytest.skip("no folder here that root cannot write")
    assert main(["verify", "claims", "--report-dir", report_dir]) == 2
    captured = capsys.readouterr()
    output = captured.out + captured.err
    _nothing_ran(project, output)
    assert "report folder" in output


# --- links inside the report folder --------------------------------------------------------


def test_links_in_the_report_folder_are_replaced_never_written_through(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    out, outside = project / "out", project / "outside"
    out.mkdir()
    outside.mkdir()
    for name in ("report.json", "index.html", "summary.md", "junit.xml"):
        (outside / name).write_text("keep")
        (out / name).symlink_to(outside / name)
    (out / ".lock").symlink_to(outside / "created-by-the-lock")
    (out / "plots").symlink_to(outside, target_is_directory=True)
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    assert sorted(p.name for p in outside.iterdir()) == sorted(
        ["report.json", "index.html", "summary.md", "junit.xml"]
    )
    assert all((outside / p).read_text() == "keep" for p in os.listdir(outside))
    for name in ("report.json", "index.html", "summary.md", "junit.xml", ".lock", "plots"):
        assert not (out / name).is_symlink(), name
    (plot,) = (out / "plots").glob("*.png")
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_a_fifo_at_the_lock_name_does_not_hang_the_report(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    (project / "out").mkdir()
    os.mkfifo(project / "out" / ".lock")
    run = _checker(project, "verify", "claims", "--report-dir", "out", timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (project / "out" / "index.html").is_file()


# --- cache entries of the wrong shape ------------------------------------------------------


def _toy_plan(project: Path, latex: bool = False) -> Plan:
    from checker.measure import load_plugins
    from checker.verify import lint

    load_plugins(project)  # the toy measurement, as the CLI loads it
    text = TOY_CLAIM + ("latex: '\\mu'\n" if latex else "")
    path = write_claim(project / "claims", "toy.yaml", text)
    library = lint([path])
    assert not library.problems, library.problems
    return library.plans[0]


def _replace_entries(folder: Path, text: str) -> int:
    entries = [p for p in folder.iterdir() if p.is_file()]
    for entry in entries:
        entry.write_text(text)
    return len(entries)


def _shapes_of_a_result_entry(key: str, result: dict) -> list[str]:
    """Valid JSON with the right key, holding something other than a result."""
    wrong = [3, [], {**result, "series": 3}, {**result, "series": ["x"]},
             {**result, "must_fail": [3]}, {**result, "agreement": []}, {**result, "id": 3},
             {**result, "verdict": {"a": 1}}, {**result, "seconds": "slow"}]  # fmt: skip
    return [json.dumps({"format": 1, "key": key, "result": r}) for r in wrong]


def test_a_result_entry_that_is_not_a_result_is_a_miss(project: Path) -> None:
    from checker.cache import ResultCache, result_to_dict
    from checker.run import run_plan

    plan = _toy_plan(project)
    cache = ResultCache(project / "cache")
    result = run_plan(plan, 0)
    cache.put(plan, 0, result)
    assert cache.get(plan, 0) is not None
    entry = project / "cache" / f"{cache.key(plan, 0)}.json"
    for text in [*NOT_OBJECTS, *_shapes_of_a_result_entry(entry.stem, result_to_dict(result))]:
        entry.write_text(text)
        assert cache.get(plan, 0) is None, text
    for text in NOT_OBJECTS:
        (project / "cache" / "timings").mkdir(exist_ok=True)
        (project / "cache" / "timings" / "last-run.json").write_text(text)
        assert cache.expected_seconds([plan]) == {}
        cache.remember_seconds([result])


def test_lint_and_view_entries_that_are_not_objects_are_misses(project: Path) -> None:
    from checker.latex import claim_view
    from checker.lintcache import LintCache, ViewCache, remember_clean

    plan = _toy_plan(project)
    remember_clean([plan], None, project / "cache")
    ViewCache(project / "cache").put(claim_view(plan), None)
    path = plan.claim_file.path
    assert LintCache(project / "cache").get(path, None) is not None
    assert ViewCache(project / "cache").get(path, None) is not None
    shapes = [*NOT_OBJECTS, '{"id": [], "id_line": {}, "profile": 3}',
              '{"id": "toy/gaussian-mean", "id_line": Infinity, "profile": null}',
              '{"formula": "x", "latex": 3}', '{"formula": "x", "latex": []}',
              '{"formula": 3, "latex": {"status": 3}}']  # fmt: skip
    for text in shapes:
        assert _replace_entries(project / "cache" / "lint", text) == 1
        assert _replace_entries(project / "cache" / "views", text) == 1
        assert LintCache(project / "cache").get(path, None) is None, text
        assert ViewCache(project / "cache").get(path, None) is None, text


def test_a_latex_entry_that_is_not_an_object_is_recomputed(project: Path) -> None:
    from checker.latex import check_latex

    plan = _toy_plan(project, latex=True)
    folder = project / "cache" / "latex"
    fresh = check_latex(plan, folder)
    assert fresh is not None
    for text in [*NOT_OBJECTS, '{"format": 1, "key": "k", "check": 3}']:
        assert _replace_entries(folder, text) == 1
        assert check_latex(plan, folder) == fresh, text


@pytest.mark.parametrize("text", NOT_OBJECTS)
def test_a_whole_cache_of_wrong_entries_is_recomputed_by_verify_and_lint(
    project: Path, text: str, capsys
) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    cache = project / "cache"
    for folder in (cache, cache / "lint", cache / "views", cache / "timings", cache / "plots"):
        assert _replace_entries(folder, text) >= 1, folder
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    report = json.loads((project / "out" / "report.json").read_text())
    assert not report["claims"][0]["cached"]
    (plot,) = (project / "out" / "plots").glob("*.png")
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert main(["lint", "claims"]) == 0
    assert "internal error" not in capsys.readouterr().err


# --- mutation.json in the report folder ----------------------------------------------------

MALFORMED_MUTATIONS = [
    "{", "\xff", "[]", "3", '{"claims": 3}', '{"claims": [3]}', '{"claims": [{"total": "x"}]}',
    '{"claims": [], "total": {}}', '{"claims": [{"changes": 5}]}', '{"claims": [{"id": []}]}',
    '{"claims": [{"id": "a", "total": 2, "killed": 1, "changes": ["c"], "outcomes": 4}]}',
]  # fmt: skip


def test_a_malformed_mutation_file_is_ignored(tmp_path: Path) -> None:
    from checker.report.mutation import mutation_html, read_mutation

    for text in MALFORMED_MUTATIONS:
        (tmp_path / "mutation.json").write_text(text, encoding="latin-1")
        data = read_mutation(tmp_path)
        assert data is None or "<table>" in mutation_html(data, {}), text
    good = {"total": 2, "killed": 1, "equivalent": 0, "claims": [
        {"id": "a", "total": 2, "killed": 1, "survivors": ["s"], "changes": ["c"],
         "outcomes": ["o"], "equivalent": [], "reason": "", "digest": "d"}]}  # fmt: skip
    (tmp_path / "mutation.json").write_text(json.dumps(good))
    assert read_mutation(tmp_path) == good
    (tmp_path / "mutation.json").unlink()
    os.mkfifo(tmp_path / "mutation.json")
    signal.alarm(20)  # a blocking open would hang the suite
    try:
        assert read_mutation(tmp_path) is None  # opened without blocking, then refused
    finally:
        signal.alarm(0)


def test_verify_writes_its_report_beside_a_malformed_mutation_file(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    (project / "out").mkdir()
    (project / "out" / "mutation.json").write_text('{"claims": [{"total": "x"}]}')
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    assert "id='mutation'" not in (project / "out" / "index.html").read_text()


# --- a matplotlibrc in the working folder --------------------------------------------------


def test_plots_ignore_a_matplotlibrc_in_the_working_folder(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    env_cache = {"CHECKER_CACHE_DIR": str(project / "cache-plain")}
    plain = _verify_in(project, "plain", env_cache)
    hostile = [
        "backend: nonexistent\naxes.prop_cycle: garbage\nsavefig.format: svg\n"
        "text.usetex: True\nfigure.dpi: 5\nsavefig.dpi: 5\nfont.size: 1000\n",
        b"lines.linewidth: 2\n\xff\xfe\n",
    ]
    for i, text in enumerate(hostile):
        rc = project / "matplotlibrc"
        rc.write_bytes(text.encode() if isinstance(text, str) else text)
        drawn = _verify_in(project, f"rc{i}", {"CHECKER_CACHE_DIR": str(project / f"cache{i}")})
        assert drawn == plain, text
        rc.unlink()
    os.mkfifo(project / "matplotlibrc")
    assert _verify_in(project, "fifo", {"CHECKER_CACHE_DIR": str(project / "cache-fifo")}) == plain


def _verify_in(project: Path, name: str, env: dict[str, str]) -> bytes:
    """The toy claim's plot from a fresh process, which imports matplotlib where it runs."""
    run = subprocess.run(
        [sys.executable, "-c", RUN, "verify", "claims", "--report-dir", name],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (plot,) = (project / name / "plots").glob("*.png")
    return plot.read_bytes()


def test_mutate_refuses_an_unusable_report_folder_before_running(project: Path, capsys) -> None:
    (project / "taken").write_text("a file, not a folder")
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    assert main(["mutate", "claims", "--report-dir", "taken"]) == 2
    assert "nothing was run" in capsys.readouterr().err
