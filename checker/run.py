"""One claim end to end: measure over sweep x seeds, check hypotheses, decide, try the variants.

The measurement is jitted once per distinct static params and vmapped over
seeds and sweep points (in equal slices where one call would need more scratch
memory than `_SLICE_BYTES`). Measured arrays are kept by (params, inputs), so a
must-fail variant that changes only the prediction, the agreement or the
sweep re-uses them and costs no measurement. Predictions are compiled from
SymPy through the table in `checker.compile` and evaluated in float64.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
import traceback
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import lazy_loader as lazy
import numpy as np
import pydantic
import sympy as sp

from checker.agree import FALSE_FAILURE, Point, Verdict, decide
from checker.compile import compile_expr, jax_backend, numpy_backend
from checker.measure.registry import Measurement
from checker.paths import default_cache_dir
from checker.plan import Check, Plan, RootOf, Stationary
from checker.results import MASTER_SEEDS, ClaimResult, Outcome, VariantResult

jax = lazy.load("jax")

__all__ = [
    "ClaimResult",
    "ClaimRunner",
    "Evaluation",
    "MeasurementPoint",
    "VariantResult",
    "measurement_points",
    "run_plan",
]

_ROOT_GRID = 4097  # bracket scan; roots closer than (high - low)/4096 may merge


class MeasurementFailure(Exception):
    """The measurement raised, or produced something unusable (NaN, wrong outputs)."""


class UndefinedPrediction(Exception):
    """The formula gives no finite number at a point its claim admits.

    Not an error of the checker or the measurement: the claim as stated is
    false there (or its domain is too broad), so the check disagrees.
    """


def run_plan(
    plan: Plan,
    seed: int = 0,
    measured: Sequence[dict[str, np.ndarray]] | None = None,
    measured_seconds: float = 0.0,
) -> ClaimResult:
    """Run one claim and its must-fail variants; never raises for a faulty measurement.

    `measured`, when given, holds the outputs at every one of `measurement_points(plan)`,
    measured elsewhere (a cluster's shards of a large sweep) in `measured_seconds`, which
    count towards the claim's time: nothing is measured here.
    """
    if seed not in MASTER_SEEDS:
        raise ValueError(f"master seed {seed} is outside 0..2**32-1")
    started = time.perf_counter() - measured_seconds
    runner = ClaimRunner(plan, seed)
    if measured is not None:
        runner.measured.update(zip(map(_key, measurement_points(plan)), measured, strict=True))
    try:
        main = runner.evaluate(plan.check)
        variants = (
            tuple(runner.variant(v) for v in plan.variants) if main.verdict == "agrees" else ()
        )
    except Exception as exc:
        reason = _reason(exc)
        return _result(plan, "error", None, (), started, reason, seed)
    if main.verdict == "error":
        return _result(plan, "error", None, (), started, main.reason, seed)
    if main.verdict == "inconclusive":
        return _result(plan, "inconclusive", main.agreement, (), started, main.reason, seed)
    verdict = "disagrees" if main.verdict == "disagrees" else _overall(variants)
    return _result(plan, verdict, main.agreement, variants, started, main.reason, seed, main.series)


def _too_noisy(noise: float) -> str:
    return (
        f"the seed noise is {noise:.2f}x the tolerance at a false-failure rate of "
        f"{FALSE_FAILURE:g}: the check would fail a true claim by chance too often; "
        "add seeds (noise shrinks like 1/sqrt(seeds)) or justify a wider tolerance"
    )


def _overall(variants: Sequence[VariantResult]) -> Outcome:
    kinds = {v.verdict for v in variants}
    if "error" in kinds:
        return "error"
    if "agrees" in kinds:
        return "toothless"
    if "inconclusive" in kinds:
        return "inconclusive"
    return "verified"


def _result(
    plan: Plan,
    verdict: Outcome,
    agreement: Verdict | None,
    variants: Sequence[VariantResult],
    started: float,
    reason: str,
    seed: int,
    series: tuple[dict[str, Any], ...] = (),
) -> ClaimResult:
    return ClaimResult(
        id=plan.claim.id,
        path=str(plan.claim_file.path),
        verdict=verdict,
        agreement=agreement,
        must_fail=tuple(variants),
        seconds=time.perf_counter() - started,
        reason=reason,
        seed=seed,
        series=series,
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, MeasurementFailure):
        return str(exc)
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


# --------------------------------------------------------------------------- one claim


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """One check's outcome on the measured arrays."""

    verdict: Literal["agrees", "disagrees", "inconclusive", "error"]
    agreement: Verdict | None
    reason: str = ""
    series: tuple[dict[str, Any], ...] = ()


@functools.cache
def enable_compile_cache() -> None:
    """JAX's persistent compilation cache in the user's cache folder.

    By default JAX caches only compilations slower than a second, which on
    CPU is none of ours; with the threshold at 0 a warm process skips XLA's
    compile (keyed by the program and the compiler's flags: safe to share).
    Off with CHECKER_COMPILE_CACHE=0.
    """
    if os.environ.get("CHECKER_COMPILE_CACHE", "1") == "0":
        return
    jax.config.update("jax_compilation_cache_dir", str(default_cache_dir() / "jax"))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


class ClaimRunner:
    """One claim's measurements, kept by (params, inputs).

    Every check that shares them (the claim, its must-fail variants, the
    mutants of `checker mutate`) costs predictions and a rule, no measurement.
    """

    def __init__(self, plan: Plan, seed: int) -> None:
        enable_compile_cache()
        self.plan = plan
        self.measurement = plan.measurement
        self.x64 = plan.claim.x64
        self.keys = _seed_keys(plan.claim.id, seed, plan.claim.measurement.seeds)
        self.measured: dict[tuple, dict[str, np.ndarray]] = {}

    def variant(self, check: Check) -> VariantResult:
        try:
            evaluation = self.evaluate(check)
        except Exception as exc:
            return VariantResult(check.name, "error", None, _reason(exc))
        verdict = {"agrees": "agrees", "disagrees": "disagrees"}.get(evaluation.verdict)
        return VariantResult(check.name, verdict or evaluation.verdict, evaluation.agreement,
                             evaluation.reason)  # fmt: skip

    def values(self, check: Check) -> list[dict[str, Any]]:
        """What each sweep point binds: swept values, params, measured outputs (seeds first)."""
        outputs = self.measure(check)
        return [self._values(check, p, o) for p, o in zip(check.sweep, outputs, strict=True)]

    def evaluate(self, check: Check) -> Evaluation:
        outputs = self.measure(check)
        values = [self._values(check, p, o) for p, o in zip(check.sweep, outputs, strict=True)]
        failed = _failed_observation(check, values)
        if failed:
            return Evaluation("inconclusive", None, failed)
        try:
            points = [
                self._point(check, p, v, o)
                for p, v, o in zip(check.sweep, values, outputs, strict=True)
            ]
        except UndefinedPrediction as exc:
            return Evaluation("disagrees", None, str(exc))
        verdict = decide(check.agreement, points, [str(s) for s in check.fit])
        series = _series(check, points, outputs, verdict)
        noise = verdict.details.get("noise_to_tolerance", 0.0)
        if check.name == "claim" and noise > 1.0 and (verdict.holds or verdict.figure <= noise):
            # a pass, or a miss the noise alone could explain, cannot be trusted either way
            return Evaluation("inconclusive", verdict, _too_noisy(noise), series)
        if not np.isfinite(verdict.figure) and verdict.details.get("reason"):
            return Evaluation("disagrees", verdict, verdict.details["reason"], series)
        return Evaluation("agrees" if verdict.holds else "disagrees", verdict, "", series)

    def pointwise(self, check: Check) -> list[Verdict | None]:
        """The rule's verdict at each sweep point on its own (None where that point failed).

        What a search for counterexamples needs: which single points disagree.
        """
        try:
            outputs = self.measure(check)
        except Exception:
            return [None] * len(check.sweep)
        verdicts: list[Verdict | None] = []
        for point, measured in zip(check.sweep, outputs, strict=True):
            try:
                built = self._point(check, point, self._values(check, point, measured), measured)
                verdicts.append(decide(check.agreement, [built], [str(s) for s in check.fit]))
            except UndefinedPrediction as exc:
                verdicts.append(_undefined(check, str(exc)))
            except Exception:
                verdicts.append(None)
        return verdicts

    # ----------------------------------------------------------------- measuring

    def measure(self, check: Check) -> list[dict[str, np.ndarray]]:
        """Measured outputs at every sweep point, (seeds, ...) each; re-used across checks."""
        points = _points(self.measurement, check)
        self.measure_points(points)
        return [self.measured[_key(point)] for point in points]

    def measure_points(self, points: Sequence[MeasurementPoint]) -> list[dict[str, np.ndarray]]:
        """Outputs at each (params, inputs), measuring those not kept yet: one batch per
        distinct params (static, so one compile each)."""
        wanted = {_key(point): point for point in points if _key(point) not in self.measured}
        by_params: dict[pydantic.BaseModel, list[tuple]] = {}
        for key, (params, _) in wanted.items():
            by_params.setdefault(params, []).append(key)
        for params, keys in by_params.items():
            inputs = [wanted[k][1] for k in keys]
            for key, outputs in zip(keys, self._run(params, inputs), strict=True):
                self.measured[key] = outputs
        return [self.measured[_key(point)] for point in points]

    def _run(self, params: pydantic.BaseModel, inputs: list[dict[str, float]]) -> list[dict]:
        m = self.measurement
        # float32 products in float32 on every backend: GPUs otherwise round their inputs
        # to TF32 (10-bit mantissa), and claims that verify on a CPU fail there
        with jax.enable_x64(self.x64), jax.default_matmul_precision("highest"):
            batched = _batched(m, params, self.x64)
            dtype = np.float64 if self.x64 else np.float32
            stacked = {k: np.asarray([i[k] for i in inputs], dtype) for k in m.inputs}
            try:
                raw = batched(self.keys, stacked)
                raw = {k: np.asarray(v, np.float64) for k, v in dict(raw).items()}
            except Exception as exc:
                raise MeasurementFailure(f"measurement {m.name} raised {_reason(exc)}") from exc
        _check_outputs(m, raw, params, inputs)
        return [{k: v[i] for k, v in raw.items()} for i in range(len(inputs))]

    # ----------------------------------------------------------------- predicting

    def _point(
        self, check: Check, point: Mapping[str, float], values: dict, outputs: dict
    ) -> Point:
        target = self.plan.claim.prediction.target
        measured = values[target]  # aligned with the other outputs the prediction may use
        if isinstance(check.implicit, Stationary):
            measured = _kkt_residual(check.implicit, target, values, outputs)
            predict = _zero
        elif isinstance(check.implicit, RootOf):
            predict = _root_at(check.prediction, check.implicit, values, point)
        else:
            predict = _prediction_at(check, values)
        predicted = np.asarray(predict(()) if not check.fit else predict([1.0] * len(check.fit)))
        if not np.all(np.isfinite(predicted)):
            message = f"check {check.name!r}: the prediction is not finite at {_show(point)}"
            if check.fit:  # evaluated at placeholder constants, not the fitted ones
                raise MeasurementFailure(message)
            raise UndefinedPrediction(f"{message}, where the claim says it holds")
        tolerances = {k: _evaluate(e, values) for k, e in check.tolerances.items()}
        return Point(dict(point), measured, predict, tolerances)

    def _values(self, check: Check, point: Mapping[str, float], outputs: dict) -> dict[str, Any]:
        m = self.measurement
        params = check.params_at(m, point).model_dump()
        numbers = {k: float(v) for k, v in params.items() if _is_number(v)}
        return {**numbers, **check.inputs_at(m, point), **point, **_aligned(outputs)}


def _undefined(check: Check, reason: str) -> Verdict:
    return Verdict(check.agreement.rule, False, float("nan"), float("nan"),
                   "prediction", details={"reason": reason})  # fmt: skip


_SERIES_LENGTH = 200  # a curve keeps at most this many evenly spaced entries


def _series(
    check: Check, points: Sequence[Point], outputs: Sequence[dict], verdict: Verdict
) -> tuple[dict[str, Any], ...]:
    """What a plot needs, per sweep point: seed mean, 95 % half-width, prediction, coordinate.

    Small and plain (lists of floats), so that it travels in report.json and
    the result cache. A curve is plotted against the measured output that the
    prediction uses as its coordinate (e.g. the time t of a trajectory).
    """
    constants = tuple(verdict.details.get("constants", {}).values())
    series = []
    for point, measured in zip(points, outputs, strict=True):
        seeds = point.measured.shape[0]
        t = float(_scipy_stats().t.ppf(0.975, seeds - 1)) if seeds > 1 else 0.0
        spread = point.measured.std(axis=0, ddof=1) if seeds > 1 else np.zeros(())
        entry = {
            "at": dict(point.values),
            "mean": point.measured.mean(axis=0),
            "half_width": t * spread / np.sqrt(seeds),
            "predicted": point.prediction(constants).mean(axis=0),
            "x": _coordinate(check, point, measured),
        }
        series.append({k: _thin(v) for k, v in entry.items()})
    return tuple(series)


def _coordinate(check: Check, point: Point, outputs: Mapping[str, np.ndarray]) -> Any:
    shape = point.measured.shape
    if len(shape) < 2 or check.implicit is not None:
        return None
    for symbol in sorted(check.prediction.free_symbols, key=str):
        value = outputs.get(str(symbol))
        if value is not None and value.shape == shape:
            return value.mean(axis=0)
    return None


def _thin(value: Any) -> Any:
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return float(value)
    if not isinstance(value, np.ndarray):
        return value
    flat = np.asarray(value, np.float64).ravel()
    if flat.size > _SERIES_LENGTH:
        flat = flat[np.linspace(0, flat.size - 1, _SERIES_LENGTH).round().astype(int)]
    return [float(v) for v in flat]


def _prediction_at(check: Check, values: Mapping[str, Any]) -> Callable[[Sequence[float]], Any]:
    """prediction(constants) at one point, compiled once per check and evaluated in float64."""
    symbols = sorted(check.prediction.free_symbols - set(check.fit), key=str)
    function = _compiled(check.prediction, tuple(symbols), check.fit)
    arguments = [np.asarray(values[str(s)], np.float64) for s in symbols]

    def predict(constants: Sequence[float]) -> np.ndarray:
        with jax.enable_x64(True):
            return np.asarray(function(*arguments, *map(np.float64, constants)))

    return predict


def _zero(constants: Sequence[float]) -> np.ndarray:
    """A stationary check's prediction: no KKT residual."""
    return np.zeros(())


def _root_at(
    expr: sp.Basic, form: RootOf, values: Mapping[str, Any], point: Mapping[str, float]
) -> Callable[[Sequence[float]], np.ndarray]:
    """The root, found once per point: bracketed on a grid, then refined by Brent's method."""
    symbols = sorted(expr.free_symbols - {form.unknown}, key=str)
    function = _compiled_numpy(expr, (form.unknown, *symbols))
    arguments = [np.asarray(values[str(s)], np.float64) for s in symbols]
    low, high = _evaluate(form.low, values), _evaluate(form.high, values)
    shape = np.broadcast_shapes(low.shape, high.shape, *(a.shape for a in arguments))
    roots = np.empty(shape)
    for index in np.ndindex(shape):
        at = [float(np.broadcast_to(a, shape)[index]) for a in arguments]
        bracket = (
            float(np.broadcast_to(low, shape)[index]),
            float(np.broadcast_to(high, shape)[index]),
        )
        roots[index] = _root(lambda u, at=at: function(u, *at), bracket, form.pick, point)
    return lambda constants: roots


def _root(
    f: Callable[[Any], Any], bracket: tuple[float, float], pick: str, point: Mapping[str, float]
) -> float:
    low, high = bracket
    grid = np.linspace(low, high, _ROOT_GRID)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(np.asarray(f(grid), np.float64), grid.shape)
    exact = np.flatnonzero(values == 0)
    crossing = np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0)
    found = sorted([(grid[i], None) for i in exact] + [(grid[i], i) for i in crossing])
    if not found:
        raise MeasurementFailure(f"no root in [{low:g}, {high:g}] at {_show(point)}")
    if pick == "only" and len(found) > 1:
        raise MeasurementFailure(
            f"{len(found)} roots in [{low:g}, {high:g}] at {_show(point)}; "
            "narrow the bracket or say pick: smallest or largest"
        )
    where, i = found[-1] if pick == "largest" else found[0]
    if i is None:
        return float(where)
    return float(_scipy_optimize().brentq(lambda u: float(f(u)), grid[i], grid[i + 1], xtol=1e-15))


