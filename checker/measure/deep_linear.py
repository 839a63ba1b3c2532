"""Deep linear networks: the setting of exact learning-dynamics claims.

Saxe, McClelland and Ganguli (2014) solve gradient descent on a two-layer
linear network in closed form when the inputs are whitened and the weights
start on the decoupled, balanced manifold. The measurements here train that
network for real (full-batch gradient descent through optax), so a claim can
hold the closed form against the trajectory and break it by leaving the
manifold through a parameter (for example an unbalanced start).
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")
optax = lazy.load("optax")

__all__ = ["ModeTrajectoryParams", "learning_time", "mode_trajectory"]


class ModeTrajectoryParams(pydantic.BaseModel):
    """Shape and optimiser settings of the two-layer linear network."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    hidden: int = pydantic.Field(
        32, ge=1, description="hidden width (at least the number of modes)"
    )
    lr: float = pydantic.Field(0.005, gt=0, description="gradient-descent step size; tau = 1/lr")
    steps: int = pydantic.Field(3000, ge=1, description="number of full-batch GD steps recorded")
    other_s: tuple[float, ...] = pydantic.Field(
        (3.0, 1.0, 0.25),
        description="singular values of the target's other modes (mode 0 is the swept `s`)",
    )
    balance_ratio: float = pydantic.Field(
        1.0, gt=0, description="a/b of every mode at init, at fixed product a*b = u0 (1: balanced)"
    )

    @pydantic.model_validator(mode="after")
    def _hidden_holds_modes(self) -> ModeTrajectoryParams:
        if self.hidden < 1 + len(self.other_s):
            raise ValueError(
                f"hidden must be at least the number of modes, {1 + len(self.other_s)}"
            )
        return self


def _orthogonal(key: Any, n: int) -> Any:
    """A random n x n orthogonal matrix (QR of a Gaussian matrix)."""
    q, _ = jax.numpy.linalg.qr(jax.random.normal(key, (n, n)))
    return q


@measurement(
    "deep_linear.mode_trajectory",
    params=ModeTrajectoryParams,
    outputs=["t", "u", "balance_error"],
)
def mode_trajectory(key: Any, params: ModeTrajectoryParams, *, s: Any, u0: Any) -> dict[str, Any]:
    """Strength of one input-output mode while GD trains a two-layer linear network.

    Whitened inputs reduce the loss to 1/2 ||S - W2 W1||_F^2 with target
    S = U diag(s, *other_s) V^T (U, V random orthogonal per seed). The weights
    start decoupled, W1 = R diag(a) V^T and W2 = U diag(b) R^T with R a random
    orthonormal frame of the hidden layer, and every mode has product a*b = u0
    and ratio a/b = `balance_ratio` (1 is the balanced start of the closed form).
    Plain GD (optax.sgd, step `lr`) runs for `steps` steps.

    Outputs: `t`, the step index (shape (steps,)); `u`, the swept mode's strength
    u_0^T W2 W1 v_0 before each step (u[0] = u0); `balance_error`, the swept mode's
    max over steps of |a^2 - b^2| / (a^2 + b^2), with a = r_0^T W1 v_0 and
    b = u_0^T W2 r_0 (0 on the balanced manifold, which GD preserves).
    Knobs: `balance_ratio` leaves the balanced manifold; `lr` sets the
    discretisation error of GD against gradient flow, O(lr * s).
    """
    jnp = jax.numpy
    modes = 1 + len(params.other_s)
    k_u, k_v, k_r = jax.random.split(key, 3)
    u_mat, v_mat = _orthogonal(k_u, modes), _orthogonal(k_v, modes)
    r_mat = _orthogonal(k_r, params.hidden)[:, :modes]
    dtype = u_mat.dtype
    svals = jnp.concatenate([jnp.reshape(s, (1,)), jnp.asarray(params.other_s)]).astype(dtype)
    target = (u_mat * svals) @ v_mat.T
    ratio = jnp.asarray(params.balance_ratio, dtype)
    a0 = jnp.sqrt(u0 * ratio) * jnp.ones(modes, dtype)
    b0 = jnp.sqrt(u0 / ratio) * jnp.ones(modes, dtype)
    weights = {"w1": (r_mat * a0) @ v_mat.T, "w2": (u_mat * b0) @ r_mat.T}

    def loss(w: dict[str, Any]) -> Any:
        return 0.5 * jnp.sum((target - w["w2"] @ w["w1"]) ** 2)

    opt = optax.sgd(params.lr)

    def step(carry: tuple[Any, Any], _: None) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
        w, state = carry
        u = u_mat[:, 0] @ w["w2"] @ w["w1"] @ v_mat[:, 0]
        a = r_mat[:, 0] @ w["w1"] @ v_mat[:, 0]
        b = u_mat[:, 0] @ w["w2"] @ r_mat[:, 0]
        updates, state = opt.update(jax.grad(loss)(w), state, w)
        return (optax.apply_updates(w, updates), state), (u, jnp.abs(a**2 - b**2) / (a**2 + b**2))

    _, (u, imbalance) = jax.lax.scan(step, (weights, opt.init(weights)), None, length=params.steps)
    return {"t": jnp.arange(params.steps, dtype=u.dtype), "u": u, "balance_error": imbalance.max()}


def _crossing_step(u: Any, level: Any) -> Any:
    """First (fractional) step at which u reaches `level`, by linear interpolation.

    `steps` if u never gets there (the claim's hypotheses then catch it).
    """
    jnp = jax.numpy
    above = u >= level
    i = jnp.clip(jnp.argmax(above), 1, u.shape[0] - 1)
    before, after = u[i - 1], u[i]
    fraction = (level - before) / jnp.where(after > before, after - before, 1.0)
    return jnp.where(above.any(), i - 1 + jnp.clip(fraction, 0.0, 1.0), u.shape[0])


@measurement(
    "deep_linear.learning_time",
    params=ModeTrajectoryParams,
    outputs=["t_learn", "reached", "balance_error"],
)
def learning_time(
    key: Any, params: ModeTrajectoryParams, *, s: Any, u0: Any, frac: Any
) -> dict[str, Any]:
    """Gradient-descent steps a mode takes to grow from u0 to frac * s.

    Runs `deep_linear.mode_trajectory` (same network, target, start and knobs) and
    returns `t_learn`, the first step at which the mode strength u reaches frac * s,
    interpolated linearly between steps; `reached`, 1 if it did within `steps`
    (else 0, and t_learn = steps); `balance_error` as in mode_trajectory.
    """
    trajectory = mode_trajectory(key, params, s=s, u0=u0)
    u = trajectory["u"]
    t = _crossing_step(u, frac * s)
    reached = (u >= frac * s).any().astype(u.dtype)
    return {"t_learn": t, "reached": reached, "balance_error": trajectory["balance_error"]}
