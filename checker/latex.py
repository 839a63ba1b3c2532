"""The formula as printed: a claim's `latex:` parsed and held against its `expr` numerically.

A reviewer trusts a claim only as far as `expr` is the paper's formula. The
claim's `latex:` is the paper's LaTeX, copied; this module reads it
(`checker.latex_reader`, whose conventions the README lists) and compares the
reading with the plan's prediction at the claim's own sweep points, in floating
point (SymPy's `simplify` is slow and incomplete). The outcome is one of:

- `equal`: equal to expr (relative difference below 1e-9) at every sweep point
  where both are finite, and at least one is;
- `not compared`: the reader could not read it, read it in two different
  ways (ambiguous), or the reading holds a symbol the claim cannot bind: the
  reason is given, and this is never a pass;
- `differs`: a lint error, with both formulas, the point where they differ and
  a hint, so a user can tell a transcription mistake from a misreading;
- `invalid`: a `latex.symbols` value is not a valid claim expression (lint error).

`pi` is SymPy's pi and `e` Euler's number, unless the claim binds them.
Outcomes are cached on disk under a hash of everything they depend on, so an
unchanged claim is not read or evaluated again. A comparison that takes over
LATEX_SECONDS is `not compared` (and not cached: it may finish another time).
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from checker.compile import CompileError, compile_expr, numpy_backend
from checker.derive import deadline
from checker.expr import ExprError, bounded, parse_expr, symbols_for
from checker.jsonio import atomic_write, read_json_object
from checker.latex_reader import LatexMisread, read_latex
from checker.paths import default_cache_dir
from checker.plan import HelperError, Plan, RootOf, Stationary, expand_helpers, input_defaults
from checker.spec import ClaimFileError
from checker.view import ClaimView, LatexCheck

__all__ = ["LatexCheck", "check_latex", "claim_view", "formula_mathml", "latex_problems"]

_FORMAT = 1
RTOL = 1e-9
MAX_POINTS = 64  # sweep points compared; a larger sweep is thinned evenly
LATEX_SECONDS = 1.5  # lint's other limit per file (checker.plan.PLAN_SECONDS) is 3 s
DRAWS = 3  # values drawn for each symbol the sweep does not bind (measured outputs)
HINT = (
    "if the LaTeX is as printed, the reader may have misread it: write function arguments "
    "in \\left( \\right), products with \\cdot, and group with braces; otherwise fix the "
    "transcription or expr"
)


def latex_problems(plan: Plan) -> list[ClaimFileError]:
    """The lint errors of a claim's `latex:`: a parse that differs, or a bad symbols map."""
    check = check_latex(plan)
    if check is None or check.outcome not in ("differs", "invalid"):
        return []
    field = ".".join(str(p) for p in check.field)
    where = plan.claim_file.where(*check.field)
    return [ClaimFileError(where, f"{field}: {check.message}", check.hint)]


def claim_view(plan: Plan) -> ClaimView:
    """What the reports show of a plan: its formula typeset and its printed form compared."""
    return ClaimView(plan.claim_file, plan.measurement, formula_mathml(plan), check_latex(plan))


def formula_mathml(plan: Plan) -> str:
    """The prediction as SymPy typesets it: what `expr` really parsed to."""
    from sympy.printing.mathml import mathml

    check = plan.check
    body = mathml(check.prediction, printer="presentation")
    form = plan.claim.prediction.form
    target = html.escape(plan.claim.prediction.target)
    if form == "root_of":
        unknown = html.escape(str(check.implicit.unknown))
        lead = f"<mi>{target}</mi><mo>=</mo><mtext>root in {unknown} of </mtext>"
        body = f"{lead}{body}<mo>=</mo><mn>0</mn>"
    elif form == "stationary":
        body = f"<mi>{target}</mi><mo>=</mo><mtext>argmin </mtext><mo>&sum;</mo>{body}"
    else:
        body = f"<mi>{target}</mi><mo>=</mo>{body}"
    return f'<math display="block"><mrow>{body}</mrow></math>'


def check_latex(plan: Plan, cache_dir: Path | None = None) -> LatexCheck | None:
    """The outcome for a claim's `latex:` (None without one), from the cache when unchanged."""
    if plan.claim.latex is None:
        return None
    key = _key(plan)
    return _cached(key, plan, cache_dir or default_cache_dir() / "latex")


