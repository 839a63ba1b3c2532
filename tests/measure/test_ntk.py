"""ntk measurements: invariants and known answers at small sizes (real JAX)."""

from __future__ import annotations

import jax
import numpy as np
from scipy import stats

from checker.measure.ntk import (
    DeepNTKParams,
    EigenDecayParams,
    LinearizationParams,
    eigen_decay,
    linearization_gap,
    relu_ntk_deep,
    relu_ntk_deep_conditioned,
)


def test_deep_relu_ntk_diagonal_is_depth_plus_one() -> None:
    """With c_sigma = 2 and unit effective inputs every layer adds 1 to Theta(x, x)."""
    params = DeepNTKParams(width=128, depth=2, dim=4)
    keys = jax.random.split(jax.random.PRNGKey(0), 8)
    out = jax.jit(jax.vmap(lambda k: relu_ntk_deep(k, params, theta=0.0)))(keys)
    np.testing.assert_allclose(out["ntk"], out["ntk_xx"], rtol=1e-5)  # x = y at theta = 0
    assert abs(float(np.mean(out["ntk_xx"])) - 3.0) < 0.3


def test_conditioned_sampler_draws_the_dense_networks_ntk_law() -> None:
    """Same law as the dense network at a width where fluctuations are large (fixed keys).

    At theta = 0 the two inputs are parallel, so every layer's Gram-Schmidt
    meets a zero residual: a sampler that conditions wrongly there shifts the
    mean by more than 5 standard errors at this size.
    """
    params = DeepNTKParams(width=16, depth=3, dim=4)
    dense_keys = jax.random.split(jax.random.PRNGKey(3), 8000)
    sampled_keys = jax.random.split(jax.random.PRNGKey(4), 8000)
    for theta in (0.0, 1.5):
        dense = jax.jit(jax.vmap(lambda k, t=theta: relu_ntk_deep(k, params, theta=t)))(dense_keys)
        sampled = jax.jit(
            jax.vmap(lambda k, t=theta: relu_ntk_deep_conditioned(k, params, theta=t))
        )(sampled_keys)
        for output in ("ntk", "ntk_xx"):
            a, b = np.asarray(dense[output]), np.asarray(sampled[output])
            assert stats.ks_2samp(a, b).pvalue > 1e-3, (theta, output)
            assert stats.ttest_ind(a, b).pvalue > 1e-3, (theta, output)
            assert 0.9 < b.std() / a.std() < 1.1, (theta, output)


def test_conditioned_sampler_reaches_the_wide_limit() -> None:
    """Width 2^16 on a CPU: Theta(x, x) = depth + 1 to within its 1/sqrt(width) noise."""
    params = DeepNTKParams(width=65536, depth=3, dim=8)
    keys = jax.random.split(jax.random.PRNGKey(5), 16)
    out = jax.jit(jax.vmap(lambda k: relu_ntk_deep_conditioned(k, params, theta=0.0)))(keys)
    np.testing.assert_allclose(out["ntk"], out["ntk_xx"], rtol=1e-5)
    assert abs(float(np.mean(out["ntk_xx"])) - 4.0) < 0.03  # per draw about 1.5 %


def test_eigen_decay_projections_are_normalised_and_signed() -> None:
    params = EigenDecayParams(width=64, steps=10, every=5, n_train=4)
    out = jax.jit(lambda key: eigen_decay(key, params, lr=0.05))(jax.random.PRNGKey(1))
    c, c0 = np.asarray(out["c"]), np.asarray(out["c0"])
    assert c.shape == (4, 3) and np.asarray(out["t"]).tolist() == [[0.0, 5.0, 10.0]]
    np.testing.assert_allclose(c[:, 0], c0)
    assert (c0 >= 0).all()
    np.testing.assert_allclose(np.sum(c0**2), 1.0, rtol=1e-5)  # orthonormal eigenvectors
    assert (np.asarray(out["lam"]) > -1e-4).all()  # a Gram matrix is positive semidefinite


def test_linearization_starts_together_and_stays_close_when_wide() -> None:
    params = LinearizationParams(max_width=2048, steps=20, every=10)
    run = jax.jit(lambda key: linearization_gap(key, params, width=2048.0, lr=0.5))
    out = run(jax.random.PRNGKey(2))
    r_net, r_lin = np.asarray(out["r_net"]), np.asarray(out["r_lin"])
    np.testing.assert_allclose(r_net[0], r_lin[0])
    np.testing.assert_allclose(np.linalg.norm(r_net[0]), 1.0, rtol=1e-5)
    assert np.abs(r_net - r_lin).max() < 0.01
    assert np.linalg.norm(r_net[-1]) < 0.9  # it trained


def test_mean_field_scaling_leaves_the_linearisation() -> None:
    """Same network, output scaled by width^-1 and step by width: features move, the gap grows."""
    params = LinearizationParams(max_width=128, steps=20, every=10)
    run = jax.jit(
        lambda a: linearization_gap(jax.random.PRNGKey(3), params, width=128.0, readout_exponent=a)
    )
    ntk, field = run(0.5), run(1.0)
    gap_ntk = np.abs(np.asarray(ntk["r_net"]) - np.asarray(ntk["r_lin"])).max()
    gap_field = np.abs(np.asarray(field["r_net"]) - np.asarray(field["r_lin"])).max()
    assert gap_field > 2 * gap_ntk
