"""The SymPy -> NumPy/JAX table, entry by entry, against SymPy's own high-precision numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import numpy as np
import pytest
import sympy as sp

from checker import compile as compiler
from checker.compile import CompileError, compile_expr, jax_backend, numpy_backend

x, y = sp.symbols("x y", real=True)
NUMPY_RTOL = 1e-10
JAX_RTOL = 1e-9

# Each case: the node class it exercises, the expression, and points inside its domain
# (one value per argument in `ARGS`; y is ignored by one-argument cases).
Case = tuple[type[sp.Basic], sp.Basic, Sequence[tuple[float, float]]]
ARGS = (x, y)
POSITIVE = [(0.3, 0.7), (1.7, 2.5), (4.2, 0.2)]
REAL = [(-2.3, 0.7), (0.4, -1.1), (1.9, 1.9)]
UNIT = [(-0.8, 0.1), (0.05, 0.5), (0.6, -0.3)]
ABOVE_ONE = [(1.1, 0.0), (2.5, 0.0), (7.0, 0.0)]
TABLE_CASES: list[Case] = [
    (sp.exp, sp.exp(x), REAL),
    (sp.log, sp.log(x), POSITIVE),
    (sp.sin, sp.sin(x), REAL),
    (sp.cos, sp.cos(x), REAL),
    (sp.tan, sp.tan(x), UNIT),
    (sp.asin, sp.asin(x), UNIT),
    (sp.acos, sp.acos(x), UNIT),
    (sp.atan, sp.atan(x), REAL),
    (sp.sinh, sp.sinh(x), REAL),
    (sp.cosh, sp.cosh(x), REAL),
    (sp.tanh, sp.tanh(x), REAL),
    (sp.asinh, sp.asinh(x), REAL),
    (sp.acosh, sp.acosh(x), ABOVE_ONE),
    (sp.atanh, sp.atanh(x), UNIT),
    (sp.erf, sp.erf(x), REAL),
    (sp.erfc, sp.erfc(x), [(-1.5, 0.0), (0.3, 0.0), (3.0, 0.0)]),
    (sp.gamma, sp.gamma(x), [(0.3, 0.0), (2.5, 0.0), (11.7, 0.0), (-1.5, 0.0)]),
    (sp.loggamma, sp.loggamma(x), [(0.3, 0.0), (2.5, 0.0), (40.0, 0.0), (300.5, 0.0)]),
    (sp.Abs, sp.Abs(x), REAL),
    (sp.sign, sp.sign(x), REAL),
    (sp.StrictLessThan, sp.StrictLessThan(x, y), [*REAL, (1.0, 1.0)]),
    (sp.LessThan, sp.LessThan(x, y), [*REAL, (1.0, 1.0)]),
    (sp.StrictGreaterThan, sp.StrictGreaterThan(x, y), [*REAL, (1.0, 1.0)]),
    (sp.GreaterThan, sp.GreaterThan(x, y), [*REAL, (1.0, 1.0)]),
    (sp.Equality, sp.Eq(x, y), REAL),
    (sp.Unequality, sp.Ne(x, y), REAL),
    (sp.Not, sp.Not(sp.And(x > 0, y > 0)), [*REAL, (1.0, 1.0)]),
    (sp.Max, sp.Max(x, y), REAL),
    (sp.Max, sp.Max(x, y, 0.5), REAL),
    (sp.Min, sp.Min(x, y), REAL),
    (sp.Min, sp.Min(x, y, -0.5), REAL),
    (sp.And, sp.And(x > 0, y > 0), REAL),
    (sp.Or, sp.Or(x > 1, y > 1), [*REAL, (2.0, 0.0)]),
]
STRUCTURAL_CASES: list[Case] = [
    (sp.Add, x + y + 1, REAL),
    (sp.Mul, 3 * x * y, REAL),
    (sp.Pow, x**y, POSITIVE),
    (sp.Pow, x**3, REAL),
    (sp.Pow, x**-2, REAL),
    (sp.Pow, sp.sqrt(x), POSITIVE),
    (sp.Pow, 1 / x, REAL),
    (sp.Pow, x ** sp.Rational(1, 3), POSITIVE),
    (sp.Pow, x**100, [(0.99, 0.0), (1.01, 0.0)]),
    (sp.Pow, 2**x, REAL),
    (sp.Pow, sp.pi**2 * x, REAL),
    (sp.Piecewise, sp.Piecewise((x, x > 0.5), (2 * x, True)), [(0.2, 0), (0.5, 0), (0.9, 0)]),
    (
        sp.Piecewise,
        sp.Piecewise((x, sp.And(x > 0, y > 0)), (y, x < -1), (x * y, True)),
        [*REAL, (-2.0, 3.0)],
    ),
    (sp.NumberSymbol, sp.E * x + sp.pi, REAL),
]
ALL_CASES = TABLE_CASES + STRUCTURAL_CASES


def _exact(expr: sp.Basic, point: Sequence[float]) -> float:
    value = expr.subs(dict(zip(ARGS, point, strict=True)))
    if isinstance(value, sp.logic.boolalg.BooleanAtom):
        return float(bool(value))
    return float(value.evalf(30))


def _numpy(expr: sp.Basic) -> Callable[..., np.ndarray]:
    return compile_expr(expr, ARGS, numpy_backend())


def _jax(expr: sp.Basic) -> Callable[..., np.ndarray]:
    function = jax.jit(compile_expr(expr, ARGS, jax_backend()))

    def call(*values: np.ndarray) -> np.ndarray:
        with jax.enable_x64(True):
            return np.asarray(function(*values))

    return call


def _case_id(case: Case) -> str:
    return str(case[1])


def test_every_table_entry_has_a_case() -> None:
    covered = {kind for kind, _, _ in ALL_CASES}
    assert set(compiler.TABLE) <= covered
    assert set(compiler._FOLDS) <= covered


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_numpy_matches_sympy(case: Case) -> None:
    _, expr, points = case
    function = _numpy(expr)
    for point in points:
        got = function(*(np.float64(v) for v in point))
        assert np.asarray(got).dtype in (np.float64, np.bool_)
        np.testing.assert_allclose(float(got), _exact(expr, point), rtol=NUMPY_RTOL, atol=0)


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_jax_float64_under_jit_matches_sympy(case: Case) -> None:
    _, expr, points = case
    function = _jax(expr)
    columns = np.asarray(points, dtype=np.float64).T
    got = function(*columns)  # all points at once: elementwise, vectorised
    assert got.dtype in (np.float64, np.bool_)
    want = [_exact(expr, point) for point in points]
    np.testing.assert_allclose(got.astype(float), want, rtol=JAX_RTOL, atol=0)


def test_compiled_function_broadcasts() -> None:
    function = _numpy(x * y + sp.exp(x))
    xs = np.linspace(0.0, 1.0, 5)[:, None]
    ys = np.array([1.0, 2.0, 3.0])
    got = function(xs, ys)
    assert got.shape == (5, 3)
    np.testing.assert_allclose(got, xs * ys + np.exp(xs), rtol=1e-15)


def test_piecewise_with_no_true_branch_is_nan() -> None:
    expr = sp.Piecewise((x, x > 0))
    for function in (_numpy(expr), _jax(expr)):
        assert np.isnan(function(np.float64(-1.0), np.float64(0.0)))
        assert function(np.float64(2.0), np.float64(0.0)) == 2.0


def test_arguments_are_positional_in_the_given_order() -> None:
    function = compile_expr(x - y, [y, x], numpy_backend())
    assert function(1.0, 10.0) == 9.0


# --------------------------------------------------------------------------- float64 regimes

S, TAU, T, U0 = sp.symbols("s tau t u0", positive=True)
SAXE = S * sp.exp(2 * S * T / TAU) / (sp.exp(2 * S * T / TAU) - 1 + S / U0)


@pytest.mark.parametrize("backend", [numpy_backend, jax_backend], ids=["numpy", "jax"])
def test_saxe_trajectory_saturates_finitely_in_float64(backend: Callable) -> None:
    function = compile_expr(SAXE, [S, TAU, T, U0], backend())
    with jax.enable_x64(True):
        call = jax.jit(function) if backend is jax_backend else function
        value = float(call(4.0, 200.0, 6000.0, 1e-3))
    assert np.isfinite(value)
    assert value == pytest.approx(4.0, abs=1e-12)


@pytest.mark.parametrize("backend", [numpy_backend, jax_backend], ids=["numpy", "jax"])
def test_gamma_of_forty_is_finite(backend: Callable) -> None:
    function = compile_expr(sp.gamma(x), [x], backend())
    with jax.enable_x64(True):
        call = jax.jit(function) if backend is jax_backend else function
        value = float(call(np.float64(40.0)))
    assert np.isfinite(value)
    assert value == pytest.approx(float(sp.factorial(39)), rel=1e-12)
    assert value == pytest.approx(2.04e46, rel=1e-3)


@pytest.mark.parametrize("backend", [numpy_backend, jax_backend], ids=["numpy", "jax"])
def test_imaginary_rewrites_are_nan_as_in_real_arithmetic(backend: Callable) -> None:
    r = sp.Symbol("r", positive=True)
    rewritten = sp.sqrt(-(r**2)) + sp.log(-r)  # SymPy: I*r + log(r) + I*pi
    assert rewritten.has(sp.I)
    function = compile_expr(rewritten, [r], backend())
    with jax.enable_x64(True), np.errstate(invalid="ignore"):  # log(-2) in NumPy
        assert np.isnan(float(function(np.float64(2.0))))


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "expr",
    [sp.besselj(0, x), sp.zeta(x), sp.floor(x), sp.zoo + x],
    ids=str,
)
@pytest.mark.parametrize("backend", [numpy_backend, jax_backend], ids=["numpy", "jax"])
def test_unsupported_node_is_a_compile_error(expr: sp.Basic, backend: Callable) -> None:
    with pytest.raises(CompileError, match="no array translation"):
        compile_expr(expr, [x], backend())


def test_unbound_symbol_is_a_compile_error() -> None:
    with pytest.raises(CompileError, match="unbound symbols: y"):
        compile_expr(x + y, [x], numpy_backend())


def test_symbol_with_other_assumptions_is_unbound() -> None:
    plain = sp.Symbol("x")  # not real=True: a different symbol to SymPy
    with pytest.raises(CompileError, match="unbound"):
        compile_expr(plain + 1, [x], numpy_backend())
