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
