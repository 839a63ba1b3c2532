"""Claim files: the schema, and errors that point at file:line:column with a hint."""

from __future__ import annotations

import time
from pathlib import Path

import pydantic
import pytest

from checker import spec, yamlio
from checker.spec import Claim, ClaimFile, ClaimFileError, validate_file
from tests.conftest import TOY_CLAIM

HANG_GUARD_S = 2.0


def write(tmp_path: Path, text: str | bytes, name: str = "claim.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def edited(old: str, new: str, text: str = TOY_CLAIM) -> str:
    assert old in text, f"{old!r} is not in the claim"
    return text.replace(old, new, 1)


def problems(tmp_path: Path, text: str | bytes) -> list[ClaimFileError]:
    """The errors for `text`, which must be refused, within the hang guard."""
    path = write(tmp_path, text)
    start = time.perf_counter()
    result = validate_file(path)
    assert time.perf_counter() - start < HANG_GUARD_S
    assert isinstance(result, list), "the claim was accepted"
    assert result and all(isinstance(e, ClaimFileError) for e in result)
    return result


def only_problem(tmp_path: Path, text: str | bytes) -> ClaimFileError:
    found = problems(tmp_path, text)
    assert len(found) == 1, [str(e) for e in found]
    return found[0]


def find(found: list[ClaimFileError], needle: str) -> ClaimFileError:
    matching = [e for e in found if needle in str(e)]
    assert matching, f"no error mentions {needle!r}: {[str(e) for e in found]}"
    return matching[0]


def line_col(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `needle` in `text`."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def at(error: ClaimFileError) -> tuple[int, int]:
    assert isinstance(error.location, yamlio.Location)
    return error.location.line, error.location.column


def accepted(tmp_path: Path, text: str) -> ClaimFile:
    result = validate_file(write(tmp_path, text))
    assert isinstance(result, ClaimFile), [str(e) for e in result]
    return result


# --------------------------------------------------------------------------- valid claims


def test_toy_claim_validates(tmp_path: Path) -> None:
    claim_file = accepted(tmp_path, TOY_CLAIM)
    claim = claim_file.claim
    assert claim.id == "toy/gaussian-mean"
    assert claim.paper == "toy"
    assert isinstance(claim.agreement, spec.Interval)
    assert claim.sweep == {"mu": [-1.0, 0.5, 2.0]}
    assert [v.name for v in claim.must_fail] == ["biased"]


def test_claim_file_knows_where_each_value_is(tmp_path: Path) -> None:
    claim_file = accepted(tmp_path, TOY_CLAIM)
    location = claim_file.where("prediction", "expr")
    assert (location.line, location.column) == line_col(TOY_CLAIM, "expr: mu\n")
    assert location.file == str(tmp_path / "claim.yaml")
    assert claim_file.where("sweep", "mu", 1).line == line_col(TOY_CLAIM, "mu: [-1.0")[0]


def test_display_name_replaces_the_path(tmp_path: Path) -> None:
    path = write(tmp_path, edited("  year: 1809", "  year: eighteen"))
    [error] = validate_file(path, display="claims/toy.yaml")
    assert str(error).startswith("claims/toy.yaml:6:3: source.year:")


@pytest.mark.parametrize("literal", ["1e-3", "1E-3", "1.0e-3", "+1e-3", "0.001"])
def test_scientific_notation_loads_as_a_float(tmp_path: Path, literal: str) -> None:
    text = edited("sigma: 1.0}", f"sigma: 1.0, lr: {literal}}}")
    text = edited("mu: [-1.0, 0.5, 2.0]", f"mu: [-1.0, {literal}]", text)
    claim = accepted(tmp_path, text).claim
    assert claim.measurement.params["lr"] == 0.001
    assert isinstance(claim.measurement.params["lr"], float)
    assert claim.sweep["mu"] == [-1.0, 0.001]


def test_numeric_tolerance_is_kept_as_text(tmp_path: Path) -> None:
    text = edited("{rule: interval, confidence: 0.99}", "{rule: close, atol: 1e-3, rtol: 0}")
    agreement = accepted(tmp_path, text).claim.agreement
    assert isinstance(agreement, spec.Close)
    assert (agreement.atol, agreement.rtol) == ("0.001", "0")


# --------------------------------------------------------------------------- misspelt keys


@pytest.mark.parametrize(
    ("old", "new", "field", "suggestion"),
    [
        ("statement:", "statment:", "statment", "statement"),
        ("  year: 1809", "  yaer: 1809", "source.yaer", "year"),
        ("mu: {domain: real,", "mu: {domian: real,", "symbols.mu.domian", "domain"),
        ("    require: sigma > 0", "    requre: sigma > 0", "hypotheses.0.requre", "require"),
        ("  target: mean", "  targt: mean", "prediction.targt", "target"),
        ("  seeds: 16", "  seed: 16", "measurement.seed", "seeds"),
        ("confidence: 0.99", "confidance: 0.99", "agreement.confidance", "confidence"),
        ("    prediction: {expr", "    predction: {expr", "must_fail.0.predction", "prediction"),
        ("{expr: mu + 0.2}", "{exprr: mu + 0.2}", "must_fail.0.prediction.exprr", "expr"),
    ],
)
def test_misspelt_key_gets_did_you_mean_at_its_position(
    tmp_path: Path, old: str, new: str, field: str, suggestion: str
) -> None:
    text = edited(old, new)
    error = find(problems(tmp_path, text), f"{field}: unknown key")
    misspelt = field.rsplit(".", 1)[-1]
    assert at(error) == line_col(text, misspelt + ":")
    assert error.hint == f"did you mean {suggestion!r}?"
    assert str(error) == (
        f"{tmp_path / 'claim.yaml'}:{at(error)[0]}:{at(error)[1]}: "
        f"{field}: unknown key {misspelt!r}\n  hint: did you mean {suggestion!r}?"
    )


def test_unknown_key_without_near_match_lists_allowed_keys(tmp_path: Path) -> None:
    error = only_problem(tmp_path, edited("  year: 1809", "  year: 1809\n  zzzzzz: 1"))
    assert "allowed keys:" in error.hint
    assert "arxiv" in error.hint


# --------------------------------------------------------------------------- shape and types


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("title: The sample mean estimates the mean\n", "", "title"),
        ("  target: mean\n", "", "prediction.target"),
        ("  year: 1809\n", "", "source.year"),
        ("  name: toy.gaussian_mean\n", "", "measurement.name"),
        ("agreement: {rule: interval, confidence: 0.99}\n", "", "agreement"),
    ],
)
def test_missing_required_field(tmp_path: Path, old: str, new: str, field: str) -> None:
    error = only_problem(tmp_path, edited(old, new))
    assert error.message == f"{field}: required field is missing"


