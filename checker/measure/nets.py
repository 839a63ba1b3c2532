"""Shared pieces for measurements: a tiny MLP, its empirical NTK, a training loop.

Written once so that every measurement builds networks, kernels and training
runs the same way: a claim about "a two-layer ReLU network in NTK
parametrisation trained by gradient descent" then means one thing across the
library. Everything here is a pure function of its arguments, traceable under
`jit` and `vmap` (the runner vmaps measurements over seeds and sweep points).
This module registers no measurement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import lazy_loader as lazy

jax = lazy.load("jax")
optax = lazy.load("optax")

__all__ = ["empirical_ntk", "flat_gradient", "mlp_apply", "mlp_init", "train"]

Params = list[tuple[Any, Any]]
Parametrisation = Literal["ntk", "standard"]


def mlp_init(
    key: Any,
    widths: Sequence[int],
    *,
    parametrisation: Parametrisation = "ntk",
    sigma_w: float = 1.0,
) -> Params:
    """Layer weights for `widths = [d_in, n_1, ..., d_out]`, biases zero.

    In NTK parametrisation the weights are N(0, 1) and the forward pass scales
    by sigma_w / sqrt(fan_in); in standard parametrisation the weights carry
    that scale themselves. The two define the same function at
    initialisation but different gradient flows (Jacot et al. 2018, remark 1).
    """
    jnp = jax.numpy
    keys = jax.random.split(key, len(widths) - 1)
    layers = []
    for k, fan_in, fan_out in zip(keys, widths[:-1], widths[1:], strict=True):
        w = jax.random.normal(k, (fan_out, fan_in))
        if parametrisation == "standard":
            w = w * sigma_w / fan_in**0.5
        layers.append((w, jnp.zeros(fan_out)))
    return layers


def mlp_apply(
    params: Params,
    x: Any,
    *,
    activation: Callable[[Any], Any] | None = None,
    parametrisation: Parametrisation = "ntk",
    sigma_w: float = 1.0,
) -> Any:
    """The network's output for inputs x of shape (batch, d_in); linear last layer."""
    phi = activation or jax.nn.relu
    h = x
    for i, (w, b) in enumerate(params):
        scale = sigma_w / w.shape[1] ** 0.5 if parametrisation == "ntk" else 1.0
        h = scale * h @ w.T + b
        if i < len(params) - 1:
            h = phi(h)
    return h


def flat_gradient(f: Callable[[Any, Any], Any], params: Any, x: Any) -> Any:
    """Per-input gradients of a scalar-output f(params, x), flattened: (batch, n_params)."""
    from jax.flatten_util import ravel_pytree

    flat, unravel = ravel_pytree(params)

    def one(xi: Any) -> Any:
        return jax.grad(lambda p: f(unravel(p), xi[None]).sum())(flat)

    return jax.vmap(one)(x)


def empirical_ntk(f: Callable[[Any, Any], Any], params: Any, x1: Any, x2: Any) -> Any:
    """Theta(x1, x2) = J(x1) J(x2)^T for a scalar-output network: a plain Jacobian contraction."""
    return flat_gradient(f, params, x1) @ flat_gradient(f, params, x2).T


def train(
    loss: Callable[[Any], Any],
    params: Any,
    optimizer: Any,
    steps: int,
    *,
    record: Callable[[Any], Any] | None = None,
    every: int = 1,
) -> tuple[Any, Any]:
    """Run `steps` optimizer updates on loss(params) in one `lax.scan`.

    Returns the final params and `record(params)` stacked every `every`
    steps, starting from the initial params (so `steps // every + 1` rows).
    Use `optax.sgd(lr)` for plain gradient descent.
    """
    observe = record or loss
    state = optimizer.init(params)

    def step(carry: tuple[Any, Any], _: Any) -> tuple[tuple[Any, Any], None]:
        p, s = carry
        grads = jax.grad(loss)(p)
        updates, s = optimizer.update(grads, s, p)
        return (optax.apply_updates(p, updates), s), None

    def block(carry: tuple[Any, Any], _: Any) -> tuple[tuple[Any, Any], Any]:
        carry, _ = jax.lax.scan(step, carry, None, length=every)
        return carry, observe(carry[0])

    blocks, rest = divmod(steps, every)
    carry, trace = jax.lax.scan(block, (params, state), None, length=blocks)
    carry, _ = jax.lax.scan(step, carry, None, length=rest)
    first = jax.tree_util.tree_map(lambda a: a[None], observe(params))
    trace = jax.tree_util.tree_map(lambda a, b: jax.numpy.concatenate([a, b]), first, trace)
    return carry[0], trace
