"""Optimistic OMD with an adaptive step: sqrt(T) regret under noise, O(1) for a fixed loss."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checker.measure.online import AdaptiveRegretParams, optimistic_omd_adaptive

PARAMS = AdaptiveRegretParams(max_T=4000)


def _regret(horizons: list[float], sigma: float, seeds: int = 4) -> dict[str, np.ndarray]:
    one = lambda key, t: optimistic_omd_adaptive(key, PARAMS, T=t, sigma=sigma)  # noqa: E731
    run = jax.jit(jax.vmap(jax.vmap(one, (0, None)), (None, 0)))
    out = run(jax.random.split(jax.random.PRNGKey(0), seeds), jnp.asarray(horizons))
    return {k: np.asarray(v) for k, v in out.items()}


def test_noisy_regret_grows_like_sqrt_t() -> None:
    regret = _regret([1000.0, 4000.0], sigma=1.0)["regret"].mean(axis=1)
    assert regret[1] / regret[0] == pytest.approx(2.0, rel=0.15)


def test_fixed_loss_regret_stays_bounded() -> None:
    regret = _regret([100.0, 4000.0], sigma=0.0, seeds=1)["regret"][:, 0]
    assert np.all(regret < 2.0) and np.all(regret > -1e-3)


def test_variation_counts_only_the_first_t_rounds() -> None:
    out = _regret([10.0, 4000.0], sigma=1.0, seeds=2)
    # each round adds |g_t - g_{t-1}|^2 ~ 2 sigma^2 d = 10 (the first |g_1|^2 ~ |mu|^2 + d)
    assert out["V"][0].mean() == pytest.approx(10 * 10, rel=0.4)
    assert out["V"][1].mean() == pytest.approx(4000 * 10, rel=0.05)
