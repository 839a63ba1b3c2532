"""Safe text -> SymPy: a whitelist over Python's `ast` that builds SymPy objects directly.

Claim text never reaches `eval`, `exec`, `sympify` or `parse_expr` (all of which
evaluate Python). Python's parser only tokenises; this module walks the tree and
accepts a small grammar: numbers, declared names, + - * / **, unary minus, a
fixed table of functions, and comparisons where the caller allows them. Every
declared symbol becomes a plain `Symbol`, even `gamma`, `N`, `S`, `E` or `I`,
which SymPy's own parser would silently turn into functions or constants.

Size limits keep a hostile expression from hanging the checker or eating
memory: text length, node count, nesting depth, literal size, and numeric
powers (`9**9**9` is refused before SymPy tries to evaluate it). Functions are
built unevaluated so that `gamma(10**9)` is not turned into a factorial.

Every number an expression holds, literal or folded (`E**(10**29)`,
`10**29*10**29*...`), is bounded in size by MAX_MAGNITUDE as it is built, by a
float evaluation that cannot stall: SymPy and mpmath evaluate at whatever
precision a number needs, and `sin(E**(10**29))` needs 10^29 digits, which
would stall the printer, the LaTeX comparison and the derivations alike.
"""

from __future__ import annotations

import ast
import cmath
import contextlib
import difflib
import math
from collections.abc import Callable, Iterable, Mapping

import mpmath
import sympy as sp
from sympy.functions.elementary.piecewise import ExprCondPair

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_EXTREMUM_ARGS",
    "MAX_MAGNITUDE",
    "ExprError",
    "bounded",
    "checked_power",
    "free_names",
    "numeric_value",
    "parse_expr",
    "symbols_for",
]

MAX_CHARS = 2000
MAX_NODES = 600
MAX_DEPTH = 60
MAX_LITERAL = 1e30
MAX_NUMERIC_EXPONENT = 64
MAX_EXACT_BITS = 4096
MAX_MAGNITUDE = 1e300  # beyond it a float overflows soon, and exact digits cost work
MAX_EXACT_DIGITS = 300  # an exact number's numerator and denominator, each
MAX_EXTREMUM_ARGS = 16  # SymPy's Max and Min compare their arguments pairwise

FUNCTIONS: dict[str, type[sp.Basic]] = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,  # a function, not a class: Pow(x, 1/2)
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asinh": sp.asinh,
    "acosh": sp.acosh,
    "atanh": sp.atanh,
    "erf": sp.erf,
    "erfc": sp.erfc,
    "gamma": sp.gamma,
    "loggamma": sp.loggamma,
    "Abs": sp.Abs,
    "abs": sp.Abs,  # as Python and NumPy spell it
    "sign": sp.sign,
    "Max": sp.Max,
    "Min": sp.Min,
}
CONSTANTS: dict[str, sp.Basic] = {"pi": sp.pi, "E": sp.E}

_ARITY = {"Max": (2, MAX_EXTREMUM_ARGS), "Min": (2, MAX_EXTREMUM_ARGS)}
_COMPARE = {
    ast.Lt: sp.StrictLessThan,
    ast.LtE: sp.LessThan,
    ast.Gt: sp.StrictGreaterThan,
    ast.GtE: sp.GreaterThan,
    ast.Eq: sp.Eq,
    ast.NotEq: sp.Ne,
}


class ExprError(ValueError):
    """An expression was refused; the message says what and where, the hint how to fix it."""

    def __init__(self, message: str, column: int | None = None, hint: str = "") -> None:
        self.message = message
        self.column = column
        self.hint = hint
        where = f"column {column}: " if column is not None else ""
        super().__init__(f"{where}{message}" + (f" (hint: {hint})" if hint else ""))


def symbols_for(names: Iterable[str]) -> dict[str, sp.Symbol]:
    """Plain real symbols for declared names: the domain is checked numerically, not assumed."""
    return {name: sp.Symbol(name, real=True) for name in names}


