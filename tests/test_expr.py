"""The safe expression parser: what it accepts, what it refuses, and that refusing is fast."""

from __future__ import annotations

import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import expr
from checker.expr import ExprError, free_names, parse_expr, symbols_for

NAMES = symbols_for(["x", "y", "n", "sigma"])
x, y = NAMES["x"], NAMES["y"]
HANG_GUARD_S = 2.0


def refused(text: str, *, allow_compare: bool = False) -> ExprError:
    """Parse `text` expecting ExprError, within the hang guard; return the error."""
    start = time.perf_counter()
    with pytest.raises(ExprError) as caught:
        parse_expr(text, NAMES, allow_compare=allow_compare)
    elapsed = time.perf_counter() - start
    assert elapsed < HANG_GUARD_S, f"refusing {text[:60]!r} took {elapsed:.2f}s"
    return caught.value


# --------------------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", sp.Integer(3)),
        ("2.5", sp.Float(2.5)),
        ("1e-3", sp.Float(0.001)),
        ("x + y", x + y),
        ("x - y", x - y),
        ("x * y", x * y),
        ("x / y", x / y),
        ("x ** y", x**y),
        ("-x", -x),
        ("+x", x),
        ("-(x + 1) ** 2", -((x + 1) ** 2)),
        ("2 ** 10", sp.Integer(1024)),
        ("2 ** -3", sp.Rational(1, 8)),
        ("2 ** 64", sp.Integer(2**64)),
        ("pi * x", sp.pi * x),
        ("E ** x", sp.exp(x)),
        ("Piecewise((x, x > 0), (2 * x, True))", sp.Piecewise((x, x > 0), (2 * x, True))),
        ("((((x))))", x),
    ],
)
def test_accepts_arithmetic(text: str, expected: sp.Basic) -> None:
    result = parse_expr(text, NAMES)
    assert isinstance(result, sp.Basic)
    assert sp.simplify(result - expected) == 0


def test_scientific_notation_is_a_float() -> None:
    result = parse_expr("1e-3", {})
    assert result.is_Float
    assert float(result) == 0.001


@pytest.mark.parametrize("name", sorted(expr.FUNCTIONS))
def test_accepts_every_table_function(name: str) -> None:
    text = f"{name}(x, y)" if name in ("Max", "Min") else f"{name}(x)"
    result = parse_expr(text, NAMES)
    if name == "sqrt":
        assert result == sp.Pow(x, sp.Rational(1, 2))
    else:
        assert result.func is expr.FUNCTIONS[name]
    assert x in result.free_symbols


def test_functions_stay_unevaluated() -> None:
    result = parse_expr("gamma(100)", {})  # not 99!, a 156-digit integer
    assert isinstance(result, sp.gamma)
    assert result.args == (sp.Integer(100),)


def test_a_function_value_beyond_the_number_bound_is_refused() -> None:
    with pytest.raises(ExprError, match="'gamma\\(10\\*\\*9\\)' is a number beyond 1e\\+300"):
        parse_expr("gamma(10**9)", {})


def test_max_takes_several_arguments() -> None:
    assert parse_expr("Max(x, y, 1)", NAMES) == sp.Max(x, y, 1)


def test_undeclared_pi_and_e_are_constants() -> None:
    assert parse_expr("pi", {}) is sp.pi
    assert parse_expr("E", {}) is sp.E


def test_names_that_clash_with_sympy_become_plain_symbols() -> None:
    names = symbols_for(["gamma", "N"])
    result = parse_expr("1/gamma + N", names)
    assert result.free_symbols == {names["gamma"], names["N"]}
    assert all(isinstance(s, sp.Symbol) for s in result.free_symbols)


