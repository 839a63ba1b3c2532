"""spectral.network_spectrum: a ReLU network's tail falls like k^-2, a tanh network's faster."""

from __future__ import annotations

import jax
import numpy as np

from checker.measure.spectral import FourierParams, network_spectrum


def _slope(params: FourierParams, seed: int) -> float:
    ks = np.array([16.0, 32.0, 64.0, 128.0])
    with jax.enable_x64(True):
        key = jax.random.PRNGKey(seed)
        amplitude = [float(network_spectrum(key, params, k=k)["amplitude"]) for k in ks]
    return float(np.polyfit(np.log(ks), np.log(amplitude), 1)[0])


def test_relu_network_tail_is_k_minus_two() -> None:
    params = FourierParams(width=32, depth=3, samples=4096)
    assert abs(np.mean([_slope(params, s) for s in range(3)]) + 2.0) < 0.25


def test_tanh_network_tail_is_steeper() -> None:
    params = FourierParams(width=32, depth=3, samples=4096, activation="tanh")
    assert _slope(params, 0) < -3.0