def parse_expr(
    text: str, names: Mapping[str, sp.Basic], *, allow_compare: bool = False
) -> sp.Basic:
    """Parse claim text into SymPy, accepting only the whitelisted grammar."""
    if not isinstance(text, str):
        raise ExprError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ExprError(f"expression is {len(text)} characters; the limit is {MAX_CHARS}")
    if not text.strip():
        raise ExprError("expression is empty")
    tree = _python_tree(text)
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ExprError(f"expression has {nodes} parts; the limit is {MAX_NODES}")
    try:
        result = _Builder(names, allow_compare, text.strip()).build(tree.body, 0)
        _check_printable(result)
        return result
    except ExprError:
        raise
    except (TypeError, ValueError, ArithmeticError, RecursionError) as exc:
        # SymPy refuses some well-formed trees: arithmetic on a comparison, a
        # non-boolean Piecewise condition, 1.0/0.0, exp(355) overflowing a Float.
        raise ExprError(f"not a valid expression: {_sympy_complaint(exc)}") from None


def _check_printable(result: sp.Basic) -> None:
    """Raise now what printing would raise later, without printing (lint parses thousands).

    SymPy's printers order an Add's terms by their numeric coefficients, taking
    complex() of every numeric factor (Expr.as_terms): erfc(exp(355)) overflows.
    """
    for node in sp.preorder_traversal(result):
        if not isinstance(node, sp.Add):
            continue
        for term in node.args:
            for factor in sp.Mul.make_args(term):
                if factor.is_number and not factor.is_Number:
                    with contextlib.suppress(TypeError, ValueError):
                        complex(factor)


def free_names(text: str) -> set[str]:
    """The bare names an expression mentions (functions excluded), without building it."""
    tree = _python_tree(text)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def _python_tree(text: str) -> ast.Expression:
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        hint = "write powers as a**b, not a^b" if "^" in text else ""
        raise ExprError(f"not a valid expression: {exc.msg}", exc.offset, hint) from None
    except (MemoryError, RecursionError, ValueError):
        raise ExprError("expression is nested too deeply") from None