@pytest.mark.parametrize("name", ["gamma", "beta", "N", "S", "E", "I", "Q", "O", "zeta"])
def test_each_clashing_name_is_a_symbol(name: str) -> None:
    names = symbols_for([name])
    result = parse_expr(f"2*{name} + 1", names)
    assert result.free_symbols == {names[name]}
    assert isinstance(names[name], sp.Symbol)
    assert result.subs(names[name], 3) == 7


def test_all_clashing_names_together() -> None:
    clashing = ["gamma", "beta", "N", "S", "E", "I", "Q", "O", "zeta"]
    names = symbols_for(clashing)
    result = parse_expr(" + ".join(clashing), names)
    assert {str(s) for s in result.free_symbols} == set(clashing)


def test_declared_function_name_shadows_function_as_symbol() -> None:
    names = symbols_for(["gamma", "x"])
    with pytest.raises(ExprError, match="declared symbol"):
        parse_expr("gamma(x)", names)


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        ("x < 1", {x: 0.5}, {x: 2}),
        ("x <= 1", {x: 1}, {x: 2}),
        ("x > 1", {x: 2}, {x: 0}),
        ("x >= 1", {x: 1}, {x: 0}),
        ("x == 1", {x: 1}, {x: 2}),
        ("x != 1", {x: 2}, {x: 1}),
        ("0 < x < 1", {x: 0.5}, {x: 1.5}),
        ("0 < x <= y < 3", {x: 1, y: 2}, {x: 2.5, y: 2}),
        ("x > 0 and y > 0", {x: 1, y: 1}, {x: 1, y: -1}),
        ("x > 0 or y > 0", {x: -1, y: 1}, {x: -1, y: -1}),
    ],
)
def test_comparisons_with_allow_compare(text: str, inside: dict, outside: dict) -> None:
    condition = parse_expr(text, NAMES, allow_compare=True)
    assert bool(condition.subs(inside)) is True
    assert bool(condition.subs(outside)) is False


def test_piecewise_condition_may_compare_without_allow_compare() -> None:
    result = parse_expr("Piecewise((x, 0 < x < 1), (0, True))", NAMES)
    assert result.subs(x, 0.5) == 0.5
    assert result.subs(x, 2) == 0


# --------------------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.real", "attribute access"),
        ("x[0]", "subscripts"),
        ("__import__('os').system('x')", "attribute access"),
        ("__import__('os')", "unknown function '__import__'"),
        ("__class__", "'__class__' is not allowed"),
        ("x.__class__", "attribute access"),
        ("lambda: 1", "lambda"),
        ("[x for x in y]", "comprehensions"),
        ("(x for x in y)", "comprehensions"),
        ("{x for x in y}", "comprehensions"),
        ("{x: 1 for x in y}", "comprehensions"),
        ("exp(x=1)", "keyword"),
        ("'text'", "not a number"),
        ("b'bytes'", "not a number"),
        ("f'{x}'", "strings are not allowed"),
        ("(y := 1)", "assignment (:=)"),
        ("x if x else y", "Piecewise"),
        ("x ^ 2", "**"),
        ("True", "not a number"),
        ("None", "not a number"),
        ("1j", "not a number"),
        ("...", "not a number"),
        ("(x, y)", "tuples"),
        ("[x]", "lists"),
        ("{x: 1}", "dicts"),
        ("{x}", "sets"),
        ("x % y", "Mod"),
        ("x // y", "FloorDiv"),
        ("x @ y", "MatMult"),
        ("x & y", "BitAnd"),
        ("~x", "Invert"),
        ("not x", "Not"),
        ("x and y", "only allowed in conditions"),
        ("x = 1", "not a valid expression"),
        ("x; y", "not a valid expression"),
        ("exp", "is a function; call it"),
        ("exp(x, y)", "takes 1 argument"),
        ("Max(x)", "Max() takes"),
        ("gamma(x)(1)", "Call is not allowed"),
        ("Piecewise()", "at least one"),
        ("Piecewise(x)", "(value, condition) pairs"),
        ("Piecewise((x < 1, True))", "comparisons are only allowed"),
        ("x is y", "not allowed"),
    ],
)
def test_refuses_with_a_message(text: str, message: str) -> None:
    err = refused(text, allow_compare=text in ("x is y",))
    assert message in str(err)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9**9**9", "numeric power with exponent"),
        ("2**2**2**2**2**2", "numeric power with exponent 65536"),
        ("10**400", "numeric power with exponent 400"),
        ("2**65", "numeric power with exponent 65"),
        ("(10**60)**64", "numeric power is too large to hold exactly"),
        ("1e999", "too large"),
        ("1e31", "too large"),
        ("-(" * 200 + "x" + ")" * 200, "nested deeper"),
        ("exp(" * 70 + "x" + ")" * 70, "nested deeper"),
        ("(" * 201 + "x" + ")" * 201, "too many nested parentheses"),
        ("+".join(["x"] * 400), "parts; the limit is"),
        ("x" + " " * expr.MAX_CHARS, "characters; the limit is"),
        ("x + " * expr.MAX_CHARS + "x", "characters; the limit is"),
        ("", "empty"),
        ("   \n ", "empty"),
    ],
)
def test_refuses_hostile_sizes_quickly(text: str, message: str) -> None:
    assert message in str(refused(text))


