"""Worker processes: same figures as one process, timeouts, dead workers, Ctrl-C keeps what finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
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


SPECTRUM_CLAIM = """\
id: toy/top-eigenvalue
title: The top eigenvalue of a white Wishart matrix sits at the edge of its spectrum
source:
  title: A toy source for the tests
  authors: [Marchenko, Pastur]
  year: 1967
  where: "Sec. 1"
statement: The largest eigenvalue of X^T X / n approaches (1 + sqrt(d/n))^2.
symbols:
  n: {domain: positive, doc: rows}
  d: {domain: positive, doc: columns}
prediction:
  expr: (1 + sqrt(d/n))**2
  target: top
measurement:
  name: toy.top_eigenvalue
  params: {n: 1024}
  seeds: 4
sweep:
  d: [256, 512]
agreement: {rule: close, atol: 0.2}
must_fail:
  - name: no-edge
    prediction: {expr: 1 + d/n}
"""


def test_two_workers_give_bitwise_the_same_figures_as_one(project: Path) -> None:
    """Every worker computes on one core, so even an eigensolver, whose last digits depend
    on its thread count, gives the same bits with one worker as with two."""
    for name in ("a", "b", "c"):
        write_claim(project / "claims", f"{name}.yaml", _toy(name))
    write_claim(project / "claims", "top.yaml", SPECTRUM_CLAIM)
    run = ["verify", "claims", "--report-dir", "out", "--no-cache", "--timeout", "120"]
    assert main([*run, "--workers", "1"]) == 0
    one = _report()
    assert main([*run, "--workers", "2"]) == 0
    two = _report()
    assert list(one) == list(two) == ["toy/a", "toy/b", "toy/c", "toy/top-eigenvalue"]
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


def test_a_shard_measures_its_points_and_says_which(project: Path) -> None:
    """What a cluster task returns for one shard of a sweep: the points with their arrays,
    equal to the same points measured in one local batch; an index past the claim's
    points (the file changed) fails instead of measuring something else."""
    from checker.measure import load_plugins
    from checker.plan import plan_claim
    from checker.run import ClaimRunner, measurement_points
    from checker.spec import validate_file
    from checker.workers import measure_claim_file

    path = write_claim(project / "claims", "a.yaml", _toy("a"))
    load_plugins(project)
    plan = plan_claim(validate_file(path))
    points = measurement_points(plan)
    assert len(points) == 3  # the claim's three values of mu; the variant shares them
    kind, shard, seconds = measure_claim_file(path, "toy/a", 0, [1, 2])
    assert kind == "done" and seconds > 0
    local = ClaimRunner(plan, 0).measure_points(points)
    for (params, inputs, outputs), (want_params, want_inputs), want in zip(
        shard, points[1:], local[1:], strict=True
    ):
        assert (params, inputs) == (want_params.model_dump(), want_inputs)
        assert all(np.array_equal(outputs[k], want[k]) for k in want)
    kind, reason = measure_claim_file(path, "toy/a", 0, [3])
    assert kind == "failed" and "changed while running" in reason
