"""`checker falsify`: look for a point, beyond the claim's own sweep, where it disagrees.

A claim is verified on the grid its author chose; the theorem speaks of every
point its hypotheses allow. This searches that larger region for a
counterexample, in the spirit of QuickCheck and Hypothesis: random points of
the swept inputs drawn from a region around the sweep that respects each
symbol's domain and every `require` hypothesis (except one dropped with
`--drop`, to learn whether it bears load), checked with the claim's own rule
at each point, then shrunk towards the sweep: the simplest counterexample is
the one nearest the points the author already trusts. Only pointwise rules
(close, interval, bound) can be falsified one point at a time.

Where the swept inputs are continuous and the measurement is differentiable,
random draws only seed the search: from the most promising of them (the
largest disagreement margin, the rule's figure minus its limit) a few steps of
gradient ascent on that margin, with forward-mode JAX derivatives through the
measurement (over the claim's own seed keys) and the compiled prediction,
climb towards a disagreement a random draw would rarely land on. The gradient
only proposes: a point it finds is confirmed by the claim's own rule, as a
random one is. Where there is nothing to differentiate (integer inputs, fitted
constants, implicit predictions, a measurement whose derivative is zero or not
finite, or one JAX cannot differentiate) the search stays random and says why.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

import lazy_loader as lazy
import numpy as np
import scipy.stats

from checker.agree import Verdict
from checker.compile import compile_expr, jax_backend, numpy_backend
from checker.expr import parse_expr, symbols_for
from checker.plan import DOMAINS, Check, Plan
from checker.run import ClaimRunner, _aligned, _batched, _compiled, _is_number

jax = lazy.load("jax")

__all__ = ["STRATEGIES", "Counterexample", "FalsifyResult", "falsify"]

POINTWISE = ("close", "interval", "bound")
STRATEGIES = ("auto", "random")  # auto: gradient ascent where it applies, else random
_BATCH = 8
_SHRINK_STEPS = 10
_STARTS = 4  # ascents climbed side by side, from the most promising random points
_ASCENT_STEPS = 16  # per round, before random search takes another turn
_FIRST_STEP = 0.25  # an ascent's first step, as a fraction of the region's width
_GROW, _CUT = 1.25, 0.5  # step size after a step that raised the margin, or did not
_PROJECT_STEPS = 8  # bisections back into the hypotheses after a step left them
_COMPILE_MARGIN = 3  # an ascent starts only if that many first batches' time is left
_DRAWS_PER_POINT = 100  # rejection-sampling cap, for regions mostly outside the hypotheses


@dataclasses.dataclass(frozen=True)
class Counterexample:
    point: dict[str, float]
    figure: str
    found_by: Literal["random", "gradient"] = "random"


@dataclasses.dataclass(frozen=True)
class FalsifyResult:
    """What was searched, how, and the counterexample if one was found.

    `tried` counts points checked with the claim's rule; `evaluations` adds the
    points at which an ascent measured the margin and its derivative.
    `strategy` is "gradient" when gradient ascent took part in the search;
    `fallback` says why it did not, where it did not.
    """

    id: str
    found: Counterexample | None
    tried: int
    region: dict[str, tuple[float, float]]
    reason: str = ""
    strategy: Literal["gradient", "random"] = "random"
    gradient_steps: int = 0
    evaluations: int = 0
    fallback: str = ""
    seconds: float = 0.0


def falsify(
    plan: Plan,
    budget: float = 60.0,
    seed: int = 0,
    drop: str | None = None,
    *,
    strategy: str = "auto",
    max_evaluations: int | None = None,
) -> FalsifyResult:
    """Search the allowed region for a disagreeing point within `budget` seconds.

    The budget is wall-clock and includes compiling; `max_evaluations` caps the
    measured points as well (to compare strategies on equal terms). The search
    is a function of `seed`, except where the budget cuts it short.
    """
    started = time.perf_counter()
    check, claim = plan.check, plan.claim
    if check.agreement.rule not in POINTWISE:
        return FalsifyResult(claim.id, None, 0, {}, f"rule {check.agreement.rule!r} is not "
                             f"pointwise; falsify handles {', '.join(POINTWISE)}")  # fmt: skip
    inputs = [k for k in claim.sweep if k in plan.measurement.inputs]
    if not inputs:
        return FalsifyResult(claim.id, None, 0, {}, "no swept traced input to search over")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy={strategy!r}; expected one of {', '.join(STRATEGIES)}")
    region = {k: _region(claim.sweep[k], _domain(plan, k)) for k in inputs}
    search = _Search(plan, region, _Allowed(plan, drop), seed, started + budget, max_evaluations)
    ascent, fallback = _Ascent.build(search) if strategy == "auto" else (None, "asked for random")
    while search.can_go_on(1):
        hit = search.judge(search.draw())
        if hit is not None:
            return search.result(started, _Found(*hit, "random"), fallback)
        if ascent is not None:
            hit = ascent.climb()
            if ascent.unusable:
                ascent, fallback = None, ascent.unusable
            elif hit is not None:
                return search.result(started, _Found(*hit, "gradient"), fallback)
    return search.result(started, None, fallback)


@dataclasses.dataclass(frozen=True)
class _Found:
    point: dict[str, float]
    verdict: Verdict
    by: Literal["random", "gradient"]


class _Search:
    """The random side of the search, and the bookkeeping both sides share."""

    def __init__(
        self,
        plan: Plan,
        region: dict[str, tuple[float, float]],
        allowed: _Allowed,
        seed: int,
        deadline: float,
        cap: int | None,
    ) -> None:
        self.plan, self.check, self.region, self.allowed = plan, plan.check, region, allowed
        self.runner = ClaimRunner(plan, seed)
        self.rng = np.random.default_rng(seed)
        self.deadline, self.cap = deadline, cap
        self.integers = {n for n in region if _domain(plan, n).endswith("integer")}
        self.first_batch = 0.0  # seconds, compiling the measurement included
        self.tried = self.evaluations = self.steps = 0
        # (margin, point) of the points checked and not yet climbed from
        self.pool: list[tuple[float, dict]] = []
        self.exhausted = False

    def seconds_left(self) -> float:
        return self.deadline - time.perf_counter()

    def can_go_on(self, cost: int) -> bool:
        within_cap = self.cap is None or self.evaluations + cost <= self.cap
        return within_cap and not self.exhausted and time.perf_counter() < self.deadline

    def draw(self) -> list[dict]:
        """Up to _BATCH allowed points (a fixed batch size compiles the measurement once)."""
        size = _BATCH if self.cap is None else min(_BATCH, self.cap - self.evaluations)
        points: list[dict] = []
        for _ in range(size * _DRAWS_PER_POINT):
            if len(points) == size:
                break
            point = _draw(self.rng, self.region, self.check, self.integers)
            if self.allowed(point):
                points.append(point)
        self.exhausted = not points
        return points

    def judge(self, points: list[dict]) -> tuple[dict, Verdict] | None:
        """The claim's own rule at each point: the first disagreement, shrunk, or None."""
        started = time.perf_counter()
        verdicts = _verdicts(self.runner, self.check, points)
        self.first_batch = self.first_batch or time.perf_counter() - started
        self.tried += len(points)
        self.evaluations += len(points)
        for point, verdict in zip(points, verdicts, strict=True):
            if verdict is None:
                continue
            if not verdict.holds:
                return _shrink(self.runner, self.check, point, self.allowed)
            self.pool.append((_margin(verdict), point))
        return None

    def take_starts(self, count: int) -> list[dict]:
        """The most promising points checked so far, each climbed from once."""
        self.pool.sort(key=lambda entry: entry[0], reverse=True)
        starts, self.pool = [p for _, p in self.pool[:count]], self.pool[count:]
        return starts

    def result(self, started: float, found: _Found | None, fallback: str) -> FalsifyResult:
        example = None
        if found is not None:
            example = Counterexample(found.point, found.verdict.describe(), found.by)
        return FalsifyResult(
            self.plan.claim.id, example, self.tried, self.region,
            strategy="gradient" if self.steps else "random", gradient_steps=self.steps,
            evaluations=self.evaluations, fallback="" if self.steps else fallback,
            seconds=time.perf_counter() - started,
        )  # fmt: skip


