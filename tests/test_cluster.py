"""`--executor dask`: claims on a real local Dask cluster give the local figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.cli import main
from tests.conftest import TOY_CLAIM, write_claim

distributed = pytest.importorskip("distributed", reason="install checker[dask] for the executor")


def _report() -> dict:
    return {c["id"]: c for c in json.loads(Path("out/report.json").read_text())["claims"]}


def test_a_local_cluster_gives_the_same_results_as_a_local_run(project: Path) -> None:
    for name in ("a", "b"):
        write_claim(
            project / "claims",
            f"{name}.yaml",
            TOY_CLAIM.replace("toy/gaussian-mean", f"toy/{name}"),
        )
    write_claim(
        project / "claims",
        "c.yaml",
        TOY_CLAIM.replace("toy/gaussian-mean", "toy/c").replace("  expr: mu\n", "  expr: mu + 1\n"),
    )
    assert main(["verify", "claims", "--report-dir", "out", "--no-cache"]) == 1
    local = _report()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        code = main(["verify", "claims", "--report-dir", "out", "--no-cache",
                     "--executor", "dask", "--scheduler", cluster.scheduler_address])  # fmt: skip
    assert code == 1
    remote = _report()
    assert list(remote) == ["toy/a", "toy/b", "toy/c"]
    assert [remote[k]["verdict"] for k in remote] == ["verified", "verified", "disagrees"]
    for claim_id in local:
        assert remote[claim_id]["agreement"] == local[claim_id]["agreement"]
        assert remote[claim_id]["path"] == local[claim_id]["path"]


def test_dask_needs_a_scheduler(project: Path, capsys) -> None:
    write_claim(project / "claims", "a.yaml", TOY_CLAIM)
    assert main(["verify", "claims", "--executor", "dask"]) == 2
    assert "--scheduler ADDRESS" in capsys.readouterr().err


WIDE_SWEEP = (
    TOY_CLAIM.replace("toy/gaussian-mean", "toy/wide")
    .replace("  mu: [-1.0, 0.5, 2.0]", "  mu: [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]")
    .replace(
        "    prediction: {expr: mu + 0.2}\n",
        "    prediction: {expr: mu + 0.2}\n"
        "  - name: biased-elsewhere\n"
        "    prediction: {expr: mu + 0.2}\n"
        "    sweep: {mu: [3.0, 4.0]}\n",
    )
)


def test_a_large_sweep_split_into_shards_gives_the_local_figures(project: Path) -> None:
    """9 points (7 of the claim, 2 of a variant's own sweep) in shards of 2: 5 tasks, and
    the claim decided here from their arrays, bit for bit as a local run decides it."""
    write_claim(project / "claims", "wide.yaml", WIDE_SWEEP)
    failing = WIDE_SWEEP.replace("toy/wide", "toy/failing").replace(
        "params: {samples: 4096, sigma: 1.0}", "params: {samples: 4096, sigma: 1.0, fail: nan}"
    )
    write_claim(project / "claims", "failing.yaml", failing)
    assert main(["verify", "claims", "--report-dir", "out", "--no-cache"]) == 1
    local = _report()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:  # fmt: skip
        code = main(["verify", "claims", "--report-dir", "out", "--no-cache", "--executor",
                     "dask", "--scheduler", cluster.scheduler_address, "--shard-points", "2"])  # fmt: skip
    assert code == 1
    remote = _report()
    assert remote["toy/wide"]["verdict"] == "verified"
    assert remote["toy/wide"]["agreement"] == local["toy/wide"]["agreement"]
    assert remote["toy/wide"]["must_fail"] == local["toy/wide"]["must_fail"]
    assert remote["toy/failing"]["verdict"] == "error"
    assert "non-finite 'mean'" in remote["toy/failing"]["reason"]


def test_shard_points_needs_the_dask_executor(project: Path, capsys) -> None:
    write_claim(project / "claims", "a.yaml", TOY_CLAIM)
    assert main(["verify", "claims", "--shard-points", "4"]) == 2
    assert "--executor dask" in capsys.readouterr().err
