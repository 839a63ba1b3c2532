"""Online convex optimisation: regret of online learners against data-dependent bounds.

Optimistic online gradient descent (optimistic mirror descent with the Euclidean
regulariser) uses a hint m_t of the next gradient, and its regret against any u in
the domain is bounded by ||u - x_1||^2/(2*eta) + (eta/2) * sum_t ||g_t - m_t||^2: the
bound adapts to how predictable the gradients are. Checking such a bound needs the
regret and the variation term from the same run, seed by seed; linear losses on a
Euclidean ball keep both exact and cheap (the best fixed point in hindsight has a
closed form), so one seed of ten thousand rounds is a single `lax.scan`.
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")

__all__ = ["AdaptiveRegretParams", "RegretParams", "optimistic_ogd", "optimistic_omd_adaptive"]


class RegretParams(pydantic.BaseModel):
    """The online problem: dimension, horizon and the mean loss vector (static).

    The radius of the ball is a traced input of the measurement, so a sweep over it
    costs no compile.
    """

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    dim: int = pydantic.Field(5, ge=1, description="dimension of the decision space")
    T: int = pydantic.Field(1000, ge=1, description="number of rounds (horizon)")
    mu: tuple[float, ...] = pydantic.Field(
        (1.0, -0.5, 0.3, 0.0, 0.2), description="mean loss vector, one entry per dimension"
    )

    @pydantic.model_validator(mode="after")
    def _mu_matches_dim(self) -> RegretParams:
        if len(self.mu) != self.dim:
            raise ValueError(f"mu has {len(self.mu)} entries but dim={self.dim}; give one per dim")
        return self


def _project(x: Any, radius: float) -> Any:
    """Euclidean projection onto the ball of the given radius."""
    jnp = jax.numpy
    return x * (radius / jnp.maximum(jnp.linalg.norm(x), radius))


def _optimistic_step(eta: Any, radius: float) -> Any:
    """One round of two-step optimistic OGD: play with the hint, then update with the gradient."""
    jnp = jax.numpy

    def step(carry: tuple[Any, Any, Any, Any], g: Any) -> tuple[tuple[Any, Any, Any, Any], None]:
        y, hint, loss, variation = carry
        x = _project(y - eta * hint, radius)  # the point played this round
        y = _project(y - eta * g, radius)  # the secondary sequence, updated with g_t
        return (y, g, loss + jnp.dot(g, x), variation + jnp.sum((g - hint) ** 2)), None

    return step


@measurement("online.optimistic_ogd", params=RegretParams, outputs=["regret", "V"])
def optimistic_ogd(
    key: Any, params: RegretParams, *, sigma: Any = 1.0, eta: Any = 0.05, R: Any = 1.0
) -> dict[str, Any]:
    """Regret of optimistic online gradient descent on noisy linear losses over a ball.

    Losses are <g_t, x> with g_t = mu + sigma * xi_t, xi_t ~ N(0, I) i.i.d.; the learner
    plays in the ball of radius R. Optimistic OGD (Rakhlin & Sridharan's optimistic
    mirror descent with R(x) = ||x||^2/2) keeps y_0 = 0, plays
    x_t = P(y_{t-1} - eta*m_t) and updates y_t = P(y_{t-1} - eta*g_t), with the hint
    m_t = g_{t-1} (m_1 = 0) and P the projection onto the ball.

    Outputs: `regret` = sum_t <g_t, x_t> - min_{|u|<=R} sum_t <g_t, u>, against the best
    fixed point in hindsight u = -R*S/|S|, S = sum_t g_t; `V` = sum_t |g_t - m_t|^2, the
    variation term of the bound.

    Knobs (inputs): sigma (noise scale of the losses), eta (fixed step size), R (radius).
    """
    jnp = jax.numpy
    dtype = jnp.result_type(float)
    mu = jnp.asarray(params.mu, dtype)
    grads = mu + sigma * jax.random.normal(key, (params.T, params.dim), dtype)
    zero = jnp.zeros((params.dim,), dtype)
    init = (zero, zero, jnp.zeros((), dtype), jnp.zeros((), dtype))
    (_, _, loss, variation), _ = jax.lax.scan(_optimistic_step(eta, R), init, grads)
    best = -R * jnp.linalg.norm(grads.sum(axis=0))
    return {"regret": loss - best, "V": variation}


class AdaptiveRegretParams(pydantic.BaseModel):
    """The online problem for a horizon-free learner: domain, longest horizon, mean loss."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    dim: int = pydantic.Field(5, ge=1, description="dimension of the decision space")
    R: float = pydantic.Field(1.0, gt=0, description="radius of the ball the learner plays in")
    max_T: int = pydantic.Field(10000, ge=1, description="rounds simulated (the largest horizon)")
    mu: tuple[float, ...] = pydantic.Field(
        (1.0, -0.5, 0.3, 0.0, 0.2), description="mean loss vector, one entry per dimension"
    )

    @pydantic.model_validator(mode="after")
    def _mu_matches_dim(self) -> AdaptiveRegretParams:
        if len(self.mu) != self.dim:
            raise ValueError(f"mu has {len(self.mu)} entries but dim={self.dim}; give one per dim")
        return self


