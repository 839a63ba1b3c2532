"""Hostile and broken claim files: a clean located error and exit 2, fast, and nothing runs.

The corpus lives in tests/bad_claims/ (regenerate with make_corpus.py); EXPECTED.txt
pairs each file with a fragment of the message `checker lint` must print. The
property tests feed the loader and the expression parser arbitrary input.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from checker.expr import ExprError, parse_expr, symbols_for
from checker.spec import ClaimFileError, validate_file

CORPUS = Path(__file__).parent / "bad_claims"
EXPECTED = dict(
    line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
    for line in (CORPUS / "EXPECTED.txt").read_text().splitlines()
    if line and not line.startswith("#")
)


def test_the_corpus_is_large_and_every_file_has_an_expectation() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.yaml"))
    assert len(files) >= 40
    assert sorted(EXPECTED) == files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gets_a_clean_located_error_and_exit_2(
    name: str, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a payload that wrote a file would write it here
    started = time.monotonic()
    code = main(["lint", str(CORPUS / name)])
    seconds = time.monotonic() - started
    out = capsys.readouterr()
    assert code == 2, out
    assert seconds < 5, f"{name} took {seconds:.1f} s"
    assert "Traceback" not in out.err and "internal error" not in out.err, out.err
    assert f"{name}:" in out.err, out.err  # file (and line) named
    assert EXPECTED[name] in out.err, out.err
    assert not list(tmp_path.iterdir()), "a payload ran"


def test_ten_thousand_claims_are_refused_at_once(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "claims"
    folder.mkdir()
    for i in range(10_000):
        (folder / f"c{i:05d}.yaml").write_text("id: x/y\n")
    started = time.monotonic()
    assert main(["lint", str(folder)]) == 2
    assert time.monotonic() - started < 5
    assert "10000 claim files; one run takes at most 2000" in capsys.readouterr().err


# --------------------------------------------------------------------------- fuzzing

NAMES = symbols_for(["x", "y", "theta", "n"])
EXPR_ALPHABET = st.sampled_from(
    [*"xyn0123456789.+-*/()%<>=,[]{}'\"_ ", "theta", "sin", "exp", "log", "sqrt", "**", "__",
     "import", "lambda", "os", "Abs", "pi"]
)  # fmt: skip


@settings(max_examples=6000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(EXPR_ALPHABET, max_size=40).map("".join))
def test_parser_either_parses_or_raises_expr_error(text: str) -> None:
    try:
        result = parse_expr(text, NAMES, allow_compare=True)
    except ExprError:
        return
    assert isinstance(result, sp.Basic)
    assert result.free_symbols <= set(NAMES.values())


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_parser_survives_arbitrary_unicode(text: str) -> None:
    with contextlib.suppress(ExprError):
        parse_expr(text, NAMES)


YAML_ALPHABET = st.sampled_from(
    [*"abc:-[]{},&*!|>#'\" \n\t0123456789.", "\n  ", "id: ", "<<: ", "!!python/", "---\n"]
)


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(YAML_ALPHABET, max_size=60).map("".join))
def test_loader_returns_a_claim_or_located_errors(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "claim.yaml"
    path.write_text(text)
    result = validate_file(path)
    if isinstance(result, list):
        assert result and all(isinstance(p, ClaimFileError) for p in result)
        assert all(str(p.location).startswith(str(path)) for p in result)