class _Builder:
    def __init__(self, names: Mapping[str, sp.Basic], allow_compare: bool, text: str) -> None:
        self.names = names
        self.allow_compare = allow_compare
        self.text = text

    def build(self, node: ast.AST, depth: int) -> sp.Basic:
        if depth > MAX_DEPTH:
            raise ExprError(f"expression is nested deeper than {MAX_DEPTH} levels")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise ExprError(_refusal(node), getattr(node, "col_offset", 0) + 1)
        result = method(node, depth + 1)
        if not _is_bounded(result):
            segment = ast.get_source_segment(self.text, node) or ""
            raise _too_large(node.col_offset + 1, segment)
        return result

    def _Constant(self, node: ast.Constant, depth: int) -> sp.Basic:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExprError(f"{value!r} is not a number", node.col_offset + 1)
        if not math.isfinite(value) or abs(value) > MAX_LITERAL:
            raise ExprError(f"number {value!r} is too large", node.col_offset + 1)
        return sp.Integer(value) if isinstance(value, int) else sp.Float(value)

    def _Name(self, node: ast.Name, depth: int) -> sp.Basic:
        name = node.id
        if name in self.names:
            return self.names[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name.startswith("__"):
            raise ExprError(f"name {name!r} is not allowed", node.col_offset + 1)
        if name in FUNCTIONS:
            raise ExprError(f"{name!r} is a function; call it, e.g. {name}(x)", node.col_offset + 1)
        close = difflib.get_close_matches(name, [*self.names, *CONSTANTS], n=1)
        hint = f"did you mean {close[0]!r}?" if close else "declare it under `symbols:`"
        raise ExprError(f"unknown symbol {name!r}", node.col_offset + 1, hint)

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> sp.Basic:
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not) and self.allow_compare:
            return sp.Not(operand)
        raise ExprError(f"operator {type(node.op).__name__} is not allowed", node.col_offset + 1)

    def _BinOp(self, node: ast.BinOp, depth: int) -> sp.Basic:
        left = self.build(node.left, depth)
        right = self.build(node.right, depth)
        op = node.op
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            return left / right
        if isinstance(op, ast.Pow):
            return checked_power(left, right, node.col_offset + 1)
        hint = "write powers as a**b" if isinstance(op, ast.BitXor) else ""
        raise ExprError(f"operator {type(op).__name__} is not allowed", node.col_offset + 1, hint)

    def _Compare(self, node: ast.Compare, depth: int) -> sp.Basic:
        if not self.allow_compare:
            raise ExprError(
                "comparisons are only allowed in hypotheses and Piecewise conditions",
                node.col_offset + 1,
            )
        terms = [self.build(node.left, depth)] + [self.build(c, depth) for c in node.comparators]
        parts = []
        for op, lhs, rhs in zip(node.ops, terms, terms[1:], strict=False):
            relation = _COMPARE.get(type(op))
            if relation is None:
                raise ExprError(
                    f"comparison {type(op).__name__} is not allowed", node.col_offset + 1
                )
            parts.append(relation(lhs, rhs, evaluate=False))
        return parts[0] if len(parts) == 1 else sp.And(*parts, evaluate=False)

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> sp.Basic:
        if not self.allow_compare:
            raise ExprError("`and`/`or` are only allowed in conditions", node.col_offset + 1)
        values = [self.build(v, depth) for v in node.values]
        return (sp.And if isinstance(node.op, ast.And) else sp.Or)(*values, evaluate=False)

    def _Call(self, node: ast.Call, depth: int) -> sp.Basic:
        if not isinstance(node.func, ast.Name):
            raise ExprError(_refusal(node.func), node.col_offset + 1)
        name = node.func.id
        if node.keywords:
            raise ExprError(f"{name}() takes no keyword arguments", node.col_offset + 1)
        if name == "Piecewise":
            return self._piecewise(node, depth)
        if name in self.names:
            raise ExprError(f"{name!r} is a declared symbol, not a function", node.col_offset + 1)
        function = FUNCTIONS.get(name)
        if function is None:
            close = difflib.get_close_matches(name, [*FUNCTIONS, "Piecewise"], n=1)
            hint = f"did you mean {close[0]!r}?" if close else "allowed: " + ", ".join(FUNCTIONS)
            raise ExprError(f"unknown function {name!r}", node.col_offset + 1, hint)
        low, high = _ARITY.get(name, (1, 1))
        if not low <= len(node.args) <= high:
            raise ExprError(f"{name}() takes {low} argument(s)", node.col_offset + 1)
        args = [self.build(a, depth) for a in node.args]
        if name == "sqrt":
            return sp.Pow(args[0], sp.Rational(1, 2), evaluate=False)
        return function(*args, evaluate=False)

    def _piecewise(self, node: ast.Call, depth: int) -> sp.Basic:
        pieces = []
        for arg in node.args:
            if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
                raise ExprError(
                    "Piecewise takes (value, condition) pairs",
                    arg.col_offset + 1,
                    "e.g. Piecewise((x, x > 0), (0, True))",
                )
            value = self.build(arg.elts[0], depth)
            condition = _Builder(self.names, True, self.text)._condition(arg.elts[1], depth)
            pieces.append((value, condition))
        if not pieces:
            raise ExprError("Piecewise needs at least one (value, condition) pair")
        return sp.Piecewise(*pieces)

    def _condition(self, node: ast.AST, depth: int) -> sp.Basic:
        if isinstance(node, ast.Constant) and node.value is True:
            return sp.true
        return self.build(node, depth)


