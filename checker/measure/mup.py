"""Feature learning as width grows: the maximal-update (muP) and NTK parametrisations.

Yang and Hu (2021, Tensor Programs IV) classify how a network's weights and
learning rates may scale with the width n (the abc-parametrisations: layer l
computes n^-a_l w_l h, w_l ~ N(0, n^-2 b_l), learning rate eta n^-c) and show
that the NTK parametrisation cannot learn features: after a step of SGD the
hidden representation moves by O(n^-1/2) per coordinate, while in the maximal
update parametrisation (muP) it moves by Theta(1). This module takes that step
for real on the same random draws in both parametrisations and reports how far
the last hidden layer moved, so a claim can fit the exponent of n.
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.nets import mlp_init, train
from checker.measure.registry import measurement

jax = lazy.load("jax")
optax = lazy.load("optax")

__all__ = ["ABC", "FeatureParams", "feature_change"]

# (a_l, b_l) for the input, hidden and output layers, and c; Yang & Hu (2021), Table 1
# (the NTK row with input dimension d held fixed). Weights are w = n^-b * N(0, 1) and
# the layer multiplies by n^-a: muP ends with an n^-1 readout, NTK with n^-1/2.
ABC: dict[str, tuple[tuple[tuple[float, float], ...], float]] = {
    "mup": (((-0.5, 0.5), (0.0, 0.5), (0.5, 0.5)), 0.0),
    "ntk": (((0.0, 0.0), (0.5, 0.0), (0.5, 0.0)), 0.0),
}


class FeatureParams(pydantic.BaseModel):
    """Shape of the two-hidden-layer tanh network and its SGD step."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    max_width: int = pydantic.Field(
        1024, ge=2, description="array size; the swept width n (a traced input) must not exceed it"
    )
    dim: int = pydantic.Field(4, ge=1, description="input dimension d (held fixed)")
    steps: int = pydantic.Field(1, ge=1, description="SGD steps on the single example")


def _forward(
    weights: list[Any], multipliers: tuple[Any, ...], mask: Any, x: Any
) -> tuple[Any, Any]:
    """Output and last hidden pre-activation; h_l = mask * m_l W_l tanh(h_{l-1}).

    Units past the width are held at 0 (tanh(0) = 0), so they feed nothing
    forward and receive no gradient: the arrays compute exactly the width-n
    network, and one compilation serves every width.
    """
    jnp = jax.numpy
    h = mask * multipliers[0] * (weights[0] @ x)
    h = mask * multipliers[1] * (weights[1] @ jnp.tanh(h))
    out = multipliers[2] * (weights[2] @ jnp.tanh(h))
    return out[0], h


def _one_parametrisation(
    unit: list[Any], name: str, width: Any, x: Any, lr: Any, steps: int
) -> tuple[Any, Any, Any]:
    """(RMS change of the last hidden layer, |residual| at init, |output change|); target 1."""
    jnp = jax.numpy
    layers, c = ABC[name]
    weights = [width ** (-b) * w for w, (_, b) in zip(unit, layers, strict=True)]
    multipliers = tuple(width ** (-a) for a, _ in layers)
    mask = (jnp.arange(unit[1].shape[0]) < width).astype(x.dtype)

    def loss(ws: list[Any]) -> Any:
        return 0.5 * (_forward(ws, multipliers, mask, x)[0] - 1.0) ** 2

    trained, _ = train(loss, weights, optax.sgd(lr * width ** (-c)), steps)
    out0, h0 = _forward(weights, multipliers, mask, x)
    out1, h1 = _forward(trained, multipliers, mask, x)
    rms = jnp.sqrt(jnp.sum((h1 - h0) ** 2) / width)
    return rms, jnp.abs(out0 - 1.0), jnp.abs(out1 - out0)


@measurement(
    "mup.feature_change",
    params=FeatureParams,
    outputs=["ntk_index", "feature_change", "residual", "output_change"],
    batching="loop",  # a loop of single-seed calls is 3x faster than vmap here (bench/perf.py)
)
def feature_change(
    key: Any, params: FeatureParams, *, width: Any = 256.0, lr: Any = 0.5
) -> dict[str, Any]:
    """How far SGD moves the last hidden layer, in muP and in NTK parametrisation.

    A tanh MLP d -> n -> n -> 1 without biases; the unit-variance draws come
    from `nets.mlp_init` and are rescaled per parametrisation (the same draws
    for both, so their difference is the parametrisation alone). The width n
    is a traced input: the arrays have `max_width` units and those past n are
    masked to 0 (exactly the width-n network). Input
    x = 2/sqrt(d) (1, ..., 1), target 1, loss (f - 1)^2/2, `steps` SGD steps of
    size lr n^-c. Outputs are pairs ordered (muP, NTK): `ntk_index` = (0, 1);
    `feature_change`, the RMS over units of the change of the last hidden
    pre-activation at x, divided by |f_0 - y| (the step is proportional to the
    residual, whose size varies with the seed); `residual`, |f_0 - y|;
    `output_change`, |f_1 - f_0|.
    """
    jnp = jax.numpy
    n, d = params.max_width, params.dim
    unit = [w for w, _ in mlp_init(key, [d, n, n, 1], parametrisation="ntk")]
    x = 2.0 * jnp.ones(d) / d**0.5
    results = [
        _one_parametrisation(unit, name, width, x, lr, params.steps) for name in ("mup", "ntk")
    ]
    change, residual, moved = (jnp.stack(r) for r in zip(*results, strict=True))
    return {
        "ntk_index": jnp.array([0.0, 1.0]),
        "feature_change": change / residual,
        "residual": residual,
        "output_change": moved,
    }