@pytest.mark.parametrize(
    ("old", "new", "field", "shown"),
    [
        ("year: 1809", "year: eighteen", "source.year", "'eighteen'"),
        ("seeds: 16", "seeds: [1, 2]", "measurement.seeds", "[1, 2]"),
        ("seeds: 16", "seeds: 0", "measurement.seeds", "0"),
        ("authors: [Gauss]", "authors: Gauss", "source.authors", "'Gauss'"),
        ("domain: positive,", "domain: positiv,", "symbols.sigma.domain", "'positiv'"),
        ("confidence: 0.99", "confidence: 1.5", "agreement.confidence", "1.5"),
        ("id: toy/gaussian-mean", "id: Toy Gaussian", "id", "'Toy Gaussian'"),
    ],
)
def test_wrong_type_shows_the_offending_value(
    tmp_path: Path, old: str, new: str, field: str, shown: str
) -> None:
    text = edited(old, new)
    error = only_problem(tmp_path, text)
    assert error.message.startswith(f"{field}: ")
    assert error.message.endswith(f"(got {shown})")
    assert at(error)[0] == line_col(text, new)[0]


def test_boolean_tolerance_is_refused(tmp_path: Path) -> None:
    text = edited("{rule: interval, confidence: 0.99}", "{rule: close, atol: true}")
    error = only_problem(tmp_path, text)
    assert "agreement.atol: expected an expression or a number, not a boolean" in error.message


def test_bad_sweep_value_names_the_entry(tmp_path: Path) -> None:
    text = edited("mu: [-1.0, 0.5, 2.0]", "mu: [-1.0, abc, 2.0]")
    found = problems(tmp_path, text)
    assert all(at(e) == line_col(text, "abc") for e in found)
    assert all("(got 'abc')" in e.message for e in found)


def test_bad_sweep_value_is_one_error_with_a_plain_path(tmp_path: Path) -> None:
    error = only_problem(tmp_path, edited("mu: [-1.0, 0.5, 2.0]", "mu: [-1.0, abc, 2.0]"))
    assert error.message.startswith("sweep.mu.1: ")


