r"""Online readouts: recursive least squares (RLS), least mean squares (LMS), and FORCE learning.

A readout :math:`\hat y_t = W^\top x_t` (features :math:`x_t \in \mathbb R^F`, outputs :math:`y_t \in \mathbb
R^M`) is updated after every sample.

RLS with forgetting factor :math:`\mu \in (0, 1]` minimises :math:`\sum_{s \le t} \mu^{t-s} \lVert y_s - W^\top
x_s \rVert^2 + \mu^t \alpha \lVert W \rVert^2`.  With :math:`P_0 = I/\alpha`, :math:`W_0 = 0`:

.. math:: k_t = \frac{P_{t-1} x_t}{\mu + x_t^\top P_{t-1} x_t}, \quad
          e_t = y_t - W_{t-1}^\top x_t, \quad W_t = W_{t-1} + k_t e_t^\top, \quad
          P_t = \frac{P_{t-1} - k_t x_t^\top P_{t-1}}{\mu}.

With :math:`\mu = 1` after one pass :math:`W_t = (X^\top X + \alpha I)^{-1} X^\top Y` exactly: ridge regression
with :math:`\lambda = \alpha` (no bias; append a constant feature for one).

LMS is stochastic gradient descent on the squared error, :math:`W_t = W_{t-1} + \eta\, x_t e_t^\top`.

FORCE (Sussillo & Abbott 2009) trains the readout of a chaotic rate network whose output is fed back, with RLS
fast enough to keep the error small from the start.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import brainlab.engine as be
from brainlab.engine._array import unwrap

from ._ridge import as_trials

__all__ = ["RLS", "LMS", "FORCE"]


def _check_pos(name: str, arg: str, v: float) -> float:
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name}: {arg}={v!r} must be a positive number.")
    return float(v)


class _OnlineReadout(be.Module):
    n_features: int
    n_outputs: int

    def predict(self, X: Any) -> jax.Array:
        """:math:`W^\\top x` for ``X`` of shape ``(..., F)``."""
        x = jnp.asarray(unwrap(X))
        if x.shape[-1] != self.n_features:
            raise ValueError(
                f"{type(self).__name__}.predict: X has {x.shape[-1]} features, the readout has {self.n_features}."
            )
        return x @ self.W.value.astype(x.dtype)

    def fit(self, X: Any, Y: Any) -> jax.Array:
        """One pass over the samples in order (trials one after another); returns the a-priori errors ``e_t``.

        ``X`` is ``(T, F)``, ``(B, T, F)`` or a list of trials; ``Y`` matches with ``M`` outputs.  The loop runs
        compiled (``be.for_loop``) in this readout's precision.
        """
        name = f"{type(self).__name__}.fit"
        xs = as_trials(name, "X", X, self.n_features)
        ys = as_trials(name, "Y", Y, self.n_outputs)
        if len(xs) != len(ys) or any(a.shape[0] != b.shape[0] for a, b in zip(xs, ys)):
            raise ValueError(f"{name}: X and Y must have the same trials and time steps.")
        with be.precision(self.dtype):
            x = jnp.concatenate([jnp.asarray(a, self.dtype) for a in xs])
            y = jnp.concatenate([jnp.asarray(b, self.dtype) for b in ys])
            errs = be.for_loop(self.update, x, y)
        return errs

    @property
    def dtype(self) -> str:
        return "float64" if self.W.value.dtype == jnp.float64 else "float32"


class RLS(_OnlineReadout):
    r"""Recursive least squares readout with forgetting factor (see the module docstring for the update).

    Args:
        n_features: :math:`F`.
        n_outputs: :math:`M`.
        alpha: :math:`P_0 = I / \alpha` (the equivalent ridge penalty).
        forgetting: :math:`\mu \in (0, 1]`; 1 never forgets, 0.99 weighs samples with a memory of ~100 steps.
        precision: ``'float64'`` (default: the result then equals ridge to double precision) or ``'float32'``.

    Example:
        >>> import numpy as np
        >>> import brainlab as bl
        >>> X = np.random.default_rng(0).normal(size=(300, 3)); Y = X @ np.array([[1.], [-2.], [0.5]])
        >>> rls = bl.train.RLS(3, 1, alpha=1e-6); _ = rls.fit(X, Y)
        >>> np.round(np.asarray(rls.W.value).ravel(), 4).tolist()
        [1.0, -2.0, 0.5]
    """

    def __init__(self, n_features: int, n_outputs: int = 1, alpha: float = 1.0, forgetting: float = 1.0,
                 precision: str = "float64"):
        name = "RLS"
        self.n_features, self.n_outputs = int(n_features), int(n_outputs)
        self.alpha = _check_pos(name, "alpha", alpha)
        if not 0 < forgetting <= 1:
            raise ValueError(f"RLS: forgetting={forgetting!r} must be in (0, 1] (1 = no forgetting).")
        self.forgetting = float(forgetting)
        with be.precision(precision):
            dt = be.default_float()
            self.W = be.ParamState(jnp.zeros((self.n_features, self.n_outputs), dt))
            self.P = be.State(jnp.eye(self.n_features, dtype=dt) / self.alpha)

    def update(self, x: Any, y: Any) -> jax.Array:
        """One RLS step on the sample ``(x, y)``; returns the a-priori error :math:`e_t = y_t - W_{t-1}^\\top x_t`."""
        x = jnp.asarray(unwrap(x), self.W.value.dtype)
        y = jnp.asarray(unwrap(y), self.W.value.dtype)
        P = self.P.value
        Px = P @ x
        k = Px / (self.forgetting + x @ Px)
        e = y - x @ self.W.value
        self.W.value = self.W.value + jnp.outer(k, e)
        P = (P - jnp.outer(k, Px)) / self.forgetting
        self.P.value = 0.5 * (P + P.T)  # keep P symmetric against rounding
        return e


class LMS(_OnlineReadout):
    r"""Least-mean-squares readout: :math:`W \leftarrow W + \eta\, x_t e_t^\top`.

    Converges (in the mean) for :math:`0 < \eta < 2 / \lambda_{max}(E[x x^\top])`; much slower than RLS on
    correlated features, but :math:`O(FM)` per step instead of :math:`O(F^2)`.

    Example:
        >>> import numpy as np
        >>> import brainlab as bl
        >>> X = np.random.default_rng(0).normal(size=(2000, 3)); Y = X @ np.array([[1.], [-2.], [0.5]])
        >>> lms = bl.train.LMS(3, 1, lr=0.05); _ = lms.fit(X, Y)
        >>> np.round(np.asarray(lms.W.value).ravel(), 3).tolist()
        [1.0, -2.0, 0.5]
    """

    def __init__(self, n_features: int, n_outputs: int = 1, lr: float = 0.01, precision: str = "float32"):
        self.n_features, self.n_outputs = int(n_features), int(n_outputs)
        self.lr = _check_pos("LMS", "lr", lr)
        with be.precision(precision):
            self.W = be.ParamState(jnp.zeros((self.n_features, self.n_outputs), be.default_float()))

    def update(self, x: Any, y: Any) -> jax.Array:
        """One LMS step; returns the a-priori error."""
        x = jnp.asarray(unwrap(x), self.W.value.dtype)
        e = jnp.asarray(unwrap(y), self.W.value.dtype) - x @ self.W.value
        self.W.value = self.W.value + self.lr * jnp.outer(x, e)
        return e


class FORCE(be.Module):
    r"""A chaotic rate network trained by FORCE learning (Sussillo & Abbott 2009, Neuron 63:544).

    .. math:: \tau \frac{dx_i}{dt} = -x_i + g \sum_j J_{ij} r_j + w^{fb}_i z, \qquad r = \tanh x, \qquad
              z = w^\top r

    :math:`J_{ij}` is nonzero with probability :math:`p`, drawn from :math:`\mathcal N(0, 1/(pN))`; :math:`w^{fb}_i
    \sim \mathcal U[-1, 1]`; :math:`w_0 = 0`.  Euler steps of ``dt`` ms.  Every ``learn_every`` steps the readout
    :math:`w` takes one RLS step (:math:`\mu = 1`, :math:`P_0 = I/\alpha`) towards the target :math:`f(t)`.
    With :math:`g > 1` the network is chaotic before training; the fed-back output tames it.

    Args:
        n_units: :math:`N` (paper: 1000).
        g: recurrent gain (paper: 1.5).
        p: connection probability of :math:`J` (paper: 0.1).
        tau: time constant (ms; paper: 10).
        dt: Euler step (ms).
        alpha: :math:`P_0 = I/\alpha` (paper: 1.0).
        learn_every: steps between RLS updates (paper: 2).
        n_outputs: outputs fed back.
        seed: same seed, same network.

    Example:
        >>> import numpy as np
        >>> import brainlab as bl
        >>> net = bl.train.FORCE(n_units=200, seed=0)
        >>> t = np.arange(2000.)                                   # ms
        >>> f = np.sin(2 * np.pi * t / 200.)[:, None]
        >>> z_train = net.train(f)
        >>> z = net.run(400)                                       # learning off
        >>> bool(np.sqrt(np.mean((np.asarray(z)[:, 0] - np.sin(2 * np.pi * (t[-1] + 1 + np.arange(400)) / 200.))**2)) < 0.2)
        True
    """

    def __init__(self, n_units: int = 1000, g: float = 1.5, p: float = 0.1, tau: float = 10.0, dt: float = 1.0,
                 alpha: float = 1.0, learn_every: int = 2, n_outputs: int = 1, seed: int = 0):
        name = "FORCE"
        self.n_units, self.n_outputs = int(n_units), int(n_outputs)
        self.g, self.tau, self.dt = float(g), _check_pos(name, "tau", tau), _check_pos(name, "dt", dt)
        self.alpha = _check_pos(name, "alpha", alpha)
        if not 0 < p <= 1:
            raise ValueError(f"FORCE: p={p!r} must be in (0, 1].")
        if int(learn_every) != learn_every or learn_every < 1:
            raise ValueError(f"FORCE: learn_every={learn_every!r} must be a positive integer (steps).")
        self.learn_every = int(learn_every)
        rng = np.random.default_rng(seed)
        N = self.n_units
        J = rng.normal(0.0, 1.0 / np.sqrt(p * N), (N, N)) * (rng.random((N, N)) < p)
        self.J = be.ParamState(jnp.asarray(self.g * J, be.default_float()))
        self.w_fb = be.ParamState(jnp.asarray(rng.uniform(-1.0, 1.0, (N, self.n_outputs)), be.default_float()))
        self.w = be.ParamState(jnp.zeros((N, self.n_outputs), be.default_float()))
        self.x = be.HiddenState(jnp.asarray(0.5 * rng.normal(size=N), be.default_float()))
        self.P = be.State(jnp.eye(N, dtype=be.default_float()) / self.alpha)
        self._train_loop = be.jit(self._train)
        self._run_loop = be.jit(self._run, static_argnums=0)

    def _step(self) -> jax.Array:
        r = jnp.tanh(self.x.value)
        z = r @ self.w.value
        self.x.value = self.x.value + self.dt / self.tau * (-self.x.value + self.J.value @ r + self.w_fb.value @ z)
        return jnp.tanh(self.x.value) @ self.w.value  # the output after the step

    def _learn_block(self, f: jax.Array) -> jax.Array:
        # f: (learn_every, M) targets for the block's steps; the RLS step uses the block's last step
        zs = [self._step() for _ in range(self.learn_every)]
        r = jnp.tanh(self.x.value)
        P = self.P.value
        Pr = P @ r
        c = 1.0 / (1.0 + r @ Pr)
        e = r @ self.w.value - f[-1]
        self.w.value = self.w.value - c * jnp.outer(Pr, e)
        self.P.value = P - c * jnp.outer(Pr, Pr)
        return jnp.stack(zs)

    def _train(self, f: jax.Array) -> jax.Array:
        return be.for_loop(self._learn_block, f).reshape(-1, self.n_outputs)

    def _run(self, n_steps: int) -> jax.Array:
        return be.for_loop(self._step_indexed, jnp.arange(n_steps))

    def _step_indexed(self, _: Any) -> jax.Array:
        return self._step()

    def train(self, target: Any) -> jax.Array:
        """Run with learning on, towards ``target`` ``(T, M)`` (one row per ``dt``); returns the output ``z``.

        ``T`` is cut to a multiple of ``learn_every``.  The target of step ``t`` is the value the output should
        have after that step's update of ``x``.
        """
        f = jnp.asarray(unwrap(target), be.default_float())
        if f.ndim == 1:
            f = f[:, None]
        if f.ndim != 2 or f.shape[1] != self.n_outputs:
            raise ValueError(f"FORCE.train: target must be (time, {self.n_outputs}); got shape {f.shape}.")
        T = (f.shape[0] // self.learn_every) * self.learn_every
        if T == 0:
            raise ValueError(f"FORCE.train: the target has fewer than learn_every={self.learn_every} steps.")
        return self._train_loop(f[:T].reshape(T // self.learn_every, self.learn_every, self.n_outputs))

    def run(self, n_steps: int) -> jax.Array:
        """Run with learning off for ``n_steps`` steps of ``dt``; returns the output ``z`` ``(n_steps, M)``."""
        return self._run_loop(int(n_steps))
