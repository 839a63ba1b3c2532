"""The formula as printed: `latex:` parsed, compared with expr, reported, cached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checker.latex import check_latex, claim_view, parse_latex
from checker.measure import load_plugins
from checker.plan import Plan
from checker.report.html import write_html_report
from checker.report.json_report import report_dict
from checker.run import ClaimResult
from checker.spec import claim_files, load_claim
from checker.verify import lint
from tests.conftest import TOY_CLAIM, write_claim

CLAIMS = Path(__file__).resolve().parents[1] / "claims"


def _claim(project: Path, latex: str, prediction: str | None = None) -> Path:
    text = TOY_CLAIM.replace("measurement:\n", f"{latex.rstrip()}\nmeasurement:\n", 1)
    if prediction is not None:
        text = text.replace("prediction:\n  expr: mu\n  target: mean\n", prediction, 1)
    load_plugins(project)
    return write_claim(project / "claims", "toy.yaml", text)


def _plan(project: Path, latex: str, prediction: str | None = None) -> Plan:
    _claim(project, latex, prediction)
    library = lint([project / "claims"])
    assert library.plans, "\n".join(map(str, library.problems))
    return library.plans[0]


def _problems(project: Path, latex: str, prediction: str | None = None) -> list[str]:
    _claim(project, latex, prediction)
    return [str(p) for p in lint([project / "claims"]).problems]


def test_equal_latex_is_equal_at_every_sweep_point(project: Path) -> None:
    check = check_latex(_plan(project, r"latex: '\mu'"))
    assert check.outcome == "equal"
    assert check.message == "equal to expr at 3 sweep points"
    assert "<math" in check.mathml


def test_a_differing_latex_is_a_lint_error_at_its_line_with_both_formulas(project: Path) -> None:
    (problem,) = _problems(project, r"latex: '2\mu + \sigma'")
    line = (
        _claim(project, r"latex: '2\mu + \sigma'")
        .read_text()
        .splitlines()
        .index(r"latex: '2\mu + \sigma'")
    )
    assert f"toy.yaml:{line + 1}:" in problem
    assert "latex: the printed formula differs from expr at" in problem
    assert "mu=0.5" in problem and "2*mu + sigma" in problem and "expr is mu" in problem
    assert "\\cdot" in problem  # the hint: how to tell a misreading from a wrong transcription


def test_unparseable_latex_is_not_compared_and_not_an_error(project: Path) -> None:
    assert _problems(project, r"latex: '\mu \wp'") == []
    check = check_latex(_plan(project, r"latex: '\mu \wp'"))
    assert check.outcome == "not compared"
    assert check.message == r"not compared: unknown command \wp at column 5"


def test_an_ambiguous_parse_is_not_compared() -> None:
    assert parse_latex("|a| b |c|").startswith("ambiguous parse (2 readings")
    assert str(parse_latex(r"\sin(x) + 1")) == "sin(x) + 1"  # one reading, by convention


def test_a_formula_that_states_no_value_is_not_compared_with_the_reason(project: Path) -> None:
    check = check_latex(_plan(project, r"latex: 'O\left(\mu\right)'"))
    assert check.outcome == "not compared"
    assert "asymptotic notation (O(...)) states an order, not a value" in check.message


def test_the_symbols_map_binds_paper_notation_to_claim_symbols(project: Path) -> None:
    latex = "latex:\n  text: '\\bar{x}_n'\n  symbols: {x_n: mu}"
    assert check_latex(_plan(project, latex)).outcome == "equal"
    unbound = check_latex(_plan(project, r"latex: '\bar{x}_n'"))
    assert unbound.outcome == "not compared"
    assert "x_n" in unbound.message and "latex.symbols" in unbound.message
    (problem,) = _problems(project, "latex:\n  text: 'x_n'\n  symbols: {x_n: mu +}")
    assert "latex.symbols.x_n" in problem


def test_pi_and_e_are_the_constants(project: Path) -> None:
    prediction = "prediction:\n  expr: mu + pi*exp(1)\n  target: mean\n"
    assert check_latex(_plan(project, r"latex: '\mu + \pi e'", prediction)).outcome == "equal"
    assert str(parse_latex(r"\sigma_w^2 \Sigma")) == "Sigma*sigma_w**2"


def test_an_equation_is_compared_with_root_of_by_its_roots(project: Path) -> None:
    prediction = (
        "prediction:\n  root_of: {expr: u**2 - sigma**2, unknown: u, bracket: [0, 10]}\n"
        "  target: mean\n"
    )
    check = check_latex(_plan(project, "latex: '2u^2 = 2\\sigma^2'", prediction))
    assert check.outcome == "equal"
    assert check.message.startswith("with the same roots as expr")
    (problem,) = _problems(project, "latex: 'u^2 = 3\\sigma^2'", prediction)
    assert "roots in u differ" in problem


def test_where_helpers_are_substituted_on_both_sides(project: Path) -> None:
    prediction = "prediction:\n  expr: 2*half\n  target: mean\n  where: {half: mu/2}\n"
    plan = _plan(project, "latex:\n  text: 'h + \\frac{\\mu}{2}'\n  symbols: {h: half}", prediction)
    assert check_latex(plan).outcome == "equal"


def test_a_plain_string_and_the_mapping_form_both_load(tmp_path: Path) -> None:
    for latex in (r"latex: '\mu'", "latex: {text: '\\mu', symbols: {m: mu}}"):
        path = write_claim(tmp_path, "c.yaml", TOY_CLAIM + latex + "\n")
        assert load_claim(path).latex.text == r"\mu"


def test_an_unchanged_claim_is_not_parsed_again(project: Path) -> None:
    _claim(project, r"latex: '\mu'")
    code = (
        "from pathlib import Path; import checker.latex as L; from checker.verify import lint; "
        "from checker.measure import load_plugins; load_plugins(Path('.')); read = L.read_latex; "
        "texts = []; L.read_latex = lambda text: texts.append(text) or read(text); "
        "assert not lint([Path('claims')]).problems; print(len(texts))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def formulas_read() -> str:
        run = subprocess.run([sys.executable, "-c", code], env=env, cwd=project,
                             capture_output=True, text=True, check=True)  # fmt: skip
        return run.stdout.strip()

    assert formulas_read() == "1"  # read once
    assert formulas_read() == "0"  # then from the cache
    assert list((project / "cache" / "latex").glob("*.json"))


def _result(plan: Plan) -> ClaimResult:
    return ClaimResult(id=plan.claim.id, path=str(plan.claim_file.path), verdict="verified",
                       agreement=None, must_fail=(), seconds=0.1, reason="", seed=0)  # fmt: skip


def test_report_json_and_html_show_the_outcome(project: Path) -> None:
    plan = _plan(project, r"latex: '\mu'")
    report = report_dict([_result(plan)], {plan.claim.id: claim_view(plan)}, 0, 1.0)
    latex = report["claims"][0]["latex"]
    assert latex == {"text": r"\mu", "outcome": "equal", "message": latex["message"],
                     "parsed": "mu"}  # fmt: skip
    json.dumps(report)
    page = write_html_report([_result(plan)], {plan.claim.id: claim_view(plan)}, project, {}, {})
    body = page.read_text()
    assert "LaTeX equal: equal to expr at 3 sweep points" in body
    assert body.count("<math") == 2  # expr as SymPy typesets it, and the parsed LaTeX


@pytest.fixture(scope="module")
def shipped() -> dict[str, str]:
    library = lint([CLAIMS])
    assert not library.problems, "\n".join(map(str, library.problems))
    return {plan.claim.id: check_latex(plan).outcome for plan in library.plans}


def test_every_shipped_claim_prints_its_formula_and_none_differs(shipped: dict) -> None:
    for path in claim_files([CLAIMS]):
        assert load_claim(path).latex is not None, f"{path} has no latex:"
    assert set(shipped.values()) <= {"equal", "not compared"}
    assert sum(outcome == "equal" for outcome in shipped.values()) >= 25, shipped
