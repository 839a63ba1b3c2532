"""Diagonal linear networks: the implicit regulariser set by the initialisation and the step size.

An underdetermined least-squares problem X w = y (n < d) has many exact
solutions; which one gradient descent reaches depends on how w is
parametrised and initialised. For diagonal linear networks the answer is a
closed-form separable objective:

* Woodworth et al. (2020), w = u_+^2 - u_-^2 from u_+ = u_- = alpha: the limit
  minimises Q_alpha(w) = alpha^2 sum q(w_i / alpha^2) subject to X w = y, with
  q(z) = 2 - sqrt(4 + z^2) + z asinh(z/2) (l2-like for large alpha, l1-like
  for small alpha);
* Azulay et al. (2021), w = u_+ v_+ - u_- v_-: the objective depends on the
  initialisation *shape* through k_i = 2(u_i(0)^2 + v_i(0)^2), not only on
  the product u_i(0) v_i(0);
* Nacson et al. (2022), Even et al. (2023): a finite step size moves the limit
  off the gradient-flow minimiser, at first order in the step.

The measurements train these networks for real (full-batch GD through optax,
float64 when the claim asks for it) and return the point GD converged to with
the constraint matrix X, so that a `stationary` claim can check the KKT
conditions of the predicted objective. For GD on the product model the limit
satisfies them exactly with a per-coordinate effective k_eff = k prod_t (1 -
lr^2 r_t^2) (r the gradient with respect to w); `k_eff` is returned too, read
off exactly from the final weights.
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.nets import train
from checker.measure.registry import measurement

jax = lazy.load("jax")
optax = lazy.load("optax")

__all__ = ["DiagonalParams", "product_diagonal", "squared_diagonal"]


class DiagonalParams(pydantic.BaseModel):
    """The sparse regression problem and the length of training (static)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    samples: int = pydantic.Field(10, ge=1, description="training points n (n < dim)")
    dim: int = pydantic.Field(40, ge=2, description="input dimension d")
    sparsity: int = pydantic.Field(3, ge=1, description="non-zero entries (all 1) of the teacher")
    steps: int = pydantic.Field(100_000, ge=1, description="full-batch GD steps")

    @pydantic.model_validator(mode="after")
    def _underdetermined(self) -> DiagonalParams:
        if self.samples >= self.dim:
            raise ValueError(f"samples={self.samples} must be < dim={self.dim} (interpolation)")
        if self.sparsity > self.dim:
            raise ValueError(f"sparsity={self.sparsity} exceeds dim={self.dim}")
        return self


def _sparse_regression(key: Any, params: DiagonalParams) -> tuple[Any, Any]:
    """Gaussian inputs X (n, d) and labels y = X w* of a sparse teacher with unit entries."""
    jnp = jax.numpy
    k_x, k_support = jax.random.split(key)
    x = jax.random.normal(k_x, (params.samples, params.dim))
    support = jax.random.permutation(k_support, params.dim)[: params.sparsity]
    teacher = jnp.zeros(params.dim, x.dtype).at[support].set(1.0)
    return x, x @ teacher


def _mse(x: Any, y: Any, w: Any) -> Any:
    return 0.5 * jax.numpy.mean((x @ w - y) ** 2)


def kkt_residual(gradient: Any, x: Any) -> Any:
    """|(I - P) g| / |g| with P the projector on the row space of X: 0 at a KKT point."""
    jnp = jax.numpy
    multipliers = jnp.linalg.solve(x @ x.T, x @ gradient)
    return jnp.linalg.norm(gradient - x.T @ multipliers) / jnp.linalg.norm(gradient)