def checked_power(base: sp.Basic, exponent: sp.Basic, column: int | None = None) -> sp.Basic:
    """Refuse numeric powers that SymPy would evaluate into an enormous number."""
    bounded(base, column)
    bounded(exponent, column)
    if exponent.is_Number and abs(float(exponent)) > MAX_NUMERIC_EXPONENT and base.is_Number:
        raise ExprError(
            f"numeric power with exponent {exponent} is too large",
            column,
            f"exponents of numbers are limited to {MAX_NUMERIC_EXPONENT}",
        )
    if exponent.is_Number and base.is_Rational:
        bits = max(int(base.p).bit_length(), int(base.q).bit_length())
        if abs(float(exponent)) * bits > MAX_EXACT_BITS:
            raise ExprError(
                "numeric power is too large to hold exactly", column,
                "write the number as a float literal, e.g. 1e-30",
            )  # fmt: skip
    return bounded(sp.Pow(base, exponent), column)


# --------------------------------------------------------------------------- number sizes


class _TooLarge(Exception):
    """A number inside an expression is beyond MAX_MAGNITUDE (or not finite once evaluated)."""


def bounded(value: sp.Basic, column: int | None = None, text: str = "") -> sp.Basic:
    """`value`, unless a number in it is beyond MAX_MAGNITUDE in size: then ExprError.

    Called on every node as it is built, so a number is refused before SymPy
    builds anything on it (an Abs or a printer may evaluate it at full precision).
    """
    if not _is_bounded(value):
        raise _too_large(column, text)
    return value


def _is_bounded(value: sp.Basic) -> bool:
    try:
        _PARSING.value(value)
    except _TooLarge:
        return False
    return True


def _too_large(column: int | None, text: str) -> ExprError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    what = f"{shown!r} is a number" if shown else "a number"
    return ExprError(
        f"{what} beyond {MAX_MAGNITUDE:g} in size (or overflowing on the way)",
        column,
        "rescale the formula, or write the logarithm of the quantity",
    )


def numeric_value(expr: sp.Basic, values: Mapping[sp.Symbol, float] = {}) -> complex | None:
    """The value of `expr` with `values` for its symbols, in complex floats; None where it
    is undefined here (an unbound symbol, a pole, an infinity). Raises ExprError when a
    number on the way is beyond MAX_MAGNITUDE, where SymPy's own evaluation could stall."""
    try:
        return _Numbers(values).value(expr)
    except _TooLarge:
        raise ExprError(f"a number beyond {MAX_MAGNITUDE:g} in size") from None


class _Numbers:
    """Values of SymPy trees in complex floats, each distinct subtree once (trees share)."""

    def __init__(self, values: Mapping[sp.Symbol, float] = {}, keep: int = 0) -> None:
        self.values = values
        self.keep = keep  # the memo's size bound; 0 for a one-off evaluation
        self.memo: dict[sp.Basic, complex | None] = {}

    def value(self, node: sp.Basic) -> complex | None:
        found = self.memo.get(node, self)
        if found is not self:
            return found  # type: ignore[return-value]
        result = self._compute(node)
        if self.keep and len(self.memo) >= self.keep:
            self.memo.clear()
        self.memo[node] = result
        return result

    def _compute(self, node: sp.Basic) -> complex | None:
        if isinstance(node, sp.Symbol):
            known = self.values.get(node)
            return None if known is None else _checked(complex(known))
        if isinstance(node, sp.Rational):
            if max(abs(node.p), node.q) >= 10**MAX_EXACT_DIGITS:
                raise _TooLarge
            return _checked(complex(node.p / node.q))
        if isinstance(node, sp.Float | sp.NumberSymbol):
            return _checked(complex(float(node)))
        if node is sp.I:
            return 1j
        if not node.args:
            return None  # infinities, nan, booleans: not numbers this bound is about
        args = [self.value(a) for a in node.args]  # every subtree, so each is bounded
        if isinstance(node, sp.Piecewise | ExprCondPair):
            return _largest(args[::2] if isinstance(node, ExprCondPair) else args)
        if any(a is None for a in args) or not isinstance(node, sp.Expr):
            return None
        try:
            return _checked(_apply(node, args))
        except (ZeroDivisionError, ValueError, TypeError):
            return None  # a pole or outside the domain: undefined, not large
        except OverflowError:
            raise _TooLarge from None


