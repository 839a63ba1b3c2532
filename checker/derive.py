"""Symbolic derivations at plan time: asymptotic exponents, limits and orders, affine fits.

Papers state rates asymptotically ("grows like n^a", "reaches its limit at
rate n^-a") and constants up to a fit. The plan layer derives what a rule
needs from the prediction itself, with SymPy, once per check: the exponent
lim d log f / d log n, the limit f_inf and order a of f(n) = f_inf + c n^-a +
o(n^-a), whether f is affine in its `fit:` constants. The rules receive plain
numbers (`agree.Derived`), so they never need SymPy. A limit SymPy cannot find
(an unevaluated Limit, an infinite value, or no answer within
DERIVATION_SECONDS) is `NotDerivable`, which the planner reports as a lint
error at the field that asked for it.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import math
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sympy as sp

from checker.derived import Derived, derived, group_key, with_derived
from checker.expr import ExprError, numeric_value

__all__ = [
    "DERIVATION_SECONDS",
    "NotDerivable",
    "asymptotic_exponent",
    "deadline",
    "fit_rule",
    "is_affine",
    "limit_and_order",
    "rate_rule",
    "refreshed",
    "scaling_rule",
]

DERIVATION_SECONDS = 5.0  # per limit; a limit SymPy cannot settle can run for minutes

ASSUMPTIONS = {  # a declared domain as SymPy assumptions, which limits need to decide signs
    "real": {"real": True},
    "positive": {"positive": True},
    "nonnegative": {"nonnegative": True},
    "negative": {"negative": True},
    "integer": {"integer": True},
    "positive_integer": {"positive": True, "integer": True},
    "unit_interval": {"nonnegative": True},
}


class NotDerivable(Exception):
    """SymPy could not derive what the rule asks for; `message` says what and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _OutOfTime(BaseException):
    """Raised by the alarm inside SymPy; a BaseException so that no `except Exception` eats it."""


# --------------------------------------------------------------------------- derivations


def asymptotic_exponent(expr: sp.Basic, variable: str, domains: Mapping[str, str] = {}) -> sp.Basic:
    """lim_{n -> oo} d log f / d log n: the a of "f grows like n^a" (0 for log n)."""
    f, n, back = _assumed(expr, variable, domains)
    if n not in f.free_symbols:
        return sp.S.Zero
    exponent = _limit(n * sp.diff(f, n) / f, n)
    if exponent is None:
        raise NotDerivable(f"SymPy finds no finite limit of d log f / d log {variable} as "
                           f"{variable} -> oo for f = {expr}{_why(n * sp.diff(f, n) / f, n)}")  # fmt: skip
    return exponent.xreplace(back)


def limit_and_order(
    expr: sp.Basic, variable: str, domains: Mapping[str, str] = {}
) -> tuple[sp.Basic, sp.Basic]:
    """f_inf = lim f and a = -lim d log|f - f_inf| / d log n, for f = f_inf + c n^-a + o(n^-a)."""
    f, n, back = _assumed(expr, variable, domains)
    if n not in f.free_symbols:
        raise NotDerivable(f"the prediction does not depend on {variable}, so it has no rate; "
                           "order: auto needs the finite-n formula f_inf + c*n**-a + ...")  # fmt: skip
    limit = _limit(f, n)
    if limit is None:
        raise NotDerivable(f"SymPy finds no finite limit of {expr} as {variable} -> oo"
                           f"{_why(f, n)}")  # fmt: skip
    gap = f - limit
    slope = _limit(n * sp.diff(gap, n) / gap, n) if gap != 0 else None
    if slope is None:
        raise NotDerivable(f"SymPy finds no order of convergence of {expr} to its limit {limit}"
                           f" (no finite limit of d log|f - f_inf| / d log {variable})")  # fmt: skip
    return limit.xreplace(back), (-slope).xreplace(back)


def is_affine(expr: sp.Basic, constants: Sequence[sp.Symbol]) -> bool:
    """Whether expr = g0 + sum c_i g_i: every d expr / d c_i is free of all the constants."""
    chosen = set(constants)
    return bool(constants) and all(not (sp.diff(expr, c).free_symbols & chosen) for c in constants)


# --------------------------------------------------------------------------- rules