@measurement(
    "implicit_bias.squared_diagonal",
    params=DiagonalParams,
    outputs=["w", "X", "train_mse"],
)
def squared_diagonal(
    key: Any, params: DiagonalParams, *, alpha: Any, lr: Any = 0.005
) -> dict[str, Any]:
    """GD on w = u_+^2 - u_-^2 (Woodworth et al. 2020) from u_+ = u_- = alpha * 1.

    Loss (1/2n)|X w - y|^2 on a sparse regression problem drawn per seed.
    Outputs: `w`, the predictor after `steps` steps of GD with step `lr`
    (shape (dim,)); `X`, the training inputs (the constraint matrix of
    interpolation, shape (samples, dim)); `train_mse`, the final training loss
    (it must be ~0 for the limit to be an interpolating point).
    """
    jnp = jax.numpy
    x, y = _sparse_regression(key, params)
    start = {"plus": alpha * jnp.ones(params.dim, x.dtype), "minus": alpha * jnp.ones(params.dim, x.dtype)}  # fmt: skip

    def predictor(p: dict[str, Any]) -> Any:
        return p["plus"] ** 2 - p["minus"] ** 2

    final, _ = train(lambda p: _mse(x, y, predictor(p)), start, optax.sgd(lr), params.steps, every=params.steps)  # fmt: skip
    w = predictor(final)
    return {"w": w, "X": x, "train_mse": _mse(x, y, w)}


@measurement(
    "implicit_bias.product_diagonal",
    params=DiagonalParams,
    outputs=["w", "X", "train_mse", "u_init", "v_init", "k_eff", "flow_residual"],
)
def product_diagonal(
    key: Any,
    params: DiagonalParams,
    *,
    u0: Any,
    v0: Any,
    spread: Any = 0.0,
    lr: Any = 0.01,
) -> dict[str, Any]:
    """GD on w = u_+ v_+ - u_- v_- (Azulay et al. 2021) from a per-coordinate initialisation shape.

    Coordinate i starts at u_+ = u_- = u0 e^{spread z_i} and v_+ = v0 e^{-spread z_i}
    = v_-, with z_i ~ U(-1, 1) per seed: the product u v = u0 v0 is the same for every
    coordinate, the shape (the ratio u/v) varies with `spread` (0: the same shape
    everywhere). Then w(0) = 0. Loss (1/2n)|X w - y|^2, `steps` steps of GD with step `lr`.

    Outputs: `w` (dim,), `X` (samples, dim), `train_mse`; `u_init`, `v_init`
    (dim,), the initial u and v, so a claim can form k = 2(u_init^2 + v_init^2);
    `k_eff` (dim,), k prod_t (1 - lr^2 r_t^2), computed exactly from the final
    weights as k (u_+ + v_+)(u_- + v_-) / (u(0) + v(0))^2 (GD multiplies u+v
    by prod (1 - lr r) on the + branch and prod (1 + lr r) on the - branch);
    `flow_residual`, the relative KKT residual of w for the gradient-flow
    objective with k (its gradient asinh(2 w / k) off the row space of X).
    """
    jnp = jax.numpy
    k_data, k_shape = jax.random.split(key)
    x, y = _sparse_regression(k_data, params)
    z = jax.random.uniform(k_shape, (params.dim,), x.dtype, -1.0, 1.0)
    u_init, v_init = u0 * jnp.exp(spread * z), v0 * jnp.exp(-spread * z)
    start = {"u_plus": u_init, "v_plus": v_init, "u_minus": u_init, "v_minus": v_init}

    def predictor(p: dict[str, Any]) -> Any:
        return p["u_plus"] * p["v_plus"] - p["u_minus"] * p["v_minus"]

    final, _ = train(lambda p: _mse(x, y, predictor(p)), start, optax.sgd(lr), params.steps, every=params.steps)  # fmt: skip
    w = predictor(final)
    k = 2.0 * (u_init**2 + v_init**2)
    contraction = (final["u_plus"] + final["v_plus"]) * (final["u_minus"] + final["v_minus"])
    k_eff = k * contraction / (u_init + v_init) ** 2
    return {
        "w": w,
        "X": x,
        "train_mse": _mse(x, y, w),
        "u_init": u_init,
        "v_init": v_init,
        "k_eff": k_eff,
        "flow_residual": kkt_residual(jnp.arcsinh(2.0 * w / k), x),
    }
