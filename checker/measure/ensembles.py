"""Ensembles of independently initialised members: how the ensemble's error depends on its size.

Deep-ensemble papers fit power laws in the ensemble size M. For squared error and
members that are i.i.d. given the training set the law is exact with exponent one:
the error of an average of M members is E_inf + (E_1 - E_inf)/M, because averaging
divides the variance over initialisations by M and leaves the bias alone. Checking
that needs members that differ only through their random initialisation and whose
training is exact and cheap, so this module uses random-feature ReLU regressors
fitted by ridge regression: hundreds of members per seed cost a second on a CPU.
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")

__all__ = ["RandomFeatureParams", "random_feature_mse"]

DOMAIN = 2.0  # inputs and test points lie in [-DOMAIN, DOMAIN]


class RandomFeatureParams(pydantic.BaseModel):
    """Shapes of the random-feature ensemble (static: each distinct value compiles once)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    members: int = pydantic.Field(4096, ge=2, description="members trained per seed (K)")
    max_size: int = pydantic.Field(
        64, ge=1, description="largest ensemble size; sizes are 1, 2, 4, ..., max_size"
    )
    width: int = pydantic.Field(64, ge=1, description="random ReLU features per member")
    n_train: int = pydantic.Field(12, ge=1, description="training points, shared by all members")
    n_test: int = pydantic.Field(500, ge=1, description="test points on a uniform grid")
    chunk: int = pydantic.Field(64, ge=1, description="members computed together (memory knob)")

    @pydantic.model_validator(mode="after")
    def _sizes_fit(self) -> RandomFeatureParams:
        if self.max_size & (self.max_size - 1):
            raise ValueError(f"max_size={self.max_size} must be a power of two")
        if self.members % self.max_size:
            raise ValueError(
                f"members={self.members} must be a multiple of max_size={self.max_size}, "
                "so that every ensemble size splits the members into whole groups"
            )
        return self


def _member_predictions(
    key: Any, x: Any, y: Any, x_test: Any, params: RandomFeatureParams, inputs: dict[str, Any]
) -> Any:
    """Test predictions [n_test] of one ridge-regressed random-feature ReLU member."""
    jnp = jax.numpy
    kw, kb = jax.random.split(key)
    w = inputs["weight_scale"] * jax.random.normal(kw, (params.width,), x.dtype)
    b = jax.random.uniform(
        kb, (params.width,), x.dtype, -inputs["bias_range"], inputs["bias_range"]
    )
    phi = jax.nn.relu(x[:, None] * w + b)  # [n_train, width]
    gram = phi @ phi.T + inputs["ridge"] * jnp.eye(params.n_train, dtype=x.dtype)
    # Dual ridge solution (n_train < width); Cholesky needs ridge >> eps * |gram|.
    alpha = jax.scipy.linalg.cho_solve(jax.scipy.linalg.cho_factor(gram), y)
    beta = phi.T @ alpha
    return jax.nn.relu(x_test[:, None] * w + b) @ beta


def _ensemble_errors(preds: Any, y_test: Any, params: RandomFeatureParams) -> tuple[Any, Any]:
    """Mean squared error of disjoint groups of M members for each M, and E_inf (unbiased)."""
    jnp = jax.numpy
    k = params.members
    errs = []
    size = 1
    while size <= params.max_size:
        groups = preds.reshape(k // size, size, -1).mean(axis=1)
        errs.append(jnp.mean((groups - y_test) ** 2))
        size *= 2
    mean = preds.mean(axis=0)
    var = preds.var(axis=0, ddof=1)
    err_inf = jnp.mean((mean - y_test) ** 2) - jnp.mean(var) / k
    return jnp.stack(errs), err_inf


@measurement(
    "ensembles.random_feature_mse",
    params=RandomFeatureParams,
    outputs=["M", "err", "variance_share", "err_limit"],
    batching="loop",  # a loop of single-seed calls is 1.3-1.5x faster here (bench/perf.py b)
)
def random_feature_mse(
    key: Any,
    params: RandomFeatureParams,
    *,
    ridge: Any = 1e-3,
    weight_scale: Any = 2.0,
    bias_range: Any = 2.0,
    freq: Any = 3.0,
    noise: Any = 0.0,
) -> dict[str, Any]:
    """Test MSE of an average of M i.i.d. random-feature ReLU regressors, for M = 1, 2, 4, ...

    One seed draws `n_train` inputs in [-2, 2], one uniform point in each of `n_train` equal
    cells (no seed leaves a wide gap for the bias to dominate), with targets
    sin(freq*x) + noise*N(0, 1). Every member sees that training set; `members` members are
    trained per seed. A member has `width` features relu(w*x + b), w ~ weight_scale*N(0, 1),
    b ~ U(-bias_range, bias_range), and a ridge readout (penalty `ridge`), so members differ
    only through their random features. The test error is the MSE against sin(freq*x) on
    `n_test` grid points in [-2, 2].

    Outputs: `M` (ensemble sizes 1, 2, 4, ..., max_size); `err` (MSE of the average of M
    members, averaged over the members/M disjoint groups); `err_limit` (the infinite-ensemble
    error, estimated without bias from all members); `variance_share` = (err[M=1] -
    err_limit)/err[M=1], the share of the single-member error that ensembling can remove:
    the 1/M law is only discriminating when it is not small.

    Knobs (inputs): ridge, weight_scale, bias_range, freq, noise.
    """
    jnp = jax.numpy
    dtype = jnp.result_type(float)
    k_data, k_noise, k_members = jax.random.split(key, 3)
    cells = jnp.arange(params.n_train, dtype=dtype) + jax.random.uniform(
        k_data, (params.n_train,), dtype
    )
    x = -DOMAIN + 2 * DOMAIN * cells / params.n_train  # one uniform point per cell
    y = jnp.sin(freq * x) + noise * jax.random.normal(k_noise, (params.n_train,), dtype)
    x_test = jnp.linspace(-DOMAIN, DOMAIN, params.n_test, dtype=dtype)
    y_test = jnp.sin(freq * x_test)
    inputs = {"ridge": ridge, "weight_scale": weight_scale, "bias_range": bias_range}
    keys = jax.random.split(k_members, params.members)
    preds = jax.lax.map(
        lambda k: _member_predictions(k, x, y, x_test, params, inputs),
        keys,
        batch_size=min(params.chunk, params.members),
    )
    err, err_inf = _ensemble_errors(preds, y_test, params)
    sizes = 2.0 ** jnp.arange(err.shape[0], dtype=dtype)
    return {
        "M": sizes,
        "err": err,
        "variance_share": (err[0] - err_inf) / err[0],
        "err_limit": err_inf,
    }