def _margin(verdict: Verdict) -> float:
    """How far the rule is from failing: > 0 where it fails (the figure past its limit)."""
    gap = verdict.figure - verdict.limit
    return -gap if verdict.relation == ">=" else gap


def _region(values: list[float], domain: str) -> tuple[float, float]:
    """Three times the swept range, around it, clipped to the symbol's domain."""
    low, high = float(min(values)), float(max(values))
    width = max(high - low, abs(low), abs(high), 1.0)
    low, high = low - width, high + width
    if domain in ("positive", "positive_integer"):
        low = max(low, min(values) / 10 if min(values) > 0 else 1e-3)
    if domain in ("nonnegative", "unit_interval"):
        low = max(low, 0.0)
    if domain == "unit_interval":
        high = min(high, 1.0)
    if domain == "negative":
        high = min(high, max(values) / 10)
    return low, high


def _domain(plan: Plan, name: str) -> str:
    symbol = plan.claim.symbols.get(name)
    return symbol.domain if symbol else "real"


def _draw(
    rng: np.random.Generator,
    region: Mapping[str, tuple[float, float]],
    check: Check,
    integers: set[str],
) -> dict:
    base = dict(check.sweep[0])
    for name, (low, high) in region.items():
        value = float(rng.uniform(low, high))
        base[name] = float(round(value)) if name in integers else value
    return base


