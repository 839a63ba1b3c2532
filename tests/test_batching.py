"""The runner's batching gives every (sweep point, seed) pair its own values.

JAX 0.10.2 on CPU miscompiles jit(vmap(vmap(f, (0, None)), (None, 0))) for this
reduction at n = 32768: the second sweep point silently received other values
(found while writing the MINE claim). The runner batches differently; this test
keeps the reproduction and holds the runner to per-pair jit results.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pydantic

from checker.measure.registry import Measurement
from checker.run import _batched


class _Params(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True)
    n: int = 32768


def _statistic(key, params: _Params, *, r):
    k1, k2 = jax.random.split(key)
    x = jax.random.normal(k1, (params.n, 2))
    y = r * x + jax.random.normal(k2, (params.n, 2))
    t = 1.448 * jnp.sum(x * y, 1) - 0.47 * jnp.sum(x**2, 1) - 0.56 * jnp.sum(y**2, 1)
    return {"t": jnp.mean(t)}


def test_every_point_and_seed_matches_its_own_jit_call() -> None:
    m = Measurement("test.statistic", _statistic, _Params, ("t",), ("r",), "")
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    r = np.array([0.5, 0.7, 0.9], np.float32)
    got = np.asarray(_batched(m, _Params(), False)(keys, {"r": r})["t"])
    single = jax.jit(lambda key, rr: _statistic(key, _Params(), r=rr)["t"])
    want = np.array([[float(single(k, ri)) for k in keys] for ri in r])
    assert got.shape == (3, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_loop_batching_gives_the_same_pairs_as_vmap() -> None:
    looped = Measurement("test.statistic", _statistic, _Params, ("t",), ("r",), "", "loop")
    mapped = Measurement("test.statistic", _statistic, _Params, ("t",), ("r",), "", "vmap")
    keys = jax.random.split(jax.random.PRNGKey(1), 2)
    r = np.array([0.2, 0.9], np.float32)
    a = np.asarray(_batched(looped, _Params(n=512), False)(keys, {"r": r})["t"])
    b = np.asarray(_batched(mapped, _Params(n=512), False)(keys, {"r": r})["t"])
    assert a.shape == b.shape == (2, 2)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
