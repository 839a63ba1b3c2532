"""Infinite-width kernels, measured at finite width.

The arc-cosine (NNGP) kernel of Cho and Saul (2009), the arcsine kernel of
erf networks (Williams 1997) and the neural tangent kernel of Jacot, Gabriel
and Hongler (2018) are expectations over random weights, reached as the width
grows. These measurements compute the
finite-width quantities a claim's closed form predicts: a Monte-Carlo average
over random features, and the empirical NTK of a random network from its
parameter gradients. Widths are parameters (they set shapes); the angle
between the two inputs is a traced input, so one compilation serves a sweep.
"""

from __future__ import annotations

from typing import Any, Literal

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")

__all__ = [
    "ErfNNGPParams",
    "NNGPParams",
    "NTKParams",
    "erf_nngp",
    "relu_nngp",
    "relu_ntk_two_layer",
]


def _input_pair(theta: Any, dim: int, radius: Any) -> tuple[Any, Any]:
    """x = radius e1 and y = radius (cos theta e1 + sin theta e2), both in R^dim."""
    jnp = jax.numpy
    e1 = jnp.zeros(dim).at[0].set(1.0)
    e2 = jnp.zeros(dim).at[1].set(1.0)
    return radius * e1, radius * (jnp.cos(theta) * e1 + jnp.sin(theta) * e2)


class NNGPParams(pydantic.BaseModel):
    """Random-feature settings for the ReLU NNGP kernel."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    dim: int = pydantic.Field(16, ge=2, description="input dimension d")
    width: int = pydantic.Field(32768, ge=1, description="random ReLU features per seed")
    sigma_w2: float = pydantic.Field(2.0, gt=0, description="weight variance times d")
    q: float = pydantic.Field(1.0, gt=0, description="|x|^2/d = |y|^2/d")
    weights: Literal["gaussian", "rademacher", "uniform"] = pydantic.Field(
        "gaussian", description="law of the i.i.d. weights, all with variance sigma_w2/d"
    )


def _weights(key: Any, params: NNGPParams) -> Any:
    """A (width, dim) weight matrix with i.i.d. entries of variance sigma_w2/dim."""
    jnp = jax.numpy
    shape = (params.width, params.dim)
    if params.weights == "gaussian":
        unit = jax.random.normal(key, shape)
    elif params.weights == "rademacher":
        unit = jax.random.rademacher(key, shape, dtype=jnp.zeros(()).dtype)
    else:
        unit = jax.random.uniform(key, shape, minval=-(3.0**0.5), maxval=3.0**0.5)
    return unit * (params.sigma_w2 / params.dim) ** 0.5


@measurement(
    "kernels.relu_nngp", params=NNGPParams, outputs=["K", "weight_kurtosis"], batching="loop"
)
def relu_nngp(key: Any, params: NNGPParams, *, theta: Any) -> dict[str, Any]:
    """Monte-Carlo ReLU NNGP kernel E_w[relu(w.x) relu(w.y)] for inputs at angle theta.

    Draws `width` weight vectors w in R^dim with i.i.d. entries of variance
    sigma_w2/dim and averages relu(w.x) relu(w.y) over them, for
    x = sqrt(q dim) e1 and y = sqrt(q dim) (cos theta e1 + sin theta e2).
    The inputs are coordinate-aligned on purpose: each pre-activation involves
    only two weight coordinates, so the central limit theorem does not rescue a
    non-Gaussian weight law (knob `weights`: gaussian, rademacher or uniform).

    Outputs: `K`, the feature average (scalar); `weight_kurtosis`, the sample
    kurtosis E[w^4]/E[w^2]^2 of the weight entries (3 for Gaussian weights,
    1 for Rademacher, 1.8 for uniform), a check on the Gaussian hypothesis.
    """
    jnp = jax.numpy
    w = _weights(key, params)
    x, y = _input_pair(theta, params.dim, (params.q * params.dim) ** 0.5)
    k = jnp.mean(jax.nn.relu(w @ x) * jax.nn.relu(w @ y))
    kurtosis = jnp.mean(w**4) / jnp.mean(w**2) ** 2
    return {"K": k, "weight_kurtosis": kurtosis}


class NTKParams(pydantic.BaseModel):
    """Shape of the one-hidden-layer ReLU network whose NTK is measured."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    width: int = pydantic.Field(1024, ge=1, description="hidden width n")
    dim: int = pydantic.Field(8, ge=2, description="input dimension d")