def test_exponent_hint_suggests_double_star() -> None:
    err = refused("x ^ 2")
    assert "**" in err.hint


def test_unknown_function_has_did_you_mean() -> None:
    err = refused("exq(x)")
    assert "unknown function 'exq'" in str(err)
    assert err.hint == "did you mean 'exp'?"
    assert err.column == 1


def test_unknown_function_without_near_match_lists_allowed() -> None:
    err = refused("frobnicate(x)")
    assert "allowed:" in err.hint
    assert "loggamma" in err.hint


def test_unknown_symbol_has_did_you_mean_and_column() -> None:
    err = refused("x + sigam")
    assert "unknown symbol 'sigam'" in str(err)
    assert err.hint == "did you mean 'sigma'?"
    assert err.column == 5


def test_unknown_symbol_without_near_match_says_declare() -> None:
    assert "symbols:" in refused("zzzzzz").hint


def test_declared_symbol_called_as_function() -> None:
    assert "'sigma' is a declared symbol, not a function" in str(refused("sigma(x)"))


@pytest.mark.parametrize("text", ["x < y", "0 < x < 1", "x == y", "x > 0 and y > 0"])
def test_comparisons_need_allow_compare(text: str) -> None:
    assert "only allowed" in str(refused(text))


def test_non_text_is_refused() -> None:
    with pytest.raises(ExprError, match="expected text"):
        parse_expr(3, NAMES)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- SymPy's refusals


@pytest.mark.parametrize(
    ("text", "allow_compare"),
    [
        ("Piecewise((x, (x > 0) + 1))", False),
        ("Piecewise((x, -(x < 1)))", False),
        ("Piecewise((x, x < (y < 1)))", False),
        ("Piecewise((x, exp(x < 1)))", False),
        ("Piecewise((x, x > 0), (1, 3))", False),
        ("Piecewise((x, 1 and 2))", False),
        ("Piecewise((x, 1/0 < x), (0, True))", False),
        ("Piecewise((x, log(0) < x), (0, True))", False),
        ("(x > 0) * 2", True),
        ("-(x < 1)", True),
    ],
)
def test_malformed_conditions_are_refused(text: str, allow_compare: bool) -> None:
    assert "not a valid expression" in str(refused(text, allow_compare=allow_compare))


@pytest.mark.parametrize("text", ["1.0/0.0", "0.0/0.0", "(x - x)/erfc(exp(355))"])
def test_sympy_arithmetic_errors_are_refused(text: str) -> None:
    refused(text)


def test_accepted_expressions_can_be_printed() -> None:
    try:
        result = parse_expr("x - erfc(exp(355))", NAMES)
    except ExprError:
        return
    assert "erfc" in str(result)


