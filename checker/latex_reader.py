"""A paper's LaTeX read into SymPy by a small recursive-descent reader, in linear time.

Why not SymPy's own LaTeX parser: it is an Earley parser over a large grammar
(0.1-0.35 s per formula and about 0.7 s to build on a 2-core CPU, cubic in the
worst case), it reads many juxtapositions in several ways, and it misreads common
notation (`\\Theta(n^{-1/2})` as Theta/sqrt(n)). Cold `checker lint` spent two
thirds of its time there. This reader knows the notation that formulas in papers
use, takes microseconds, and says what it cannot read, with the column.

The conventions, each one documented in the README:

- juxtaposition is a product: `2\\pi x`, `x^2 y`; a letter before parentheses
  multiplies them (`f(x)` is f*x); `d` is a letter, never a differential;
- a function's argument is the group that directly follows it, `(...)`, `[...]`
  or `{...}`, or else one factor with its exponent: `\\sin\\theta\\cos\\phi` is a
  product, `\\sin x^2` is sin(x^2), `\\sin 2x` is sin(2)*x; `\\sin^2 x` is
  sin(x)^2, `\\log_b x` is log(x)/log(b), and `\\log` is the natural logarithm;
- names: `x_1`, `\\sigma_{w}`, `\\lambda_{\\max}`, `k_{\\mathrm{eff}}` are the
  symbols x_1, sigma_w, lambda_max, k_eff; `q^*` is q_star; `\\ell` is ell;
  accents (`\\tilde w`, `\\hat{w}`) are dropped; `\\pi` and `e` are symbols that
  the caller binds to the constants;
- `a = b` and `a \\to b` are equations, `\\begin{cases}` a Piecewise;
- notation that has two readings is read both ways: `a/bc` (a/(bc) or (a/b)c)
  and a bar that could close an absolute value or open another (`|a| b |c|`);
  readings that differ make the formula ambiguous, which the caller reports;
- what states no value is refused with its reason: asymptotic notation (`O`,
  `o`, `\\Theta`, `\\Omega` applied to an argument), `\\sup`, `\\lim`, `\\sum`,
  `\\int` and the like, inequalities.

Untrusted text: the size is bounded (characters, nesting, readings, literal
digits, numeric powers, the size of every number built, arguments of `\\max`
and `\\min`); nothing is evaluated but SymPy arithmetic.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator

import sympy as sp

from checker.expr import MAX_EXTREMUM_ARGS, ExprError, bounded, checked_power

__all__ = ["MAX_CHARS", "MAX_READINGS", "LatexMisread", "read_latex"]

MAX_CHARS = 2000
MAX_DEPTH = 40  # nested groups and factors
MAX_READINGS = 64  # readings explored (each ambiguous bar or a/bc doubles them)
MAX_DIGITS = 30

_TOKEN = re.compile(
    r"(?P<space>\s+|~|\\[,;:! ]|\\q?quad(?![A-Za-z]))"
    r"|(?P<rows>\\\\)"
    r"|(?P<command>\\[A-Za-z]+|\\[|{}])"
    r"|(?P<number>\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<letter>[A-Za-z])"
    r"|(?P<symbol>[-+*/^_()\[\]{}|=<>,'!&.])"
)
_SIZES = re.compile(r"\\(?:left|right|[bB]igg?[lrm]?)")
_GREEK = frozenset((
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
    "Psi", "Omega", "varpi",
))  # fmt: skip
_VARIANTS = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
             "varsigma": "sigma", "varkappa": "kappa", "ell": "ell"}  # fmt: skip
_FUNCTIONS: dict[str, Callable[..., sp.Basic]] = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "sec": sp.sec, "csc": sp.csc, "cot": sp.cot,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "arsinh": sp.asinh, "arcsinh": sp.asinh, "asinh": sp.asinh,
    "arcosh": sp.acosh, "arccosh": sp.acosh, "acosh": sp.acosh,
    "artanh": sp.atanh, "arctanh": sp.atanh, "atanh": sp.atanh,
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "erf": sp.erf, "erfc": sp.erfc,
    "sgn": sp.sign, "sign": sp.sign,
}  # fmt: skip
_FONTS = ("mathrm", "mathit", "mathbf", "mathsf", "mathcal", "boldsymbol", "text", "textrm",
          "operatorname")  # fmt: skip
_ACCENTS = ("tilde", "hat", "bar", "widetilde", "widehat", "overline", "vec", "dot", "ddot",
            "check", "breve", "mathring")  # fmt: skip
_OPERATORS = ("sup", "inf", "lim", "liminf", "limsup", "sum", "prod", "int", "oint", "iint",
              "argmax", "argmin", "det", "Pr", "mathbb", "partial", "nabla")  # fmt: skip
_ASYMPTOTIC = ("O", "o", "Theta", "Omega", "omega")  # \mathcal{O} is caught in font()
_EQUATIONS = {"=": "=", "\\to": "\\to", "\\rightarrow": "\\to"}
_ORDER = {"<": sp.StrictLessThan, "\\lt": sp.StrictLessThan, ">": sp.StrictGreaterThan,
          "\\gt": sp.StrictGreaterThan, "\\le": sp.LessThan, "\\leq": sp.LessThan,
          "\\ge": sp.GreaterThan, "\\geq": sp.GreaterThan}  # fmt: skip
_RELATIONS = (*_EQUATIONS, *_ORDER, "\\approx", "\\sim", "\\propto", "\\neq", "\\ne", "\\asymp",
              "\\lesssim", "\\gtrsim", "\\ll", "\\gg", "\\simeq", "\\equiv")  # fmt: skip
_PRODUCTS = ("\\cdot", "\\times", "*")
_BARS = {"|": "|", "\\vert": "|", "\\lvert": "|", "\\rvert": "|",
         "\\|": "||", "\\Vert": "||", "\\lVert": "||", "\\rVert": "||"}  # fmt: skip
_OTHERWISE = ("otherwise", "else", "elsewhere")


class LatexMisread(Exception):
    """The text is not LaTeX this reader reads (or states no value); the message says why."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.message = message
        self.column = column
        super().__init__(f"{message} at column {column}" if column else message)