def test_bad_rule_name_lists_the_rules(tmp_path: Path) -> None:
    error = only_problem(tmp_path, edited("rule: interval", "rule: intervall"))
    assert error.message.startswith("agreement: ")
    assert "'intervall'" in error.message
    assert error.hint == "rule is one of: close, interval, scaling, bound, fit, rate"


def test_unknown_key_inside_an_agreement_rule(tmp_path: Path) -> None:
    text = edited("confidence: 0.99}", "confidence: 0.99, slack: 0.1}")
    error = only_problem(tmp_path, text)
    assert error.message == "agreement.slack: unknown key 'slack'"
    assert at(error) == line_col(text, "slack")
    assert "confidence" in error.hint


def test_key_valid_for_another_rule_is_unknown_here(tmp_path: Path) -> None:
    text = edited("{rule: interval, confidence: 0.99}", "{rule: fit, tol: 0.1, side: upper}")
    assert only_problem(tmp_path, text).message == "agreement.side: unknown key 'side'"


# --------------------------------------------------------------------------- YAML hazards


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    text = edited("statement:", "title: again\nstatement:")
    error = only_problem(tmp_path, text)
    assert error.message == "duplicate key 'title' (first at line 2)"
    assert at(error) == (8, 1)
    assert "delete or rename" in error.hint


def test_duplicate_nested_key(tmp_path: Path) -> None:
    error = only_problem(tmp_path, edited("  year: 1809", "  year: 1809\n  year: 1810"))
    assert error.message == "duplicate key 'year' (first at line 6)"
    assert at(error) == (7, 3)


def test_anchor_is_refused(tmp_path: Path) -> None:
    text = edited("  authors: [Gauss]", "  authors: &people [Gauss]")
    error = only_problem(tmp_path, text)
    assert "anchors and aliases" in error.message
    assert at(error)[0] == line_col(text, "&people")[0]


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    error = only_problem(tmp_path, "\n".join(lines) + "\n")
    assert "anchors and aliases" in error.message
    assert at(error) == (1, 4)


def test_alias_without_anchor_is_refused(tmp_path: Path) -> None:
    assert "anchors and aliases" in only_problem(tmp_path, TOY_CLAIM + "latex: *nothing\n").message


def test_merge_keys_are_refused(tmp_path: Path) -> None:
    text = edited("  year: 1809", "  <<: {year: 1809}")
    error = only_problem(tmp_path, text)
    assert "merge keys" in error.message
    assert at(error) == line_col(text, "<<")


def test_tab_indentation_is_refused_at_its_line(tmp_path: Path) -> None:
    error = only_problem(tmp_path, edited("  year: 1809", "\tyear: 1809"))
    assert error.message.startswith("invalid YAML:")
    assert at(error) == (6, 1)


def test_tab_indentation_hints_at_spaces(tmp_path: Path) -> None:
    error = only_problem(tmp_path, edited("  year: 1809", "\tyear: 1809"))
    assert "spaces" in error.hint


def test_invalid_yaml_points_at_the_problem(tmp_path: Path) -> None:
    error = only_problem(tmp_path, edited("  authors: [Gauss]", "  authors: [Gauss"))
    assert error.message.startswith("invalid YAML:")
    assert at(error)[0] >= 5


def test_non_scalar_key_is_refused(tmp_path: Path) -> None:
    error = only_problem(tmp_path, TOY_CLAIM + "? [a, b]\n: 1\n")
    assert error.message == "keys must be plain scalars"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    error = only_problem(tmp_path, text)
    assert error.message == "file is empty"
    assert "checker new" in error.hint


@pytest.mark.parametrize("text", ["---\n", "~\n", "null\n"])
def test_null_document_is_refused(tmp_path: Path, text: str) -> None:
    assert "a claim file is a mapping" in only_problem(tmp_path, text).message


def test_non_utf8_bytes_name_the_line_and_byte(tmp_path: Path) -> None:
    error = only_problem(tmp_path, TOY_CLAIM.encode() + b"latex: \xff\xfe\n")
    expected_line = TOY_CLAIM.count("\n") + 1
    assert error.message == "not UTF-8 text (byte 0xff)"
    assert at(error) == (expected_line, 1)


