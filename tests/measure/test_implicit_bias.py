"""Diagonal linear networks: GD reaches an interpolating point with the predicted KKT structure."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from checker.measure.implicit_bias import (
    DiagonalParams,
    kkt_residual,
    product_diagonal,
    squared_diagonal,
)

SMALL = DiagonalParams(samples=4, dim=10, sparsity=2, steps=8000)


def test_kkt_residual_is_zero_in_the_row_space_and_one_across_it() -> None:
    x = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert float(kkt_residual(np.array([2.0, -1.0, 0.0]), x)) == pytest.approx(0.0, abs=1e-6)
    assert float(kkt_residual(np.array([0.0, 0.0, 3.0]), x)) == pytest.approx(1.0)


def test_large_scale_squared_network_reaches_the_minimum_norm_interpolant() -> None:
    with jax.enable_x64(True):
        out = squared_diagonal(jax.random.PRNGKey(0), SMALL, alpha=3.0, lr=0.002)
        x = np.asarray(out["X"])
        w = np.asarray(out["w"])
        y = x @ w
        least_norm = np.linalg.pinv(x) @ y
    assert float(out["train_mse"]) < 1e-20
    # kernel regime: Q_alpha ~ |w|^2/(4 alpha^2) at alpha = 3, the limit is nearly min-l2
    assert np.linalg.norm(w - least_norm) / np.linalg.norm(least_norm) < 0.02


def test_product_network_is_exactly_stationary_for_the_effective_scale() -> None:
    with jax.enable_x64(True):
        out = product_diagonal(jax.random.PRNGKey(1), SMALL, u0=0.3, v0=0.05, spread=1.0, lr=0.05)
        w, x, k_eff = (np.asarray(out[k]) for k in ("w", "X", "k_eff"))
        k = 2 * (np.asarray(out["u_init"]) ** 2 + np.asarray(out["v_init"]) ** 2)
        effective = float(kkt_residual(np.arcsinh(2 * w / k_eff), x))
    assert float(out["train_mse"]) < 1e-20
    assert np.all(k_eff < k)  # GD shrinks the effective initialisation
    # GD is exactly a mirror step for k_eff up to O(lr^2); for k it is off at O(lr)
    assert effective < 0.2 * float(out["flow_residual"])
    assert float(out["flow_residual"]) > 1e-4
