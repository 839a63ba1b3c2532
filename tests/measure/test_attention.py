"""attention measurement: the zero-token self-derivative and its closed form."""

from __future__ import annotations

import jax
import numpy as np

from checker.measure import attention


def test_zero_token_row_is_uniform_and_derivative_matches_closed_form() -> None:
    params = attention.DotProductParams(tokens=5, w_query=0.5, w_key=2.0, w_value=1.5)
    out = attention.dot_product_self_jacobian(jax.random.PRNGKey(0), params, scale=3.0)
    expected = 1.5 * (1 / 5 + 0.5 * 2.0 * 9.0 * float(out["spread"]))
    np.testing.assert_allclose(out["self_derivative"], expected, rtol=1e-5)
    assert float(out["jacobian_norm"]) >= abs(float(out["self_derivative"])) - 1e-5


def test_attention_matches_a_finite_difference() -> None:
    x = np.array([0.0, 0.7, -1.2, 0.4])

    def f0(v: np.ndarray) -> float:
        return float(attention.dot_product_attention(jax.numpy.asarray(v), 1.0, 1.0, 1.0)[0])

    step = np.array([1e-3, 0.0, 0.0, 0.0])
    numeric = (f0(x + step) - f0(x - step)) / (2 * step[0])
    expected = 1 / 4 + np.var(x)
    np.testing.assert_allclose(numeric, expected, rtol=2e-3)