def test_huge_integer_literal_is_refused() -> None:
    assert "too large" in str(refused("1" + "0" * 400))


@pytest.mark.parametrize("text", ["(((1/3)**64)**64)**64", "((((((10**64)**4)**4)**4)**4)**4)**4"])
def test_nested_numeric_powers_are_refused(text: str) -> None:
    refused(text)


# --------------------------------------------------------------------------- free_names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("x", {"x"}),
        ("exp(x) + y * gamma(z)", {"x", "y", "z"}),
        ("Piecewise((a, b > 0), (c, True))", {"a", "b", "c"}),
        ("2 ** 3", set()),
        ("Max(u, v, w)", {"u", "v", "w"}),
    ],
)
def test_free_names(text: str, names: set[str]) -> None:
    assert free_names(text) == names


def test_free_names_refuses_bad_syntax() -> None:
    with pytest.raises(ExprError):
        free_names("x +")


# --------------------------------------------------------------------------- properties


def parses_or_refuses(text: str, *, allow_compare: bool = False) -> None:
    try:
        result = parse_expr(text, NAMES, allow_compare=allow_compare)
    except ExprError:
        return
    assert isinstance(result, sp.Basic)


PROPERTY = settings(
    max_examples=300,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY
@given(st.text())
def test_arbitrary_text_parses_or_raises_expr_error(text: str) -> None:
    parses_or_refuses(text)


TOKENS = [
    "x", "y", "n", "sigma", "gamma", "pi", "E", "q", "0", "1", "2", "3.5", "1e-3", "64",
    "+", "-", "*", "/", "**", "^", "%", "(", ")", ",", ".", "<", "<=", "==", " and ",
    "True", "exp", "log", "sqrt", "Max", "Piecewise", "lambda", "__class__", "[", "]", "'",
]  # fmt: skip


@PROPERTY
@given(st.lists(st.sampled_from(TOKENS), max_size=30), st.booleans())
def test_token_soup_parses_or_raises_expr_error(tokens: list[str], allow_compare: bool) -> None:
    parses_or_refuses(" ".join(tokens), allow_compare=allow_compare)


COMPARISONS = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
LEAVES = st.one_of(
    st.sampled_from(["x", "y", "n", "sigma", "pi", "E", "undeclared"]),
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(repr),
)
UNARY_FUNCTIONS = sorted(set(expr.FUNCTIONS) - {"Max", "Min"})


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(_binary, children, st.sampled_from(["+", "-", "*", "/", "**"]), children),
        st.builds(_negate, children),
        st.builds(_call1, st.sampled_from(UNARY_FUNCTIONS), children),
        st.builds(_call2, st.sampled_from(["Max", "Min"]), children, children),
        st.builds(
            _piecewise, children, st.builds(_binary, children, COMPARISONS, children), children
        ),
    )


def _binary(a: str, op: str, b: str) -> str:
    return f"({a} {op} {b})"


def _negate(a: str) -> str:
    return f"-{a}"


def _call1(f: str, a: str) -> str:
    return f"{f}({a})"


def _call2(f: str, a: str, b: str) -> str:
    return f"{f}({a}, {b})"


def _piecewise(a: str, condition: str, b: str) -> str:
    return f"Piecewise(({a}, {condition}), ({b}, True))"


# Random trees over the whole grammar: every function, Piecewise with any comparison.
EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=12)


@PROPERTY
@given(EXPRESSIONS)
def test_grammar_expressions_parse_or_raise_expr_error(text: str) -> None:
    parses_or_refuses(text)


@PROPERTY
@given(EXPRESSIONS, COMPARISONS, EXPRESSIONS)
def test_grammar_comparisons_parse_or_raise_expr_error(left: str, op: str, right: str) -> None:
    parses_or_refuses(f"{left} {op} {right}", allow_compare=True)