@dataclasses.dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "command", "number", "letter", "symbol", "rows", "bar", "end"
    text: str
    column: int
    side: str = ""  # a bar's "open" or "close" where \left, \right or \lvert says so


def read_latex(text: str) -> list[sp.Basic]:
    """Every distinct reading of `text` (one unless it is ambiguous); raises LatexMisread."""
    if len(text) > MAX_CHARS:
        raise LatexMisread(f"{len(text)} characters; the reader reads at most {MAX_CHARS}")
    tokens = _tokens(text)
    found: dict[str, sp.Basic] = {}
    first_error: LatexMisread | None = None
    for reading in _readings(tokens):
        if isinstance(reading, LatexMisread):
            first_error = first_error or reading
        else:
            found.setdefault(str(reading), reading)
    if not found:
        assert first_error is not None
        raise first_error
    return list(found.values())


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    at, side = 0, ""
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise LatexMisread(f"cannot read {text[at]!r}", at + 1)
        kind, word, at = match.lastgroup or "", match.group(), match.end()
        if kind == "space":
            continue
        if kind == "command" and _SIZES.fullmatch(word):
            side = "open" if word.endswith(("left", "l")) else ""
            side = "close" if word.endswith(("right", "r")) else side
            if text.startswith(".", at):  # \left. and \right. are invisible delimiters
                at += 1
            continue
        if word in _BARS:
            opens = word.startswith("\\l") or side == "open"
            closes = word.startswith("\\r") or side == "close"
            tokens.append(_Token("bar", _BARS[word], match.start() + 1,
                                 "open" if opens else "close" if closes else ""))  # fmt: skip
        else:
            tokens.append(_Token(kind, word, match.start() + 1))
        side = ""
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _readings(tokens: list[_Token]) -> Iterator[sp.Basic | LatexMisread]:
    """Each way of taking the ambiguous choices, explored depth first, once each."""
    pending: list[tuple[bool, ...]] = [()]
    explored = 0
    while pending:
        explored += 1
        if explored > MAX_READINGS:
            raise LatexMisread(f"more than {MAX_READINGS} readings: too ambiguous to enumerate")
        prefix = pending.pop()
        reader = _Reader(tokens, prefix)
        try:
            yield bounded(reader.formula())  # before anything prints or compares it
        except LatexMisread as exc:
            yield exc
        except ExprError as exc:
            yield LatexMisread(exc.message)
        except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
            yield LatexMisread(f"SymPy cannot build it: {str(exc).splitlines()[0][:120]}")
        except RecursionError:
            yield LatexMisread("nested too deeply")
        for i in range(len(prefix), len(reader.made)):  # each default choice, taken the other way
            pending.append((*reader.made[:i], True))


