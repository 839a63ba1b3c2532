"""The LaTeX reader: its conventions, its ambiguities, its refusals, and SymPy's own LaTeX read back."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from checker.latex_reader import MAX_CHARS, MAX_READINGS, LatexMisread, read_latex


def _read(text: str) -> str:
    (reading,) = read_latex(text)
    return str(reading)


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (r"2\pi x", "2*pi*x"),
        (r"x^2 y", "x**2*y"),
        (r"f(x)", "f*x"),  # a letter before parentheses multiplies them
        (r"d T", "T*d"),  # d is a letter, not a differential
        (r"\sin\theta\cos\phi", "sin(theta)*cos(phi)"),
        (r"\sin x^2", "sin(x**2)"),  # one factor with its exponent
        (r"\sin 2x", "x*sin(2)"),
        (r"\sin(x) + 1", "sin(x) + 1"),
        (r"\sin^2 x", "sin(x)**2"),
        (r"\sin(x)^2", "sin(x)**2"),
        (r"\log_2 x", "log(x)/log(2)"),
        (r"\ln\frac{a}{b}", "log(a/b)"),
        (r"\log t + w", "w + log(t)"),
        (r"\exp\left(-\frac{t}{\tau}\right)", "exp(-t/tau)"),
        (r"\operatorname{arcsinh}\left(\frac{z}{2}\right)", "asinh(z/2)"),
        (r"\sqrt[3]{x}", "x**(1/3)"),
        (r"\frac12", "1/2"),
        (r"x^23", "3*x**2"),  # TeX takes one token as a script
        (r"0.25x", "x/4"),  # decimals are exact
        (r"\sigma_{w}^2", "sigma_w**2"),
        (r"\lambda_{\max}", "lambda_max"),
        (r"k_{\mathrm{eff}}", "k_eff"),
        (r"L_\infty", "L_infty"),
        (r"\Sigma_{12}", "Sigma_12"),
        (r"q^*", "q_star"),
        (r"\ell", "ell"),
        (r"\tilde w_1", "w_1"),
        (r"\bar{x}_n", "x_n"),
        (r"\left|a - b\right|", "Abs(a - b)"),
        (r"\|\hat w\|", "Abs(w)"),
        (r"a \cdot b / c", "a*b/c"),
        (r"\max(a, b)", "Max(a, b)"),
        (r"t = \frac{\tau}{2}", "Eq(t, tau/2)"),
        (r"a + b,", "a + b"),  # the punctuation that ends a displayed sentence
        (r"\lambda \to 2", "Eq(lambda, 2)"),
        (r"\begin{cases} x & x > 0 \\ 0 & \text{otherwise} \end{cases}",
         "Piecewise((x, x > 0), (0, True))"),
        (r"\begin{cases} 1 & 0 < x < 1 \\ 0 & \text{otherwise} \end{cases}",
         "Piecewise((1, (x > 0) & (x < 1)), (0, True))"),
    ],
)  # fmt: skip
def test_the_documented_conventions(latex: str, expected: str) -> None:
    assert _read(latex) == expected


@pytest.mark.parametrize(
    ("latex", "readings"),
    [
        ("|a| b |c|", {"b*Abs(a)*Abs(c)", "Abs(a*c*Abs(b))"}),  # a bar may close or open
        ("a/bc", {"a*c/b", "a/(b*c)"}),
        ("|a|b", {"b*Abs(a)"}),  # one way only: the other reading never closes
        (r"\left|a\right| b \left|c\right|", {"b*Abs(a)*Abs(c)"}),  # \left, \right decide
    ],
)
def test_ambiguous_notation_is_read_every_way(latex: str, readings: set[str]) -> None:
    assert {str(r) for r in read_latex(latex)} == readings


@pytest.mark.parametrize(
    ("latex", "reason"),
    [
        (r"\Theta\left(n^{-1/2}\right)", r"asymptotic notation (\Theta(...)) states an order"),
        (r"\frac{a}{b} - 1 = O(\eta)", "asymptotic notation (O(...)) states an order"),
        (r"\mathcal{O}(n)", r"asymptotic notation (\mathcal(...))"),
        (r"\sup_t |f_t|", r"\sup is an operator over a set or a limit"),
        (r"\sum_i x_i", r"\sum is an operator over a set or a limit"),
        (r"a \le b", r"a relation (\le) states no value"),
        (r"a \pm b", r"\pm stands for two values"),
        (r"\sin^{-1} x", r"\sin^{-1}: an inverse or a reciprocal?"),
        (r"\max_i x_i", r"\max over a set states no closed-form value"),
        (r"\mu \wp", r"unknown command \wp at column 5"),
        (r"x^-1", "expected a script, found '-' at column 3"),
        (r"x^2^3", "a double superscript"),
        (r"\frac{a}{b", "expected '}', found the end at column 11"),
        (r"(a + b", "expected ')', found the end"),
        ("a # b", "cannot read '#' at column 3"),
        (r"\begin{matrix} a \end{matrix}", r"only \begin{cases} is read"),
    ],
)
def test_what_states_no_value_or_is_not_latex_is_refused_with_the_reason(
    latex: str, reason: str
) -> None:
    with pytest.raises(LatexMisread) as refused:
        read_latex(latex)
    assert reason in str(refused.value)


def test_hostile_text_is_refused_quickly_and_within_bounds() -> None:
    with pytest.raises(LatexMisread, match="characters; the reader reads at most"):
        read_latex("x+" * MAX_CHARS)
    with pytest.raises(LatexMisread, match=f"more than {MAX_READINGS} readings"):
        read_latex("|a| b " * 30 + "|c|")
    with pytest.raises(LatexMisread, match="nested deeper than"):
        read_latex("{" * 200 + "x" + "}" * 200)
    with pytest.raises(LatexMisread, match="numeric power with exponent"):
        read_latex("10^{10^{10}}")
    with pytest.raises(LatexMisread, match="longer than 30 digits"):
        read_latex("1" * 40)


_X, _Y = sp.symbols("x y", positive=True)
_LEAVES = st.sampled_from([_X, _Y, sp.Integer(2), sp.Integer(3), sp.Rational(1, 2), sp.pi])
_UNARY = [sp.sin, sp.cos, sp.exp, sp.log, sp.sqrt, sp.atan, sp.Abs, sp.tanh, sp.asinh]


def _expressions() -> st.SearchStrategy[sp.Basic]:
    def extend(children: st.SearchStrategy[sp.Basic]) -> st.SearchStrategy[sp.Basic]:
        unary = st.tuples(st.sampled_from(_UNARY), children).map(lambda p: p[0](p[1]))
        binary = st.tuples(st.sampled_from(["+", "-", "*", "/", "^"]), children, children)
        return unary | binary.map(_combine)

    return st.recursive(_LEAVES, extend, max_leaves=6)


def _combine(parts: tuple[str, sp.Basic, sp.Basic]) -> sp.Basic:
    op, a, b = parts
    if op == "^":
        return a ** sp.Integer(2) if b.is_number else a ** sp.Rational(-1, 2)
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_sympys_own_latex_reads_back_to_the_same_values(expr: sp.Basic) -> None:
    """SymPy's printer writes `\\sin{\\left(x \\right)}`, `\\operatorname{asinh}`, `e^{x}`,
    `\\left|{x}\\right|`: the reader must give back the same function of x and y."""
    assume(not expr.has(sp.I, sp.zoo, sp.oo, sp.nan))  # papers' formulas are real
    (reading,) = read_latex(sp.latex(expr))
    names = {"x": _X, "y": _Y, "pi": sp.pi, "e": sp.E}
    reading = reading.xreplace({s: names[s.name] for s in reading.free_symbols})
    points = [(0.7, 1.3), (2.1, 0.4), (1.7, 5.0)]
    for x, y in points:
        want = complex(expr.evalf(subs={_X: x, _Y: y}))
        got = complex(reading.evalf(subs={_X: x, _Y: y}))
        if not (math.isfinite(abs(want)) and abs(want) < 1e12):
            continue
        assert np.isclose(got, want, rtol=1e-9, atol=1e-12), (sp.latex(expr), reading)