class _Allowed:
    """Symbol domains and `require` hypotheses (all but the dropped one) at a point."""

    def __init__(self, plan: Plan, drop: str | None) -> None:
        names = symbols_for(plan.claim.symbols)
        self.plan = plan
        self.conditions = []
        for hypothesis in plan.claim.hypotheses:
            if hypothesis.require is None or hypothesis.name == drop:
                continue
            expr = parse_expr(hypothesis.require, names, allow_compare=True)
            symbols = sorted(expr.free_symbols, key=str)
            self.conditions.append((symbols, compile_expr(expr, symbols, numpy_backend())))

    def __call__(self, point: Mapping[str, float]) -> bool:
        values = {**self._params(), **point}
        for name, value in point.items():
            if not DOMAINS[_domain(self.plan, name)](value):
                return False
        for symbols, condition in self.conditions:
            if any(str(s) not in values for s in symbols):
                return False
            with np.errstate(all="ignore"):
                if not bool(np.all(condition(*(np.float64(values[str(s)]) for s in symbols)))):
                    return False
        return True

    def _params(self) -> dict[str, float]:
        merged = {**self.plan.check.params}
        return {k: float(v) for k, v in merged.items() if isinstance(v, int | float)}


def _verdicts(runner: ClaimRunner, check: Check, points: list[dict]) -> list[Verdict | None]:
    if not points:
        return []
    return runner.pointwise(dataclasses.replace(check, name="falsify", sweep=tuple(points)))


def _shrink(
    runner: ClaimRunner, check: Check, point: dict, allowed: _Allowed
) -> tuple[dict, Verdict]:
    """Bisect towards the nearest swept point while the claim still disagrees there."""
    anchor = min(check.sweep, key=lambda p: sum((p[k] - point[k]) ** 2 for k in p if k in point))
    bad, good = dict(point), dict(anchor)
    verdict = _verdicts(runner, check, [bad])[0]
    for _ in range(_SHRINK_STEPS):
        middle = {k: (bad[k] + good[k]) / 2 if k in good else v for k, v in bad.items()}
        if not allowed(middle):
            break
        result = _verdicts(runner, check, [middle])[0]
        if result is not None and not result.holds:
            bad, verdict = middle, result
        else:
            good = middle
    rounded = {k: float(f"{v:.3g}") for k, v in bad.items()}
    if rounded != bad and allowed(rounded):
        result = _verdicts(runner, check, [rounded])[0]
        if result is not None and not result.holds:
            bad, verdict = rounded, result
    return bad, verdict


# --------------------------------------------------------------------------- gradient ascent