class _Reader:
    """One reading: a recursive-descent pass that takes `choices` at the ambiguous points."""

    def __init__(self, tokens: list[_Token], choices: tuple[bool, ...]) -> None:
        self.tokens = list(tokens)  # a reading splits a number token (x^23); others must not see it
        self.at = 0
        self.choices = choices
        self.made: list[bool] = []
        self.decided: dict[tuple[int, str], bool] = {}  # (token index, what) -> choice taken
        self.open_bars: list[str] = []
        self.depth = 0

    # ------------------------------------------------------------------ tokens

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.at += 1
        return token

    def is_(self, *texts: str) -> bool:
        token = self.peek()
        return token.kind not in ("number", "end") and token.text in texts

    def expect(self, text: str) -> _Token:
        if not self.is_(text):
            raise self.error(f"expected {text!r}")
        return self.take()

    def error(self, message: str) -> LatexMisread:
        token = self.peek()
        found = "the end" if token.kind == "end" else repr(token.text)
        return LatexMisread(f"{message}, found {found}", token.column)

    def choose(self, what: str) -> bool:
        """The choice at an ambiguous point: the preset one, else the default (False)."""
        key = (self.at, what)
        if key not in self.decided:
            i = len(self.made)
            self.made.append(self.choices[i] if i < len(self.choices) else False)
            self.decided[key] = self.made[-1]
        return self.decided[key]

    # ------------------------------------------------------------------ grammar

    def formula(self) -> sp.Basic:
        left = self.expression()
        if self.is_(*_RELATIONS):
            relation = self.take()
            if relation.text not in _EQUATIONS:
                raise LatexMisread(f"a relation ({relation.text}) states no value; give the "
                                   "formula alone", relation.column)  # fmt: skip
            left = sp.Eq(left, self.expression(), evaluate=False)
        if self.is_(".", ",") and self.peek(1).kind == "end":  # a display ends its sentence
            self.take()
        if self.peek().kind != "end":
            raise self.error("expected the end of the formula")
        return left

    def expression(self) -> sp.Basic:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested deeper than {MAX_DEPTH} levels")
        sign = self.take().text if self.is_("+", "-") else "+"
        value = self.term()
        value = -value if sign == "-" else value
        while self.is_("+", "-", "\\pm", "\\mp"):
            operator = self.take()
            if operator.text in ("\\pm", "\\mp"):
                raise LatexMisread(f"{operator.text} stands for two values", operator.column)
            term = self.term()
            value = value + term if operator.text == "+" else value - term
        self.depth -= 1
        return value

    def term(self) -> sp.Basic:
        value = self.product()
        while self.is_(*_PRODUCTS, "/", "\\div"):
            if self.take().text in _PRODUCTS:
                value = value * self.product()
                continue
            divisor = self.factor()
            if self.starts_factor() and self.choose("a/bc"):  # a/bc read as a/(bc)
                divisor = divisor * self.product()
            value = value / divisor
            if self.starts_factor():  # a/bc read as (a/b)c
                value = value * self.product()
        return value

    def product(self) -> sp.Basic:
        value = self.factor()
        while self.starts_factor():
            value = value * self.factor()
        return value

    def starts_factor(self) -> bool:
        token = self.peek()
        if token.kind in ("number", "letter"):
            return True
        if token.kind == "bar":
            if token.side or not self.open_bars or self.open_bars[-1] != token.text:
                return token.side != "close"
            return self.choose("bar")  # it may close the open bar (default) or open another
        if token.kind == "command":
            name = token.text[1:]
            return name not in ("cdot", "times", "div", "pm", "mp", "end") and (
                f"\\{name}" not in _RELATIONS
            )
        return token.text in ("(", "[", "{")

    def factor(self) -> sp.Basic:
        column = self.peek().column
        return bounded(self.scripts(self.atom()), column)

    def scripts(self, base: sp.Basic) -> sp.Basic:
        """`^` after a factor: a power, or `^*` marking a named symbol."""
        if not self.is_("^"):
            return base
        self.take()
        if self.is_("*", "\\ast", "\\star") or (self.is_("{") and self.peek(1).text in
                                                  ("*", "\\ast", "\\star")):  # fmt: skip
            if not isinstance(base, sp.Symbol):
                raise self.error("^* marks a symbol")
            braced = self.take().text == "{"
            if braced:
                self.take()
                self.expect("}")
            return self.scripts(sp.Symbol(f"{base.name}_star"))
        value = checked_power(base, self.script(), self.peek().column)
        if self.is_("^"):
            raise self.error("a double superscript: group it with braces")
        return value

    def script(self) -> sp.Basic:
        """A sub- or superscript's value: a braced group, or one token as TeX takes it."""
        if self.is_("{"):
            return self.group()
        token = self.peek()
        if token.kind == "number" and len(token.text) > 1:  # x^23 is x^2 3 in TeX
            self.tokens[self.at] = dataclasses.replace(token, text=token.text[1:],
                                                       column=token.column + 1)  # fmt: skip
            return sp.Integer(token.text[0])
        if token.kind in ("number", "letter", "command"):
            return self.atom()
        raise self.error("expected a script")

    def group(self) -> sp.Basic:
        self.expect("{")
        value = self.expression()
        self.expect("}")
        return value

    def atom(self) -> sp.Basic:
        token = self.peek()
        if token.kind == "number":
            return self.number()
        if token.kind == "letter":
            if token.text in _ASYMPTOTIC and self.peek(1).text == "(":
                raise self.asymptotic(token)
            self.take()
            return self.named(token.text)
        if token.kind == "bar":
            return self.bars()
        if token.text in ("(", "["):
            self.take()
            value = self.expression()
            self.expect(")" if token.text == "(" else "]")
            return value
        if token.text == "{":
            return self.group()
        if token.kind == "command":
            return self.command()
        raise self.error("expected a number, a symbol or a group")

    def number(self) -> sp.Basic:
        token = self.take()
        if len(token.text) > MAX_DIGITS:
            raise LatexMisread(f"a number longer than {MAX_DIGITS} digits", token.column)
        return sp.Rational(token.text)  # exact: 0.5 is 1/2

    def named(self, name: str) -> sp.Basic:
        """A symbol, with its subscript folded into the name."""
        if self.is_("_"):
            self.take()
            name = f"{name}_{self.subscript_name()}"
        return sp.Symbol(name)

    def subscript_name(self) -> str:
        """A subscript as it appears in names: letters, digits, Greek and a few words."""
        if not self.is_("{"):
            return self.name_part(self.take())
        self.take()
        parts = []
        while not self.is_("}"):
            token = self.take()
            if token.kind == "end":
                raise LatexMisread("a subscript's { is not closed", token.column)
            if token.text != ",":
                parts.append(self.name_part(token))
        self.take()
        return "".join(parts)

    def name_part(self, token: _Token) -> str:
        if token.kind in ("letter", "number"):
            return token.text
        if token.text in ("*", "\\ast", "\\star"):
            return "star"
        word = token.text[1:]
        if word in _FONTS:
            return self.braced_word()
        if word in (*_GREEK, *_VARIANTS, "max", "min", "infty", "top", "perp"):
            return _VARIANTS.get(word, word)
        raise LatexMisread(f"cannot read {token.text!r} in a subscript", token.column)

    def braced_word(self) -> str:
        """The letters and digits of a font command's braced argument (`\\mathrm{eff}`)."""
        start = self.expect("{")
        parts = []
        while not self.is_("}"):
            token = self.take()
            if token.kind not in ("letter", "number"):
                raise LatexMisread("expected letters in braces", token.column or start.column)
            parts.append(token.text)
        self.take()
        return "".join(parts)

    def bars(self) -> sp.Basic:
        opening = self.take()
        self.open_bars.append(opening.text)
        value = bounded(self.expression(), opening.column)  # before Abs decides its sign
        closing = self.peek()
        if closing.kind != "bar" or closing.text != opening.text or closing.side == "open":
            raise self.error(f"expected a closing {opening.text}")
        self.take()
        self.open_bars.pop()
        return sp.Abs(value)

    def command(self) -> sp.Basic:
        token = self.take()
        word = token.text[1:]
        if word in _GREEK or word in _VARIANTS:
            if word in _ASYMPTOTIC and self.is_("("):
                raise self.asymptotic(token)
            return self.named(_VARIANTS.get(word, word))
        if word == "infty":
            return sp.oo
        if word in ("frac", "dfrac", "tfrac"):
            numerator = self.script()
            return numerator / self.script()
        if word == "sqrt":
            return self.root()
        if word in _FUNCTIONS:
            return self.function(word, token)
        if word in ("max", "min"):
            return self.extremum(word, token)
        if word in _FONTS:
            return self.font(word, token)
        if word in _ACCENTS:  # dropped; \bar{x}_n is still the symbol x_n
            inner = self.script()
            return self.named(inner.name) if isinstance(inner, sp.Symbol) else inner
        if word == "begin":
            return self.cases(token)
        if word in _OPERATORS:
            raise LatexMisread(f"{token.text} is an operator over a set or a limit, which "
                               "states no closed-form value", token.column)  # fmt: skip
        raise LatexMisread(f"unknown command {token.text}", token.column)

    def root(self) -> sp.Basic:
        index: sp.Basic = sp.Integer(2)
        if self.is_("["):
            self.take()
            index = self.expression()
            self.expect("]")
        return checked_power(self.script(), 1 / index, self.peek().column)

    def function(self, word: str, token: _Token) -> sp.Basic:
        power = base = None
        for _ in range(2):  # \sin^2 x, \log_2 x, in either order
            if self.is_("^") and power is None:
                self.take()
                if self.is_("-") or (self.is_("{") and self.peek(1).text == "-"):
                    raise LatexMisread(f"{token.text}^{{-1}}: an inverse or a reciprocal? write "
                                       "\\arcsin, or the power after the argument", token.column)  # fmt: skip
                power = self.script()
            elif self.is_("_") and word == "log" and base is None:
                self.take()
                base = self.script()
        if self.is_("(", "["):
            opening = self.take().text
            argument = self.expression()
            self.expect(")" if opening == "(" else "]")
        elif self.is_("{"):
            argument = self.group()
        elif self.starts_factor():
            argument = self.factor()
        else:
            raise self.error(f"{token.text} has no argument")
        value = bounded(_FUNCTIONS[word](bounded(argument, token.column), evaluate=False),
                        token.column)  # fmt: skip
        if base is not None:
            value = value / sp.log(base, evaluate=False)
        return value if power is None else checked_power(value, power, token.column)

    def extremum(self, word: str, token: _Token) -> sp.Basic:
        if not self.is_("("):
            raise LatexMisread(f"{token.text} over a set states no closed-form value; write "
                               f"{token.text}(a, b)", token.column)  # fmt: skip
        self.take()
        values = [self.expression()]
        while self.is_(","):
            if len(values) == MAX_EXTREMUM_ARGS:  # SymPy compares every pair of them
                raise LatexMisread(f"{token.text} of more than {MAX_EXTREMUM_ARGS} arguments",
                                   token.column)  # fmt: skip
            self.take()
            values.append(self.expression())
        self.expect(")")
        values = [bounded(v, token.column) for v in values]
        return (sp.Max if word == "max" else sp.Min)(*values)

    def font(self, word: str, token: _Token) -> sp.Basic:
        """`\\mathrm{e}`, `\\operatorname{arcsinh}(x)`, `\\mathit{ell}`: a name or a function."""
        if word == "mathcal" and self.peek(1).text == "O" and self.peek(3).text == "(":
            raise self.asymptotic(token)
        name = self.braced_word()
        if name in _FUNCTIONS:
            return self.function(name, token)
        if not name:
            raise LatexMisread(f"{token.text}{{}} is empty", token.column)
        return self.named(name)

    def cases(self, token: _Token) -> sp.Basic:
        if self.braced_word() != "cases":
            raise LatexMisread("only \\begin{cases} is read", token.column)
        pieces = []
        while True:
            value = self.expression()
            self.expect("&")
            pieces.append((value, self.condition()))
            if self.peek().kind == "rows":
                self.take()
            if self.is_("\\end"):
                self.take()
                if self.braced_word() != "cases":
                    raise LatexMisread("expected \\end{cases}", token.column)
                return sp.Piecewise(*pieces)

    def condition(self) -> sp.Basic:
        """A case's condition: a chain of inequalities, or `\\text{otherwise}`."""
        if self.is_("\\text", "\\mathrm", "\\textrm"):
            self.take()
            word = self.braced_word().lower()
            if word in _OTHERWISE:
                return sp.true
            if word != "if":
                raise LatexMisread(f"cannot read the condition {word!r}", self.peek().column)
        left = self.expression()
        parts = []
        while self.is_(*_ORDER):
            relation = _ORDER[self.take().text]
            right = self.expression()
            parts.append(relation(left, right, evaluate=False))
            left = right
        if not parts:
            raise self.error("expected an inequality as the case's condition")
        return sp.And(*parts) if len(parts) > 1 else parts[0]

    def asymptotic(self, token: _Token) -> LatexMisread:
        return LatexMisread(f"asymptotic notation ({token.text}(...)) states an order, not a "
                            "value", token.column)  # fmt: skip