_PARSING = _Numbers(keep=20_000)  # parsing meets each subtree again in its parents


def _checked(value: complex | None) -> complex | None:
    if value is None:
        return None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)) or abs(value) > MAX_MAGNITUDE:
        raise _TooLarge
    return value


def _largest(values: list[complex | None]) -> complex | None:
    """A Piecewise's size: that of its largest piece (which piece holds is not decided here)."""
    if any(v is None for v in values):
        return None
    return max(values, key=abs, default=None)


def _special(function: Callable[..., object]) -> Callable[[complex], complex]:
    def evaluate(z: complex) -> complex:
        with mpmath.workprec(53):  # a float's precision: no argument makes it work harder
            return complex(function(mpmath.mpc(z)))

    return evaluate


_ELEMENTARY: dict[type[sp.Basic], Callable[[complex], complex]] = {
    sp.exp: cmath.exp, sp.log: cmath.log, sp.sin: cmath.sin, sp.cos: cmath.cos,
    sp.tan: cmath.tan, sp.asin: cmath.asin, sp.acos: cmath.acos, sp.atan: cmath.atan,
    sp.sinh: cmath.sinh, sp.cosh: cmath.cosh, sp.tanh: cmath.tanh, sp.asinh: cmath.asinh,
    sp.acosh: cmath.acosh, sp.atanh: cmath.atanh, sp.Abs: lambda z: complex(abs(z)),
    sp.sign: lambda z: z / abs(z) if z else 0j,
    sp.erf: _special(mpmath.erf), sp.erfc: _special(mpmath.erfc),
    sp.gamma: _special(mpmath.gamma), sp.loggamma: _special(mpmath.loggamma),
}  # fmt: skip


def _apply(node: sp.Expr, args: list[complex]) -> complex | None:
    """One node's value from its arguments' values."""
    if isinstance(node, sp.Add):
        return sum(args, 0j)
    if isinstance(node, sp.Mul):
        return math.prod(args, start=1 + 0j)
    if isinstance(node, sp.Pow):
        return complex(args[0] ** args[1])
    if isinstance(node, sp.Max | sp.Min):
        if any(a.imag for a in args):
            return None
        return (max if isinstance(node, sp.Max) else min)(args, key=lambda a: a.real)
    elementary = _ELEMENTARY.get(type(node))
    if elementary is not None:
        return elementary(*args)
    if isinstance(node, sp.Function):  # rewrites SymPy makes (re, arg, ...) of bounded numbers
        numbers = [sp.Float(a.real) + sp.I * sp.Float(a.imag) for a in args]
        return complex(node.func(*numbers))
    return None


def _sympy_complaint(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _refusal(node: ast.AST) -> str:
    kind = type(node).__name__
    reasons = {
        "Attribute": "attribute access (a.b) is not allowed",
        "Subscript": "subscripts (a[i]) are not allowed",
        "Lambda": "lambda is not allowed",
        "ListComp": "comprehensions are not allowed",
        "GeneratorExp": "comprehensions are not allowed",
        "SetComp": "comprehensions are not allowed",
        "DictComp": "comprehensions are not allowed",
        "NamedExpr": "assignment (:=) is not allowed",
        "JoinedStr": "strings are not allowed",
        "IfExp": "if-expressions are not allowed; use Piecewise((a, cond), (b, True))",
        "Tuple": "tuples are only allowed as Piecewise pairs",
        "List": "lists are not allowed",
        "Dict": "dicts are not allowed",
        "Set": "sets are not allowed",
        "Starred": "* unpacking is not allowed",
        "Await": "await is not allowed",
        "Yield": "yield is not allowed",
    }
    return reasons.get(kind, f"{kind} is not allowed in an expression")
