"""Neural collapse in the unconstrained-features model, trained to its global minimum.

Zhou et al. (2022) and Dang et al. (2023) characterise the global minimisers of
the regularised MSE loss when the last-layer features H are free variables:

    |W_M ... W_1 H + b 1^T - Y|^2 / (2N) + lamW/2 sum_m |W_m|^2 + lamH/2 |H|^2.

With balanced classes and a free bias the classifier rows form a simplex ETF
whose scale is fixed by the regularisation (Zhou et al.); without a bias and with
imbalanced classes they are orthogonal, with class-dependent lengths that solve
a depth-dependent equation (Dang et al.). The measurements here run full-batch
gradient descent (with heavy-ball momentum, as the authors' own synthetic runs
do) from a small random start until the geometry is reached, and return the
quantities those theorems fix, plus collapse diagnostics for `observe`
hypotheses. Claims that hold these to 1e-3 need `x64: true`.
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.nets import train
from checker.measure.registry import measurement

jax = lazy.load("jax")
optax = lazy.load("optax")

__all__ = ["BalancedParams", "ImbalancedParams", "ufm_balanced", "ufm_imbalanced"]


class _TrainingParams(pydantic.BaseModel):
    """Feature width, depth, bias and optimiser of the unconstrained-features model."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    dim: int = pydantic.Field(16, ge=1, description="feature dimension d (>= K for collapse)")
    max_depth: int = pydantic.Field(
        1, ge=1, description="classifier layers allocated; the input `depth` <= this are used"
    )
    bias: bool = pydantic.Field(True, description="whether the classifier has a bias b")
    steps: int = pydantic.Field(1000, ge=1, description="full-batch gradient steps")
    lr: float = pydantic.Field(0.5, gt=0, description="step size")
    momentum: float = pydantic.Field(0.9, ge=0, lt=1, description="heavy-ball momentum")
    init_scale: float = pydantic.Field(0.1, gt=0, description="std of the N(0, s^2) start")


class BalancedParams(_TrainingParams):
    """K classes of n samples each."""

    K: int = pydantic.Field(4, ge=2, description="number of classes")
    n: int = pydantic.Field(5, ge=1, description="samples per class")

    @property
    def class_sizes(self) -> tuple[int, ...]:
        return (self.n,) * self.K


class ImbalancedParams(_TrainingParams):
    """Classes of the given sizes n_k."""

    bias: bool = pydantic.Field(False, description="whether the classifier has a bias b")
    class_sizes: tuple[int, ...] = pydantic.Field(
        (40, 20, 10, 5), min_length=2, description="samples n_k of each class (K = their number)"
    )

    @pydantic.field_validator("class_sizes")
    @classmethod
    def _positive_sizes(cls, sizes: tuple[int, ...]) -> tuple[int, ...]:
        if min(sizes) < 1:
            raise ValueError(f"every class needs at least one sample, got {sizes}")
        return sizes


UFMParams = BalancedParams | ImbalancedParams


def _labels(params: UFMParams) -> Any:
    """Class index of every sample, classes in blocks: shape (N,)."""
    jnp = jax.numpy
    return jnp.concatenate(
        [jnp.full((n,), k, dtype=jnp.int32) for k, n in enumerate(params.class_sizes)]
    )


def _init(key: Any, params: UFMParams, samples: int) -> dict[str, Any]:
    """Hidden layers (d x d), last layer (K x d), features H (d x N), bias b: all N(0, s^2)."""
    classes, d = len(params.class_sizes), params.dim
    k_hidden, k_last, k_h, k_b = jax.random.split(key, 4)
    scale = params.init_scale
    return {
        "hidden": scale * jax.random.normal(k_hidden, (params.max_depth - 1, d, d)),
        "last": scale * jax.random.normal(k_last, (classes, d)),
        "H": scale * jax.random.normal(k_h, (d, samples)),
        "b": scale * jax.random.normal(k_b, (classes,)),
    }


def _active(weights: dict[str, Any], depth: Any) -> Any:
    """1 for the hidden layers in use (the first depth - 1), 0 for the others."""
    return (jax.numpy.arange(weights["hidden"].shape[0]) < depth - 1).astype(weights["last"].dtype)


def _classifier(weights: dict[str, Any], depth: Any) -> Any:
    """The end-to-end classifier W = W_M ... W_1 (K x d); unused hidden layers act as I.

    An unused layer does not enter the loss, so it gets no gradient and no decay:
    the trained model is exactly the depth-M one, and depth can be a traced input.
    """
    jnp = jax.numpy
    eye = jnp.eye(weights["last"].shape[1], dtype=weights["last"].dtype)
    product = eye
    for layer, used in zip(weights["hidden"], _active(weights, depth), strict=True):
        product = jnp.where(used > 0, layer, eye) @ product
    return weights["last"] @ product


def _objective(params: UFMParams, lamW: Any, lamH: Any, depth: Any, bias_decay: Any) -> Any:
    """The regularised MSE loss of the model as a function of its weights."""
    jnp = jax.numpy
    labels = _labels(params)
    samples = labels.shape[0]
    targets = jax.nn.one_hot(labels, len(params.class_sizes)).T  # K x N
    use_bias = 1.0 if params.bias else 0.0

    def loss(w: dict[str, Any]) -> Any:
        logits = _classifier(w, depth) @ w["H"] + use_bias * w["b"][:, None]
        fit = jnp.sum((logits - targets) ** 2) / (2 * samples)
        hidden = jnp.sum(_active(w, depth) * jnp.sum(w["hidden"] ** 2, axis=(1, 2)))
        decay = lamW / 2 * (hidden + jnp.sum(w["last"] ** 2))
        bias_penalty = bias_decay / 2 * jnp.sum(w["b"] ** 2) * use_bias
        return fit + decay + bias_penalty + lamH / 2 * jnp.sum(w["H"] ** 2)

    return loss