class _Ascent:
    """Projected gradient ascent of the disagreement margin over the continuous inputs.

    Coordinates are logarithmic for positive inputs (a scale parameter moves
    by factors) and linear otherwise; each step has a fixed length in units of
    the region's width along the normalised gradient, grows after a step that
    raised the margin and is cut after one that did not (that step is undone).
    A step that leaves a `require` hypothesis is bisected back inside it.
    """

    def __init__(self, search: _Search, continuous: list[str], margin: Callable) -> None:
        self.search = search
        self.names = continuous
        self.logs = np.array([_log_scale(search.plan, n, search.region[n]) for n in continuous])
        low = np.array([search.region[n][0] for n in continuous])
        high = np.array([search.region[n][1] for n in continuous])
        self.low, self.high = self._to_u(low), self._to_u(high)
        self.width = np.maximum(self.high - self.low, 1e-12)
        self.margin = margin
        self.unusable = ""

    @classmethod
    def build(cls, search: _Search) -> tuple[_Ascent | None, str]:
        """The ascent, or None and why the search must stay random."""
        plan, check = search.plan, search.check
        continuous = [n for n in search.region if not _domain(plan, n).endswith("integer")]
        if not continuous:
            return None, "no continuous swept input"
        if check.fit:
            return None, "the prediction has fitted constants"
        if check.implicit is not None:
            return None, "the prediction is implicit (root_of or stationary)"
        return cls(search, continuous, _margin_function(search, continuous)), ""

    def climb(self) -> tuple[dict, Verdict] | None:
        """One round from the best unclimbed points; a confirmed disagreement, or None."""
        search = self.search
        if not search.pool or not search.can_go_on(_STARTS):
            return None
        if search.steps == 0 and search.seconds_left() < _COMPILE_MARGIN * search.first_batch:
            self.unusable = "too little budget left to compile the gradients"
            return None
        bases = search.take_starts(_STARTS)
        bases += [bases[-1]] * (_STARTS - len(bases))  # a fixed shape compiles once
        u = np.stack([self._to_u(np.array([p[n] for n in self.names])) for p in bases])
        candidate, best = u.copy(), np.full(_STARTS, -np.inf)
        gradient, step = np.zeros_like(u), np.full(_STARTS, _FIRST_STEP)
        for _ in range(_ASCENT_STEPS):
            if not search.can_go_on(_STARTS):
                return None
            margins, slopes = self._evaluate(candidate, bases)
            search.evaluations += _STARTS
            if self.unusable:
                return None
            search.steps += 1
            raised = margins >= best  # NaN compares False: treated as no progress
            u[raised], best[raised] = candidate[raised], margins[raised]
            gradient[raised] = slopes[raised]
            step = np.where(raised, step * _GROW, step * _CUT)
            if not gradient.any():
                return None  # flat everywhere the round stands: the next draws start afresh
            hot = [i for i in np.argsort(-np.nan_to_num(margins, nan=np.inf))
                   if not margins[i] <= 0]  # fmt: skip
            for i in hot:  # the gradient proposes, the claim's rule decides
                hit = search.judge([self._point(bases[i], candidate[i])])
                if hit is not None:
                    return hit
            candidate = self._propose(u, gradient, step, bases)
        return None

    def _evaluate(self, u: np.ndarray, bases: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        """Margins and their gradients at each start.

        The first time, also whether the measurement has a derivative to follow.
        """
        fixed = np.array([[b[k] for k in self._fixed_names()] for b in bases], np.float64)
        try:
            margins, slopes, level_slopes = self.margin(u, fixed)
        except Exception as exc:  # e.g. a pure callback, a custom_vjp without a JVP
            self.unusable = f"JAX could not differentiate the measurement ({type(exc).__name__})"
            return np.full(len(bases), np.nan), np.zeros_like(u)
        if self.search.steps == 0:
            self.unusable = _not_differentiable(level_slopes, self.names)
        return margins, np.nan_to_num(slopes, nan=0.0, posinf=0.0, neginf=0.0)

    def _fixed_names(self) -> list[str]:
        return [n for n in self.search.region if n not in self.names]

    def _propose(
        self, u: np.ndarray, gradient: np.ndarray, step: np.ndarray, bases: list[dict]
    ) -> np.ndarray:
        scaled = gradient * self.width  # the gradient in units of the region's width
        norm = np.linalg.norm(scaled, axis=1, keepdims=True)
        direction = np.divide(scaled, norm, out=np.zeros_like(scaled), where=norm > 0)
        target = np.clip(u + step[:, None] * direction * self.width, self.low, self.high)
        return np.stack([self._project(b, a, t) for b, a, t in zip(bases, u, target, strict=True)])

    def _project(self, base: dict, inside: np.ndarray, target: np.ndarray) -> np.ndarray:
        """The furthest point along the step that the hypotheses allow."""
        if self.search.allowed(self._point(base, target)):
            return target
        for _ in range(_PROJECT_STEPS):
            middle = (inside + target) / 2
            if self.search.allowed(self._point(base, middle)):
                inside = middle
            else:
                target = middle
        return inside

    def _point(self, base: dict, u: np.ndarray) -> dict[str, float]:
        values = self._from_u(u)
        return {**base, **{n: float(v) for n, v in zip(self.names, values, strict=True)}}

    def _to_u(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.logs, np.log(np.where(self.logs, x, 1.0)), x)

    def _from_u(self, u: np.ndarray) -> np.ndarray:
        return np.where(self.logs, np.exp(np.where(self.logs, u, 0.0)), u)


def _log_scale(plan: Plan, name: str, region: tuple[float, float]) -> bool:
    return _domain(plan, name) == "positive" and region[0] > 0


def _not_differentiable(level_slopes: np.ndarray, names: list[str]) -> str:
    """Why the measurement's derivatives at the starts cannot steer a search ("" if they can).

    Judged on the measured target's seed mean, not on the margin: a margin
    flat where the claim is exactly right is no reason to stop climbing elsewhere.
    """
    moving = np.isfinite(level_slopes).all(axis=1) & (np.abs(level_slopes) > 0).any(axis=1)
    if not moving.any():
        return (f"the measurement's derivative in {', '.join(names)} is zero or not finite "
                "at every start: not differentiable there")  # fmt: skip
    return ""


def _margin_function(search: _Search, continuous: list[str]) -> Callable:
    """(u (K, n), fixed (K, m)) -> margins (K,), d margin/du (K, n), d level/du (K, n).

    The margin is the claim's rule evaluated in JAX at one point (`_FIGURES`),
    from the per-seed outputs of the registered measurement on the claim's own
    seed keys (the runner's batched function) and the prediction compiled as
    the runner compiles it; the level is the seed mean of the target, whose
    derivative tells a measurement that ignores its input from one that does not.
    Forward mode: few inputs, and it differentiates through any loop.
    """
    plan, runner, check = search.plan, search.runner, search.check
    m, base = plan.measurement, dict(check.sweep[0])
    params = check.params_at(m, base)
    measure = _over_seeds(m, params, runner)
    numbers = {k: float(v) for k, v in params.model_dump().items() if _is_number(v)}
    constants = {**numbers, **check.inputs_at(m, base), **base}
    logs = [_log_scale(plan, n, search.region[n]) for n in continuous]
    fixed_names = [n for n in search.region if n not in continuous]
    symbols = sorted(check.prediction.free_symbols, key=str)
    predict = _compiled(check.prediction, tuple(symbols), ())
    tolerances = {k: _jax_expr(e) for k, e in check.tolerances.items()}
    target, figure = plan.claim.prediction.target, _FIGURES[check.agreement.rule]
    dtype = np.float64 if runner.x64 else np.float32

    def one(u: Any, fixed: Any) -> tuple[Any, Any]:
        jnp = jax.numpy
        values: dict[str, Any] = dict(constants)
        for i, (name, log) in enumerate(zip(continuous, logs, strict=True)):
            values[name] = jnp.exp(u[i]) if log else u[i]
        values.update({name: fixed[i] for i, name in enumerate(fixed_names)})
        outputs = measure({k: jnp.asarray(values[k], dtype) for k in m.inputs})
        values.update(_aligned(outputs))
        predicted = predict(*(values[str(s)] for s in symbols))
        limits = {k: f(values) for k, f in tolerances.items()}
        margin = figure(check.agreement, values[target], predicted, limits)
        both = jnp.stack([margin, jnp.mean(outputs[target])])
        return both, both

    derivative = jax.jit(jax.vmap(jax.jacfwd(one, has_aux=True)))

    def evaluate(u: np.ndarray, fixed: np.ndarray) -> tuple[np.ndarray, ...]:
        with jax.enable_x64(runner.x64):
            jacobian, value = derivative(jax.numpy.asarray(u, dtype), jax.numpy.asarray(fixed))
        jacobian, value = np.asarray(jacobian, np.float64), np.asarray(value, np.float64)
        return value[:, 0], jacobian[:, 0, :], jacobian[:, 1, :]

    return evaluate


def _over_seeds(m: Any, params: Any, runner: ClaimRunner) -> Callable[[dict], dict]:
    """inputs {name: scalar} -> outputs {name: (seeds, ...)}, on the runner's seed keys.

    As the runner measures, except that a batching="loop" measurement is mapped
    over the keys with lax.map rather than the runner's Python loop: unrolled
    under differentiation, that loop compiled eight times slower.
    """
    if m.batching == "loop":
        return lambda inputs: jax.lax.map(lambda key: dict(m.fn(key, params, **inputs)),
                                          runner.keys)  # fmt: skip
    batched = _batched(m, params, runner.x64)

    def measure(inputs: dict[str, Any]) -> dict[str, Any]:
        one_point = {k: jax.numpy.reshape(v, (1,)) for k, v in inputs.items()}
        return {k: v[0] for k, v in batched(runner.keys, one_point).items()}

    return measure


def _jax_expr(expr: Any) -> Callable[[Mapping[str, Any]], Any]:
    symbols = sorted(expr.free_symbols, key=str)
    function = compile_expr(expr, symbols, jax_backend())
    return lambda values: function(*(values[str(s)] for s in symbols))


# The pointwise rules of checker.agree, as JAX functions of one point's per-seed
# measurement (seeds, ...): the figure minus its limit, > 0 exactly where the
# rule fails there. Same formulas, so that the ascent climbs what the rule judges.


def _tolerance(limits: Mapping[str, Any], name: str, shape: tuple[int, ...]) -> Any:
    return jax.numpy.broadcast_to(jax.numpy.asarray(limits.get(name, 0.0)), shape)


def _ratio(error: Any, allowed: Any) -> Any:
    """agree._ratio: error/allowed, with 0/0 = 0 and x/0 = inf."""
    jnp = jax.numpy
    safe = jnp.where(allowed > 0, allowed, 1.0)
    return jnp.where(error == 0, 0.0, jnp.where(allowed > 0, error / safe, jnp.inf))


def _close_margin(rule: Any, measured: Any, predicted: Any, limits: Mapping) -> Any:
    jnp = jax.numpy
    predicted = jnp.broadcast_to(predicted, measured.shape)
    error = jnp.abs((measured - predicted).mean(axis=0))
    shape = measured.shape[1:]
    allowed = _tolerance(limits, "atol", shape)
    allowed = allowed + _tolerance(limits, "rtol", shape) * jnp.abs(predicted.mean(axis=0))
    return jnp.max(_ratio(error, allowed)) - 1.0


def _interval_margin(rule: Any, measured: Any, predicted: Any, limits: Mapping) -> Any:
    jnp = jax.numpy
    seeds, shape = measured.shape[0], measured.shape[1:]
    if seeds < 2:
        return jnp.asarray(jnp.inf)
    elements = math.prod(shape)
    t = float(scipy.stats.t.ppf(1.0 - (1.0 - rule.confidence) / elements / 2.0, df=seeds - 1))
    predicted = jnp.broadcast_to(predicted, measured.shape)
    diff = measured - predicted
    allowed = t * diff.std(axis=0, ddof=1) / math.sqrt(seeds) + _tolerance(limits, "atol", shape)
    allowed = allowed + _tolerance(limits, "rtol", shape) * jnp.abs(predicted.mean(axis=0))
    return jnp.max(_ratio(jnp.abs(diff.mean(axis=0)), allowed)) - 1.0


def _bound_margin(rule: Any, measured: Any, predicted: Any, limits: Mapping) -> Any:
    jnp = jax.numpy
    sign = 1.0 if rule.side == "upper" else -1.0
    predicted = jnp.broadcast_to(predicted, measured.shape)
    excess = sign * (measured - predicted) - _tolerance(limits, "slack", measured.shape[1:])
    worst = jnp.max(excess)
    if rule.tight is None:
        return worst
    mean, bound = measured.mean(axis=0), predicted.mean(axis=0)
    near, far = (mean, bound) if sign > 0 else (bound, mean)
    usable = (far > 0) & (near >= 0)
    tightness = jnp.max(jnp.where(usable, near / jnp.where(usable, far, 1.0), -jnp.inf))
    return jnp.maximum(worst, rule.tight - tightness)


_FIGURES: dict[str, Callable[..., Any]] = {
    "close": _close_margin,
    "interval": _interval_margin,
    "bound": _bound_margin,
}