@pytest.mark.parametrize(
    ("text", "kind"), [("- a\n- b\n", "list"), ("just text\n", "str"), ("42\n", "int")]
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, kind: str) -> None:
    assert only_problem(tmp_path, text).message == f"a claim file is a mapping, not a {kind}"


def test_oversize_file_is_refused_before_parsing(tmp_path: Path) -> None:
    text = TOY_CLAIM + "#" + "x" * yamlio.MAX_BYTES + "\n"
    error = only_problem(tmp_path, text)
    assert error.message.startswith(f"file is {len(text)} bytes")
    assert str(yamlio.MAX_BYTES) in error.message
    assert error.hint


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 40 + "]" * 40 + "\n",
        "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(40)) + "  " * 41 + "v\n",
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused(tmp_path: Path, text: str) -> None:
    error = only_problem(tmp_path, text)
    assert error.message == f"nesting deeper than {yamlio.MAX_DEPTH} levels"


def test_very_deep_flow_nesting_is_refused(tmp_path: Path) -> None:
    text = "a: " + "[" * 400 + "]" * 400 + "\n"
    assert "nesting deeper" in only_problem(tmp_path, text).message


def test_missing_file(tmp_path: Path) -> None:
    [error] = validate_file(tmp_path / "absent.yaml")
    assert "cannot read file" in error.message


# --------------------------------------------------------------------------- claim rules


def test_must_fail_missing(tmp_path: Path) -> None:
    error = only_problem(tmp_path, TOY_CLAIM.split("must_fail:")[0])
    assert error.message == "must_fail: required field is missing"


def test_must_fail_empty(tmp_path: Path) -> None:
    text = TOY_CLAIM.split("must_fail:")[0] + "must_fail: []\n"
    error = only_problem(tmp_path, text)
    assert error.message.startswith("must_fail: List should have at least 1 item")
    assert at(error) == line_col(text, "must_fail")


def test_variant_that_changes_nothing(tmp_path: Path) -> None:
    text = edited("    prediction: {expr: mu + 0.2}", "    why: forgot the change")
    error = only_problem(tmp_path, text)
    assert error.message.startswith("must_fail.0: a must-fail variant must change")
    assert at(error) == line_col(text, "name: biased")


def test_violates_unknown_hypothesis_has_did_you_mean(tmp_path: Path) -> None:
    text = TOY_CLAIM + "    violates: [finite-varianse]\n"
    error = only_problem(tmp_path, text)
    assert error.message == "must_fail.0.violates.0: no hypothesis named 'finite-varianse'"
    assert error.hint == "did you mean 'finite-variance'?"
    assert at(error) == line_col(text, "finite-varianse")


def test_violates_known_hypothesis_is_accepted(tmp_path: Path) -> None:
    claim = accepted(tmp_path, TOY_CLAIM + "    violates: [spread]\n").claim
    assert claim.must_fail[0].violates == ["spread"]


def test_duplicate_variant_names(tmp_path: Path) -> None:
    text = TOY_CLAIM + "  - name: biased\n    params: {sigma: 2.0}\n"
    error = only_problem(tmp_path, text)
    assert error.message == "must_fail.1.name: duplicate name 'biased'"
    assert at(error)[0] == text.count("\n") - 1


def test_duplicate_hypothesis_names(tmp_path: Path) -> None:
    text = edited("  - name: spread", "  - name: finite-variance")
    assert only_problem(tmp_path, text).message == (
        "hypotheses.1.name: duplicate name 'finite-variance'"
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    require: sigma > 0", "    require: sigma > 0\n    observe: spread > 0"),
        ("    require: sigma > 0\n", ""),
    ],
    ids=["both", "neither"],
)
def test_hypothesis_needs_exactly_one_check(tmp_path: Path, old: str, new: str) -> None:
    error = only_problem(tmp_path, edited(old, new))
    assert error.message.startswith("hypotheses.0: give exactly one of `require`")


def test_python_keyword_symbol_suggests_a_rename(tmp_path: Path) -> None:
    text = edited("  mu: {domain: real", "  lambda: {domain: positive}\n  mu: {domain: real")
    error = only_problem(tmp_path, text)
    assert error.message == "symbols.lambda: 'lambda' is a Python keyword"
    assert "lam" in error.hint
    assert at(error) == line_col(text, "lambda")