def _cached(key: str, plan: Plan, folder: Path) -> LatexCheck:
    path = folder / f"{key}.json"
    entry = read_json_object(path)
    try:
        if entry is not None and entry.get("key") == key and entry.get("format") == _FORMAT:
            return LatexCheck.from_dict(entry["check"])
    except (KeyError, TypeError):
        pass  # missing or damaged: recompute, never trust
    try:
        with deadline(LATEX_SECONDS, _OutOfTime):
            check = _compare(plan)
    except _OutOfTime:
        return LatexCheck("not compared", f"not compared: no answer within {LATEX_SECONDS:g} s")
    except Exception as exc:  # never a traceback from lint: a SymPy corner case is said, not raised
        reason = f"checker could not compare it: {type(exc).__name__}: {_first_line(exc)}"
        check = LatexCheck("not compared", f"not compared: {reason}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(
            path,
            json.dumps({"format": _FORMAT, "key": key, "check": check.to_dict()}),
            durable=False,
        )
    except OSError:
        pass  # a read-only cache costs time, not correctness
    return check


class _OutOfTime(BaseException):
    """Raised inside the comparison when its time is up (a BaseException: nothing eats it)."""


def _key(plan: Plan) -> str:
    latex, check = plan.claim.latex, plan.check
    implicit = check.implicit
    parts = [
        f"format {_FORMAT}",
        latex.text,
        json.dumps(latex.symbols, sort_keys=True),
        plan.claim.prediction.form,
        json.dumps(plan.claim.prediction.where, sort_keys=True),
        json.dumps(sorted(plan.claim.symbols)),
        json.dumps(plan.measurement.outputs),
        _structure(check.prediction),
        _structure(sp.Tuple(implicit.unknown, implicit.low, implicit.high))
        if isinstance(implicit, RootOf)
        else plan.claim.prediction.target,
        json.dumps(_values(plan), sort_keys=True, default=str),
        _environment(),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _structure(expr: sp.Basic) -> str:
    """The expression tree as text, for a cache key: what `srepr` says (arguments in
    SymPy's canonical order) without its printer, which sorted terms again and took a
    tenth of cold lint."""
    if expr.args:
        return f"{type(expr).__name__}({','.join(_structure(a) for a in expr.args)})"
    if isinstance(expr, sp.Symbol):
        return f"{type(expr).__name__}({expr.name!r},{sorted(expr.assumptions0.items())})"
    return sp.srepr(expr)  # numbers and constants: a short print


@functools.cache
def _environment() -> str:
    versions = []
    for name in ("sympy", "numpy"):
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=none")
    sources = (Path(__file__), Path(__file__).with_name("latex_reader.py"))
    return " ".join(versions) + "".join(p.read_text(encoding="utf-8") for p in sources)


# --------------------------------------------------------------------------- parsing


def parse_latex(text: str) -> sp.Basic | str:
    """The SymPy reading of `text`, or why there is none (unreadable, or ambiguous)."""
    try:
        readings = read_latex(text)
    except LatexMisread as exc:
        return str(exc)
    if len(readings) > 1:
        shown = " or ".join(str(r) for r in readings[:2])
        return f"ambiguous parse ({len(readings)} readings, e.g. {shown})"
    return readings[0]


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


# --------------------------------------------------------------------------- comparing


def _compare(plan: Plan) -> LatexCheck:
    latex, claim = plan.claim.latex, plan.claim
    parsed = parse_latex(latex.text)
    if isinstance(parsed, str):
        return LatexCheck("not compared", f"not compared: {parsed}")
    parsed = _side(parsed, isinstance(plan.check.implicit, RootOf))
    if isinstance(parsed, str):
        return LatexCheck("not compared", f"not compared: {parsed}")
    names = {**symbols_for(claim.symbols), **symbols_for(plan.measurement.outputs),
             **symbols_for(claim.prediction.where), **symbols_for([claim.prediction.target])}  # fmt: skip
    if isinstance(plan.check.implicit, RootOf):
        names[str(plan.check.implicit.unknown)] = plan.check.implicit.unknown
    bound = {}
    for key, text in latex.symbols.items():
        try:
            bound[_plain(key)] = parse_expr(text, names)
        except ExprError as exc:
            return LatexCheck("invalid", f"{exc.message} (in {text!r})", hint=exc.hint,
                              field=("latex", "symbols", key))  # fmt: skip
    expr = _bind(parsed, names, bound)
    if isinstance(expr, str):
        return LatexCheck("not compared", f"not compared: {expr}", str(parsed), _mathml(parsed))
    try:
        expr = bounded(_definitions(expr, claim.prediction.where, names))
    except (ExprError, HelperError) as exc:  # `e` and `\pi` bound, helpers substituted
        return LatexCheck("not compared", f"not compared: {exc.message}", str(parsed))
    shown, mathml = str(expr), _mathml(expr)
    field = ("latex", "text") if latex.symbols else ("latex",)
    try:
        result = _against(plan, expr)
    except (CompileError, TypeError, ValueError, ArithmeticError) as exc:
        reason = f"checker cannot evaluate the parse: {_first_line(exc)}"
        return LatexCheck("not compared", f"not compared: {reason}", shown, mathml)
    except _NotCompared as exc:
        return LatexCheck("not compared", f"not compared: {exc}", shown, mathml)
    if isinstance(result, str):
        return LatexCheck("differs", result, shown, mathml, HINT, field)
    what = "with the same roots as" if isinstance(plan.check.implicit, RootOf) else "equal to"
    points = f"{result} sweep point" + ("s" if result != 1 else "")
    return LatexCheck("equal", f"{what} expr at {points}", shown, mathml)


class _NotCompared(Exception):
    """Nothing could be compared (no finite value, no root): said, never passed."""


def _side(parsed: sp.Basic, equation: bool) -> sp.Basic | str:
    """An equation's `lhs - rhs` for root_of; elsewhere the right side of `label = formula`."""
    if not isinstance(parsed, sp.Eq):
        return parsed
    if equation:
        return parsed.lhs - parsed.rhs
    if isinstance(parsed.lhs, sp.Symbol | AppliedUndef):
        return parsed.rhs
    return f"an equation ({parsed}) where the prediction is a formula: give its right side"


def _plain(name: str) -> str:
    """A LaTeX symbol name as written or as parsed, without backslashes and braces."""
    return re.sub(r"[\\{}\s]", "", name)


def _bind(parsed: sp.Basic, names: dict[str, sp.Symbol], bound: dict[str, sp.Basic]) -> Any:
    """The parse in the claim's symbols, or which LaTeX symbols have no meaning in the claim."""
    replace: dict[sp.Basic, sp.Basic] = {}
    unknown = []
    for symbol in parsed.free_symbols:
        name = _plain(symbol.name)
        if name in bound:
            replace[symbol] = bound[name]
        elif name in names or name.replace("_", "") in names:
            replace[symbol] = names.get(name, names.get(name.replace("_", "")))
        elif name in ("pi", "e"):
            replace[symbol] = sp.pi if name == "pi" else sp.E
        else:
            unknown.append(name)
    if unknown:
        listed = ", ".join(sorted(unknown))
        return (f"symbol(s) {listed} of the LaTeX are not claim symbols: bind them under "
                f"latex.symbols (or the parser split a name into letters)")  # fmt: skip
    return parsed.xreplace(replace)


def _definitions(expr: sp.Basic, where: dict[str, str], names: dict[str, sp.Symbol]) -> sp.Basic:
    """`where:` helpers replaced by their definitions, as the plan does for expr."""
    definitions = expand_helpers({names[k]: parse_expr(v, names) for k, v in where.items()})
    return expr.xreplace(definitions)


def _mathml(expr: sp.Basic) -> str:
    from sympy.printing.mathml import mathml

    return f'<math display="block">{mathml(expr, printer="presentation")}</math>'


def _values(plan: Plan) -> list[dict[str, float]]:
    """The claim's sweep points with its fixed numeric parameters, at most MAX_POINTS."""
    m = plan.measurement
    fixed = {k: f.default for k, f in m.params.model_fields.items()}
    fixed = {**fixed, **input_defaults(m), **plan.check.params}
    fixed = {k: float(v) for k, v in fixed.items() if _is_number(v)}
    points = list(plan.check.sweep) or [{}]
    if len(points) > MAX_POINTS:
        points = [points[i] for i in np.linspace(0, len(points) - 1, MAX_POINTS).astype(int)]
    return [{**fixed, **{k: float(v) for k, v in p.items()}} for p in points]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _against(plan: Plan, latex: sp.Basic) -> int | str:
    """Points where the two agree, or a one-line account of where they differ."""
    check = plan.check
    if isinstance(check.implicit, RootOf):
        return _same_roots(plan, latex)
    prediction, left = check.prediction, latex
    if isinstance(check.implicit, Stationary):  # an objective matters up to its gradient
        target = sp.Symbol(plan.claim.prediction.target, real=True)
        prediction, left = check.implicit.gradient, sp.diff(latex, target)
    columns = _columns(plan, _values(plan), (prediction.free_symbols | left.free_symbols))
    ours, theirs = _evaluate(left, columns), _evaluate(prediction, columns)
    return _verdict(ours, theirs, columns, latex, check.prediction)


def _columns(
    plan: Plan, points: list[dict[str, float]], symbols: set[sp.Basic]
) -> dict[str, np.ndarray]:
    """Each symbol as a column over points x DRAWS; unbound ones drawn at fixed values."""
    rng = np.random.default_rng(20240607)
    columns = {}
    for symbol in sorted(symbols, key=str):
        name = str(symbol)
        if all(name in p for p in points):
            columns[name] = np.repeat([p[name] for p in points], DRAWS)
        else:
            columns[name] = np.tile(rng.uniform(0.2, 3.0, DRAWS), len(points))
    return columns


def _evaluate(expr: sp.Basic, columns: dict[str, np.ndarray]) -> np.ndarray:
    symbols, function = _compiled(expr)
    size = len(next(iter(columns.values()))) if columns else 1
    with np.errstate(all="ignore"):
        values = function(*(columns[s.name] for s in symbols))
        return np.broadcast_to(np.asarray(values, dtype=np.float64), (size,))


@functools.lru_cache(maxsize=64)
def _compiled(expr: sp.Basic) -> tuple[list[sp.Symbol], Any]:
    """Compiled once: root finding evaluates the same two formulas 120 times per point."""
    symbols = sorted(expr.free_symbols, key=str)
    return symbols, compile_expr(expr, symbols, numpy_backend())


def _verdict(
    ours: np.ndarray, theirs: np.ndarray, columns: dict[str, np.ndarray],
    latex: sp.Basic, prediction: sp.Basic,
) -> int | str:  # fmt: skip
    finite = np.isfinite(ours) & np.isfinite(theirs)
    if not finite.any():
        raise _NotCompared("neither formula is finite at any sweep point")
    scale = np.maximum(np.abs(ours), np.abs(theirs))
    bad = finite & (np.abs(ours - theirs) > RTOL * scale)
    if not bad.any():
        return int(finite.reshape(-1, DRAWS).any(axis=1).sum())
    i = int(np.argmax(bad))
    at = ", ".join(f"{k}={v[i]:.6g}" for k, v in columns.items())
    return (f"the printed formula differs from expr at {at}: LaTeX {ours[i]:.10g}, expr "
            f"{theirs[i]:.10g}; the LaTeX parsed to {latex} but expr is {prediction}")  # fmt: skip


def _same_roots(plan: Plan, latex: sp.Basic) -> int | str:
    """root_of: the printed equation and expr have the same roots in the bracket."""
    root = plan.check.implicit
    grid = np.linspace(0.0, 1.0, 801)[1:-1]
    compared = 0
    symbols = (latex.free_symbols | plan.check.prediction.free_symbols) - {root.unknown}
    points = _values(plan)
    drawn = _columns(plan, points, symbols)  # outputs (class sizes, ...) drawn, as elsewhere
    for i, point in enumerate(points):
        low, high = (float(_evaluate(b, _at(point, b))[0]) for b in (root.low, root.high))
        fixed = {k: float(v[i * DRAWS]) for k, v in drawn.items()}
        roots = []
        for expr in (latex, plan.check.prediction):
            xs = low + (high - low) * grid
            columns = {**{k: np.full(xs.shape, v) for k, v in fixed.items()}, str(root.unknown): xs}
            roots.append(_roots(expr, columns, str(root.unknown)))
        if not roots[0] and not roots[1]:
            continue
        if len(roots[0]) == len(roots[1]) and np.allclose(roots[0], roots[1], rtol=RTOL, atol=0):
            compared += 1
        else:
            at = ", ".join(f"{k}={v:.6g}" for k, v in fixed.items())
            return (f"the printed equation's roots in {root.unknown} differ from expr's at {at}: "
                    f"LaTeX {_show(roots[0])}, expr {_show(roots[1])}; the LaTeX parsed to "
                    f"{latex} = 0 but expr is {plan.check.prediction} = 0")  # fmt: skip
    if not compared:
        raise _NotCompared("neither formula has a root in the bracket at any sweep point")
    return compared


def _at(point: dict[str, float], expr: sp.Basic) -> dict[str, np.ndarray]:
    return {str(s): np.array([point[str(s)]]) for s in expr.free_symbols if str(s) in point}


def _roots(expr: sp.Basic, columns: dict[str, np.ndarray], unknown: str) -> list[float]:
    """Roots inside the grid: each sign change, bisected to round-off, and exact zeros."""
    xs = columns[unknown]
    signs = np.sign(_evaluate(expr, columns))
    cells = np.flatnonzero(np.isfinite(signs[:-1]) & np.isfinite(signs[1:])
                           & (signs[:-1] * signs[1:] < 0))  # fmt: skip
    low, high = xs[cells], xs[cells + 1]
    fixed = {k: v[: len(cells)] for k, v in columns.items() if k != unknown}
    for _ in range(60):
        middle = (low + high) / 2
        inside = np.sign(_evaluate(expr, {**fixed, unknown: middle}))
        same = inside == np.sign(_evaluate(expr, {**fixed, unknown: low}))
        low, high = np.where(same, middle, low), np.where(same, high, middle)
    return sorted([*((low + high) / 2).tolist(), *xs[signs == 0].tolist()])


def _show(roots: list[float]) -> str:
    return "[" + ", ".join(f"{r:.6g}" for r in roots) + "]" if roots else "none"
