"""The runner's batching gives every (sweep point, seed) pair its own values.

JAX 0.10.2 on CPU miscompiles jit(vmap(vmap(f, (0, None)), (None, 0))) for this
reduction at n = 32768: the second sweep point silently received other values
(found while writing the MINE claim). The runner batches differently; this test
keeps the reproduction and holds the runner to per-pair jit results, whole or
in the slices a batch too large for its scratch-memory budget is cut into.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pydantic

from checker import run
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


def test_a_batch_over_the_scratch_budget_runs_in_equal_slices_with_the_same_values(
    monkeypatch,
) -> None:
    """7 pairs whose temporaries are 3x the budget: equal slices of 2-3 (the last padded)."""
    m = Measurement("test.statistic", _statistic, _Params, ("t",), ("r",), "")
    params = _Params(n=4096)
    keys = jax.random.split(jax.random.PRNGKey(2), 7)
    r = np.array([0.4], np.float32)
    whole = np.asarray(_batched(m, params, False)(keys, {"r": r})["t"])
    sliced_runner = run._Sliced(jax.jit(jax.vmap(lambda k, x: _statistic(k, params, **x))))
    tiled, inputs = keys, {"r": jnp.repeat(jnp.asarray(r), 7)}
    scratch = run._scratch_bytes(sliced_runner.flat.lower(tiled, inputs).compile())
    assert scratch is not None and scratch > 0
    monkeypatch.setitem(run._SLICE_BYTES, jax.default_backend(), scratch // 3)
    got = np.asarray(sliced_runner(tiled, inputs)["t"])
    size, _ = sliced_runner.compiled[7]
    assert 1 < size < 7 and got.shape == (7,)
    np.testing.assert_allclose(got, whole[0], rtol=1e-5, atol=1e-6)


def test_a_batch_under_the_budget_is_one_call() -> None:
    params = _Params(n=64)
    flat = run._Sliced(jax.jit(jax.vmap(lambda k, x: _statistic(k, params, **x))))
    keys = jax.random.split(jax.random.PRNGKey(3), 4)
    flat(keys, {"r": jnp.full(4, 0.5)})
    assert flat.compiled[4][0] == 4
