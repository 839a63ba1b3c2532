"""Mutual information estimated by a trained critic: MINE's Donsker-Varadhan bound.

Belghazi et al. (2018) estimate I(X; Y) by maximising the Donsker-Varadhan
lower bound E_P[T] - log E_{P_X x P_Y}[e^T] over a family of critics T. The
bound is tight at T* = log dP/d(P_X x P_Y) + const, so a critic family that
contains T* recovers the mutual information. For componentwise-correlated
Gaussians T* is a quadratic form, and the paper's own benchmark has the closed
form I = -d/2 log(1 - rho^2). This measurement trains a small quadratic critic
(three parameters) by Adam on one training sample and evaluates the bound on
held-out samples; a bilinear critic, which cannot represent T*, is the knob
that breaks the hypothesis (a traced input, like the dimension: one compilation
serves a whole claim).
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.nets import train
from checker.measure.registry import measurement

jax = lazy.load("jax")
optax = lazy.load("optax")

__all__ = ["MINEParams", "gaussian_dv"]


class MINEParams(pydantic.BaseModel):
    """Dimension, sample sizes, optimiser and critic family of the MI estimate."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    max_dim: int = pydantic.Field(
        4, ge=1, description="coordinates drawn; the first `dim` (an input) are used"
    )
    train_samples: int = pydantic.Field(4096, ge=2, description="pairs used to train the critic")
    eval_samples: int = pydantic.Field(32768, ge=2, description="held-out pairs for the bound")
    steps: int = pydantic.Field(300, ge=1, description="full-batch Adam steps")
    lr: float = pydantic.Field(0.05, gt=0, description="Adam step size")


def _pairs(key: Any, count: int, params: MINEParams, dim: Any, rho: Any) -> tuple[Any, Any, Any]:
    """x ~ N(0, I_d), y = rho x + sqrt(1 - rho^2) xi (joint), and y' ~ N(0, I_d) independent.

    The `max_dim - dim` unused coordinates are zero in all three, so that the
    dimension is a traced input (one compilation serves every d) and the critic
    sees exactly d-dimensional pairs. Samples are columns, shape (max_dim, count):
    with samples as rows, XLA:CPU in JAX 0.10.2 miscompiled the runner's
    jit(vmap(vmap)) of this measurement (sweep points got wrong values at
    count = 32768).
    """
    jnp = jax.numpy
    shape = (params.max_dim, count)
    used = (jnp.arange(params.max_dim) < dim)[:, None]
    k_x, k_xi, k_y = jax.random.split(key, 3)
    x = jnp.where(used, jax.random.normal(k_x, shape), 0.0)
    y = rho * x + jnp.sqrt(1 - rho**2) * jnp.where(used, jax.random.normal(k_xi, shape), 0.0)
    return x, y, jnp.where(used, jax.random.normal(k_y, shape), 0.0)


def _critic(theta: Any, x: Any, y: Any, quadratic: Any) -> Any:
    """T(x, y) = theta1 x.y + quadratic * (theta2 |x|^2 + theta3 |y|^2), one value per column.

    With quadratic = 0 the last two parameters get no gradient and stay 0: a bilinear critic.
    """
    jnp = jax.numpy
    squares = theta[1] * jnp.sum(x**2, axis=0) + theta[2] * jnp.sum(y**2, axis=0)
    return theta[0] * jnp.sum(x * y, axis=0) + quadratic * squares


def _dv_bound(theta: Any, x: Any, y: Any, y_product: Any, quadratic: Any) -> Any:
    """E_P[T] - log E_{P_X x P_Y}[e^T] on a sample (the product pairs x with y')."""
    jnp = jax.numpy
    joint = _critic(theta, x, y, quadratic)
    product = _critic(theta, x, y_product, quadratic)
    return jnp.mean(joint) - (jax.scipy.special.logsumexp(product) - jnp.log(product.shape[0]))


@measurement("mine.gaussian_dv", params=MINEParams, outputs=["mi", "train_mi"])
def gaussian_dv(
    key: Any, params: MINEParams, *, rho: Any, dim: Any, quadratic: Any = 1.0
) -> dict[str, Any]:
    """Donsker-Varadhan estimate of I(X; Y) for componentwise-correlated Gaussians.

    X ~ N(0, I_d) and Y = rho X + sqrt(1 - rho^2) xi, with d = `dim` <= `max_dim`. The
    critic (`quadratic` 1: theta1 x.y + theta2 |x|^2 + theta3 |y|^2, a family that
    contains T*; 0: theta1 x.y only; parameters from 0) is trained by full-batch Adam to
    maximise the DV bound on `train_samples` joint pairs and as many independent
    product pairs (x, y'), then the bound is evaluated on fresh held-out samples.

    Outputs: `mi`, the held-out DV bound in nats; `train_mi`, the bound on the
    training sample (above `mi` by the critic's overfitting).
    """
    jnp = jax.numpy
    k_train, k_eval = jax.random.split(key)
    x, y, y_product = _pairs(k_train, params.train_samples, params, dim, rho)

    def loss(theta: Any) -> Any:
        return -_dv_bound(theta, x, y, y_product, quadratic)

    theta, _ = train(loss, jnp.zeros(3), optax.adam(params.lr), params.steps, every=params.steps)
    held_out = _pairs(k_eval, params.eval_samples, params, dim, rho)
    return {"mi": _dv_bound(theta, *held_out, quadratic), "train_mi": -loss(theta)}