def _kkt_residual(
    form: Stationary, target: str, values: Mapping[str, Any], outputs: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Per seed: the part of the objective's gradient outside the constraints' row space.

    At a minimiser of the objective subject to A x = const, the gradient is
    A^T nu for some multipliers nu; the relative norm of what least squares
    leaves over is 0 there. Without constraints it is the gradient's norm.
    """
    point = outputs[target]
    seeds = point.shape[0]
    lower = {k: v for k, v in outputs.items() if v.ndim <= point.ndim}
    values = {**values, **_aligned(lower), target: point}
    symbols = sorted(form.gradient.free_symbols, key=str)
    function = _compiled_numpy(form.gradient, tuple(symbols))
    with np.errstate(all="ignore"):
        gradient = function(*(np.asarray(values[str(s)], np.float64) for s in symbols))
    gradient = np.broadcast_to(np.asarray(gradient, np.float64), point.shape).reshape(seeds, -1)
    if not np.all(np.isfinite(gradient)):  # the objective is not smooth where the claim holds
        raise UndefinedPrediction(
            f"the gradient of the objective in {target} is not finite at the measured point"
        )
    norms = np.linalg.norm(gradient, axis=1)
    if form.subject_to is None:
        return norms
    constraints = outputs[form.subject_to].reshape(seeds, -1, gradient.shape[1])
    residual = np.empty(seeds)
    for s in range(seeds):
        multipliers = np.linalg.lstsq(constraints[s].T, gradient[s], rcond=None)[0]
        left = gradient[s] - constraints[s].T @ multipliers
        residual[s] = np.linalg.norm(left) / norms[s] if norms[s] > 0 else 0.0
    return residual


@functools.cache
def _compiled_numpy(expr: sp.Basic, symbols: tuple[sp.Symbol, ...]) -> Callable:
    return compile_expr(expr, list(symbols), numpy_backend())


@functools.cache
def _compiled(expr: sp.Basic, symbols: tuple[sp.Symbol, ...], fit: tuple[sp.Symbol, ...]):
    return jax.jit(compile_expr(expr, [*symbols, *fit], jax_backend()))


MeasurementPoint = tuple[pydantic.BaseModel, dict[str, float]]  # (static params, inputs)


def measurement_points(plan: Plan) -> list[MeasurementPoint]:
    """Every distinct (params, inputs) the claim and its variants measure, in first-use
    order: what a cluster splits a large sweep into."""
    found: dict[tuple, MeasurementPoint] = {}
    for check in (plan.check, *plan.variants):
        for point in _points(plan.measurement, check):
            found.setdefault(_key(point), point)
    return list(found.values())


def _points(m: Measurement, check: Check) -> list[MeasurementPoint]:
    return [(check.params_at(m, point), check.inputs_at(m, point)) for point in check.sweep]


def _key(point: MeasurementPoint) -> tuple:
    params, inputs = point
    return (params, tuple(sorted(inputs.items())))


@functools.cache
def _batched(m: Measurement, params: pydantic.BaseModel, x64: bool) -> Callable:
    """keys (S,), inputs {name: (P,)} -> outputs (P, S, ...): one compile per static params.

    One vmap over the P*S (point, seed) pairs, keys tiled and inputs repeated,
    or, for a measurement registered with batching="loop", one call per pair.
    The nested form jit(vmap(vmap(f, (0, None)), (None, 0))), with the keys
    unbatched on the outer axis, is miscompiled by XLA:CPU in JAX 0.10.2 for
    some reductions over large arrays (a sweep point silently received another
    point's values; tests/test_batching.py keeps the reproduction).
    """

    def one(key: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        return dict(m.fn(key, params, **inputs))

    single = jax.jit(one)
    flat = _Sliced(jax.jit(jax.vmap(one)))

    def batched(keys: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        seeds = keys.shape[0]
        points = next(iter(inputs.values())).shape[0] if inputs else 1
        tiled = jax.numpy.tile(keys, (points, *(1,) * (keys.ndim - 1)))
        repeated = {k: jax.numpy.repeat(v, seeds) for k, v in inputs.items()}
        if m.batching == "loop":
            calls = [single(tiled[i], {k: v[i] for k, v in repeated.items()})
                     for i in range(points * seeds)]  # fmt: skip
            outputs = {k: jax.numpy.stack([c[k] for c in calls]) for k in calls[0]}
        else:
            outputs = flat(tiled, repeated)
        return {k: v.reshape((points, seeds, *v.shape[1:])) for k, v in outputs.items()}

    return batched


# Scratch memory one vmapped call may use, by platform; a batch whose compiled
# temporaries exceed it runs in equal slices. On the CPU, arora2019's 2560 pairs
# in one call took 4.7 GB and 42 s, most of it the kernel faulting in fresh
# pages; in slices of 512 pairs, 17 s. Smaller slices are not always better: a
# measurement that trains (rahaman2019, 476 MB for 56 pairs) took 3x longer in
# slices of 7, as each slice repeats the training loop's steps; every shipped
# claim but arora2019 stays under 1 GiB. A fixed size, not the machine's free
# memory, so that every CPU slices alike and computes the same numbers.
_SLICE_BYTES = {"cpu": 1 << 30}
_SLICE_BYTES_ELSEWHERE = 8 << 30  # accelerators: wide batches are what they are for


class _Sliced:
    """A jitted vmap over pairs, called in as few equal slices as keep each call's
    scratch memory under its platform's `_SLICE_BYTES`: compiled ahead for each batch
    size, so the compiler's own memory analysis decides before anything runs."""

    def __init__(self, flat: Any) -> None:
        self.flat = flat
        self.compiled: dict[int, tuple[int, Any]] = {}  # pairs -> (slice size, executable)

    def __call__(self, keys: Any, inputs: dict[str, Any]) -> dict[str, Any]:
        if _traced(keys, inputs):  # inside a transformation (falsify differentiates it)
            return self.flat(keys, inputs)
        pairs = keys.shape[0]
        if pairs not in self.compiled:
            self.compiled[pairs] = self._plan(keys, inputs)
        size, compiled = self.compiled[pairs]
        if size == pairs:
            return compiled(keys, inputs)
        slices = -(-pairs // size)
        index = jax.numpy.arange(slices * size) % pairs  # the last slice padded with repeats
        parts = []
        for i in range(slices):
            at = index[i * size : (i + 1) * size]
            parts.append(compiled(keys[at], {k: v[at] for k, v in inputs.items()}))
        return {k: jax.numpy.concatenate([p[k] for p in parts])[:pairs] for k in parts[0]}

    def _plan(self, keys: Any, inputs: dict[str, Any]) -> tuple[int, Any]:
        pairs = keys.shape[0]
        whole = self.flat.lower(keys, inputs).compile()
        scratch = _scratch_bytes(whole)
        budget = _SLICE_BYTES.get(jax.default_backend(), _SLICE_BYTES_ELSEWHERE)
        if scratch is None or scratch <= budget or pairs == 1:
            return pairs, whole
        slices = -(-scratch // budget)
        size = -(-pairs // slices)
        at = jax.numpy.arange(size)
        sliced = self.flat.lower(keys[at], {k: v[at] for k, v in inputs.items()}).compile()
        return size, sliced


def _traced(*values: Any) -> bool:
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(values))


def _scratch_bytes(compiled: Any) -> int | None:
    """The temporaries XLA allocates for one call, where the backend says."""
    try:
        return int(compiled.memory_analysis().temp_size_in_bytes)
    except Exception:  # a backend without memory analysis: one call, as before
        return None


def _seed_keys(claim_id: str, seed: int, count: int) -> Any:
    """Per-seed keys: the master seed folded with a stable hash of the claim id."""
    with jax.enable_x64(False):
        master = jax.random.fold_in(jax.random.PRNGKey(seed), zlib.crc32(claim_id.encode()))
        return jax.random.split(master, count)


def _check_outputs(m: Measurement, raw: dict, params: Any, inputs: list[dict]) -> None:
    missing = [k for k in m.outputs if k not in raw]
    if missing:
        raise MeasurementFailure(f"measurement {m.name} did not return {', '.join(missing)}")
    for name, value in raw.items():
        bad = ~np.isfinite(value)
        if bad.any():
            i = int(np.argwhere(bad.reshape(len(inputs), -1).any(axis=1))[0][0])
            raise MeasurementFailure(
                f"measurement {m.name} returned non-finite {name!r} at {_show(inputs[i])}"
            )


def _aligned(outputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Outputs with trailing unit axes, so that per-seed shapes align from the left.

    A per-seed scalar (seeds,) then broadcasts against a per-seed curve (seeds, T):
    NumPy would align them from the right, pairing seeds with time.
    """
    ndim = max(v.ndim for v in outputs.values())
    return {k: v.reshape(v.shape + (1,) * (ndim - v.ndim)) for k, v in outputs.items()}


def _failed_observation(check: Check, values: list[dict]) -> str:
    for name, condition in check.observes:
        for point, bound in zip(check.sweep, values, strict=True):
            if not np.all(_evaluate(condition, bound)):
                return f"hypothesis {name!r} ({condition}) did not hold at {_show(point)}"
    return ""


def _evaluate(expr: sp.Basic, values: Mapping[str, Any]) -> np.ndarray:
    symbols = tuple(sorted(expr.free_symbols, key=str))
    function = _compiled_numpy(expr, symbols)
    with np.errstate(all="ignore"):
        return np.asarray(function(*(np.asarray(values[str(s)], np.float64) for s in symbols)))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _show(point: Mapping[str, float]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in point.items()) or "the only point"


# SciPy is imported where first used: a fully cached run never needs it (about 1 s).
def _scipy_stats() -> Any:
    import scipy.stats

    return scipy.stats


def _scipy_optimize() -> Any:
    import scipy.optimize

    return scipy.optimize
