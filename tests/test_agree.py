"""Agreement rules on synthetic data: each passes the right prediction and fails a wrong one."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from checker import agree, spec
from checker.agree import Point, Verdict

SEEDS = 32


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def point(
    values: dict[str, float],
    measured: np.ndarray,
    predict: Callable[[Sequence[float]], np.ndarray | float],
    **tolerances: float | np.ndarray,
) -> Point:
    return Point(
        values=values,
        measured=np.asarray(measured, float),
        predict=predict,
        tolerances={k: np.asarray(v, float) for k, v in tolerances.items()},
    )


def constant(value: float | np.ndarray) -> Callable[[Sequence[float]], np.ndarray]:
    return lambda constants: np.asarray(value, float)


# --------------------------------------------------------------------------- close

CLOSE = spec.Close(rule="close", atol="0.1", rtol="0")


def test_close_passes_within_atol() -> None:
    noise = rng().normal(0.0, 0.01, (SEEDS,))
    points = [point({"mu": mu}, mu + 0.05 + noise, constant(mu), atol=0.1) for mu in (0.0, 1.0)]
    verdict = agree.decide(CLOSE, points)
    assert verdict.holds
    assert verdict.rule == "close"
    assert verdict.limit == 1.0
    assert 0.3 < verdict.figure < 0.8
    assert set(verdict.details) == {"worst_error", "tolerance_there", "at", "noise_to_tolerance"}


def test_close_fails_outside_atol() -> None:
    points = [point({"mu": 0.0}, np.full(SEEDS, 0.25), constant(0.0), atol=0.1)]
    verdict = agree.decide(CLOSE, points)
    assert not verdict.holds
    assert verdict.figure == pytest.approx(2.5)
    assert verdict.details["worst_error"] == pytest.approx(0.25)
    assert verdict.details["tolerance_there"] == pytest.approx(0.1)


def test_close_uses_the_tolerance_of_each_point() -> None:
    error = 0.05
    loose = point({"n": 1.0}, np.full(SEEDS, 1.0 + error), constant(1.0), atol=0.1)
    tight = point({"n": 2.0}, np.full(SEEDS, 2.0 + error), constant(2.0), atol=0.01)
    assert agree.decide(CLOSE, [loose]).holds
    verdict = agree.decide(CLOSE, [loose, tight])
    assert not verdict.holds
    assert verdict.details["at"] == {"n": 2.0}
    assert verdict.figure == pytest.approx(error / 0.01)


def test_close_per_element_atol_over_a_shaped_target() -> None:
    measured = np.tile([1.05, 2.05, 3.05], (SEEDS, 1))
    prediction = constant(np.array([1.0, 2.0, 3.0]))
    right = point({}, measured, prediction, atol=np.array([0.1, 0.1, 0.1]))
    wrong = point({}, measured, prediction, atol=np.array([0.1, 0.01, 0.1]))
    assert agree.decide(CLOSE, [right]).holds
    assert not agree.decide(CLOSE, [wrong]).holds


def test_close_rtol_scales_with_the_prediction() -> None:
    rule = spec.Close(rule="close", atol="0", rtol="0.01")
    big = point({}, np.full(SEEDS, 1000.0 + 5.0), constant(1000.0), rtol=0.01)
    small = point({}, np.full(SEEDS, 1.0 + 5.0), constant(1.0), rtol=0.01)
    assert agree.decide(rule, [big]).holds
    assert not agree.decide(rule, [small]).holds


def test_close_zero_tolerance_demands_exactness() -> None:
    exact = point({}, np.full(SEEDS, 2.0), constant(2.0))
    off = point({}, np.full(SEEDS, 2.0 + 1e-12), constant(2.0))
    assert agree.decide(CLOSE, [exact]).holds
    verdict = agree.decide(CLOSE, [off])
    assert not verdict.holds
    assert math.isinf(verdict.figure)


# --------------------------------------------------------------------------- interval

INTERVAL = spec.Interval(rule="interval", confidence=0.99)


def _noisy(mean: float, seed: int) -> np.ndarray:
    return rng(seed).normal(mean, 0.1, (SEEDS,))


def test_interval_passes_the_true_mean() -> None:
    points = [point({"mu": mu}, _noisy(mu, i), constant(mu)) for i, mu in enumerate((-1, 0.5, 2))]
    verdict = agree.decide(INTERVAL, points)
    assert verdict.holds, verdict.describe()
    assert verdict.figure < 1.0
    assert {"t_quantile", "largest_half_width", "worst_error", "allowed_there", "at"} <= set(
        verdict.details
    )
    assert verdict.details["t_quantile"] > 2.0


def test_interval_fails_five_standard_errors_off() -> None:
    data = _noisy(0.5, 1)
    standard_error = data.std(ddof=1) / math.sqrt(SEEDS)
    wrong = point({"mu": 0.5}, data, constant(data.mean() + 5 * standard_error))
    verdict = agree.decide(INTERVAL, [wrong])
    assert not verdict.holds
    assert verdict.details["worst_error"] == pytest.approx(5 * standard_error)


def test_interval_atol_widens_the_interval() -> None:
    data = _noisy(0.5, 2)
    off = point({}, data, constant(data.mean() + 0.2), atol=0.25)
    assert agree.decide(INTERVAL, [off]).holds


def test_interval_needs_two_seeds() -> None:
    single = point({}, np.array([0.5]), constant(0.5))
    verdict = agree.decide(INTERVAL, [single])
    assert not verdict.holds
    assert math.isinf(verdict.figure)
    assert "2 seeds" in verdict.label


def test_interval_is_bonferroni_corrected_over_points() -> None:
    one = [point({"i": 0}, _noisy(0.0, 0), constant(0.0))]
    many = [point({"i": i}, _noisy(0.0, i), constant(0.0)) for i in range(50)]
    t_one = agree.decide(INTERVAL, one).details["t_quantile"]
    t_many = agree.decide(INTERVAL, many).details["t_quantile"]
    assert t_many > t_one


# --------------------------------------------------------------------------- scaling

SCALING = spec.Scaling(rule="scaling", variable="n", tol=0.05)
NS = (16.0, 64.0, 256.0, 1024.0, 4096.0)


def _power_law_points(exponent: float, predicted: float) -> list[Point]:
    generator = rng(3)
    return [
        point(
            {"n": n},
            3.0 * n**exponent * (1 + generator.normal(0, 0.01, (SEEDS,))),
            constant(n**predicted),
        )
        for n in NS
    ]


def test_scaling_passes_the_right_exponent_whatever_the_constant() -> None:
    verdict = agree.decide(SCALING, _power_law_points(-0.5, -0.5))
    assert verdict.holds, verdict.describe()
    assert verdict.details["worst"]["predicted"] == pytest.approx(-0.5)
    assert verdict.details["worst"]["measured"] == pytest.approx(-0.5, abs=0.01)


def test_scaling_fails_the_wrong_exponent() -> None:
    verdict = agree.decide(SCALING, _power_law_points(-0.5, -1.0))
    assert not verdict.holds
    assert verdict.figure == pytest.approx(0.5, abs=0.01)


def test_scaling_compares_with_the_slope_of_the_prediction_over_the_sweep() -> None:
    # Saxe et al.: time to learn a mode, tau/(2 s) log(s/u0 - 1). Its exponent in s
    # tends to -1, but over s in [0.5, 4] at u0 = 1e-3 the local slope is about -0.86.
    tau, u0 = 200.0, 1e-3
    strengths = (0.5, 1.0, 2.0, 4.0)

    def learning_time(s: float) -> float:
        return tau / (2 * s) * math.log(s / u0 - 1)

    generator = rng(4)
    measured = {s: learning_time(s) * (1 + generator.normal(0, 0.002, (SEEDS,))) for s in strengths}
    exact = [point({"s": s}, measured[s], constant(learning_time(s))) for s in strengths]
    asymptotic = [point({"s": s}, measured[s], constant(tau / s)) for s in strengths]
    rule = spec.Scaling(rule="scaling", variable="s", tol=0.05)

    verdict = agree.decide(rule, exact)
    assert verdict.holds, verdict.describe()
    assert verdict.details["worst"]["predicted"] == pytest.approx(-0.86, abs=0.02)
    assert not agree.decide(rule, asymptotic).holds


def test_scaling_fits_each_group_of_other_values_separately() -> None:
    points = [
        point({"n": n, "d": d}, np.full(SEEDS, d * n**-0.5), constant(n**-0.5))
        for d in (1.0, 10.0)
        for n in NS
    ]
    verdict = agree.decide(SCALING, points)
    assert verdict.holds
    assert {tuple(s["at"].items()) for s in verdict.details["slopes"]} == {
        (("d", 1.0),),
        (("d", 10.0),),
    }


def test_scaling_refuses_non_positive_values() -> None:
    points = [point({"n": n}, np.full(SEEDS, -(n**-0.5)), constant(n**-0.5)) for n in NS]
    verdict = agree.decide(SCALING, points)
    assert not verdict.holds
    assert "non-positive" in verdict.details["reason"]


# --------------------------------------------------------------------------- bound


def _bound_points(offset: float) -> list[Point]:
    generator = rng(5)
    return [
        point(
            {"n": n}, 1.0 / n + offset + generator.uniform(-0.01, 0.01, (SEEDS,)), constant(1 / n)
        )
        for n in (1.0, 2.0, 4.0)
    ]


UPPER = spec.Bound(rule="bound", side="upper")
LOWER = spec.Bound(rule="bound", side="lower")


def test_upper_bound_holds_below() -> None:
    verdict = agree.decide(UPPER, _bound_points(-0.05))
    assert verdict.holds
    assert verdict.figure < 0
    assert verdict.details["side"] == "upper"


def test_upper_bound_fails_when_one_seed_crosses() -> None:
    points = _bound_points(-0.05)
    crossing = points[1].measured.copy()
    crossing[7] = 0.5 + 1e-3  # one seed above the bound 1/2
    points[1] = point(points[1].values, crossing, points[1].predict)
    verdict = agree.decide(UPPER, points)
    assert not verdict.holds
    assert verdict.figure == pytest.approx(1e-3)
    assert verdict.details["at"] == {"n": 2.0}


def test_lower_bound_holds_above_and_fails_below() -> None:
    assert agree.decide(LOWER, _bound_points(+0.05)).holds
    verdict = agree.decide(LOWER, _bound_points(-0.05))
    assert not verdict.holds
    assert verdict.label == "max(bound-measured)"


def test_bound_slack_absorbs_a_small_excess() -> None:
    points = [point(p.values, p.measured, p.predict, slack=0.1) for p in _bound_points(+0.05)]
    rule = spec.Bound(rule="bound", side="upper", slack="0.1")
    assert not agree.decide(UPPER, _bound_points(+0.05)).holds
    assert agree.decide(rule, points).holds


def test_tight_bound_must_be_reached() -> None:
    loose = [point(p.values, p.measured / 2, p.predict) for p in _bound_points(-0.02)]
    sharp = _bound_points(-0.02)
    rule = spec.Bound(rule="bound", side="upper", tight=0.9)
    verdict = agree.decide(rule, sharp)
    assert verdict.holds, verdict.describe()
    assert verdict.relation == ">="
    failed = agree.decide(rule, loose)
    assert not failed.holds
    assert failed.figure == pytest.approx(0.5 * max(1 - 0.02 / b for b in (1.0, 0.5, 0.25)), 0.05)


def test_tight_bound_is_not_vacuous_for_a_negative_bound() -> None:
    far_below = [point({}, np.full(SEEDS, -1000.0), constant(-1.0))]
    rule = spec.Bound(rule="bound", side="upper", tight=0.9)
    verdict = agree.decide(rule, far_below)
    assert not verdict.holds


# --------------------------------------------------------------------------- fit

FIT = spec.Fit(rule="fit", tol=0.005)
ENSEMBLE_SIZES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


def _ensemble_points(predict: Callable[[float], Callable]) -> list[Point]:
    err_inf, err_1 = 0.1, 0.5
    return [
        point({"M": m}, np.full(SEEDS, err_inf + (err_1 - err_inf) / m), predict(m))
        for m in ENSEMBLE_SIZES
    ]


def test_fit_recovers_free_constants_from_exact_data() -> None:
    points = _ensemble_points(lambda m: lambda c: c[0] + (c[1] - c[0]) / m)
    verdict = agree.decide(FIT, points, ("err_inf", "err_1"))
    assert verdict.holds, verdict.describe()
    assert verdict.figure < 1e-8
    assert verdict.details["constants"] == pytest.approx({"err_inf": 0.1, "err_1": 0.5})


def test_fit_fails_the_wrong_shape_even_with_a_free_scale() -> None:
    points = _ensemble_points(lambda m: lambda c: c[0] / math.sqrt(m))
    verdict = agree.decide(FIT, points, ("a",))
    assert not verdict.holds
    assert verdict.figure > FIT.tol
    assert set(verdict.details["constants"]) == {"a"}


def test_fit_without_free_constants_checks_relative_residuals() -> None:
    right = _ensemble_points(lambda m: constant(0.1 + 0.4 / m))
    wrong = _ensemble_points(lambda m: constant(0.1 + 0.4 / m + 0.01))
    assert agree.decide(FIT, right).holds
    verdict = agree.decide(FIT, wrong)
    assert not verdict.holds
    assert verdict.details["constants"] == {}


# --------------------------------------------------------------------------- rate

SAMPLE_SIZES = (100.0, 400.0, 1600.0, 6400.0)


def _monte_carlo(limit: float) -> list[Point]:
    generator = rng(6)
    return [
        point({"n": n}, 1.5 + generator.normal(0, 1, (256,)) / math.sqrt(n), constant(limit))
        for n in SAMPLE_SIZES
    ]


def test_rate_passes_the_right_order() -> None:
    rule = spec.Rate(rule="rate", variable="n", order=0.5, tol=0.1)
    verdict = agree.decide(rule, _monte_carlo(1.5))
    assert verdict.holds, verdict.describe()
    assert verdict.figure == pytest.approx(-0.5, abs=0.05)
    assert verdict.limit == pytest.approx(-0.4)
    assert verdict.details["values"] == list(SAMPLE_SIZES)
    assert len(verdict.details["rms_errors"]) == len(SAMPLE_SIZES)


def test_rate_fails_a_faster_claimed_order() -> None:
    rule = spec.Rate(rule="rate", variable="n", order=1.0, tol=0.1)
    assert not agree.decide(rule, _monte_carlo(1.5)).holds


def test_rate_fails_a_wrong_limit() -> None:
    rule = spec.Rate(rule="rate", variable="n", order=0.5, tol=0.1)
    verdict = agree.decide(rule, _monte_carlo(1.8))
    assert not verdict.holds
    assert abs(verdict.figure) < 0.1


def test_rate_needs_two_values() -> None:
    rule = spec.Rate(rule="rate", variable="n", order=0.5, tol=0.1)
    verdict = agree.decide(rule, _monte_carlo(1.5)[:1])
    assert not verdict.holds
    assert "reason" in verdict.details


# --------------------------------------------------------------------------- verdict


def test_verdict_describe_reads_figure_relation_limit() -> None:
    verdict = Verdict("fit", False, 0.0123, 0.005, "max rel. residual")
    assert verdict.describe() == "max rel. residual 0.0123 <= 0.005"
    assert Verdict("close", False, math.inf, 1.0, "x").describe() == "x inf <= 1"


def test_point_prediction_broadcasts_to_measured() -> None:
    p = point({}, np.zeros((4, 3)), constant(2.0), atol=0.5)
    assert p.prediction().shape == (4, 3)
    assert p.tolerance("atol").shape == (3,)
    assert p.tolerance("rtol").shape == (3,)
    assert not p.tolerance("rtol").any()