def test_unquoted_arxiv_id_is_a_clear_error(tmp_path: Path) -> None:
    text = edited("  year: 1809", "  year: 1809\n  arxiv: 1312.6120")
    error = only_problem(tmp_path, text)
    assert error.message.startswith("source.arxiv: Input should be a valid string")
    assert "(got 1312.612)" in error.message  # what YAML made of it
    assert at(error) == line_col(text, "arxiv")


def test_unquoted_arxiv_id_hints_at_quoting(tmp_path: Path) -> None:
    error = only_problem(tmp_path, edited("  year: 1809", "  year: 1809\n  arxiv: 1312.6120"))
    assert "quote" in error.hint


def test_quoted_arxiv_id_is_accepted(tmp_path: Path) -> None:
    text = edited("  year: 1809", '  year: 1809\n  arxiv: "1312.6120"')
    assert accepted(tmp_path, text).claim.source.arxiv == "1312.6120"


def test_too_many_sweep_points(tmp_path: Path) -> None:
    values = ", ".join(str(float(i)) for i in range(101))
    text = edited("  mu: [-1.0, 0.5, 2.0]", f"  mu: [{values}]\n  sigma: [{values}]")
    error = only_problem(tmp_path, text)
    assert error.message == f"sweep: {101 * 101} sweep points; the limit is {spec.MAX_SWEEP_POINTS}"


def test_load_claim_raises_the_first_problem(tmp_path: Path) -> None:
    path = write(tmp_path, edited("statement:", "statment:"))
    with pytest.raises(ClaimFileError, match=r"claim\.yaml:\d+:\d+: "):
        spec.load_claim(path)


# --------------------------------------------------------------------------- the model


def _claim(tmp_path: Path) -> Claim:
    return accepted(tmp_path, TOY_CLAIM).claim


def test_claim_is_frozen(tmp_path: Path) -> None:
    claim = _claim(tmp_path)
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        claim.title = "changed"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        claim.agreement.confidence = 0.5  # type: ignore[misc, union-attr]


def test_claim_model_rejects_unknown_keys(tmp_path: Path) -> None:
    data = _claim(tmp_path).model_dump()
    assert Claim.model_validate(data) == _claim(tmp_path)
    with pytest.raises(pydantic.ValidationError, match="extra"):
        Claim.model_validate({**data, "notes": "x"})
    with pytest.raises(pydantic.ValidationError, match="extra"):
        Claim.model_validate({**data, "source": {**data["source"], "doi": "x"}})


def test_variant_agreement_overrides_the_claims_rule(tmp_path: Path) -> None:
    text = TOY_CLAIM + "  - name: wide\n    agreement: {confidence: 0.6}\n"
    claim = accepted(tmp_path, text).claim
    merged = spec.variant_agreement(claim, claim.must_fail[1])
    assert isinstance(merged, spec.Interval)
    assert merged.confidence == 0.6
    assert (merged.atol, merged.rtol) == (claim.agreement.atol, claim.agreement.rtol)
    unchanged = spec.variant_agreement(claim, claim.must_fail[0])
    assert unchanged == claim.agreement


@pytest.mark.parametrize(
    ("override", "message"),
    [("{tol: 0.6}", "Extra inputs"), ("{confidence: 2}", "less than 1")],
)
def test_variant_agreement_override_is_validated(
    tmp_path: Path, override: str, message: str
) -> None:
    text = TOY_CLAIM + f"  - name: wide\n    agreement: {override}\n"
    error = only_problem(tmp_path, text)
    assert error.message.startswith("must_fail.1.agreement: ")
    assert message in error.message
    assert at(error) == line_col(text, f"agreement: {override}")


ROOT = Path(__file__).resolve().parents[1]


def _read_both_ways(path: Path) -> tuple[object, object]:
    """(fast reader's outcome, careful reader's outcome): data and locations, or the error."""
    text = path.read_text(encoding="utf-8", errors="replace")
    outcomes = []
    for read in (yamlio._compose, yamlio._compose_checked):
        try:
            located = read(text, path.name)
            outcomes.append((located.data, located.locations))
        except yamlio.ClaimFileError as error:
            outcomes.append(str(error))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "claims").rglob("*.yaml")) + sorted((ROOT / "tests/bad_claims").glob("*.yaml")),
    ids=lambda path: path.name,
)
def test_libyaml_fast_path_reads_exactly_what_the_careful_reader_reads(path: Path) -> None:
    fast, careful = _read_both_ways(path)
    assert fast == careful
