"""The muP / NTK feature-change measurement: masking is exact, the exponents show."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checker.measure import mup
from checker.measure.nets import mlp_init


def test_units_past_the_width_change_nothing() -> None:
    """The masked arrays compute the width-n network whatever the unused weights hold."""
    key = jax.random.PRNGKey(0)
    unit = [w for w, _ in mlp_init(key, [4, 64, 64, 1])]
    garbage = [w.at[..., 32:].set(7.0) if i else w.at[32:].set(-3.0) for i, w in enumerate(unit)]
    garbage[1] = garbage[1].at[32:].set(5.0)
    x = jnp.ones(4)
    step = jax.jit(mup._one_parametrisation, static_argnums=(1, 5))
    for name in ("mup", "ntk"):
        clean = step(unit, name, 32.0, x, 0.5, 1)
        dirty = step(garbage, name, 32.0, x, 0.5, 1)
        np.testing.assert_allclose(np.array(clean), np.array(dirty), rtol=1e-5)


def test_feature_change_exponents() -> None:
    params = mup.FeatureParams(max_width=512)
    run = jax.jit(jax.vmap(lambda k, n: mup.feature_change(k, params, width=n), in_axes=(0, None)))
    keys = jax.random.split(jax.random.PRNGKey(3), 4)
    small, large = (np.asarray(run(keys, n)["feature_change"]).mean(axis=0) for n in (32.0, 512.0))
    slopes = np.log(large / small) / np.log(16.0)
    assert slopes[0] == pytest.approx(0.0, abs=0.15)  # muP: Theta(1)
    assert slopes[1] == pytest.approx(-0.5, abs=0.15)  # NTK: n^-1/2
    out = run(keys, 256.0)
    np.testing.assert_array_equal(np.asarray(out["ntk_index"][0]), [0.0, 1.0])
