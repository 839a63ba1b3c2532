"""Fourier spectra of random networks: the spectral bias of ReLU networks.

Rahaman et al. (2019) observe that a ReLU network is continuous and piecewise
linear, so its second derivative is a sum of point masses at the kinks and its
Fourier transform decays like k^-2 along a generic direction of a 1-D input
(k^-(d+1) in d dimensions): high frequencies carry little of the function. A
smooth activation (tanh) decays much faster. This module samples a random deep
network of a scalar input on a grid, multiplies it by a Gaussian window (so
that the periodic extension is smooth and only the kinks are left to set the
tail), and reports the RMS Fourier amplitude in the octave band [k, 2k). The
band start k is a traced input: the network and its FFT depend only on the
seed, so a sweep over k costs one compilation and one spectrum per seed.
Claims need float64 (`x64: true`): in float32 the tail floors at about 1e-7.
"""

from __future__ import annotations

from typing import Any, Literal

import lazy_loader as lazy
import pydantic

from checker.measure import nets
from checker.measure.registry import measurement

jax = lazy.load("jax")

__all__ = ["FourierParams", "network_spectrum"]


class FourierParams(pydantic.BaseModel):
    """The random network of a scalar input and its sampling grid."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    depth: int = pydantic.Field(4, ge=1, description="number of hidden layers")
    width: int = pydantic.Field(64, ge=1, description="hidden width")
    samples: int = pydantic.Field(1 << 14, ge=16, description="grid points over one period")
    half_range: float = pydantic.Field(
        6.0, gt=0, description="the grid spans [-half_range, half_range), the FFT's period"
    )
    bias_std: float = pydantic.Field(0.5, ge=0, description="standard deviation of the biases")
    activation: Literal["relu", "tanh"] = pydantic.Field(
        "relu", description="relu: piecewise linear (the theorem's case); tanh: smooth"
    )


@measurement("spectral.network_spectrum", params=FourierParams, outputs=["amplitude"])
def network_spectrum(key: Any, params: FourierParams, *, k: Any) -> dict[str, Any]:
    """RMS Fourier amplitude of a windowed random network in the band [k, 2k).

    The network is `nets.mlp_apply` of widths [1, width x depth, 1] in NTK
    parametrisation with He scaling (sigma_w^2 = 2, weights N(0, 1)) and
    biases N(0, bias_std^2). It is sampled at `samples` points x on
    [-half_range, half_range), multiplied by exp(-x^2/2), and transformed:
    c_j = (1/N) sum_x g(x) e^{-2 pi i j x / P} (period P = 2 half_range, j the
    FFT index). Output: `amplitude`, sqrt(mean |c_j|^2 over k <= j < 2k).
    """
    jnp = jax.numpy
    k_net, k_bias = jax.random.split(key)
    widths = [1, *[params.width] * params.depth, 1]
    layers = nets.mlp_init(k_net, widths)
    # One draw for all biases, split by layer: each jax.random.normal call costs
    # about 0.4 s of compilation, more than the whole spectrum's run.
    sizes = [b.shape[0] for _, b in layers]
    flat = params.bias_std * jax.random.normal(k_bias, (sum(sizes),))
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    layers = [(w, flat[s : s + n]) for (w, _), s, n in zip(layers, starts, sizes, strict=True)]
    phi = jax.nn.relu if params.activation == "relu" else jnp.tanh
    x = jnp.linspace(-params.half_range, params.half_range, params.samples, endpoint=False)
    f = nets.mlp_apply(layers, x[:, None], activation=phi, sigma_w=2**0.5)[:, 0]
    power = jnp.abs(jnp.fft.rfft(f * jnp.exp(-(x**2) / 2)) / params.samples) ** 2
    j = jnp.arange(power.shape[0])
    band = (j >= k) & (j < 2 * k)
    return {"amplitude": jnp.sqrt(jnp.sum(jnp.where(band, power, 0.0)) / jnp.sum(band))}
