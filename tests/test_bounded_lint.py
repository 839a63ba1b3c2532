"""Lint does bounded work whatever a claim file holds: each file within seconds, and
a located problem, never a stall or an `internal error`.

The hostile files are linted in a child process under a hard timeout, so that a
regression fails this test instead of hanging the suite.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sympy as sp

from checker import derive, plan
from checker.expr import ExprError, numeric_value, parse_expr, symbols_for
from checker.latex import check_latex
from checker.latex_reader import LatexMisread, read_latex
from checker.spec import ClaimFile, ClaimFileError, validate_file

CORPUS = Path(__file__).parent / "bad_claims"
SECONDS_PER_FILE = 5.0


def _base() -> str:
    """The corpus's valid claim (make_corpus.BASE), read without running the generator."""
    tree = ast.parse((CORPUS / "make_corpus.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "BASE":
            return ast.literal_eval(node.value)
    raise AssertionError("make_corpus.py has no BASE")


BASE = _base()
EXPR = "  expr: (sin(theta) + (pi - theta)*cos(theta))/pi\n"


def _with(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def _latex(text: str) -> str:
    return _with("  target: K\n", f"  target: K\nlatex: {json.dumps(text)}\n")


HOSTILE = {  # name: (claim text, lint exit code)
    "latex-max-many": (_latex("\\max(" + ",".join(f"{i}\\theta" for i in range(1, 200)) + ")"), 0),
    "latex-exp-tower": (_latex("\\sin(\\exp(\\exp(\\exp(10)))) + \\theta"), 0),
    "latex-e-tower": (_latex("\\sin(e^{e^{e^{10}}}) + \\theta"), 0),
    "expr-sin-of-huge": (_with(EXPR, '  expr: "theta + sin(E**(10**29))"\n'), 2),
    "where-doubling-chain": (
        _with(
            EXPR,
            "  expr: theta + h0\n  where:\n"
            + "".join(f"    h{i}: h{i + 1}*h{i + 1} + h{i + 1}\n" for i in range(60))
            + "    h60: theta\n",
        ),
        2,
    ),
    "where-long-chain": (
        _with(
            EXPR,
            "  expr: theta + h0\n  where:\n"
            + "".join(f"    h{i}: sin(h{i + 1})\n" for i in range(2000))
            + "    h2000: theta\n",
        ),
        2,
    ),
    "hypotheses-times-variants": (  # within every size limit: stopped by the time limit
        _with(
            "hypotheses:\n",
            "hypotheses:\n"
            + "".join(f"  - name: h{i}\n    require: theta < {i + 2}\n" for i in range(1500)),
        )
        + "".join(f"  - name: v{i}\n    params: {{width: {1000 + i}}}\n" for i in range(60)),
        2,
    ),
    "variants-at-the-limit": (
        BASE + "".join(f"  - name: v{i}\n    params: {{dim: {i + 2}}}\n" for i in range(63)),
        0,
    ),
    "points-at-the-limit": (
        BASE
        + "".join(
            f"  - name: v{i}\n    sweep: {{theta: ["
            + ", ".join(str(j / 100) for j in range(100))
            + f"], dim: [{', '.join(str(j) for j in range(2, 101))}]}}\n"
            for i in range(10)
        ),
        0,
    ),
}

LINT_EACH = """
import json, sys, time
from checker.cli import main
for path in sys.argv[1:]:
    started = time.monotonic()
    code = main(["lint", path])
    print(json.dumps({"path": path, "code": code, "seconds": time.monotonic() - started}),
          flush=True)
"""


def test_every_hostile_file_lints_within_seconds_without_internal_error(tmp_path: Path) -> None:
    files = sorted(CORPUS.glob("bound-*.yaml"))
    expected = dict.fromkeys(map(str, files), 2)
    for name, (text, code) in HOSTILE.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        files.append(path)
        expected[str(path)] = code
    env = {"CHECKER_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", LINT_EACH, *map(str, files)],
        capture_output=True, text=True, timeout=60 + 10 * len(files), env=env, cwd=tmp_path,
    )  # fmt: skip
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["path"] for r in results] == list(map(str, files)), done.stderr[-2000:]
    for result in results:
        name = Path(result["path"]).name
        assert result["seconds"] < SECONDS_PER_FILE, f"{name} took {result['seconds']:.1f} s"
        assert result["code"] == expected[result["path"]], (name, done.stderr)
    stopped = r"hypotheses-times-variants.yaml:\d+:\d+: (must_fail\.\d+|prediction): planning took over 3 s"
    assert re.search(stopped, done.stderr), done.stderr


# --------------------------------------------------------------------------- numbers


def test_a_number_beyond_the_bound_is_refused_where_it_is_built() -> None:
    names = symbols_for(["theta"])
    started = time.monotonic()
    with pytest.raises(ExprError, match="beyond 1e\\+300") as caught:
        parse_expr("theta + sin(E**(10**29))", names)
    assert time.monotonic() - started < 1
    assert caught.value.column == 13


def test_numbers_within_the_bound_still_parse() -> None:
    theta = symbols_for(["theta"])
    assert parse_expr("exp(690)*theta", theta).has(sp.exp(690))
    assert parse_expr("10**29*10**29*theta", theta) == sp.Integer(10) ** 58 * theta["theta"]
    assert parse_expr("1e-300*1e-300*theta", theta) != 0


def test_numeric_value_is_float_evaluation_that_cannot_stall() -> None:
    x = sp.Symbol("x")
    assert numeric_value(sp.sin(x) * 2, {x: 1.0}) == pytest.approx(2 * 0.8414709848078965)
    assert numeric_value(sp.log(x), {x: 0.0}) is None
    started = time.monotonic()
    with pytest.raises(ExprError, match="beyond"):
        numeric_value(sp.sin(sp.exp(x)), {x: 1e29})
    assert time.monotonic() - started < 1


def test_a_derived_exponent_at_a_huge_sweep_value_is_not_derivable_at_once() -> None:
    theta = sp.Symbol("theta")
    started = time.monotonic()
    with pytest.raises(derive.NotDerivable, match="beyond 1e\\+300"):
        derive._per_group(sp.sin(sp.exp(theta)), "n", [{"theta": 1e29, "n": 2.0}], {}, "exponent")
    assert time.monotonic() - started < 1


def test_latex_max_takes_a_bounded_number_of_arguments() -> None:
    many = "\\max(" + ", ".join(f"{i}x" for i in range(1, 18)) + ")"
    started = time.monotonic()
    with pytest.raises(LatexMisread, match="more than 16 arguments"):
        read_latex(many)
    assert time.monotonic() - started < 1
    assert len(read_latex("\\max(" + ", ".join(f"{i}x" for i in range(1, 17)) + ")")) == 1


def test_latex_numbers_are_bounded_before_anything_prints_them() -> None:
    started = time.monotonic()
    with pytest.raises(LatexMisread, match="beyond 1e\\+300"):
        read_latex("\\sin(\\exp(\\exp(\\exp(10)))) + x")
    assert time.monotonic() - started < 1


def _claim(tmp_path: Path, text: str) -> ClaimFile:
    path = tmp_path / "claim.yaml"
    path.write_text(text)
    result = validate_file(path)
    assert isinstance(result, ClaimFile), result
    return result


def test_e_bound_by_the_comparison_to_a_huge_number_is_not_compared(tmp_path: Path) -> None:
    planned = plan.plan_claim(_claim(tmp_path, _latex("\\sin(e^{e^{e^{10}}}) + \\theta")))
    assert isinstance(planned, plan.Plan)
    check = check_latex(planned, tmp_path / "cache")
    assert check.outcome == "not compared"
    assert "beyond 1e+300" in check.message


# --------------------------------------------------------------------------- where: helpers


@pytest.mark.parametrize(
    ("helper", "binder"),
    [("theta", "swept"), ("dim", "a measurement param"), ("weight_kurtosis", "a measured output")],
)
def test_a_helper_may_not_rebind_a_name_bound_before_it(
    tmp_path: Path, helper: str, binder: str
) -> None:
    text = _with(EXPR, EXPR + f"  where: {{{helper}: 2*pi}}\n")
    problems = plan.plan_claim(_claim(tmp_path, text))
    assert isinstance(problems, list)
    wanted = f"prediction.where.{helper}: {helper!r} is {binder}, which binds the name before"
    assert problems[0].message.startswith(wanted), [str(p) for p in problems]
    assert str(problems[0].location).endswith("claim.yaml:16:11")  # the helper's own line


def test_helpers_expand_once_each_in_dependency_order() -> None:
    a, b, c, x = sp.symbols("a b c x")
    expanded = plan.expand_helpers({a: b + 1, b: c * 2, c: x / 4})
    assert expanded == {c: x / 4, b: x / 2, a: x / 2 + 1}


def test_a_self_referring_helper_is_a_cycle() -> None:
    a, x = sp.symbols("a x")
    with pytest.raises(plan.HelperError, match="a -> a define each other in a cycle"):
        plan.expand_helpers({a: a + x})


def test_expanded_size_is_counted_without_expanding_the_tree() -> None:
    x = sp.Symbol("x")
    doubled = x
    for _ in range(200):  # 2**200 nodes as a tree, 400 as the graph SymPy shares
        doubled = sp.Add(doubled, sp.Mul(doubled, 2, evaluate=False), evaluate=False)
    started = time.monotonic()
    assert "the limit is 10000" in plan.expansion_problem(doubled)
    assert time.monotonic() - started < 1


# --------------------------------------------------------------------------- time limits


class _Expired(BaseException):
    pass


class _OuterExpired(BaseException):
    pass


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_a_deadline_interrupts_pure_python_work() -> None:
    started = time.monotonic()
    with pytest.raises(_Expired), derive.deadline(0.2, _Expired):
        _spin(5)
    assert time.monotonic() - started < 1


def test_an_inner_deadline_never_extends_an_outer_one_and_rearms_it() -> None:
    started = time.monotonic()
    with pytest.raises(_OuterExpired), derive.deadline(0.6, _OuterExpired):
        with derive.deadline(10, _Expired):  # longer than the outer one: the outer applies
            _spin(0.1)
        with pytest.raises(_Expired), derive.deadline(0.1, _Expired):
            _spin(5)
        _spin(5)  # the outer limit, re-armed after the inner block, still stops this
    assert 0.5 < time.monotonic() - started < 1.5


def test_a_deadline_works_outside_the_main_thread() -> None:
    caught: list[BaseException] = []

    def work() -> None:
        try:
            with derive.deadline(0.2, _Expired):
                _spin(5)
        except _Expired as exc:
            caught.append(exc)
        with derive.deadline(0.05, _Expired):
            pass  # ended before its limit: nothing may arrive later
        _spin(0.3)

    thread = threading.Thread(target=work)
    started = time.monotonic()
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert len(caught) == 1
    assert time.monotonic() - started < 2


def test_simplify_of_a_derived_limit_runs_under_the_derivation_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(derive, "DERIVATION_SECONDS", 0.2)
    monkeypatch.setattr(derive.sp, "simplify", lambda value: _spin(30))
    derive._attempt.cache_clear()
    n = sp.Symbol("n", positive=True)
    started = time.monotonic()
    value, why = derive._attempt(1 + 7 / n, n)
    derive._attempt.cache_clear()
    assert value is None and "no answer within 0.2 s" in why
    assert time.monotonic() - started < 2


def test_planning_that_runs_out_of_time_is_a_located_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim_file = _claim(tmp_path, BASE)
    monkeypatch.setattr(plan._Planner, "_check_domains", lambda *args: _spin(30))
    started = time.monotonic()
    problems = plan.plan_claim(claim_file, seconds=0.3)
    assert time.monotonic() - started < 2
    assert isinstance(problems, list) and len(problems) == 1
    assert "prediction: planning took over 0.3 s" in problems[0].message
    assert str(problems[0].location).startswith(f"{claim_file.path}:")


def test_planning_in_a_thread_runs_out_of_time_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim_file = _claim(tmp_path, BASE)
    monkeypatch.setattr(plan._Planner, "_check_domains", lambda *args: _spin(30))
    found: list = []
    thread = threading.Thread(target=lambda: found.append(plan.plan_claim(claim_file, 0.3)))
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert "planning took over 0.3 s" in found[0][0].message


def test_an_unexpected_failure_in_planning_is_that_files_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise RuntimeError("boom")

    claim_file = _claim(tmp_path, BASE)
    monkeypatch.setattr(plan._Planner, "_check_domains", fail)
    problems = plan.plan_claim(claim_file)
    assert isinstance(problems, list)
    assert isinstance(problems[0], ClaimFileError)
    assert "checker could not plan this file: RuntimeError: boom; please report it" in (
        problems[0].message
    )
    assert str(problems[0].location).startswith(f"{claim_file.path}:")