def _fit(
    key: Any, params: UFMParams, lamW: Any, lamH: Any, depth: Any, bias_decay: Any
) -> tuple[dict[str, Any], Any, Any]:
    """Weights at the end of training, the final gradient norm and the labels (one seed)."""
    jnp = jax.numpy
    labels = _labels(params)
    loss = _objective(params, lamW, lamH, depth, bias_decay)
    optimizer = optax.sgd(params.lr, momentum=params.momentum)
    final, _ = train(
        loss, _init(key, params, labels.shape[0]), optimizer, params.steps, every=params.steps
    )
    grads = jax.tree_util.tree_leaves(jax.grad(loss)(final))
    return final, jnp.sqrt(sum(jnp.sum(g**2) for g in grads)), labels


def _class_means(h: Any, labels: Any, classes: int) -> tuple[Any, Any]:
    """Class means (d x K) and the within-class scatter relative to the means' energy."""
    jnp = jax.numpy
    members = jax.nn.one_hot(labels, classes)  # N x K
    means = h @ members / members.sum(axis=0)
    spread = jnp.sum((h - means[:, labels]) ** 2) / labels.shape[0]
    return means, spread / jnp.mean(jnp.sum(means**2, axis=0))


@measurement(
    "neural_collapse.ufm_balanced",
    params=BalancedParams,
    outputs=["gram_w", "eye", "bias_mean", "within", "loss_grad"],
)
def ufm_balanced(
    key: Any, params: BalancedParams, *, lamW: Any, lamH: Any, bias_decay: Any = 0.0
) -> dict[str, Any]:
    """Classifier Gram matrix W W^T at the end of GD on the regularised MSE model.

    Trains (W, H, b) of the unconstrained-features model on one-hot labels (classes
    of sizes `class_sizes`) with weight decay lamW on every classifier layer and lamH
    on the features; the bias has weight decay `bias_decay` (0: the free bias of the
    theorem) and is absent when `bias` is false. One classifier layer (max_depth 1).

    Outputs: `gram_w`, W W^T of the end-to-end classifier (K x K): the ETF geometry and
    norms at once; `eye`, the K x K identity (a coordinate for predictions that
    separate diagonal from off-diagonal); `bias_mean`, the mean bias entry (1/K at the
    balanced optimum with a bias); `within`, the within-class scatter of the features
    over the energy of their class means (0 once features collapse); `loss_grad`,
    the gradient norm of the loss at the end (0 at a critical point).
    """
    jnp = jax.numpy
    weights, grad_norm, labels = _fit(key, params, lamW, lamH, 1, bias_decay)
    classes = len(params.class_sizes)
    w = _classifier(weights, 1)
    _, within = _class_means(weights["H"], labels, classes)
    return {
        "gram_w": w @ w.T,
        "eye": jnp.eye(classes, dtype=w.dtype),
        "bias_mean": jnp.mean(weights["b"]) if params.bias else jnp.zeros((), w.dtype),
        "within": within,
        "loss_grad": grad_norm,
    }


@measurement(
    "neural_collapse.ufm_imbalanced",
    params=ImbalancedParams,
    outputs=["p", "nk", "n_total", "w_norm2", "offdiag", "within"],
)
def ufm_imbalanced(
    key: Any, params: ImbalancedParams, *, lamW: Any, lamH: Any, depth: Any = 1
) -> dict[str, Any]:
    """Per-class fit (W H_bar)_kk of the (deep) bias-free model with imbalanced classes.

    Same training as `neural_collapse.ufm_balanced` (set `bias: false` for the
    bias-free theorem). H_bar holds the uncentred class means of the features and
    W = W_M ... W_1 is the end-to-end classifier, M = `depth` (a traced input, at most
    `max_depth`: one compilation serves every depth).

    Outputs, one entry per class: `p`, the diagonal of W H_bar (the strength with
    which each class is fitted, 1 without regularisation); `nk`, the class sizes
    (a coordinate; `n_total` is their sum N); `w_norm2`, |w_k|^2, the squared
    length of each classifier row.
    Diagnostics: `offdiag`, the largest |(W H_bar)_kl|, k != l (0 for an orthogonal
    frame); `within`, the relative within-class scatter (0 once features collapse).
    """
    jnp = jax.numpy
    weights, _, labels = _fit(key, params, lamW, lamH, depth, 0.0)
    classes = len(params.class_sizes)
    w = _classifier(weights, depth)
    means, within = _class_means(weights["H"], labels, classes)
    fit = w @ means
    off = jnp.abs(fit - jnp.diag(jnp.diag(fit)))
    return {
        "p": jnp.diag(fit),
        "nk": jnp.asarray(params.class_sizes, fit.dtype),
        "n_total": jnp.asarray(labels.shape[0], fit.dtype),
        "w_norm2": jnp.sum(w**2, axis=1),
        "offdiag": off.max(),
        "within": within,
    }
