"""Small, fast measurements for the tests: real JAX, registered as a user plugin would be."""

import os
import threading
import time

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")


class ToyParams(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")
    samples: int = pydantic.Field(256, ge=1)
    fail: str = pydantic.Field("none", pattern="^(none|raise|nan|hang|native_hang|exit|shape)$")


@measurement("toy.gaussian_mean", params=ToyParams, outputs=["mean", "n", "spread", "eps"])
def gaussian_mean(key, params: ToyParams, *, mu, sigma=1.0):
    """The sample mean of `samples` draws of N(mu, sigma^2): unbiased, SE sigma/sqrt(n)."""
    jnp = jax.numpy
    x = mu + sigma * jax.random.normal(key, (params.samples,))
    if params.fail == "raise":
        raise RuntimeError("the toy measurement was told to fail")
    if params.fail == "hang":
        time.sleep(3600)
    if params.fail == "native_hang":  # blocks inside the XLA computation: no signal reaches it
        shape = jax.ShapeDtypeStruct(x.shape, x.dtype)
        x = jax.pure_callback(_block_forever, shape, x, vmap_method="sequential")
    if params.fail == "exit":
        os._exit(9)  # as the out-of-memory killer would end the process
    if params.fail == "shape":  # per-seed shapes that cannot fit together: (3,) and (2,)
        return {"mean": x[:3], "n": jnp.ones(2), "spread": x.std(), "eps": jnp.asarray(0.0)}
    mean = x.mean() if params.fail == "none" else jnp.nan * x.mean()
    eps = jnp.asarray(jnp.finfo(x.dtype).eps, x.dtype)  # tells float32 from float64
    return {"mean": mean, "n": jnp.asarray(float(params.samples)), "spread": x.std(), "eps": eps}


class LeastNormParams(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")
    rows: int = pydantic.Field(3, ge=1)
    cols: int = pydantic.Field(8, ge=2)
    solution: str = pydantic.Field("min_norm", pattern="^(min_norm|any)$")


@measurement("toy.least_norm", params=LeastNormParams, outputs=["x", "A", "x_norm"])
def least_norm(key, params: LeastNormParams, *, scale=1.0):
    """The minimum-norm solution of a random underdetermined system A x = y.

    It minimises sum(x^2) subject to A x = y, so it is a KKT point of that
    objective and of no other (generic) separable one; `solution: any` adds a
    null-space component, giving a feasible point that minimises nothing.
    """
    jnp = jax.numpy
    ka, ky, kn = jax.random.split(key, 3)
    a = jax.random.normal(ka, (params.rows, params.cols))
    y = scale * jax.random.normal(ky, (params.rows,))
    x = jnp.linalg.pinv(a) @ y
    if params.solution == "any":
        z = jax.random.normal(kn, (params.cols,))
        x = x + z - jnp.linalg.pinv(a) @ (a @ z)
    return {"x": x, "A": a, "x_norm": jnp.linalg.norm(x)}


def _block_forever(x):
    threading.Event().wait()
    return x


class SpectrumParams(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")
    n: int = pydantic.Field(256, ge=2)
    d: int = pydantic.Field(64, ge=2)


@measurement("toy.top_eigenvalue", params=SpectrumParams, outputs=["top"])
def top_eigenvalue(key, params: SpectrumParams):
    """The largest eigenvalue of a white Wishart matrix X^T X / n, X of shape (n, d).

    An eigensolver on a matrix of this size gives different last digits on one
    thread and on several, which is what a test of bitwise reproducibility needs.
    """
    x = jax.random.normal(key, (params.n, params.d))
    return {"top": jax.numpy.linalg.eigvalsh(x.T @ x / params.n)[-1]}
