"""Worker processes: same figures as one process, timeouts, dead workers, Ctrl-C keeps what finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim


def _toy(name: str, fail: str = "none") -> str:
    text = TOY_CLAIM.replace("toy/gaussian-mean", f"toy/{name}")
    return text.replace(
        "params: {samples: 4096, sigma: 1.0}", f"params: {{samples: 512, sigma: 1.0, fail: {fail}}}"
    )


def _report() -> dict:
    return {c["id"]: c for c in json.loads(Path("out/report.json").read_text())["claims"]}


def test_two_workers_give_bitwise_the_same_figures_as_one(project: Path) -> None:
    for name in ("a", "b", "c"):
        write_claim(project / "claims", f"{name}.yaml", _toy(name))
    assert main(["verify", "claims", "--report-dir", "out", "--no-cache", "--workers", "1"]) == 0
    one = _report()
    assert main(["verify", "claims", "--report-dir", "out", "--no-cache", "--workers", "2"]) == 0
    two = _report()
    assert list(one) == list(two) == ["toy/a", "toy/b", "toy/c"]
    for claim_id in one:
        assert one[claim_id]["agreement"] == two[claim_id]["agreement"]
        assert one[claim_id]["series"] == two[claim_id]["series"]
        assert one[claim_id]["must_fail"] == two[claim_id]["must_fail"]


def test_a_hanging_claim_times_out_and_the_others_still_run(project: Path, capsys) -> None:
    write_claim(project / "claims", "a.yaml", _toy("a"))
    write_claim(project / "claims", "b.yaml", _toy("hang", "hang"))
    write_claim(project / "claims", "c.yaml", _toy("c"))
    started = time.monotonic()
    assert (
        main(["verify", "claims", "--report-dir", "out", "--workers", "2", "--timeout", "20"]) == 1
    )
    assert time.monotonic() - started < 90
    report = _report()
    assert report["toy/hang"]["verdict"] == "error"
    assert "timed out after 20 s" in report["toy/hang"]["reason"]
    assert report["toy/a"]["verdict"] == report["toy/c"]["verdict"] == "verified"


def test_a_dying_worker_costs_only_its_claim(project: Path) -> None:
    write_claim(project / "claims", "a.yaml", _toy("exit", "exit"))
    write_claim(project / "claims", "b.yaml", _toy("b"))
    assert (
        main(["verify", "claims", "--report-dir", "out", "--workers", "1", "--timeout", "60"]) == 1
    )
    report = _report()
    assert report["toy/exit"]["verdict"] == "error"
    assert "worker process died, exit code 9" in report["toy/exit"]["reason"]
    assert report["toy/b"]["verdict"] == "verified"


def test_wrong_shape_is_an_error_for_that_claim(project: Path) -> None:
    shaped = _toy("shape", "shape").replace("rule: interval,", "rule: interval, atol: 0.01/n,")
    shaped = shaped.replace("symbols:\n", "symbols:\n  n: {domain: positive}\n")
    write_claim(project / "claims", "a.yaml", shaped)
    write_claim(project / "claims", "b.yaml", _toy("b"))
    assert main(["verify", "claims", "--report-dir", "out", "--workers", "1"]) == 1
    report = _report()
    assert report["toy/shape"]["verdict"] == "error" and report["toy/shape"]["reason"]
    assert report["toy/b"]["verdict"] == "verified"


@pytest.mark.parametrize("to_group", [False, True], ids=["parent", "terminal-group"])
def test_ctrl_c_writes_a_partial_report_marked_incomplete(project: Path, to_group: bool) -> None:
    """A terminal sends Ctrl-C to the workers too: the hanging claim is not run, not an error."""
    write_claim(project / "claims", "a.yaml", _toy("a"))
    write_claim(project / "claims", "b.yaml", _toy("hang", "hang"))
    command = "from checker.cli import main; raise SystemExit(main(['verify', 'claims', '--report-dir', 'out', '--workers', '1', '--timeout', '600']))"
    process = subprocess.Popen([sys.executable, "-c", command], cwd=project, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=to_group)  # fmt: skip
    cache = project / "cache"
    deadline = time.monotonic() + 120
    while not list(cache.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)  # the first claim has finished once its result is cached
    time.sleep(1.0)  # the hanging claim is running in its worker by now
    if to_group:
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    report = json.loads((project / "out" / "report.json").read_text())
    assert report["summary"]["incomplete"] is True and report["summary"]["ok"] is False
    assert [c["id"] for c in report["claims"]] == ["toy/a"]
    assert "partial report" in err
