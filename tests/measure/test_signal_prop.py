"""The signal-propagation measurements: exact sampling matches real MLPs, known moments hold."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checker.measure import signal_prop
from checker.measure.nets import mlp_apply, mlp_init


def _seeds(count: int) -> jax.Array:
    return jax.random.split(jax.random.PRNGKey(0), count)


def test_first_layer_is_gaussian_with_variance_cw_q0() -> None:
    params = signal_prop.MomentParams(width=64, depth=3, networks=2048)
    out = jax.jit(lambda k: signal_prop.relu_moments(k, params, C_W=1.5, q0=2.0))(_seeds(1)[0])
    assert float(out["q"][0]) == pytest.approx(3.0, rel=0.02)
    assert float(out["kurtosis"][0]) == pytest.approx(3.0, rel=0.03)
    # log(chi^2_n/n) has variance psi'(n/2) = 2/n + O(1/n^2)
    assert float(out["log_norm_var"][0]) == pytest.approx(2 / 64, rel=0.1)
    np.testing.assert_array_equal(np.asarray(out["layer"]), [1.0, 2.0, 3.0])


def test_exact_sampler_matches_a_real_relu_mlp() -> None:
    """Same law as multiplying by weight matrices from nets.mlp_init (He init, no bias)."""
    width, depth, networks, dim = 32, 4, 4000, 8
    x = jnp.ones((1, dim))

    def real(key: jax.Array) -> jax.Array:
        layers = mlp_init(key, [dim] + [width] * depth, sigma_w=2.0**0.5)
        return jnp.mean(mlp_apply(layers, x, sigma_w=2.0**0.5) ** 2)

    q_real = jax.jit(jax.vmap(real))(jax.random.split(jax.random.PRNGKey(1), networks))
    params = signal_prop.MomentParams(width=width, depth=depth, networks=networks)
    out = jax.jit(lambda k: signal_prop.relu_moments(k, params))(_seeds(1)[0])
    # E q_L = 2 (1)^(L-1) in both; the spread of log q is the finite-width law
    assert float(q_real.mean()) == pytest.approx(float(out["q"][-1]), rel=0.05)
    var_real = float(jnp.log(q_real).var())
    assert var_real == pytest.approx(float(out["log_norm_var"][-1]), rel=0.12)


def test_relu_length_follows_he_product_and_picks_the_layer() -> None:
    params = signal_prop.LengthParams(width=64, networks=2048, max_depth=6)
    run = jax.jit(lambda k, d, c: signal_prop.relu_length(k, params, depth=d, C_W=c))
    key = _seeds(1)[0]
    for depth in (1.0, 6.0):
        q = float(run(key, depth, 2.4)["q"])
        assert q == pytest.approx(2.4 * 1.2 ** (depth - 1), rel=0.04)


def test_erf_correlation_decays_at_chi_one() -> None:
    params = signal_prop.CorrelationParams(width=128, networks=16, depth=20, fit_from=6, fit_to=20)
    with jax.enable_x64(True):
        out = jax.jit(lambda k: signal_prop.erf_correlation(k, params, sigma_w2=0.6))(_seeds(1)[0])
        q_star = float(out["q_star"])
        fixed = 0.6 * 2 / np.pi * np.arcsin(2 * q_star / (1 + 2 * q_star)) + 0.1
        assert q_star == pytest.approx(fixed, abs=0.01)
        chi = 0.6 * 4 / (np.pi * np.sqrt(1 + 4 * q_star))
        assert float(out["decay_rate"]) == pytest.approx(np.log(chi), abs=0.05)
        assert 0 < float(out["one_minus_c_last"]) < 1e-3
