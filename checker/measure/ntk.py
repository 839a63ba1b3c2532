"""Neural tangent kernels of finite networks, and training in the kernel regime.

Jacot, Gabriel and Hongler (2018) show that a wide network in NTK
parametrisation trained by gradient flow moves its outputs along a kernel,
the NTK, which stays fixed as the width grows; Arora et al. (2019) give the
kernel of deep ReLU networks in closed form; Lee et al. (2019) show that the
trained network stays within O(n^-1/2) of its linearisation around the
initial parameters. These measurements build the finite-width objects those
statements are about, from the shared pieces of `checker.measure.nets`: the
empirical NTK of a deep ReLU network at two inputs, the residual of a wide
network trained by full-batch gradient descent projected on the eigenvectors
of its initial NTK Gram matrix, and the residual of a network and of its
linearisation trained side by side.
"""

from __future__ import annotations

from typing import Any, Literal

import lazy_loader as lazy
import pydantic

from checker.measure import nets
from checker.measure.registry import measurement

jax = lazy.load("jax")
optax = lazy.load("optax")

__all__ = [
    "DeepNTKParams",
    "EigenDecayParams",
    "LinearizationParams",
    "eigen_decay",
    "linearization_gap",
    "relu_ntk_deep",
    "relu_ntk_deep_conditioned",
]

Activation = Literal["tanh", "erf", "relu"]


def _activation(name: str) -> Any:
    return {"tanh": jax.numpy.tanh, "erf": jax.scipy.special.erf, "relu": jax.nn.relu}[name]


