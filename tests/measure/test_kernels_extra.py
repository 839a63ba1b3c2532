"""kernels.erf_nngp: the Monte-Carlo erf kernel against Williams' closed form, small sizes."""

from __future__ import annotations

import math

import jax
import numpy as np

from checker.measure.kernels import ErfNNGPParams, erf_nngp


def _arcsine(s11: float, s22: float, s12: float) -> float:
    return 2 / math.pi * math.asin(2 * s12 / math.sqrt((1 + 2 * s11) * (1 + 2 * s22)))


def test_erf_nngp_matches_the_arcsine_kernel() -> None:
    params = ErfNNGPParams(dim=4, width=1 << 16)
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    inputs = {"theta": 2.0, "q1": 1.0, "q2": 2.0, "sigma_w2": 1.5, "sigma_b2": 0.5}
    k = np.mean([float(erf_nngp(key, params, **inputs)["K"]) for key in keys])
    s12 = 0.5 + 1.5 * math.sqrt(2.0) * math.cos(2.0)
    assert abs(k - _arcsine(2.0, 3.5, s12)) < 0.005


def test_orthogonal_inputs_without_bias_are_uncorrelated() -> None:
    """erf is odd: with no bias and orthogonal inputs the kernel is exactly 0 in expectation."""
    params = ErfNNGPParams(dim=4, width=1 << 16)
    out = erf_nngp(jax.random.PRNGKey(1), params, theta=math.pi / 2, sigma_b2=0.0)
    assert abs(float(out["K"])) < 0.01
