"""Signal propagation through deep random networks at initialisation.

He et al. (2015) choose the weight variance so that the forward variance of a
ReLU network neither explodes nor vanishes with depth; Poole et al. (2016) and
Schoenholz et al. (2017) follow the length and the correlation of two inputs
layer by layer and find depth scales that diverge at the edge of chaos;
Hanin and Nica (2020) and Roberts, Yaida and Hanin (2022) quantify the
finite-width corrections, which grow with depth over width. Checking these
needs many independent deep networks per seed (the finite-width statistics are
heavy-tailed), so the measurements here draw the networks' pre-activations
layer by layer from their exact conditional law instead of materialising
weight matrices.

Why that is exact: with fresh weights W ~ N(0, C_W/n) and biases
b ~ N(0, C_b) at each layer, the pre-activations z = W phi(h) + b of inputs
whose previous activations are phi(h_a) are, given those activations, jointly
Gaussian, i.i.d. across units, with the 2x2 (or 1x1) covariance
C_b + C_W phi(h_a).phi(h_b)/n. Sampling that Gaussian is the same Markov
chain as multiplying by an MLP's weight matrices (the tests compare the two
against `nets.mlp_apply`), at O(n) instead of O(n^2) per layer, so thousands
of networks per seed cost milliseconds.
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")

__all__ = [
    "CorrelationParams",
    "LengthParams",
    "MomentParams",
    "erf_correlation",
    "relu_length",
    "relu_moments",
]


class _Params(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    width: int = pydantic.Field(128, ge=2, description="hidden width n of every layer")
    networks: int = pydantic.Field(
        1024, ge=2, description="independent networks per seed (statistics are over these)"
    )


# --------------------------------------------------------------------------- one input


def _relu_chain(key: Any, width: int, depth: int, inputs: dict[str, Any]) -> Any:
    """Pre-activations z^1..z^depth of one ReLU network at one input: shape (depth, width).

    Layer 1 sees an input with |x|^2/d = q0, so z^1 ~ N(0, C_W q0 + C_b);
    layer l+1 is N(0, C_W |relu(z^l)|^2/n + C_b) given layer l.
    """
    jnp = jax.numpy
    c_w, c_b = inputs["C_W"], inputs["bias_var"]
    noise = jax.random.normal(key, (depth, width))
    first = jnp.sqrt(c_w * inputs["q0"] + c_b) * noise[0]

    def layer(z: Any, g: Any) -> tuple[Any, Any]:
        h = jax.nn.relu(z)
        nxt = jnp.sqrt(c_w * jnp.mean(h**2) + c_b) * g
        return nxt, nxt

    _, rest = jax.lax.scan(layer, first, noise[1:])
    return jnp.concatenate([first[None], rest])


class LengthParams(_Params):
    """Depth and sample size of the ReLU forward-variance measurement."""

    max_depth: int = pydantic.Field(16, ge=1, description="layers computed (swept depth <= this)")


@measurement("signal_prop.relu_length", params=LengthParams, outputs=["q", "q_first"])
def relu_length(
    key: Any,
    params: LengthParams,
    *,
    depth: Any = 1.0,
    C_W: Any = 2.0,
    bias_var: Any = 0.0,
    q0: Any = 1.0,
) -> dict[str, Any]:
    """Forward variance of a deep ReLU network at init, at layer `depth`.

    A fully connected ReLU network of width n with weights N(0, C_W/n) (the
    first layer N(0, C_W/d)) and biases N(0, bias_var), fed an input with
    |x|^2/d = q0. Outputs: `q`, the mean over `networks` networks of
    |z^depth|^2/n, the per-unit variance of the pre-activation at layer
    `depth` (He et al.'s Var[y_L]; `depth` is a traced input in 1..max_depth,
    so a sweep over depths compiles once); `q_first`, the same at layer 1.
    """
    jnp = jax.numpy
    inputs = {"C_W": C_W, "bias_var": bias_var, "q0": q0}
    keys = jax.random.split(key, params.networks)
    z = jax.vmap(lambda k: _relu_chain(k, params.width, params.max_depth, inputs))(keys)
    q = jnp.mean(z**2, axis=(0, 2))  # (max_depth,)
    index = jnp.clip(jnp.round(depth).astype(int) - 1, 0, params.max_depth - 1)
    return {"q": q[index], "q_first": q[0]}


class MomentParams(_Params):
    """Depth and sample size of the finite-width moment measurement."""

    depth: int = pydantic.Field(9, ge=1, description="layers L; outputs are curves over 1..L")


@measurement(
    "signal_prop.relu_moments",
    params=MomentParams,
    outputs=["layer", "q", "kurtosis", "log_norm_var", "log_norm_mean"],
)
def relu_moments(
    key: Any,
    params: MomentParams,
    *,
    C_W: Any = 2.0,
    bias_var: Any = 0.0,
    q0: Any = 1.0,
) -> dict[str, Any]:
    """Finite-width statistics of a deep ReLU network's pre-activations, layer by layer.

    Same networks as `relu_length` (weights N(0, C_W/n), biases N(0, bias_var),
    |x|^2/d = q0), `networks` of them per seed. Curves over l = 1..depth:
    `layer` (l); `q`, the mean of |z^l|^2/n; `kurtosis`, the single-unit
    moment ratio E[z^4]/E[z^2]^2 with both moments pooled over units and
    networks (3 for a Gaussian); `log_norm_var` and `log_norm_mean`, the
    variance and the mean over networks of log(|z^l|^2/n).
    """
    jnp = jax.numpy
    inputs = {"C_W": C_W, "bias_var": bias_var, "q0": q0}
    keys = jax.random.split(key, params.networks)
    z = jax.vmap(lambda k: _relu_chain(k, params.width, params.depth, inputs))(keys)
    second = jnp.mean(z**2, axis=2)  # (networks, depth): |z^l|^2/n
    fourth = jnp.mean(z**4, axis=2)
    log_norm = jnp.log(second)
    return {
        "layer": jnp.arange(1, params.depth + 1, dtype=z.dtype),
        "q": second.mean(axis=0),
        "kurtosis": fourth.mean(axis=0) / second.mean(axis=0) ** 2,
        "log_norm_var": log_norm.var(axis=0, ddof=1),
        "log_norm_mean": log_norm.mean(axis=0),
    }


# --------------------------------------------------------------------------- two inputs


def _erf_pair_chain(key: Any, width: int, depth: int, inputs: dict[str, Any]) -> Any:
    """Pre-activations of two inputs through one erf network: shape (depth, 2, width).

    The inputs have |x|^2/d = q0 and correlation c0. Given the previous
    activations (a, b), unit i's pair is Gaussian with covariance
    S = C_b + (sigma_w2/n) [[a.a, a.b], [a.b, b.b]], drawn by its Cholesky factor.
    """
    jnp = jax.numpy
    s_w, s_b = inputs["sigma_w2"], inputs["sigma_b2"]
    noise = jax.random.normal(key, (depth, 2, width))

    def draw(s11: Any, s12: Any, s22: Any, g: Any) -> Any:
        l11 = jnp.sqrt(s11)
        l21 = s12 / l11
        l22 = jnp.sqrt(jnp.maximum(s22 - l21**2, 0.0))
        return jnp.stack([l11 * g[0], l21 * g[0] + l22 * g[1]])

    q0, c0 = inputs["q0"], inputs["c0"]
    first = draw(s_w * q0 + s_b, s_w * q0 * c0 + s_b, s_w * q0 + s_b, noise[0])

    def layer(z: Any, g: Any) -> tuple[Any, Any]:
        a, b = jax.scipy.special.erf(z[0]), jax.scipy.special.erf(z[1])
        nxt = draw(
            s_w * jnp.mean(a * a) + s_b, s_w * jnp.mean(a * b) + s_b, s_w * jnp.mean(b * b) + s_b, g
        )
        return nxt, nxt

    _, rest = jax.lax.scan(layer, first, noise[1:])
    return jnp.concatenate([first[None], rest])


class CorrelationParams(_Params):
    """Depth, sample size and fitting window of the erf correlation measurement."""

    width: int = pydantic.Field(256, ge=2, description="hidden width n of every layer")
    networks: int = pydantic.Field(64, ge=2, description="independent networks per seed")
    depth: int = pydantic.Field(24, ge=2, description="layers L")
    fit_from: int = pydantic.Field(8, ge=1, description="first layer of the decay-rate fit")
    fit_to: int = pydantic.Field(24, ge=2, description="last layer of the decay-rate fit")

    @pydantic.model_validator(mode="after")
    def _window_inside(self) -> CorrelationParams:
        if not self.fit_from < self.fit_to <= self.depth:
            raise ValueError("need fit_from < fit_to <= depth")
        return self


@measurement(
    "signal_prop.erf_correlation",
    params=CorrelationParams,
    outputs=["decay_rate", "q_star", "one_minus_c_last"],
)
def erf_correlation(
    key: Any,
    params: CorrelationParams,
    *,
    sigma_w2: Any = 1.0,
    sigma_b2: Any = 0.1,
    q0: Any = 1.0,
    c0: Any = 0.5,
) -> dict[str, Any]:
    """How fast two inputs' pre-activations become parallel in a deep erf network.

    Weights N(0, sigma_w2/n), biases N(0, sigma_b2), erf activation; two
    inputs with |x|^2/d = q0 and correlation c0. Per layer, 1 - c_l is the
    cosine distance of the two pre-activation vectors, computed as
    |u - v|^2/2 for their unit vectors u, v (no cancellation near c = 1).
    Outputs (scalars; a claim on them cannot mix in per-layer curves, whose
    shapes would not align): `decay_rate`, the least-squares slope against l
    of log(mean over networks of 1 - c_l) over layers fit_from..fit_to
    (-1/xi_c in the ordered phase); `q_star`, the mean over that window,
    over networks and over both inputs, of |z^l|^2/n (the length fixed
    point); `one_minus_c_last`, mean 1 - c at layer fit_to. Use float64:
    1 - c falls to about 1e-6 over the window.
    """
    jnp = jax.numpy
    inputs = {"sigma_w2": sigma_w2, "sigma_b2": sigma_b2, "q0": q0, "c0": c0}
    keys = jax.random.split(key, params.networks)
    z = jax.vmap(lambda k: _erf_pair_chain(k, params.width, params.depth, inputs))(keys)
    unit = z / jnp.linalg.norm(z, axis=-1, keepdims=True)  # (networks, depth, 2, width)
    distance = 0.5 * jnp.sum((unit[:, :, 0] - unit[:, :, 1]) ** 2, axis=-1)
    one_minus_c = distance.mean(axis=0)
    q = jnp.mean(z**2, axis=(0, 2, 3))
    layer = jnp.arange(1, params.depth + 1, dtype=z.dtype)
    window = slice(params.fit_from - 1, params.fit_to)
    x, y = layer[window], jnp.log(one_minus_c[window])
    slope = jnp.sum((x - x.mean()) * (y - y.mean())) / jnp.sum((x - x.mean()) ** 2)
    return {
        "decay_rate": slope,
        "q_star": q[window].mean(),
        "one_minus_c_last": one_minus_c[params.fit_to - 1],
    }
