"""MINE with a quadratic critic: the DV bound recovers the Gaussian mutual information."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from checker.measure.mine import MINEParams, gaussian_dv

PARAMS = MINEParams(max_dim=2, train_samples=2048, eval_samples=8192, steps=200)


def _batched(params: MINEParams, jit: bool):
    one = lambda key, rho, dim: gaussian_dv(key, params, rho=rho, dim=dim)  # noqa: E731
    over_points = jax.vmap(jax.vmap(one, (0, None, None)), (None, 0, 0))
    return jax.jit(over_points) if jit else over_points


def test_dv_bound_recovers_minus_half_d_log_one_minus_rho_squared() -> None:
    keys = jax.random.split(jax.random.PRNGKey(0), 4)
    rho, dim = jnp.array([0.0, 0.8, 0.8]), jnp.array([1.0, 1.0, 2.0])
    mi = np.asarray(_batched(PARAMS, jit=True)(keys, rho, dim)["mi"]).mean(axis=1)
    expected = -np.asarray(dim) / 2 * np.log(1 - np.asarray(rho) ** 2)
    assert abs(mi[0]) < 0.01
    np.testing.assert_allclose(mi[1:], expected[1:], rtol=0.05)


def test_jit_of_the_runner_batching_equals_eager() -> None:
    # XLA:CPU (JAX 0.10.2) miscompiled this batching when samples were rows; see _pairs
    keys = jax.random.split(jax.random.PRNGKey(1), 2)
    rho, dim = jnp.array([0.5, 0.7]), jnp.array([2.0, 2.0])
    params = MINEParams(max_dim=2, train_samples=512, eval_samples=32768, steps=20)
    eager = _batched(params, jit=False)(keys, rho, dim)["mi"]
    jitted = _batched(params, jit=True)(keys, rho, dim)["mi"]
    np.testing.assert_allclose(np.asarray(jitted), np.asarray(eager), atol=1e-4)


def test_bilinear_critic_falls_short_at_high_correlation() -> None:
    params = MINEParams(max_dim=1, train_samples=2048, eval_samples=8192)
    one = lambda key: gaussian_dv(key, params, rho=0.9, dim=1.0, quadratic=0.0)  # noqa: E731
    mi = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(jax.random.PRNGKey(2), 4))["mi"])
    a = (np.sqrt(1 + 4 * 0.81) - 1) / (2 * 0.9)
    best_bilinear = a * 0.9 + np.log(1 - a**2) / 2  # 0.317, the sup over the family
    assert 0.8 * best_bilinear < mi.mean() < best_bilinear + 0.01
    assert mi.mean() < 0.5 * -0.5 * np.log(1 - 0.81)
