"""Entropic OT by Sinkhorn: known limits, and the Monge gap of a linear map between Gaussians."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checker.measure.transport import MongeGapParams, entropic_ot, monge_gap_linear


def test_large_epsilon_approaches_the_independent_coupling() -> None:
    x = jax.random.normal(jax.random.PRNGKey(0), (64, 2))
    y = 2.0 + jax.random.normal(jax.random.PRNGKey(1), (64, 2))
    cost, violation = entropic_ot(x, y, 1e4, 20)
    independent = jnp.mean(jnp.sum((x[:, None] - y[None]) ** 2, axis=-1))
    assert float(cost) == pytest.approx(float(independent), rel=1e-3)
    assert float(violation) < 1e-3


def test_small_epsilon_finds_the_matching_and_pays_eps_log_n() -> None:
    # the optimal plan of a permuted copy is the permutation: cost 0, KL(P | ab^T) = log n
    n, eps = 32, 0.01
    x = 3.0 * jax.random.normal(jax.random.PRNGKey(2), (n, 2))
    y = x[jax.random.permutation(jax.random.PRNGKey(3), n)]
    cost, violation = entropic_ot(x, y, eps, 50)
    assert float(cost) == pytest.approx(eps * np.log(n), rel=0.02)
    assert float(violation) < 1e-3


def test_monge_gap_of_a_rotation_matches_the_gaussian_closed_form() -> None:
    params = MongeGapParams(samples=256, iterations=100)
    scale, theta, eps = 1.5, np.pi / 2, 1.0
    run = jax.jit(
        jax.vmap(lambda k: monge_gap_linear(k, params, scale=scale, theta=theta, epsilon=eps))
    )
    out = run(jax.random.split(jax.random.PRNGKey(4), 16))
    s2 = eps / 2
    d = np.sqrt(4 * scale**2 + s2**2)
    expected = 2 * (
        -2 * scale * np.cos(theta) + d - s2 * (1 - np.log(2 * s2)) - s2 * np.log(d + s2)
    )
    gap = np.asarray(out["gap"])
    assert float(gap.mean()) == pytest.approx(expected, abs=4 * float(gap.std()) / 4 + 0.06)
    # the first term is the mean displacement |x - A x|^2, d (1 - 2 a cos theta + a^2) on average
    assert float(out["displacement"].mean()) == pytest.approx(2 * (1 + scale**2), rel=0.05)
