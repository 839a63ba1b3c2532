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
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import math
from collections.abc import Iterable, Mapping

import sympy as sp

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "ExprError",
    "checked_power",
    "free_names",
    "parse_expr",
    "symbols_for",
]

MAX_CHARS = 2000
MAX_NODES = 600
MAX_DEPTH = 60
MAX_LITERAL = 1e30
MAX_NUMERIC_EXPONENT = 64
MAX_EXACT_BITS = 4096

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

_ARITY = {"Max": (2, 16), "Min": (2, 16)}
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
        result = _Builder(names, allow_compare).build(tree.body, 0)
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
    def __init__(self, names: Mapping[str, sp.Basic], allow_compare: bool) -> None:
        self.names = names
        self.allow_compare = allow_compare

    def build(self, node: ast.AST, depth: int) -> sp.Basic:
        if depth > MAX_DEPTH:
            raise ExprError(f"expression is nested deeper than {MAX_DEPTH} levels")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise ExprError(_refusal(node), getattr(node, "col_offset", 0) + 1)
        return method(node, depth + 1)

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
            condition = _Builder(self.names, True)._condition(arg.elts[1], depth)
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
    return sp.Pow(base, exponent)


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
