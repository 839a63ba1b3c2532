"""Agreement rules: does a measurement agree with a prediction, and by what figure?

Rules see only arrays on the sweep grid, never where they came from (a
Monte-Carlo estimate and a training run look the same here). Each returns its
figure, the limit the figure is held against, and details a reviewer can read:
the worst point, the fitted slope, the interval. A rule that holds on the
claim must be able to fail on a wrong formula; the unit tests show both.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from checker import spec
from checker.derived import Derived, derived, group_key, with_derived
from checker.results import Verdict

__all__ = [
    "FALSE_FAILURE",
    "Derived",
    "Point",
    "Verdict",
    "decide",
    "derived",
    "group_key",
    "with_derived",
]


def _stats() -> Any:
    """scipy.stats, loaded when a rule first needs it: lint and a cached re-run never do."""
    import scipy.stats

    return scipy.stats


def _optimize() -> Any:
    import scipy.optimize

    return scipy.optimize


# The chance, per claim, that a true claim fails on noise alone: a `close` check whose
# seed noise could exceed its tolerance that often cannot be trusted either way.
FALSE_FAILURE = 1e-3


@dataclasses.dataclass(frozen=True)
class Point:
    """One sweep point: the measured target over seeds, and how to predict it.

    `measured` has shape (seeds, *shape). `predict(constants)` returns the
    prediction broadcastable to it (constants are the `fit:` values, empty
    otherwise). `tolerances` holds atol/rtol/slack evaluated at this point.
    """

    values: Mapping[str, float]
    measured: np.ndarray
    predict: Callable[[Sequence[float]], np.ndarray]
    tolerances: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def prediction(self, constants: Sequence[float] = ()) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.predict(constants), float), self.measured.shape)

    def tolerance(self, name: str) -> np.ndarray:
        value = self.tolerances.get(name, np.zeros(()))
        return np.broadcast_to(np.asarray(value, float), self.measured.shape[1:])


def decide(agreement: Any, points: Sequence[Point], fit: Sequence[str] = ()) -> Verdict:
    """Apply the claim's agreement rule to the measured points."""
    rule = _RULES[agreement.rule]
    return rule(agreement, list(points), tuple(fit))


# --------------------------------------------------------------------------- rules


def _close(rule: spec.Close, points: list[Point], fit: tuple[str, ...]) -> Verdict:
    worst = (-math.inf, None, 0.0, 0.0)
    z = _z_quantile(points)
    noise = 0.0
    for point in points:
        predicted = point.prediction()
        error = np.abs((point.measured - predicted).mean(axis=0))
        allowed = point.tolerance("atol") + point.tolerance("rtol") * np.abs(predicted.mean(axis=0))
        ratio = _ratio(error, allowed)
        spread = _standard_error(point.measured - predicted)  # per-seed predictions cancel noise
        noise = max(noise, float(np.max(_ratio(z * spread, allowed))))
        i = int(np.argmax(ratio))
        if ratio.flat[i] > worst[0]:
            worst = (float(ratio.flat[i]), point, float(error.flat[i]), float(allowed.flat[i]))
    score, point, error, allowed = worst
    return Verdict(
        "close", score <= 1.0, score, 1.0, "max |mean-pred|/tol",
        details={"worst_error": error, "tolerance_there": allowed, "at": _at(point),
                 "noise_to_tolerance": noise},
    )  # fmt: skip


def _standard_error(measured: np.ndarray) -> np.ndarray:
    seeds = measured.shape[0]
    if seeds < 2:
        return np.zeros(measured.shape[1:])
    return measured.std(axis=0, ddof=1) / math.sqrt(seeds)


def _z_quantile(points: list[Point]) -> float:
    """The normal quantile that holds a chance failure to FALSE_FAILURE over all elements."""
    elements = sum(int(np.prod(p.measured.shape[1:])) for p in points)
    return float(_stats().norm.ppf(1.0 - FALSE_FAILURE / (2.0 * max(elements, 1))))


def _interval(rule: spec.Interval, points: list[Point], fit: tuple[str, ...]) -> Verdict:
    seeds = points[0].measured.shape[0]
    if seeds < 2:
        return Verdict("interval", False, math.inf, 1.0, "needs >= 2 seeds")
    elements = sum(int(np.prod(p.measured.shape[1:])) for p in points)
    alpha = (1.0 - rule.confidence) / elements
    t = float(_stats().t.ppf(1.0 - alpha / 2.0, df=seeds - 1))
    worst = (-math.inf, None, 0.0, 0.0)
    resolution = 0.0
    for point in points:
        predicted = point.prediction()
        diff = point.measured - predicted
        half_width = t * diff.std(axis=0, ddof=1) / math.sqrt(seeds)
        resolution = max(resolution, float(half_width.max()))
        allowed = half_width + point.tolerance("atol")
        allowed = allowed + point.tolerance("rtol") * np.abs(predicted.mean(axis=0))
        ratio = _ratio(np.abs(diff.mean(axis=0)), allowed)
        i = int(np.argmax(ratio))
        if ratio.flat[i] > worst[0]:
            worst = (float(ratio.flat[i]), point, float(np.abs(diff.mean(axis=0)).flat[i]),
                     float(allowed.flat[i]))  # fmt: skip
    score, point, error, allowed = worst
    return Verdict(
        "interval", score <= 1.0, score, 1.0, "max |mean-pred|/(t*SE+tol)",
        details={"worst_error": error, "allowed_there": allowed, "at": _at(point),
                 "t_quantile": t, "largest_half_width": resolution},
    )  # fmt: skip


