"""Small, fast measurements for the tests: real JAX, registered as a user plugin would be."""

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")


class ToyParams(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")
    samples: int = pydantic.Field(256, ge=1)
    fail: str = pydantic.Field("none", pattern="^(none|raise|nan)$")


@measurement("toy.gaussian_mean", params=ToyParams, outputs=["mean", "n", "spread", "eps"])
def gaussian_mean(key, params: ToyParams, *, mu, sigma=1.0):
    """The sample mean of `samples` draws of N(mu, sigma^2): unbiased, SE sigma/sqrt(n)."""
    jnp = jax.numpy
    x = mu + sigma * jax.random.normal(key, (params.samples,))
    if params.fail == "raise":
        raise RuntimeError("the toy measurement was told to fail")
    mean = x.mean() if params.fail == "none" else jnp.nan * x.mean()
    eps = jnp.asarray(jnp.finfo(x.dtype).eps, x.dtype)  # tells float32 from float64
    return {"mean": mean, "n": jnp.asarray(float(params.samples)), "spread": x.std(), "eps": eps}