@measurement("kernels.relu_ntk_two_layer", params=NTKParams, outputs=["ntk"], batching="loop")
def relu_ntk_two_layer(key: Any, params: NTKParams, *, theta: Any) -> dict[str, Any]:
    """Empirical NTK at initialisation of a one-hidden-layer ReLU network.

    The network is in the NTK parametrisation of Jacot et al. (2018), without
    biases: f(x) = n^-1/2 sum_i a_i relu(d^-1/2 w_i.x), with all weights i.i.d.
    N(0, 1). The inputs are x = sqrt(d) e1 and y = sqrt(d) (cos theta e1 +
    sin theta e2), so x.y/d = cos theta (the same kernel as standard-normal
    first-layer weights on unit inputs). The NTK is grad f(x) . grad f(y),
    summed over both layers' parameters (jax.grad). Knob: `width` (the limit
    n -> infinity of Theorem 1; fluctuations shrink like n^-1/2).

    Output: `ntk`, the empirical kernel value (scalar).
    """
    jnp = jax.numpy
    k_w, k_a = jax.random.split(key)
    net = {
        "w": jax.random.normal(k_w, (params.width, params.dim)),
        "a": jax.random.normal(k_a, (params.width,)),
    }

    def f(p: dict[str, Any], x: Any) -> Any:
        hidden = jax.nn.relu(p["w"] @ x / jnp.sqrt(params.dim))
        return p["a"] @ hidden / jnp.sqrt(params.width)

    x, y = _input_pair(theta, params.dim, jnp.sqrt(params.dim))
    gx, gy = jax.grad(f)(net, x), jax.grad(f)(net, y)
    ntk = sum(jnp.vdot(gx[name], gy[name]) for name in net)
    return {"ntk": ntk}


class ErfNNGPParams(pydantic.BaseModel):
    """Random-feature settings for the erf NNGP kernel."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    dim: int = pydantic.Field(16, ge=2, description="input dimension d")
    width: int = pydantic.Field(65536, ge=1, description="random erf features per seed")


@measurement("kernels.erf_nngp", params=ErfNNGPParams, outputs=["K"], batching="loop")
def erf_nngp(
    key: Any,
    params: ErfNNGPParams,
    *,
    theta: Any,
    q1: Any = 1.0,
    q2: Any = 1.0,
    sigma_w2: Any = 1.0,
    sigma_b2: Any = 0.0,
) -> dict[str, Any]:
    """Monte-Carlo erf NNGP kernel E[erf(w.x + b) erf(w.y + b)] over random features.

    Draws `width` features with weights w in R^dim, i.i.d. N(0, sigma_w2/dim)
    entries, and bias b ~ N(0, sigma_b2) (Williams' augmented input (1, x)
    with a diagonal prior covariance), and averages erf(w.x + b) erf(w.y + b)
    for x = sqrt(q1 dim) e1 and y = sqrt(q2 dim) (cos theta e1 + sin theta e2).
    The pre-activations then have variances sigma_b2 + sigma_w2 q1 and
    sigma_b2 + sigma_w2 q2 and covariance sigma_b2 + sigma_w2 sqrt(q1 q2) cos theta.
    All knobs are traced inputs, so one compilation serves a sweep over them.

    Output: `K`, the feature average (scalar).
    """
    jnp = jax.numpy
    k_w, k_b = jax.random.split(key)
    # Standard-normal draws first, scaled afterwards: they depend on the key
    # only, so the runner's vmap over sweep points does not redraw them.
    w = jax.random.normal(k_w, (params.width, params.dim))
    b = jax.random.normal(k_b, (params.width,))
    x, y = _input_pair(theta, params.dim, 1.0)
    scale_w = jnp.sqrt(sigma_w2 / params.dim)
    u = scale_w * jnp.sqrt(q1 * params.dim) * (w @ x) + jnp.sqrt(sigma_b2) * b
    v = scale_w * jnp.sqrt(q2 * params.dim) * (w @ y) + jnp.sqrt(sigma_b2) * b
    erf = jax.scipy.special.erf
    return {"K": jnp.mean(erf(u) * erf(v))}