def _scaling(rule: spec.Scaling, points: list[Point], fit: tuple[str, ...]) -> Verdict:
    """The measured log-log slope against the prediction's slope over the range, or its exponent.

    Both predicted slopes are reported where both exist: over a short range
    they can differ by 15 %, and which one a paper means decides the verdict.
    """
    groups = _groups(points, rule.variable)
    asymptotic = rule.exponent == "asymptotic"
    exponents = derived(rule).exponents or {}
    worst, worst_at, slopes = -math.inf, {}, []
    for key, members in groups.items():
        x = np.log([p.values[rule.variable] for p in members])
        measured = np.stack([p.measured.mean(axis=0).ravel() for p in members])
        predicted = np.stack([p.prediction().mean(axis=0).ravel() for p in members])
        exponent = exponents.get(key)
        reason = _no_slope(measured, predicted, asymptotic, exponent)
        if reason:
            return Verdict("scaling", False, math.inf, rule.tol, "|slope-pred slope|",
                           details={"reason": reason, "at": dict(key)})  # fmt: skip
        for j in range(measured.shape[1]):
            got = _slope(x, np.log(measured[:, j]))
            over_range = _slope(x, np.log(predicted[:, j])) if (predicted > 0).all() else None
            want = exponent if asymptotic else over_range
            slopes.append({"at": dict(key), "measured": got, "predicted": want,
                           "range_slope": over_range, "asymptotic_exponent": exponent})  # fmt: skip
            if abs(got - want) > worst:
                worst, worst_at = abs(got - want), slopes[-1]
    details = {"exponent": rule.exponent, "worst": worst_at, "slopes": slopes}
    if derived(rule).formula:
        details["asymptotic_formula"] = derived(rule).formula
    return Verdict(
        "scaling", worst <= rule.tol, worst, rule.tol, "|slope-pred slope|", details=details
    )


def _no_slope(
    measured: np.ndarray, predicted: np.ndarray, asymptotic: bool, exponent: float | None
) -> str:
    """Why a group has no slope to compare, or ''."""
    if (measured <= 0).any() or (not asymptotic and (predicted <= 0).any()):
        return "non-positive values; a log-log slope is undefined"
    if asymptotic and exponent is None:
        return "no asymptotic exponent was derived for this group"
    return ""


def _bound(rule: spec.Bound, points: list[Point], fit: tuple[str, ...]) -> Verdict:
    """Every seed on the right side; with `tight`, the bound also reached somewhere.

    Tightness is the largest ratio of seed-mean measurement to seed-mean bound
    (its inverse for a lower bound). A bound is a true statement however loose;
    `tight` turns "and the constant is sharp" into something the check can fail.
    """
    sign = 1.0 if rule.side == "upper" else -1.0
    worst, worst_point, tightness = -math.inf, None, -math.inf
    for point in points:
        predicted = point.prediction()
        excess = sign * (point.measured - predicted) - point.tolerance("slack")
        if excess.max() > worst:
            worst, worst_point = float(excess.max()), point
        tightness = max(tightness, _tightness(point.measured.mean(axis=0),
                                              predicted.mean(axis=0), sign))  # fmt: skip
    label = "max(measured-bound)" if rule.side == "upper" else "max(bound-measured)"
    details = {"side": rule.side, "at": _at(worst_point), "tightness": tightness}
    if rule.tight is not None and worst <= 0.0:
        return Verdict("bound", tightness >= rule.tight, tightness, rule.tight, "tightness",
                       ">=", details)  # fmt: skip
    return Verdict("bound", worst <= 0.0, worst, 0.0, label, details=details)


