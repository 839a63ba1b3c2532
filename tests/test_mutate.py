"""`checker mutate`: mutants of the SymPy tree, run through the claim's own check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import sympy as sp

from checker.cli import main
from checker.mutate import mutants
from tests.conftest import TOY_CLAIM, write_claim


def test_mutants_cover_constants_exponents_signs_terms_and_functions() -> None:
    x, y = sp.symbols("x y", real=True)
    original = 2 * sp.exp(x) + sp.sqrt(y) - sp.log(x)
    found = {sp.srepr(m) for m in mutants(original)}
    expected = [
        sp.Float(2.4) * sp.exp(x) + sp.sqrt(y) - sp.log(x),  # a constant x 1.2
        sp.Float(1.6) * sp.exp(x) + sp.sqrt(y) - sp.log(x),  # a constant x 0.8
        2 * sp.cosh(x) + sp.sqrt(y) - sp.log(x),  # exp -> cosh
        2 * sp.exp(x) + y - sp.log(x),  # sqrt -> identity
        sp.sqrt(y) - sp.log(x),  # a term dropped
        2 * sp.exp(x) + sp.sqrt(y) + sp.log(x),  # a sign flipped
        2 * sp.exp(x) + sp.sqrt(y) - sp.log(x + 1),  # log -> log1p
        2 * sp.exp(x) + y ** sp.Rational(3, 4) - sp.log(x),  # an exponent + 1/4
    ]
    for mutant in expected:
        assert sp.srepr(mutant) in found, mutant
    assert sp.srepr(original) not in found


def test_a_bare_symbol_has_an_implicit_factor_and_exponent_to_mutate() -> None:
    g = sp.Symbol("g")
    assert {str(m) for m in mutants(g)} >= {"1.2*g", "0.8*g", "sqrt(g)", "g**(5/4)"}
    assert [str(m) for m in mutants(sp.S.Zero)] == ["0.200000000000000"]


def test_each_site_is_mutated_on_its_own() -> None:
    x = sp.Symbol("x")
    found = {str(m) for m in mutants(2 * x + 2 * x**3)}
    assert "2*x**3 + 2.4*x" in found and "2.4*x**3 + 2*x" in found


def test_mutate_reports_kills_and_survivors(project: Path, capsys) -> None:
    claim = TOY_CLAIM.replace("  expr: mu\n", "  expr: mu + 0.5*sigma**2 - 0.5\n")
    write_claim(project / "claims", "toy.yaml", claim)
    assert main(["mutate", "claims", "--report-dir", "out"]) == 0
    data = json.loads(Path("out/mutation.json").read_text())
    (entry,) = data["claims"]
    assert entry["id"] == "toy/gaussian-mean" and entry["total"] == data["total"] >= 6
    assert 0 < entry["killed"] < entry["total"]
    # sigma = 1 in every run: moving its exponent changes nothing, so those mutants survive
    assert any("sigma**" in s for s in entry["survivors"])
    assert len(entry["outcomes"]) == len(entry["survivors"])
    assert all(
        o in {"agrees", "inconclusive"} or o.startswith("error: ") for o in entry["outcomes"]
    )
    assert "killed" in capsys.readouterr().out


def test_a_mutant_that_leaves_the_reals_is_killed_not_an_error(project: Path) -> None:
    """Dropping the 2 leaves sqrt(-sigma**2): NaN in real arithmetic, I*sigma to SymPy."""
    claim = TOY_CLAIM.replace("  expr: mu\n", "  expr: mu*sqrt(2 - sigma**2)\n")
    write_claim(project / "claims", "toy.yaml", claim)
    assert main(["mutate", "claims", "--report-dir", "out"]) == 0
    (entry,) = json.loads(Path("out/mutation.json").read_text())["claims"]
    assert not any("I*" in s for s in entry["survivors"]), entry["survivors"]
    assert not any(o.startswith("error") for o in entry["outcomes"]), entry["outcomes"]


def test_a_claim_without_mutants_is_an_empty_run_and_fails(project: Path, capsys) -> None:
    wrong = TOY_CLAIM.replace("  expr: mu\n", "  expr: mu + 5\n")  # nothing verified to mutate
    write_claim(project / "claims", "toy.yaml", wrong)
    assert main(["mutate", "claims", "--report-dir", "out"]) == 1
    assert "no mutant ran" in capsys.readouterr().err


def test_a_factor_the_rule_cannot_see_makes_an_equivalent_mutant() -> None:
    from checker.mutate import _factor_free_of

    c, depth = sp.symbols("C_W depth", real=True)
    original = c * (c / 2) ** (depth - 1)
    shifted = c * (c / 2) ** (depth - sp.Rational(3, 2))  # a factor (C_W/2)^(-1/2): same slope
    steeper = c * (c / 2) ** (2 * depth - 1)  # another slope in depth
    assert _factor_free_of(shifted, original, depth)
    assert _factor_free_of(sp.Float(1.2) * original, original, depth)
    assert not _factor_free_of(steeper, original, depth)
    assert not _factor_free_of(shifted, original, c)  # along C_W the factor does change


def test_a_fit_rule_cannot_see_a_reparametrisation_of_its_constants() -> None:
    from checker.mutate import _same_affine_family

    limit, first, m = sp.symbols("err_limit err_1 M")
    original = limit + (first - limit) / m
    fitted = (first,)
    seeds = np.array([[0.31], [0.29]])  # err_limit per seed, the same at every M
    rows = [{"M": np.array(float(k)), "err_limit": seeds} for k in (1, 2, 4, 8)]
    assert _same_affine_family(limit + (-first - limit) / m, original, fitted, rows)  # sign
    assert _same_affine_family(limit + first / m, original, fitted, rows)  # err_limit/M absorbed
    assert not _same_affine_family(limit + (first - limit) / m**2, original, fitted, rows)
    assert not _same_affine_family(1.2 * limit + (first - limit) / m, original, fitted, rows)
    # where err_limit varies along the sweep, err_limit/M is no longer in the fitted family
    varying = [{**row, "err_limit": seeds * (1 + row["M"])} for row in rows]
    assert not _same_affine_family(limit + first / m, original, fitted, varying)


def test_the_next_verify_shows_the_kill_rates_and_marks_edited_claims_stale(project: Path) -> None:
    claim = TOY_CLAIM.replace("  expr: mu\n", "  expr: mu + 0.5*sigma**2 - 0.5\n")
    path = write_claim(project / "claims", "toy.yaml", claim)
    assert main(["mutate", "claims", "--report-dir", "out"]) == 0
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    page = Path("out/index.html").read_text()
    assert "Mutation testing" in page and "sigma**2 -&gt; sigma**" in page
    assert "stale" not in page
    path.write_text(path.read_text() + "# edited\n")
    assert main(["verify", "claims", "--report-dir", "out"]) == 0
    assert "stale: the claim changed since" in Path("out/index.html").read_text()


def test_min_kill_fails_the_run_when_a_claim_lets_too_many_wrong_formulas_through(
    project: Path, capsys
) -> None:
    claim = TOY_CLAIM.replace("  expr: mu\n", "  expr: mu + 0.5*sigma**2 - 0.5\n")
    write_claim(project / "claims", "toy.yaml", claim)
    assert main(["mutate", "claims", "--report-dir", "out", "--min-kill", "0.5"]) == 0
    assert main(["mutate", "claims", "--report-dir", "out", "--min-kill", "1"]) == 1
    assert "below --min-kill 1 for toy/gaussian-mean" in capsys.readouterr().err


def test_a_factor_is_found_free_of_the_unknown_where_the_formula_needs_fractions() -> None:
    from checker.mutate import _factor_free_of

    p, depth = sp.symbols("pk depth")
    original = p * (p ** (depth - 1) * (1 - p) ** (depth + 1) - 0.1)  # real only for p < 1
    assert _factor_free_of(sp.Float(1.2) * original, original, p)  # the same roots in p
    assert not _factor_free_of(p ** sp.Rational(1, 4) * original, original, p)
