"""What a claims repository cannot do to the process that checks it: import its own files
in place of checker's dependencies, hang the gate past Ctrl-C or a time limit, or pass a
master seed that aliases another; and what a plugin author may write plainly."""

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

MARKER = "import pathlib; pathlib.Path({name!r}).write_text('imported')\n"


def _checker(project: Path, *args: str, timeout: float = 180, **env: str) -> subprocess.Popen:
    """`checker ARGS` in a fresh process, started as the console script starts it (no
    working folder on sys.path of its own: `-P`)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHECKER_")}
    environment.update(CHECKER_CACHE_DIR=str(project / "cache"), **env)
    return subprocess.Popen([sys.executable, "-P", "-m", "checker", *args], cwd=project,
                            env=environment, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


def _hanging_claim(project: Path) -> None:
    hang = TOY_CLAIM.replace("toy/gaussian-mean", "toy/hang").replace(
        "params: {samples: 4096, sigma: 1.0}",
        "params: {samples: 64, sigma: 1.0, fail: native_hang}",
    )
    write_claim(project / "claims", "hang.yaml", hang)


def test_files_beside_the_plugins_do_not_shadow_checkers_dependencies(project: Path) -> None:
    """Only the modules `[tool.checker] plugins` names are importable from the project."""
    for name in ("sympy", "numpy", "yaml", "pydantic", "rich"):
        (project / f"{name}.py").write_text(MARKER.format(name=f"{name}-ran"))
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    process = _checker(project, "lint", "claims")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "1 claim(s) valid" in out
    assert sorted(p.name for p in project.glob("*-ran")) == []


def test_pytest_takes_plugins_from_where_it_runs_not_from_inside_the_claims_folder(
    project: Path,
) -> None:
    """A pyproject.toml that a pull request adds under claims/ names no plugin."""
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    (project / "claims" / "pyproject.toml").write_text('[tool.checker]\nplugins = ["evil"]\n')
    (project / "claims" / "evil.py").write_text(MARKER.format(name="../evil-ran"))
    done = subprocess.run(
        [sys.executable, "-P", "-m", "pytest", "-p", "no:cacheprovider", "-q", "claims"],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert not (project / "evil-ran").exists()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


PLAIN_PLUGIN = '''
import pydantic
import lazy_loader as lazy
from checker.measure.registry import measurement

jax = lazy.load("jax")


class PlainParams(pydantic.BaseModel):  # not frozen: the plain pydantic way
    samples: int = 256


@measurement("plain.gaussian_mean", params=PlainParams, outputs=["mean", "spread"])
def gaussian_mean(key, params: PlainParams, *, mu, sigma=1.0):
    """The sample mean of `samples` draws of N(mu, sigma^2)."""
    x = mu + sigma * jax.random.normal(key, (params.samples,))
    return {"mean": x.mean(), "spread": x.std()}
'''


def test_a_params_model_written_the_plain_pydantic_way_runs(project: Path) -> None:
    (project / "plain_measure.py").write_text(PLAIN_PLUGIN)
    (project / "pyproject.toml").write_text(
        '[tool.checker]\nplugins = ["toy_measure", "plain_measure"]\n'
    )
    claim = TOY_CLAIM.replace("toy.gaussian_mean", "plain.gaussian_mean").replace(
        "params: {samples: 4096, sigma: 1.0}", "params: {samples: 512, sigma: 1.0}"
    )
    write_claim(project / "claims", "plain.yaml", claim)
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    report = json.loads((project / "out" / "report.json").read_text())
    assert report["claims"][0]["verdict"] == "verified"

    from checker.measure import get_measurement

    model = get_measurement("plain.gaussian_mean").params
    assert model.__name__ == "PlainParams" and hash(model(samples=3)) == hash(model(samples=3))


@pytest.mark.parametrize("command", ["verify", "mutate", "falsify"])
@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_a_master_seed_that_would_alias_another_is_refused(
    project: Path, capsys, command: str, seed: str
) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    args = {"verify": ["claims"], "mutate": ["claims"], "falsify": ["toy/gaussian-mean", "claims"]}
    with pytest.raises(SystemExit) as exited:
        main([command, *args[command], "--seed", seed])
    assert exited.value.code == 2
    assert "--seed" in capsys.readouterr().err
    assert not (project / "out").exists() and not (project / "reports").exists()


def test_the_largest_master_seed_is_accepted(project: Path) -> None:
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    assert main(["verify", "claims", "--report-dir", "out", "--seed", str(2**32 - 1)]) == 0


def test_the_default_watchdog_stops_a_claim_hung_inside_xla(project: Path) -> None:
    """No --timeout given: $CHECKER_TIMEOUT (else the built-in limit) still applies, even to
    a single claim on one worker, and the other claims are reported as usual."""
    _hanging_claim(project)
    write_claim(project / "claims", "toy.yaml", TOY_CLAIM)
    process = _checker(project, "verify", "claims", "--report-dir", "out", "--workers", "1",
                       CHECKER_TIMEOUT="10")  # fmt: skip
    try:
        _, err = process.communicate(timeout=240)
    finally:
        process.kill()
    assert process.returncode == 1, err
    claims = {c["id"]: c for c in json.loads((project / "out/report.json").read_text())["claims"]}
    assert claims["toy/hang"]["verdict"] == "error"
    assert "timed out after 10 s" in claims["toy/hang"]["reason"]
    assert claims["toy/gaussian-mean"]["verdict"] == "verified"


def test_ctrl_c_stops_a_single_claim_hung_inside_xla(project: Path) -> None:
    """One claim, one worker, no time limit asked for: Ctrl-C still ends the run (exit 130)
    with a partial report, although the measurement never returns to Python."""
    _hanging_claim(project)
    process = _checker(project, "verify", "claims", "--report-dir", "out", "--workers", "1")
    time.sleep(20)  # the worker has loaded JAX and entered the hanging computation
    os.kill(process.pid, signal.SIGINT)
    try:
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    report = json.loads((project / "out" / "report.json").read_text())
    assert report["summary"]["incomplete"] is True and report["claims"] == []