def _adaptive_step(diameter: float, radius: float) -> Any:
    """One round of optimistic OGD with the step D / sqrt(1 + sum_{s<t} |g_s - m_s|^2)."""
    jnp = jax.numpy

    def step(carry: tuple[Any, ...], g: Any) -> tuple[tuple[Any, ...], None]:
        y, hint, loss, variation = carry
        eta = diameter / jnp.sqrt(1.0 + variation)
        x = _project(y - eta * hint, radius)
        y = _project(y - eta * g, radius)
        return (y, g, loss + jnp.dot(g, x), variation + jnp.sum((g - hint) ** 2)), None

    return step


@measurement(
    "online.optimistic_omd_adaptive",
    params=AdaptiveRegretParams,
    outputs=["regret", "V"],
    batching="loop",  # a loop of single-seed calls is 1.5-2x faster here (bench/perf.py b)
)
def optimistic_omd_adaptive(
    key: Any, params: AdaptiveRegretParams, *, T: Any, sigma: Any = 1.0
) -> dict[str, Any]:
    """Regret after T rounds of optimistic OMD with an adaptive step, on noisy linear losses.

    The stochastically extended adversarial setting of Sachs et al. (2022) and Chen et
    al. (2023) in its simplest, purely stochastic form: losses <g_t, x> with
    g_t = mu + sigma * xi_t, xi_t ~ N(0, I) i.i.d., in the ball of radius R. Optimistic
    OMD with the Euclidean regulariser and the hint m_t = g_{t-1} plays
    x_t = P(y_{t-1} - eta_t m_t), updates y_t = P(y_{t-1} - eta_t g_t), with the
    horizon-free step eta_t = D / sqrt(1 + sum_{s<t} |g_s - m_s|^2), D = 2R.

    One run of `max_T` rounds serves every horizon: rounds after T (a traced input) get
    zero losses, which neither cost nor move the learner. Outputs: `regret` against the
    best fixed point of the ball for the first T rounds; `V` = sum_{t<=T} |g_t - m_t|^2.
    """
    jnp = jax.numpy
    dtype = jnp.result_type(float)
    mu = jnp.asarray(params.mu, dtype)
    rounds = jnp.arange(1, params.max_T + 1)
    noise = jax.random.normal(key, (params.max_T, params.dim), dtype)
    grads = jnp.where((rounds <= T)[:, None], mu + sigma * noise, 0.0)
    zero = jnp.zeros((params.dim,), dtype)
    init = (zero, zero, jnp.zeros((), dtype), jnp.zeros((), dtype))
    step = _adaptive_step(2 * params.R, params.R)
    (_, _, loss, _), _ = jax.lax.scan(step, init, grads)
    hints = jnp.concatenate([zero[None], grads[:-1]])
    variation = jnp.sum(jnp.where((rounds <= T)[:, None], (grads - hints) ** 2, 0.0))
    best = -params.R * jnp.linalg.norm(grads.sum(axis=0))
    return {"regret": loss - best, "V": variation}
