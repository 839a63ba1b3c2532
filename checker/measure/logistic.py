"""Gradient descent on separable logistic regression: the norm grows like log t, the direction turns to max-margin.

Soudry et al. (2018) show that GD on the logistic loss over linearly separable
data never converges: w(t) = w_hat log t + rho(t) with rho bounded, where w_hat
is the hard-margin SVM solution (min |w| s.t. y_n w.x_n >= 1). So |w(t)| grows
like log(t)/margin and w(t)/|w(t)| reaches the max-margin direction only like
1/log t. For the exponential tail the offset rho(t) tends to a vector w_tilde
fixed by the SVM's dual variables alpha_n: (lr/N) exp(-z_n.w_tilde) = alpha_n on
the support vectors z_n = y_n x_n.

To hold those statements against closed forms the data set is built so that its
SVM is known exactly: in z = y x coordinates, two support vectors
margin * (1, b_up) and margin * (1, -b_down), and non-support vectors
margin * (c, a) with c >= 2. Then w_hat = (1/margin, 0), |w_hat| = 1/margin,
and the dual variables are alpha_up = b_down / (margin^2 (b_up + b_down)),
alpha_down = b_up / (margin^2 (b_up + b_down)). The labels y are random signs
(x = y z), so the learner sees an ordinary labelled data set. Float64 is
needed: late increments of |w| are ~1/t.
"""

from __future__ import annotations

import math
from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")

__all__ = ["SeparableParams", "separable_gd"]

UNROLL = 8  # GD steps per loop iteration: the loop overhead dominates these tiny steps


class SeparableParams(pydantic.BaseModel):
    """The separable data set and the step size (static)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    others: int = pydantic.Field(8, ge=0, description="non-support vectors")
    closest: float = pydantic.Field(
        2.0, gt=1.0, description="non-support vectors have margin at least closest * margin"
    )
    lr_factor: float = pydantic.Field(
        1.0, gt=0, description="step size in units of 1/smoothness of the mean logistic loss"
    )
    window: float = pydantic.Field(
        100.0, gt=1, description="the norm slope is measured between t/window and t"
    )


def _data(key: Any, margin: Any, params: SeparableParams) -> tuple[Any, Any, Any, Any]:
    """Rows z_n = y_n x_n (the learner's effective inputs), labels y, and b_up, b_down."""
    jnp = jax.numpy
    k_b, k_c, k_a, k_y = jax.random.split(key, 4)
    b_up, b_down = jax.random.uniform(k_b, (2,), minval=1.0, maxval=2.0)
    support = jnp.stack([jnp.array([1.0, b_up]), jnp.array([1.0, -b_down])])
    c = jax.random.uniform(k_c, (params.others,), minval=params.closest, maxval=params.closest + 2)
    a = 3.0 * jax.random.normal(k_a, (params.others,))
    flipped = -support  # both support vectors with the opposite label
    z = margin * jnp.concatenate([support, jnp.stack([c, a], axis=1), flipped])
    y = jnp.where(jax.random.bernoulli(k_y, 0.5, (z.shape[0],)), 1.0, -1.0)
    return z, y, b_up, b_down


def _gradient(z: Any, weights: Any, w: Any) -> Any:
    """Gradient of the weighted mean of log(1 + exp(-z_n.w)); weights sum to 1."""
    return -(weights * jax.nn.sigmoid(-(z @ w))) @ z


@measurement(
    "logistic.separable_gd",
    params=SeparableParams,
    outputs=[
        "norm_slope",
        "direction_tan",
        "norm",
        "b_up",
        "b_down",
        "lr",
        "samples",
        "min_margin",
    ],
)
def separable_gd(
    key: Any, params: SeparableParams, *, margin: Any, t: Any, mislabelled: Any = 0.0
) -> dict[str, Any]:
    """Run GD from w = 0 for t steps on the mean logistic loss of the built data set.

    The data set also holds copies of both support vectors with the opposite
    label, weighted by `mislabelled` (0: absent, the data are separable; 1: full
    points, no separator exists and the loss has a finite minimiser). Step size lr = lr_factor / beta with
    beta = lambda_max(Z^T diag(p) Z)/4 the smoothness (p the normalised weights).
    Outputs: `norm_slope`, (|w(t)| - |w(t/window)|) / ln(window), which tends to
    |w_hat| = 1/margin; `direction_tan`, |w_2|/w_1, the tangent of the angle between
    w(t) and w_hat (it tends to 0 like 1/log t); `norm`, |w(t)|; `b_up`, `b_down`,
    the support-vector offsets that fix the SVM dual; `lr` and `samples` (N, the
    total weight), so a
    claim can form the asymptotic offset; `min_margin`, min_n z_n.w/|w| (equals
    `margin` in the limit, negative when the data are not separable).
    """
    jnp = jax.numpy
    x_dtype = jnp.zeros(()).dtype
    z, y, b_up, b_down = _data(key, margin, params)
    x = y[:, None] * z
    effective = y[:, None] * x
    weights = jnp.ones(z.shape[0], x_dtype).at[-2:].set(mislabelled)
    samples = weights.sum()
    weights = weights / samples
    smoothness = jnp.linalg.eigvalsh((effective.T * weights) @ effective)[-1] / 4.0
    lr = params.lr_factor / smoothness

    def step(_: Any, w: Any) -> Any:
        return w - lr * _gradient(effective, weights, w)

    horizon = jnp.round(t).astype(jnp.int32)
    early = jnp.maximum(jnp.round(t / params.window).astype(jnp.int32), 1)

    def block(_: Any, w: Any) -> Any:
        return jax.lax.fori_loop(0, UNROLL, step, w, unroll=True)

    w_early = jax.lax.fori_loop(0, early, step, jnp.zeros(2, x_dtype))
    blocks, rest = jnp.divmod(horizon - early, UNROLL)
    w = jax.lax.fori_loop(0, rest, step, jax.lax.fori_loop(0, blocks, block, w_early))
    norm = jnp.linalg.norm(w)
    return {
        "norm_slope": (norm - jnp.linalg.norm(w_early)) / math.log(params.window),
        "direction_tan": jnp.abs(w[1]) / w[0],
        "norm": norm,
        "b_up": b_up,
        "b_down": b_down,
        "lr": lr,
        "samples": samples,
        "min_margin": jnp.min(jnp.where(weights > 0, effective @ w, jnp.inf)) / norm,
    }
