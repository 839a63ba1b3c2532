"""Random-matrix spectra of the matrices deep learning is made of.

Random-matrix theory predicts the edges of spectra that training meets
everywhere: the top eigenvalue of a weight matrix's Gram matrix W^T W / n
(Marchenko-Pastur edge, used by Martin and Mahoney to tell learned structure
from noise), its n^-2/3 Tracy-Widom fluctuations (Johnstone 2001), the top
eigenvalue of a mini-batch Hessian, which a spike in the data covariance pulls
out of the bulk or not (the BBP transition behind Granziol et al.'s learning
rate as a function of batch size), and the spectral radius of a random
recurrent weight matrix (the circular law, whose radius sets the edge of
chaos of random recurrent networks). Each measurement draws one random matrix
per seed and returns the eigenvalue the theorem is about.

Swept reals (batch size, aspect ratio, spike, scale) are traced inputs: rows
and columns beyond the swept size are masked to zero, so one compilation
serves a whole sweep. Masked rows or columns only add zero eigenvalues.
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")

__all__ = [
    "BatchHessianParams",
    "GinibreParams",
    "WishartParams",
    "ginibre_radius",
    "spiked_batch_hessian",
    "wishart_top_eigenvalue",
]


class _Params(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


def _mask(size: int, count: Any) -> Any:
    """1.0 for the first `count` of `size` slots, 0.0 for the rest (count is traced)."""
    jnp = jax.numpy
    return (jnp.arange(size) < count).astype(jnp.zeros(()).dtype)


class BatchHessianParams(_Params):
    """Least squares on Gaussian data with one spiked direction."""

    dim: int = pydantic.Field(400, ge=2, description="number of weights p (the Hessian is p x p)")
    max_batch: int = pydantic.Field(1600, ge=1, description="largest batch size swept")


@measurement(
    "rmt.spiked_batch_hessian",
    params=BatchHessianParams,
    outputs=["lam_max", "lam_min"],
    batching="loop",  # within 20 % of vmap either way (bench/perf.py b), and equal end to end
)
def spiked_batch_hessian(
    key: Any, params: BatchHessianParams, *, batch: Any, ell: Any
) -> dict[str, Any]:
    """Extreme eigenvalues of the mini-batch Hessian of a least-squares loss.

    Data rows x ~ N(0, I + (ell - 1) e1 e1^T) in R^dim (population Hessian:
    eigenvalue ell once, 1 otherwise). The loss on a batch of size `batch` is
    (1/2) mean_i (x_i.w - y_i)^2, whose Hessian is X_B^T X_B / batch at every
    w: a spiked sample covariance with aspect ratio dim/batch. Rows past
    `batch` are masked out, so `batch` is a traced input.

    Outputs: `lam_max` and `lam_min`, the largest and smallest eigenvalues of
    the batch Hessian restricted to its range (lam_min is the smallest
    eigenvalue when batch >= dim, else 0).
    """
    jnp = jax.numpy
    x = jax.random.normal(key, (params.max_batch, params.dim))
    x = x.at[:, 0].multiply(jnp.sqrt(ell))
    rows = _mask(params.max_batch, batch)
    hessian = (x * rows[:, None]).T @ x / batch
    eig = jnp.linalg.eigvalsh(hessian)
    return {"lam_max": eig[-1], "lam_min": eig[0]}


class WishartParams(_Params):
    """An n x p Gaussian weight matrix; p = round(aspect * n) columns."""

    rows: int = pydantic.Field(1024, ge=2, description="rows n (the sample dimension)")
    aspect: float = pydantic.Field(
        0.25, gt=0, le=1, description="largest columns/rows ratio p/n (sweep `ratio` below it)"
    )


@measurement(
    "rmt.wishart_top_eigenvalue",
    params=WishartParams,
    outputs=["lam_max", "cols"],
)
def wishart_top_eigenvalue(
    key: Any, params: WishartParams, *, ratio: Any = 0.0, sigma: Any = 1.0
) -> dict[str, Any]:
    """Top eigenvalue of W^T W / n for an n x p matrix W of i.i.d. N(0, sigma^2) entries.

    The matrix has n = `rows` rows and round(aspect * n) columns; a traced
    `ratio` <= aspect keeps only the first round(ratio * n) columns (the others
    are masked to zero), so aspect ratios sweep without recompiling; ratio 0
    (the default) keeps all columns. The
    Marchenko-Pastur law puts the top eigenvalue at sigma^2 (1 + sqrt(p/n))^2,
    approached with Tracy-Widom fluctuations of order n^-2/3.

    Outputs: `lam_max`; `cols`, the number of columns p actually kept.
    """
    jnp = jax.numpy
    max_cols = max(1, round(params.aspect * params.rows))
    cols = jnp.where(ratio > 0, jnp.round(ratio * params.rows), max_cols).astype(float)
    w = sigma * jax.random.normal(key, (params.rows, max_cols)) * _mask(max_cols, cols)
    lam_max = jnp.linalg.eigvalsh(w.T @ w / params.rows)[-1]
    return {"lam_max": lam_max, "cols": cols}


class GinibreParams(_Params):
    """A square random recurrent weight matrix."""

    size: int = pydantic.Field(256, ge=2, description="number of units n (W is n x n)")
    symmetric: bool = pydantic.Field(
        False,
        description="symmetrise, (W + W^T)/sqrt(2): a GOE matrix with the same entry variance",
    )


@measurement("rmt.ginibre_radius", params=GinibreParams, outputs=["radius"])
def ginibre_radius(key: Any, params: GinibreParams, *, g: Any) -> dict[str, Any]:
    """Spectral radius of a random coupling matrix with i.i.d. N(0, g^2/n) entries.

    The circular law puts the eigenvalues of W uniformly in the disc of radius
    g; with `symmetric` the entries keep the variance g^2/n but the matrix is
    symmetric (GOE), whose spectrum is a semicircle on [-2g, 2g].

    Output: `radius`, max |eigenvalue| of W.
    """
    jnp = jax.numpy
    n = params.size
    w = jax.random.normal(key, (n, n)) * g / jnp.sqrt(n)
    if params.symmetric:
        eig = jnp.linalg.eigvalsh((w + w.T) / jnp.sqrt(2.0))
    else:
        eig = jnp.linalg.eigvals(w)
    return {"radius": jnp.max(jnp.abs(eig))}
