r"""Ornstein-Uhlenbeck noise current, integrated exactly."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import engine as be
from ..engine import HiddenState
from ..engine._array import unwrap
from ._params import ParamHolder, population_shape

__all__ = ["OUNoise"]


class OUNoise(ParamHolder):
    r"""An Ornstein-Uhlenbeck noise current onto every neuron of ``post`` (a projection-like module).

    .. math::

        \tau \frac{dI}{dt} = \mu - I + \sigma \sqrt{2\tau}\, \xi(t),

    with :math:`\xi` Gaussian white noise, so that the stationary current has mean :math:`\mu`, variance
    :math:`\sigma^2` and autocorrelation :math:`\sigma^2 e^{-|\Delta t|/\tau}`.  The update is the exact
    transition of the process (no discretisation error at any step):

    .. math::

        I(t + \Delta t) = \mu + (I(t) - \mu)\, e^{-\Delta t/\tau}
        + \sigma \sqrt{1 - e^{-2\Delta t/\tau}}\; \eta, \qquad \eta \sim \mathcal N(0, 1).

    Each neuron has its own independent noise.  The current delivered during a step is its value at the start
    of the step; the state ``I`` then holds the value at the end.

    Args:
        post: the target population.
        mean: :math:`\mu` (the target's current unit: pA for LIF, µA/cm² for HH).
        sigma: the stationary standard deviation :math:`\sigma` (same unit, >= 0).
        tau: the correlation time :math:`\tau` (ms, > 0).
        seed: the seed of the module's random generator.

    Example:
        >>> import brainlab as bl
        >>> lif = bl.neurons.LIF(100)
        >>> noise = bl.inputs.OUNoise(lif, mean=150.0, sigma=50.0, tau=5.0, seed=0)
        >>> net = bl.Network(E=lif, noise=noise)

    Limits: the process starts at :math:`\mu` (not from its stationary distribution): discard the first few
    :math:`\tau` when stationarity matters.
    """

    IS_PROJECTION = True
    pre = None
    nnz = None

    def __init__(self, post: Any, mean: Any = 0.0, sigma: Any = 1.0, tau: Any = 10.0, seed: int | None = None,
                 name: str | None = None) -> None:
        shape = population_shape("OUNoise", post)
        object.__setattr__(self, "_post", post)
        object.__setattr__(self, "_shape", shape)
        self.name = name if name is not None else "OUNoise"
        n = int(np.prod(shape))
        self._declare("mean", mean, "", -np.inf, np.inf, (n,))
        self._declare("sigma", sigma, "", 0.0, np.inf, (n,))
        self._declare("tau", tau, "ms", 1e-9, np.inf, (n,))
        self.I = HiddenState(jnp.broadcast_to(jnp.asarray(self.mean.value, dtype=be.default_float()), (n,)),
                             name=f"{self.name}.I")
        self.rng = be.random.RandomState(seed)

    @property
    def post(self) -> Any:
        """The target population."""
        return self._post

    def reset_state(self) -> None:
        """Restart the process at the current mean."""
        self.I.value = jnp.broadcast_to(jnp.asarray(self.mean.value, self.I.dtype), self.I.shape)

    def update(self, t: Any, dt: Any) -> jax.Array:
        r"""The current during the step from ``t`` to ``t + dt`` (ms); advances ``I`` exactly to ``t + dt``."""
        current = self.I.value
        mu, sigma, tau = self.mean.value, self.sigma.value, self.tau.value
        a = jnp.exp(-dt / tau)
        eta = unwrap(self.rng.standard_normal(current.shape)).astype(current.dtype)
        self.I.value = mu + (current - mu) * a + sigma * jnp.sqrt(-jnp.expm1(-2.0 * dt / tau)) * eta
        return current.reshape(self._shape)

    def describe(self) -> str:
        """One line for ``Network.summary()``."""
        return f"OUNoise({self._text('mean')}, {self._text('sigma')}, {self._text('tau')})"

    def __repr__(self) -> str:
        return self.describe()