def scaling_rule(
    rule: Any,
    expr: sp.Basic | None,
    domains: Mapping[str, str],
    points: Sequence[Mapping[str, float]],
    fixed: Mapping[str, float],
) -> Any:
    """The rule with the prediction's asymptotic exponent attached, per sweep group.

    Only with `exponent: asymptotic`, where the rule needs it (and a failure to
    derive it is an error): a SymPy limit costs a tenth of a second, and lint
    plans every claim on every run.
    """
    context = (tuple(sorted(domains.items())), tuple(points), tuple(sorted(fixed.items())))
    if rule.exponent != "asymptotic":
        return with_derived(rule, Derived(source=expr, context=context))
    try:
        if expr is None:
            raise NotDerivable("exponent: asymptotic needs an explicit expr: prediction")
        exponent = asymptotic_exponent(expr, rule.variable, domains)
        exponents = _per_group(exponent, rule.variable, points, fixed, "exponent")
    except NotDerivable:
        if rule.exponent == "asymptotic":
            raise
        return with_derived(rule, Derived(source=expr, context=context))
    return with_derived(
        rule, Derived(exponents=exponents, formula=str(exponent), source=expr, context=context)
    )


def rate_rule(
    rule: Any,
    expr: sp.Basic,
    domains: Mapping[str, str],
    points: Sequence[Mapping[str, float]],
    fixed: Mapping[str, float],
) -> tuple[sp.Basic, Any]:
    """For `order: auto`: the limit to check against, and the rule with the derived order."""
    limit, order = limit_and_order(expr, rule.variable, domains)
    orders = set(_per_group(order, rule.variable, points, fixed, "order").values())
    if max(orders) - min(orders) > 1e-9 * max(1.0, abs(max(orders))):
        raise NotDerivable(f"the derived order {order} changes across the sweep; the rate rule "
                           "pools every group, so it needs one order")  # fmt: skip
    value = float(max(orders))
    if not value > 0:
        raise NotDerivable(f"the derived order is {order} = {value:g}: the prediction does not "
                           "approach its limit like a negative power of the variable")  # fmt: skip
    notes = {"derived_limit": str(limit), "derived_order": str(order), "prediction": str(expr)}
    return limit, with_derived(rule.model_copy(update={"order": value}), Derived(notes=notes))


def fit_rule(rule: Any, expr: sp.Basic, constants: Sequence[sp.Symbol]) -> Any:
    """The rule marked affine when the prediction is affine in its fit constants."""
    affine = is_affine(expr, constants)
    return with_derived(rule, Derived(affine=affine, source=expr, context=tuple(constants)))


def refreshed(rule: Any, expr: sp.Basic) -> Any:
    """The rule re-derived for a new prediction (a mutant); unchanged when still current.

    A derivation that fails for the new prediction leaves the rule without one:
    an asymptotic scaling rule then disagrees, saying why.
    """
    current = derived(rule)
    if current.source is None or current.source == expr:
        return rule
    if rule.rule == "fit":
        return fit_rule(rule, expr, current.context)
    domains, points, fixed = current.context
    try:
        return scaling_rule(rule, expr, dict(domains), points, dict(fixed))
    except NotDerivable:
        return with_derived(rule, Derived(source=expr, context=current.context))


# --------------------------------------------------------------------------- helpers


def _assumed(
    expr: sp.Basic, variable: str, domains: Mapping[str, str]
) -> tuple[sp.Basic, sp.Symbol, dict[sp.Symbol, sp.Symbol]]:
    """expr over symbols that carry their declared domains; the variable positive."""
    replace = {}
    for symbol in expr.free_symbols:
        if symbol.name == variable:
            assumptions = {"positive": True}  # integer-valued or not, it grows through the reals
        else:
            assumptions = ASSUMPTIONS[domains.get(symbol.name, "real")]
        replace[symbol] = sp.Symbol(symbol.name, **assumptions)
    n = next((s for s in replace.values() if s.name == variable), None)
    n = n or sp.Symbol(variable, positive=True)
    return expr.xreplace(replace), n, {new: old for old, new in replace.items()}


def _limit(expr: sp.Basic, n: sp.Symbol) -> sp.Basic | None:
    """lim_{n -> oo} expr when SymPy finds a finite one in time, else None."""
    return _attempt(expr, n)[0]


def _why(expr: sp.Basic, n: sp.Symbol) -> str:
    """Why the limit of expr was not found, for the message."""
    return _attempt(expr, n)[1]


