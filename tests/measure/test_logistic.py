"""Separable logistic regression: |w| keeps growing, the margin and direction approach the SVM."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from checker.measure.logistic import SeparableParams, separable_gd

PARAMS = SeparableParams(others=4, window=10.0)


def _run(margin: float, t: float, mislabelled: float = 0.0) -> dict[str, float]:
    with jax.enable_x64(True):
        out = separable_gd(
            jax.random.PRNGKey(0), PARAMS, margin=margin, t=t, mislabelled=mislabelled
        )
        return {k: float(v) for k, v in out.items()}


def test_norm_grows_like_log_t_over_the_margin() -> None:
    small, large = _run(0.5, 5000.0), _run(2.0, 5000.0)
    # the slope is 1/margin up to a pre-asymptotic offset; the margins differ by 4x
    assert small["norm_slope"] == pytest.approx(2.0, rel=0.1)
    assert large["norm_slope"] == pytest.approx(0.5, rel=0.1)
    # the normalised margin approaches the SVM margin from below
    assert 0.9 * 2.0 < large["min_margin"] <= 2.0
    assert large["samples"] == PARAMS.others + 2


def test_direction_turns_slowly_towards_max_margin() -> None:
    early, late = _run(1.0, 500.0), _run(1.0, 5000.0)
    assert 0 < late["direction_tan"] < early["direction_tan"]
    assert late["norm"] > early["norm"]


def test_a_mislabelled_point_stops_the_growth() -> None:
    out = _run(1.0, 5000.0, mislabelled=1.0)
    assert out["min_margin"] < 0
    assert abs(out["norm_slope"]) < 0.05
    assert np.isfinite(out["norm"])
