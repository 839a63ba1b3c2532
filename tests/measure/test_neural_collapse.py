"""Unconstrained-features model: GD reaches the closed-form neural-collapse geometry."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from checker.measure.neural_collapse import (
    BalancedParams,
    ImbalancedParams,
    ufm_balanced,
    ufm_imbalanced,
)


def _numpy(out: dict) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in out.items()}


def test_balanced_classifier_is_the_scaled_simplex_etf() -> None:
    params = BalancedParams(K=3, n=2, dim=4, steps=400)
    lam_w, lam_h = 0.02, 0.05
    out = _numpy(
        jax.jit(lambda k: ufm_balanced(k, params, lamW=lam_w, lamH=lam_h))(jax.random.PRNGKey(0))
    )
    p = 1 - params.K * np.sqrt(params.n * lam_w * lam_h)
    expected = p * np.sqrt(params.n * lam_h / lam_w) * (np.eye(3) - 1 / 3)
    np.testing.assert_allclose(out["gram_w"], expected, atol=1e-4)
    gram = out["gram_w"]
    cosine = gram[0, 1] / np.sqrt(gram[0, 0] * gram[1, 1])
    assert cosine == pytest.approx(-1 / (params.K - 1), abs=1e-4)
    assert out["bias_mean"] == pytest.approx(1 / params.K, abs=1e-4)
    assert out["within"] < 1e-8
    assert out["loss_grad"] < 1e-4


def test_imbalanced_one_layer_fit_matches_the_closed_form() -> None:
    params = ImbalancedParams(class_sizes=(6, 3, 2), dim=4, steps=600, lr=0.3, init_scale=0.3)
    lam = 0.01
    out = _numpy(
        jax.jit(lambda k: ufm_imbalanced(k, params, lamW=lam, lamH=lam))(jax.random.PRNGKey(1))
    )
    sizes = np.array(params.class_sizes, float)
    expected = 1 - sizes.sum() * np.sqrt(lam * lam / sizes)
    np.testing.assert_allclose(out["p"], expected, atol=1e-4)
    np.testing.assert_array_equal(out["nk"], sizes)
    assert out["n_total"] == sizes.sum()
    assert out["offdiag"] < 1e-4
    # larger classes are fitted more strongly and get longer classifier rows
    assert np.all(np.diff(out["p"]) < 0) and np.all(np.diff(out["w_norm2"]) < 0)


def test_deeper_classifiers_fit_more_strongly() -> None:
    lam = 0.01

    def fit(depth: int) -> np.ndarray:
        params = ImbalancedParams(
            class_sizes=(6, 3, 2), dim=4, max_depth=2, steps=600, lr=0.3, init_scale=0.3
        )
        run = jax.jit(lambda k: ufm_imbalanced(k, params, lamW=lam, lamH=lam, depth=depth))
        return np.asarray(run(jax.random.PRNGKey(2))["p"])

    shallow, deep = fit(1), fit(2)
    assert np.all(deep > shallow + 1e-3)
