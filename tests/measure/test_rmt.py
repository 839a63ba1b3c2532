"""rmt measurements: the masked matrices are the matrices the docstrings describe."""

from __future__ import annotations

import jax
import numpy as np

from checker.measure import rmt


def test_batch_hessian_is_the_hessian_of_the_batch_loss() -> None:
    params = rmt.BatchHessianParams(dim=6, max_batch=20)
    key = jax.random.PRNGKey(0)
    out = rmt.spiked_batch_hessian(key, params, batch=8.0, ell=3.0)
    x = np.array(jax.random.normal(key, (20, 6)))
    x[:, 0] *= np.sqrt(3.0)
    xb = x[:8]

    def loss(w: jax.Array) -> jax.Array:
        return 0.5 * jax.numpy.mean((xb @ w) ** 2)

    eig = np.linalg.eigvalsh(np.array(jax.hessian(loss)(jax.numpy.zeros(6))))
    np.testing.assert_allclose(out["lam_max"], eig[-1], rtol=1e-5)
    np.testing.assert_allclose(out["lam_min"], eig[0], atol=1e-5)


def test_wishart_mask_keeps_the_first_columns() -> None:
    params = rmt.WishartParams(rows=40, aspect=0.5)
    key = jax.random.PRNGKey(1)
    out = rmt.wishart_top_eigenvalue(key, params, ratio=0.25, sigma=2.0)
    w = 2.0 * np.array(jax.random.normal(key, (40, 20)))[:, :10]
    assert float(out["cols"]) == 10.0
    np.testing.assert_allclose(out["lam_max"], np.linalg.eigvalsh(w.T @ w / 40)[-1], rtol=1e-5)
    full = rmt.wishart_top_eigenvalue(key, params)
    assert float(full["cols"]) == 20.0


def test_ginibre_and_goe_radii_near_their_laws() -> None:
    key = jax.random.PRNGKey(2)
    square = rmt.ginibre_radius(key, rmt.GinibreParams(size=200), g=1.0)["radius"]
    symmetric = rmt.ginibre_radius(key, rmt.GinibreParams(size=200, symmetric=True), g=1.0)
    assert 0.9 < float(square) < 1.2
    assert 1.85 < float(symmetric["radius"]) < 2.15