@functools.lru_cache(maxsize=512)
def _attempt(expr: sp.Basic, n: sp.Symbol) -> tuple[sp.Basic | None, str]:
    """The finite limit, or None and why; cached, so variants sharing a formula pay once."""
    try:
        with deadline(DERIVATION_SECONDS, _OutOfTime):
            value = sp.limit(expr, n, sp.oo)
            if value.has(sp.Limit):
                return None, " (SymPy returns the limit unevaluated)"
            if value.has(sp.AccumBounds, sp.oo, -sp.oo, sp.zoo, sp.nan) or n in value.free_symbols:
                return None, f" (SymPy finds {value})"
            return sp.simplify(value), ""  # simplify, too, can run for minutes
    except _OutOfTime:
        return None, f" (no answer within {DERIVATION_SECONDS:g} s)"
    except (NotImplementedError, ValueError, TypeError, RecursionError) as exc:
        return None, f" (SymPy fails: {type(exc).__name__})"


def _per_group(
    expr: sp.Basic,
    variable: str,
    points: Sequence[Mapping[str, float]],
    fixed: Mapping[str, float],
    what: str,
) -> dict[tuple, float]:
    """The n-free expression at each sweep group (swept values over the fixed params)."""
    found = {}
    for point in points or [{}]:
        key = group_key(point, variable)
        if key in found:
            continue
        values = {**fixed, **point}
        unbound = sorted(s.name for s in expr.free_symbols if s.name not in values)
        if unbound:
            raise NotDerivable(f"the derived {what} {expr} depends on {', '.join(unbound)}, "
                               "which is measured or fitted, not set by the sweep or params")  # fmt: skip
        number = _number(expr, {s: values[s.name] for s in expr.free_symbols}, what, point)
        if abs(number.imag) > 1e-12 or not math.isfinite(number.real):
            raise NotDerivable(f"the derived {what} {expr} is {number} at {dict(point)}")
        found[key] = number.real
    return found


def _number(
    expr: sp.Basic, values: Mapping[sp.Symbol, float], what: str, point: Mapping[str, float]
) -> complex:
    """expr at the sweep values in floats: SymPy's own evaluation of a Float as large as a
    sweep value may be (sin(exp(1e29))) works at a precision that can stall lint."""
    try:
        number = numeric_value(expr, values)
    except ExprError as exc:
        raise NotDerivable(
            f"the derived {what} {expr} holds {exc.message} at {dict(point)}"
        ) from None
    if number is None:
        raise NotDerivable(f"the derived {what} {expr} is undefined at {dict(point)}")
    return number


@contextlib.contextmanager
def deadline(seconds: float | None, error: type[BaseException] = TimeoutError) -> Iterator[None]:
    """Raise `error` inside the block once it has run `seconds` (None: no limit).

    SymPy's limits, series and simplifications can run for minutes on a hostile
    or unlucky input. They are pure Python, so an exception raised between two
    bytecodes stops them: from SIGALRM in the main thread, else from a watchdog
    thread. Limits nest: an inner one never extends an outer one, and the outer
    one is re-armed when the inner block ends. A long single C call (a huge
    integer product) is not interrupted: the parser bounds numbers for that.
    """
    if seconds is None:
        yield
    elif threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds, error):
            yield
    else:
        with _watchdog(seconds, error):
            yield


@contextlib.contextmanager
def _alarm(seconds: float, error: type[BaseException]) -> Iterator[None]:
    outer, interval = signal.getitimer(signal.ITIMER_REAL)
    if outer and outer <= seconds:  # an outer limit comes first: it alone applies
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise error

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-6))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # what is left of the outer limit; one already past fires at once
            left = outer - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), interval)


@contextlib.contextmanager
def _watchdog(seconds: float, error: type[BaseException]) -> Iterator[None]:
    """The limit outside the main thread, where no signal arrives: a timer thread raises
    `error` in this one (PyThreadState_SetAsyncExc), never after the block has ended."""
    target = ctypes.c_ulong(threading.get_ident())
    lock = threading.Lock()
    state = {"ended": False, "fired": False}

    def fire() -> None:
        with lock:
            if not state["ended"]:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(error))
                state["fired"] = True

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["ended"] = True
            if state["fired"]:  # raised but maybe not yet delivered: take it back
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
