"""Optimistic OGD with a fixed step: the radius is a traced input and the regret scales as R^2."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from checker.measure.online import RegretParams, optimistic_ogd


def test_fixed_loss_regret_is_r_squared_over_two_eta() -> None:
    # a fixed loss (sigma = 0): the iterate walks R/(eta |mu|) rounds to the boundary,
    # paying R^2/(2 eta) in all, up to one step's rounding
    params = RegretParams(T=400)
    run = jax.jit(lambda r: optimistic_ogd(jax.random.PRNGKey(0), params, sigma=0.0, eta=0.01, R=r))
    small, large = (float(run(r)["regret"]) for r in (0.5, 1.0))
    assert small == pytest.approx(0.5**2 / 0.02, rel=0.05)
    assert large / small == pytest.approx(4.0, rel=0.05)


def test_noisy_regret_stays_below_the_bound() -> None:
    params = RegretParams(T=200)
    keys = jax.random.split(jax.random.PRNGKey(1), 4)
    out = jax.vmap(lambda k: optimistic_ogd(k, params, sigma=1.0, eta=0.1, R=2.0))(keys)
    bound = 2.0**2 / (2 * 0.1) + 0.1 * np.asarray(out["V"]) / 2
    assert np.all(np.asarray(out["regret"]) <= bound)
