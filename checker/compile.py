"""SymPy -> array functions, through one explicit table.

`sympy.lambdify(modules="jax")` writes Python source and execs it, and its output
for erf, erfc, gamma and loggamma does not survive `jax.jit`. Walking the tree
through a table is auditable, needs no exec, and fails loudly on anything the
table lacks. The same walk targets JAX (predictions, jitted, in float64) and
NumPy/SciPy (hypotheses checked by `checker lint`, which must not import JAX).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import lazy_loader as lazy
import numpy as np
import sympy as sp

jax = lazy.load("jax")

__all__ = ["Backend", "CompileError", "compile_expr", "jax_backend", "numpy_backend"]


class CompileError(ValueError):
    """An expression uses something the table does not translate."""


class Backend:
    """The array operations a compiled expression calls, named as in the table."""

    def __init__(self, ops: dict[str, Callable[..., Any]], asarray: Callable[[Any], Any]) -> None:
        self.ops = ops
        self.asarray = asarray


def numpy_backend() -> Backend:
    ops = {
        **{name: getattr(np, name) for name in _ELEMENTWISE_NUMPY},
        "erf": lambda x: _special().erf(x),  # SciPy loads on first use: lint seldom needs it
        "erfc": lambda x: _special().erfc(x),
        "gamma": lambda x: _special().gamma(x),
        "loggamma": lambda x: _special().gammaln(x),
        "where": np.where,
        "logical_and": np.logical_and,
        "logical_or": np.logical_or,
        "logical_not": np.logical_not,
        "power": np.power,
        "integer_pow": lambda x, n: np.power(x, n),
    }
    return Backend(ops, lambda x: np.asarray(x, dtype=np.float64))


def _special() -> Any:
    import scipy.special

    return scipy.special


@functools.cache
def jax_backend() -> Backend:
    jnp = jax.numpy
    special = jax.scipy.special
    ops = {
        **{name: getattr(jnp, name) for name in _ELEMENTWISE_NUMPY},
        "erf": special.erf,
        "erfc": special.erfc,
        "gamma": special.gamma,
        "loggamma": special.gammaln,
        "where": jnp.where,
        "logical_and": jnp.logical_and,
        "logical_or": jnp.logical_or,
        "logical_not": jnp.logical_not,
        "power": jnp.power,
        "integer_pow": jax.lax.integer_pow,
    }
    return Backend(ops, jnp.asarray)


_ELEMENTWISE_NUMPY = (
    "exp", "log", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "arcsinh", "arccosh", "arctanh", "abs", "sign", "maximum", "minimum",
    "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
)  # fmt: skip

# SymPy class -> backend op: the whole of what a prediction can compile to.
TABLE: dict[type[sp.Basic], str] = {
    sp.exp: "exp",
    sp.log: "log",
    sp.sin: "sin",
    sp.cos: "cos",
    sp.tan: "tan",
    sp.asin: "arcsin",
    sp.acos: "arccos",
    sp.atan: "arctan",
    sp.sinh: "sinh",
    sp.cosh: "cosh",
    sp.tanh: "tanh",
    sp.asinh: "arcsinh",
    sp.acosh: "arccosh",
    sp.atanh: "arctanh",
    sp.erf: "erf",
    sp.erfc: "erfc",
    sp.gamma: "gamma",
    sp.loggamma: "loggamma",
    sp.Abs: "abs",
    sp.sign: "sign",
    sp.StrictLessThan: "less",
    sp.LessThan: "less_equal",
    sp.StrictGreaterThan: "greater",
    sp.GreaterThan: "greater_equal",
    sp.Equality: "equal",
    sp.Unequality: "not_equal",
    sp.Not: "logical_not",
}
_FOLDS: dict[type[sp.Basic], str] = {
    sp.Max: "maximum",
    sp.Min: "minimum",
    sp.And: "logical_and",
    sp.Or: "logical_or",
}


def compile_expr(expr: sp.Basic, args: Sequence[sp.Symbol], backend: Backend) -> Callable[..., Any]:
    """A function of `args` (in order) that evaluates `expr` elementwise, with broadcasting."""
    missing = expr.free_symbols - set(args)
    if missing:
        names = ", ".join(sorted(str(s) for s in missing))
        raise CompileError(f"expression {expr} has unbound symbols: {names}")
    position = {symbol: i for i, symbol in enumerate(args)}
    root = _walker(position, backend)(expr)
    return lambda *values: root(values)


def _walker(position: dict[sp.Symbol, int], backend: Backend) -> Callable[[sp.Basic], Callable]:
    ops = backend.ops

    def build(node: sp.Basic) -> Callable[[Sequence[Any]], Any]:
        if isinstance(node, sp.Symbol):
            i = position[node]
            return lambda a: a[i]
        if node is sp.true or node is sp.false:
            value = bool(node)
            return lambda a: value
        if isinstance(node, sp.Number | sp.NumberSymbol):
            value = float(node)
            return lambda a: value
        if node is sp.I:  # SymPy's rewrite of a real operation outside its domain
            return lambda a: _NOT_REAL
        if isinstance(node, sp.Add):
            terms = [build(t) for t in node.args]
            return lambda a: _sum(f(a) for f in terms)
        if isinstance(node, sp.Mul):
            factors = [build(t) for t in node.args]
            return lambda a: _product(f(a) for f in factors)
        if isinstance(node, sp.Pow):
            return _pow(node, build, ops)
        if isinstance(node, sp.Piecewise):
            return _piecewise(node, build, ops)
        fold = _FOLDS.get(type(node))
        if fold is not None:
            parts = [build(t) for t in node.args]
            op = ops[fold]
            return lambda a: functools.reduce(op, (f(a) for f in parts))
        name = TABLE.get(type(node))
        if name is None:
            raise CompileError(f"no array translation for {type(node).__name__} in {node}")
        op = ops[name]
        parts = [build(t) for t in node.args]
        return lambda a: op(*(f(a) for f in parts))

    return build


# Predictions are real. SymPy rewrites sqrt(-x**2) as I*Abs(x) and log(-x) as
# log(x) + I*pi where it knows the sign; in real arithmetic both are NaN, and so
# is anything built on I here, so such a value is "not finite" (undefined), never
# silently the real part.
_NOT_REAL = float("nan")


def _pow(node: sp.Pow, build: Callable, ops: dict[str, Callable]) -> Callable:
    base, exponent = node.args
    f = build(base)
    if exponent == sp.Rational(1, 2):
        sqrt = ops["sqrt"]
        return lambda a: sqrt(f(a))
    if exponent == -1:
        return lambda a: 1.0 / f(a)
    if isinstance(exponent, sp.Integer) and abs(int(exponent)) <= 64:
        n = int(exponent)
        integer_pow = ops["integer_pow"]
        return lambda a: integer_pow(f(a), n)
    g = build(exponent)
    power = ops["power"]
    return lambda a: power(f(a), g(a))


def _piecewise(node: sp.Piecewise, build: Callable, ops: dict[str, Callable]) -> Callable:
    pieces = [(build(value), build(condition)) for value, condition in node.args]
    where = ops["where"]

    def evaluate(a: Sequence[Any]) -> Any:
        result = float("nan")  # no condition held: undefined, and visibly so
        for value, condition in reversed(pieces):
            result = where(condition(a), value(a), result)
        return result

    return evaluate


def _sum(values: Any) -> Any:
    iterator = iter(values)
    total = next(iterator)
    for value in iterator:
        total = total + value
    return total


def _product(values: Any) -> Any:
    iterator = iter(values)
    total = next(iterator)
    for value in iterator:
        total = total * value
    return total
