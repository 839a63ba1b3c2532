"""Shared fixtures: a throw-away claims project with the toy plugin, and a claim writer."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parent / "plugin" / "toy_measure.py"

TOY_CLAIM = """\
id: toy/gaussian-mean
title: The sample mean estimates the mean
source:
  title: A toy source for the tests
  authors: [Gauss]
  year: 1809
  where: "Sec. 1"
statement: The mean of n Gaussian draws is unbiased.
symbols:
  mu: {domain: real, doc: the true mean}
  sigma: {domain: positive, doc: the standard deviation}
hypotheses:
  - name: finite-variance
    text: the draws have finite variance
    require: sigma > 0
  - name: spread
    text: the sample spread is near sigma
    observe: spread < 2*sigma
prediction:
  expr: mu
  target: mean
measurement:
  name: toy.gaussian_mean
  params: {samples: 4096, sigma: 1.0}
  seeds: 16
sweep:
  mu: [-1.0, 0.5, 2.0]
agreement: {rule: interval, confidence: 0.99}
must_fail:
  - name: biased
    prediction: {expr: mu + 0.2}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with pyproject.toml naming the toy plugin, and an empty claims/ folder."""
    shutil.copy(PLUGIN, tmp_path / "toy_measure.py")
    (tmp_path / "pyproject.toml").write_text('[tool.checker]\nplugins = ["toy_measure"]\n')
    (tmp_path / "claims").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHECKER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CHECKER_WORKERS", "1")  # in-process; tests/test_workers.py asks for more
    monkeypatch.setenv("CHECKER_TIMEOUT", "0")  # no watchdog, so one worker means in-process
    return tmp_path


def write_claim(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path
