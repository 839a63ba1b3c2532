"""Self-attention's Jacobian: why dot-product attention is not Lipschitz.

Kim, Papamakarios and Mnih (2021) prove that dot-product self-attention
f(X) = softmax(X W^Q (X W^K)^T / sqrt(D/H)) X W^V has no global Lipschitz
constant (Theorem 3.1): when a token x_i is zero its attention row is uniform
whatever the other tokens are, and d f_i / d x_i picks up the covariance of
the other tokens under that row, which grows quadratically with their scale.
The measurement builds exactly that configuration for one head with scalar
tokens (D = H = 1) and differentiates the real attention map with
`jax.jacfwd`, so a claim can hold the derivative against its closed form and
watch it grow without bound.
"""

from __future__ import annotations

from typing import Any

import lazy_loader as lazy
import pydantic

from checker.measure.registry import measurement

jax = lazy.load("jax")

__all__ = ["DotProductParams", "dot_product_attention", "dot_product_self_jacobian"]


class DotProductParams(pydantic.BaseModel):
    """One dot-product attention head on N scalar tokens, the first one at zero."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    tokens: int = pydantic.Field(4, ge=2, description="sequence length N")
    w_query: float = pydantic.Field(1.0, description="scalar W^Q")
    w_key: float = pydantic.Field(1.0, description="scalar W^K")
    w_value: float = pydantic.Field(1.0, description="scalar W^V")
    zero_token: bool = pydantic.Field(
        True, description="put token 1 at zero (the paper's configuration); False: random too"
    )


def dot_product_attention(x: Any, w_query: float, w_key: float, w_value: float) -> Any:
    """softmax(x W^Q (x W^K)^T) x W^V for scalar tokens x of shape (N,) (D/H = 1)."""
    logits = jax.numpy.outer(x * w_query, x * w_key)
    return jax.nn.softmax(logits, axis=-1) @ (x * w_value)


@measurement(
    "attention.dot_product_self_jacobian",
    params=DotProductParams,
    outputs=["self_derivative", "spread", "jacobian_norm"],
)
def dot_product_self_jacobian(key: Any, params: DotProductParams, *, scale: Any) -> dict[str, Any]:
    """d f_1 / d x_1 of dot-product self-attention with token 1 at zero.

    Tokens: x_1 = 0 (unless `zero_token` is False) and x_j = scale * u_j for
    j >= 2 with u_j ~ N(0, 1) drawn per seed. Then the first attention row is
    uniform, 1/N, at every scale.

    Outputs: `self_derivative`, d f_1/d x_1 from `jax.jacfwd`; `spread`, the
    population variance of (0, u_2, ..., u_N) (the covariance of the tokens
    under the uniform row, at scale 1); `jacobian_norm`, the spectral norm of
    the whole N x N Jacobian.
    """
    jnp = jax.numpy
    u = jax.random.normal(key, (params.tokens,))
    if params.zero_token:
        u = u.at[0].set(0.0)
    x = scale * u

    def f(x: Any) -> Any:
        return dot_product_attention(x, params.w_query, params.w_key, params.w_value)

    jacobian = jax.jacfwd(f)(x)
    return {
        "self_derivative": jacobian[0, 0],
        "spread": jnp.var(u),
        "jacobian_norm": jnp.linalg.norm(jacobian, ord=2),
    }