class _Params(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- deep ReLU NTK


class DeepNTKParams(_Params):
    """Shape of the deep ReLU network whose NTK is measured."""

    width: int = pydantic.Field(1024, ge=1, description="width n of every hidden layer")
    depth: int = pydantic.Field(3, ge=1, description="number of hidden layers L")
    dim: int = pydantic.Field(8, ge=2, description="input dimension d")


@measurement("ntk.relu_ntk_deep", params=DeepNTKParams, outputs=["ntk", "ntk_xx"], batching="loop")
def relu_ntk_deep(key: Any, params: DeepNTKParams, *, theta: Any) -> dict[str, Any]:
    """Empirical NTK at initialisation of a bias-free deep ReLU network.

    The network is `nets.mlp_apply` in NTK parametrisation with sigma_w^2 = 2
    on every layer: widths [d, n, ..., n, 1] with `depth` hidden layers, all
    weights N(0, 1), pre-activations sqrt(2/fan_in) W h. This is the network of
    Arora et al. (2019), whose c_sigma = 2 is the factor 2 here, applied to
    the inputs x = sqrt(d/2) e1 and y = sqrt(d/2) (cos theta e1 + sin theta e2),
    i.e. to effective unit inputs at angle theta. Biases are not trained (the
    kernel is the gradient inner product over the weights only), matching the
    bias-free network of the closed form.

    Outputs: `ntk`, the empirical Theta(x, y); `ntk_xx`, Theta(x, x) (the
    closed form is depth + 1 for unit inputs, a check on the normalisation).
    """
    jnp = jax.numpy
    widths = [params.dim, *[params.width] * params.depth, 1]
    weights = [w for w, _ in nets.mlp_init(key, widths)]
    zeros = [jnp.zeros(w.shape[0]) for w in weights]

    def f(ws: list[Any], x: Any) -> Any:
        return nets.mlp_apply(list(zip(ws, zeros, strict=True)), x, sigma_w=2**0.5)[:, 0]

    radius = (params.dim / 2) ** 0.5
    e1 = jnp.zeros(params.dim).at[0].set(1.0)
    e2 = jnp.zeros(params.dim).at[1].set(1.0)
    inputs = radius * jnp.stack([e1, jnp.cos(theta) * e1 + jnp.sin(theta) * e2])
    gram = nets.empirical_ntk(f, weights, inputs, inputs)
    return {"ntk": gram[0, 1], "ntk_xx": gram[0, 0]}


@measurement("ntk.relu_ntk_deep_conditioned", params=DeepNTKParams, outputs=["ntk", "ntk_xx"])
def relu_ntk_deep_conditioned(key: Any, params: DeepNTKParams, *, theta: Any) -> dict[str, Any]:
    """The empirical NTK of the network of `relu_ntk_deep`, drawn exactly in O(width) time.

    A dense network costs O(width^2) per draw, which caps the width, and the
    NTK's fluctuation (about 13 % per network at width 1024, depth 3) then
    hides kernel errors of a few per cent. Two inputs only ever see W through
    the n x 2 matrices W Q (Q an orthonormal basis of the layer's two input
    vectors) and W^T G (G the two backward signals). Gaussian conditioning
    (Bolthausen 2014; Yang 2019, Tensor Programs) gives their joint law
    exactly: W Q has iid N(0, 1) entries, and given it, W = (W Q) Q^T + W' P
    with W' an independent copy and P the projector orthogonal to Q. So each
    layer draws 2 x 2 Gaussian columns instead of a matrix. The draws have the
    law of the dense network's Theta(x, y) at every width (tested against
    `relu_ntk_deep`); only the cost differs.
    """
    jnp = jax.numpy
    widths = [params.dim, *[params.width] * params.depth, 1]
    radius = (params.dim / 2) ** 0.5
    e1 = jnp.zeros(params.dim).at[0].set(1.0)
    e2 = jnp.zeros(params.dim).at[1].set(1.0)
    inputs = radius * jnp.stack([e1, jnp.cos(theta) * e1 + jnp.sin(theta) * e2], axis=1)
    gram = _conditioned_ntk_gram(key, widths, inputs, sigma2=2.0)
    return {"ntk": gram[0, 1], "ntk_xx": gram[0, 0]}


def _conditioned_ntk_gram(key: Any, widths: list[int], inputs: Any, sigma2: float) -> Any:
    """The 2 x 2 NTK Gram matrix of a bias-free ReLU MLP on the columns of `inputs`."""
    jnp = jax.numpy
    layers = len(widths) - 1
    forward_keys, backward_keys = jax.random.split(key, (2, layers))
    hidden, bases, projections, preactivations = [inputs], [], [], []
    for i in range(layers):  # h_{i+1} = relu(sqrt(sigma2 / n_i) W_i h_i)
        basis, triangle = _orthonormalised(hidden[-1])
        projected = jax.random.normal(forward_keys[i], (widths[i + 1], 2))  # W_i Q_i
        z = (sigma2 / widths[i]) ** 0.5 * projected @ triangle
        bases.append(basis)
        projections.append(projected)
        preactivations.append(z)
        hidden.append(jax.nn.relu(z))
    signal = jnp.ones((1, 2))  # df/dz at the output, for both inputs
    gram = jnp.zeros((2, 2))
    for i in reversed(range(layers)):  # d f / d W_i = sqrt(sigma2 / n_i) g_{i+1} h_i^T
        gram = gram + sigma2 / widths[i] * (hidden[i].T @ hidden[i]) * (signal.T @ signal)
        if i == 0:
            break
        pulled = _transpose_times(backward_keys[i], bases[i], projections[i], signal)
        signal = (preactivations[i - 1] > 0) * (sigma2 / widths[i]) ** 0.5 * pulled
    return gram


def _transpose_times(key: Any, basis: Any, projected: Any, signal: Any) -> Any:
    """W^T G for W drawn given W Q = `projected`: Q (W Q)^T G + P W'^T G, W' a fresh copy.

    W'^T G = (W'^T U) S for G = U S (QR), and W'^T U has iid N(0, 1) entries.
    """
    unitary, triangle = _orthonormalised(signal)
    fresh = jax.random.normal(key, (basis.shape[0], unitary.shape[1])) @ triangle
    orthogonal = fresh - basis @ (basis.T @ fresh)
    return basis @ (projected.T @ signal) + orthogonal


def _orthonormalised(pair: Any) -> tuple[Any, Any]:
    """Q, R with pair = Q R for an n x 2 `pair`: Gram-Schmidt, the projection done twice.

    A zero residual (parallel columns, as at theta = 0, or a dead layer) gets a
    zero column in Q and a zero in R, which keeps P = I - Q Q^T a projector, so
    the conditioning stays exact. LAPACK's QR is not used: batched over a few
    thousand seeds it hung XLA:CPU (jax 0.10.2).
    """
    jnp = jax.numpy
    first, second = pair[:, 0], pair[:, 1]
    first_norm = jnp.linalg.norm(first)
    q0 = _unit(first, first_norm)
    along = q0 @ second
    residual = second - along * q0
    again = q0 @ residual  # the second pass restores orthogonality to rounding
    residual = residual - again * q0
    second_norm = jnp.linalg.norm(residual)
    basis = jnp.stack([q0, _unit(residual, second_norm)], axis=1)
    triangle = jnp.array([[first_norm, along + again], [0.0, second_norm]])
    return basis, triangle


def _unit(vector: Any, norm: Any) -> Any:
    """vector / norm, and the zero vector where the norm is 0."""
    jnp = jax.numpy
    return jnp.where(norm > 0, vector / jnp.where(norm > 0, norm, 1.0), 0.0)


# --------------------------------------------------------------------------- training data


def _regression_data(key: Any, n_train: int, dim: int) -> tuple[Any, Any]:
    """n_train Gaussian inputs in R^dim (|x|^2/d about 1) and a smooth target of them."""
    jnp = jax.numpy
    x = jax.random.normal(key, (n_train, dim))
    y = jnp.sin(2.0 * x[:, 0]) + 0.5 * x[:, 1] * x[:, 2 % dim]
    return x, y


# --------------------------------------------------------------------------- eigen decay


class EigenDecayParams(_Params):
    """A wide network trained by full-batch GD on the half mean squared error."""

    width: int = pydantic.Field(4096, ge=1, description="hidden width n")
    depth: int = pydantic.Field(1, ge=1, description="number of hidden layers")
    dim: int = pydantic.Field(4, ge=1, description="input dimension d")
    n_train: int = pydantic.Field(8, ge=1, description="training points m")
    steps: int = pydantic.Field(400, ge=1, description="gradient-descent steps")
    every: int = pydantic.Field(20, ge=1, description="record the residual every this many steps")
    activation: Activation = pydantic.Field("tanh", description="hidden-layer nonlinearity")
    data_seed: int = pydantic.Field(
        0, ge=0, description="the training set is drawn from this seed: the same for every run"
    )


@measurement(
    "ntk.eigen_decay", params=EigenDecayParams, outputs=["c", "c0", "lam", "t", "kernel_drift"]
)
def eigen_decay(key: Any, params: EigenDecayParams, *, lr: Any = 0.05) -> dict[str, Any]:
    """Training residual along the eigenvectors of the initial empirical NTK Gram matrix.

    An MLP in NTK parametrisation (`nets.mlp_init`/`mlp_apply`, all weights and
    biases trained), centred by subtracting its output at initialisation
    (f = mlp(p) - mlp(p0): the same gradients and NTK, and r_0 = -y), is fitted
    by plain GD (optax.sgd, step `lr`) on the loss 1/(2m) sum_i (f(x_i) - y_i)^2
    over m = `n_train` Gaussian inputs, drawn once from `data_seed` so that the
    seeds differ only in the initialisation (as in the theorem). Before
    training, the empirical NTK Gram matrix Theta_0 (m x m, `nets.empirical_ntk`)
    is diagonalised, Theta_0 = sum_i lam_i v_i v_i^T. The residual r_t = f_t(X) - y
    is recorded every `every` steps and projected: c_i(t) = v_i . r_t / |r_0|,
    with each v_i's sign chosen so that c_i(0) >= 0 (seed means then add up
    rather than cancel).

    Outputs: `c`, shape (m, T) with T = steps/every + 1 records; `c0`, shape (m,),
    the projections at t = 0; `lam`, shape (m,), the Gram eigenvalues; `t`,
    shape (1, T), the step index of each record (the leading 1 aligns it with
    the time axis of `c`, per-seed shapes align from the left); `kernel_drift`,
    |Theta_T - Theta_0|_F / |Theta_0|_F after training (small in the kernel regime).
    """
    jnp = jax.numpy
    x, y = _regression_data(jax.random.PRNGKey(params.data_seed), params.n_train, params.dim)
    phi = _activation(params.activation)
    net = nets.mlp_init(key, [params.dim, *[params.width] * params.depth, 1])

    def f(p: Any, inputs: Any) -> Any:
        return nets.mlp_apply(p, inputs, activation=phi)[:, 0]

    initial = f(net, x)

    def residual(p: Any) -> Any:
        return f(p, x) - initial - y

    def loss(p: Any) -> Any:
        return 0.5 * jnp.mean(residual(p) ** 2)

    gram = nets.empirical_ntk(f, net, x, x)
    lam, vectors = jnp.linalg.eigh(gram)
    final, trace = nets.train(
        loss, net, optax.sgd(lr), params.steps, record=residual, every=params.every
    )
    c = vectors.T @ trace.T / jnp.linalg.norm(trace[0])
    c = c * jnp.where(c[:, :1] < 0, -1.0, 1.0)  # eigenvector signs: every c_i(0) >= 0
    drift = jnp.linalg.norm(nets.empirical_ntk(f, final, x, x) - gram) / jnp.linalg.norm(gram)
    t = (jnp.arange(trace.shape[0]) * params.every)[None, :].astype(c.dtype)
    return {"c": c, "c0": c[:, 0], "lam": lam, "t": t, "kernel_drift": drift}


# --------------------------------------------------------------------------- linearisation


class LinearizationParams(_Params):
    """A network and its linearisation, trained side by side by the same GD."""

    max_width: int = pydantic.Field(
        8192, ge=1, description="hidden units allocated; the traced `width` uses the first ones"
    )
    depth: int = pydantic.Field(1, ge=1, description="number of hidden layers")
    dim: int = pydantic.Field(4, ge=1, description="input dimension d")
    n_train: int = pydantic.Field(8, ge=1, description="training points m")
    steps: int = pydantic.Field(200, ge=1, description="gradient-descent steps")
    every: int = pydantic.Field(20, ge=1, description="record the residuals every this many steps")
    activation: Activation = pydantic.Field("tanh", description="hidden-layer nonlinearity")


def _masked_layers(layers: list[Any], width: Any, max_width: int) -> list[Any]:
    """Layers that act as a width-`width` network inside a `max_width` one.

    Every weight matrix fed by a hidden layer has its columns beyond `width`
    zeroed and the rest scaled by sqrt(max_width/width): with `nets.mlp_apply`'s
    own 1/sqrt(fan_in) this is the NTK scaling 1/sqrt(width), and the unused
    units neither reach the output nor receive gradient. So the width is a
    traced input, and one compilation serves a sweep over it.
    """
    jnp = jax.numpy
    mask = (jnp.arange(max_width) < width) * jnp.sqrt(max_width / width)
    return [(w if i == 0 else w * mask, b) for i, (w, b) in enumerate(layers)]


@measurement(
    "ntk.linearization_gap",
    params=LinearizationParams,
    outputs=["r_net", "r_lin", "lr_lam_max"],
)
def linearization_gap(
    key: Any,
    params: LinearizationParams,
    *,
    width: Any = 1024.0,
    lr: Any = 0.5,
    readout_exponent: Any = 0.5,
) -> dict[str, Any]:
    """Training residuals of a network and of its first-order Taylor model at init.

    The network f is an MLP of hidden width `width` (`nets.mlp_init`/`mlp_apply`,
    NTK parametrisation, all weights and biases trained; see `_masked_layers`
    for how the width is traced) with its output scaled by width^(1/2 - a),
    a = `readout_exponent`: a = 1/2 is the NTK parametrisation, a = 1 the
    mean-field one, where features move by O(1). Its linearisation is f_lin(p) = f(p0) + J(p0) (p - p0),
    evaluated with `jax.jvp`. Both start at p0 and are trained by the same plain
    GD (optax.sgd, step lr * width^(2a - 1)) on 1/(2m) sum_i (f(x_i) - y_i)^2 over
    m = `n_train` Gaussian inputs. The residuals on the training inputs are
    recorded every `every` steps and divided by the initial residual norm |r_0|
    (the same for both).

    Outputs: `r_net` and `r_lin`, shape (T, m) with T = steps/every + 1;
    `lr_lam_max`, the step times the largest eigenvalue of the initial empirical
    NTK Gram matrix over m (GD on the linear model is stable below 2).
    Width, step and readout exponent are traced inputs (one compilation).
    """
    jnp = jax.numpy
    k_data, k_net = jax.random.split(key)
    x, y = _regression_data(k_data, params.n_train, params.dim)
    phi = _activation(params.activation)
    p0 = nets.mlp_init(k_net, [params.dim, *[params.max_width] * params.depth, 1])
    scale = width ** (0.5 - readout_exponent)
    step = lr * width ** (2 * readout_exponent - 1)

    def f(p: Any, inputs: Any) -> Any:
        layers = _masked_layers(p, width, params.max_width)
        return scale * nets.mlp_apply(layers, inputs, activation=phi)[:, 0]

    f0 = f(p0, x)

    def f_lin(p: Any, inputs: Any) -> Any:
        delta = jax.tree_util.tree_map(lambda a, b: a - b, p, p0)
        return f0 + jax.jvp(lambda q: f(q, inputs), (p0,), (delta,))[1]

    def trajectory(model: Any) -> Any:
        def residual(p: Any) -> Any:
            return model(p, x) - y

        def loss(p: Any) -> Any:
            return 0.5 * jnp.mean(residual(p) ** 2)

        _, trace = nets.train(
            loss, p0, optax.sgd(step), params.steps, record=residual, every=params.every
        )
        return trace

    r_net, r_lin = trajectory(f), trajectory(f_lin)
    norm = jnp.linalg.norm(r_net[0])
    lam_max = jnp.linalg.eigvalsh(nets.empirical_ntk(f, p0, x, x))[-1]
    return {
        "r_net": r_net / norm,
        "r_lin": r_lin / norm,
        "lr_lam_max": step * lam_max / params.n_train,
    }