def _fit(rule: spec.Fit, points: list[Point], fit: tuple[str, ...]) -> Verdict:
    """Fit the free constants on relative residuals, then hold the worst residual to tol.

    A prediction affine in its constants (decided symbolically by the plan
    layer) is a weighted linear least-squares problem, solved exactly in one
    step; anything else goes to Levenberg-Marquardt from constants = 1.
    """
    means = [p.measured.mean(axis=0) for p in points]

    def residuals(constants: np.ndarray) -> np.ndarray:
        parts = [
            (m - p.prediction(tuple(constants)).mean(axis=0)) / np.maximum(np.abs(m), 1e-300)
            for p, m in zip(points, means, strict=True)
        ]
        return np.concatenate([r.ravel() for r in parts])

    constants, method = np.ones(len(fit)), "none"
    if fit:
        solved = _closed_form(points, means, len(fit), residuals) if derived(rule).affine else None
        if solved is not None:
            constants, method = solved, "closed form"
        else:
            solution = _optimize().least_squares(residuals, constants, method="lm")
            constants, method = solution.x, "least squares"
    worst, worst_point = -math.inf, None
    for point, mean in zip(points, means, strict=True):
        predicted = point.prediction(tuple(constants)).mean(axis=0)
        relative = _ratio(np.abs(mean - predicted), np.abs(predicted))
        if relative.max() > worst:
            worst, worst_point = float(relative.max()), point
    return Verdict(
        "fit", worst <= rule.tol, worst, rule.tol, "max rel. residual",
        details={"constants": dict(zip(fit, map(float, constants), strict=True)),
                 "method": method, "at": _at(worst_point)},
    )  # fmt: skip


def _closed_form(
    points: list[Point],
    means: list[np.ndarray],
    count: int,
    residuals: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray | None:
    """The constants minimising the relative residuals of f = f0 + sum c_i g_i, or None.

    f0 and the g_i are read off the compiled prediction at c = 0 and at the unit
    vectors, so no SymPy is needed here. None when the prediction turns out not
    to be affine after all (a mutant of an affine claim, say): checked at the
    solution and at a generic point off the ones it was read at, so that the
    caller falls back to least squares.
    """
    basis = np.vstack([np.zeros(count), np.eye(count)])
    rows, targets = [], []
    for point, mean in zip(points, means, strict=True):
        weight = (1.0 / np.maximum(np.abs(mean), 1e-300)).ravel()
        values = [point.prediction(tuple(c)).mean(axis=0).ravel() for c in basis]
        rows.append(np.stack([(v - values[0]) * weight for v in values[1:]], axis=1))
        targets.append((mean.ravel() - values[0]) * weight)
    design, target = np.concatenate(rows), np.concatenate(targets)
    with np.errstate(all="ignore"):
        constants = np.linalg.lstsq(design, target, rcond=None)[0]
        for probe in (constants, 0.5 + np.arange(count) / 3.0):
            linear, exact = target - design @ probe, residuals(probe)
            if not np.all(np.isfinite(exact)) or not np.allclose(exact, linear, 1e-6, 1e-6):
                return None
    return constants


def _rate(rule: spec.Rate, points: list[Point], fit: tuple[str, ...]) -> Verdict:
    by_value: dict[float, list[np.ndarray]] = defaultdict(list)
    for point in points:
        by_value[point.values[rule.variable]].append((point.measured - point.prediction()).ravel())
    values = sorted(by_value)
    errors = [float(np.sqrt(np.mean(np.concatenate(by_value[v]) ** 2))) for v in values]
    threshold = -rule.order + rule.tol
    if len(values) < 2 or min(errors) <= 0:
        return Verdict("rate", False, math.inf, threshold, "error slope",
                       details={"reason": "need >= 2 values and non-zero errors"})  # fmt: skip
    slope = _slope(np.log(values), np.log(errors))
    return Verdict(
        "rate", slope <= threshold, slope, threshold, "error slope",
        details={"variable": rule.variable, "order": rule.order, "values": values,
                 "rms_errors": errors, **derived(rule).notes},
    )  # fmt: skip


_RULES: dict[str, Callable[[Any, list[Point], tuple[str, ...]], Verdict]] = {
    "close": _close,
    "interval": _interval,
    "scaling": _scaling,
    "bound": _bound,
    "fit": _fit,
    "rate": _rate,
}


# --------------------------------------------------------------------------- helpers


def _ratio(error: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """error/allowed, with 0/0 = 0 and x/0 = inf: a zero tolerance demands exactness."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(allowed > 0, error / np.where(allowed > 0, allowed, 1.0), np.inf)
    return np.where(error == 0, 0.0, ratio)


def _tightness(measured: np.ndarray, bound: np.ndarray, sign: float) -> float:
    """How close a positive bound comes to the measurement: measured/bound, or its inverse."""
    near, far = (measured, bound) if sign > 0 else (bound, measured)
    usable = (far > 0) & (near >= 0)
    return float((near[usable] / far[usable]).max()) if usable.any() else -math.inf


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(x, y, 1)[0])


def _groups(points: list[Point], variable: str) -> dict[tuple, list[Point]]:
    groups: dict[tuple, list[Point]] = defaultdict(list)
    for point in points:
        groups[group_key(point.values, variable)].append(point)
    return {k: sorted(v, key=lambda p: p.values[variable]) for k, v in groups.items()}


def _at(point: Point | None) -> dict[str, float]:
    return dict(point.values) if point is not None else {}
