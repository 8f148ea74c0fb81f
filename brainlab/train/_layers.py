r"""Building blocks for trainable spiking networks that are also ordinary :class:`~brainlab.Network` parts.

* :class:`SpikeInput`: a population that emits its input as spikes, so data (spike trains of shape
  ``(T, n)``) enter a network through the usual ``inputs={population: series}`` of :class:`~brainlab.Runner`.
* :class:`Dense`: an all-to-all projection with a trainable weight matrix (a ``ParamState``), optionally through
  an exponential synaptic current.
* :class:`LeakyReadout`: leaky, non-spiking integrator units, the readout of Zenke & Vogels (2021).

A network of these and spiking neurons built with ``spike_dtype=float`` trains with
:class:`~brainlab.train.BPTT` and then runs in :class:`~brainlab.Runner` unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._model import Parameter, Variable, _raw
from .._network import is_population
from ..engine import HiddenState, Module, ParamState, State, default_float
from ..neurons._base import AbstractNeuron

__all__ = ["SpikeInput", "Dense", "LeakyReadout"]


def _shape(size: Any, who: str) -> tuple[int, ...]:
    shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
    if not shape or not all(isinstance(n, (int, np.integer)) and n > 0 for n in shape):
        raise ValueError(f"{who}: size must be a positive int or a tuple of them, got {size!r}.")
    return tuple(int(n) for n in shape)


class SpikeInput(Module):
    r"""A population whose spikes are its input: :math:`s(t) = I(t)` each step (no dynamics).

    Feed it spike trains (0/1 per neuron and step, or any real "event strength") as its input current: in
    :class:`~brainlab.train.BPTT` through ``input=``, in :class:`~brainlab.Runner` through
    ``inputs={inp: series}`` with ``series`` of shape ``(n_steps, size)``.  A projection from it delivers them
    to the next layer one step later, as it does the spikes of a neuron.

    Args:
        size: the number of input neurons.
        name: a readable name (default ``'SpikeInput'``).

    Example:
        >>> import brainlab as bl
        >>> inp = bl.train.SpikeInput(3)
        >>> inp.update(0.0, 1.0, bl.engine.array([0.0, 1.0, 0.0]))
        Array([0., 1., 0.], dtype=float32)

    Limits: its spikes are floats (they carry gradients), so the Runner's spike recording skips it; monitor
    ``'<name>.spike'`` to record them.
    """

    DEFAULT_DT = 1.0

    def __init__(self, size: int | tuple[int, ...], name: str | None = None) -> None:
        self.size = _shape(size, "SpikeInput")
        self.num = int(np.prod(self.size))
        self.name = name if name is not None else "SpikeInput"
        self.spike = HiddenState(jax.device_put(np.zeros(self.size, dtype=default_float())), name=f"{self.name}.spike")

    def update(self, t: Any, dt: Any, I: Any = 0.0) -> jax.Array:  # noqa: E741 - I is the input, as for neurons
        """Emit ``I`` (broadcast to ``size``) as this step's spikes and return them."""
        value = jnp.broadcast_to(jnp.asarray(_raw(I), dtype=self.spike.dtype), self.size)
        self.spike.value = value
        return value

    def __repr__(self) -> str:
        return f"SpikeInput(size={self.num})"


class Dense(Module):
    r"""All-to-all projection with a trainable weight matrix, from the spikes of ``pre`` onto ``post``.

    .. math::

        I_j(t) = \sum_i W_{ij}\, s_i(t)  \quad\text{(``tau=None``)}, \qquad
        I_j(t + \Delta t) = e^{-\Delta t/\tau}\, I_j(t) + \sum_i W_{ij}\, s_i(t) \quad\text{(exponential current)}

    where :math:`s_i(t)` are the spikes ``pre`` emitted on the previous step (as for
    :class:`~brainlab.Projection`).  :math:`W` is in the unit of ``post``'s input current (pA for the LIF).

    Args:
        pre: the presynaptic population (anything with a ``spike`` State: a spiking neuron built with
            ``spike_dtype=float`` for gradients through its spikes, or :class:`SpikeInput`).
        post: the postsynaptic population.
        weight: an ``(n_pre, n_post)`` array or ``ParamState`` (shared, e.g. with another projection); default:
            independent normal entries of mean 0 and standard deviation ``scale / sqrt(n_pre)``.
        scale: the scale of the default weights (current unit).
        tau: synaptic time constant (ms) of an exponential current; ``None``: the current lasts one step.
        seed: seed of the default weights.
        name: a readable name (default ``'Dense'``).

    Example:
        >>> import brainlab as bl
        >>> inp, lif = bl.train.SpikeInput(4), bl.neurons.LIF(3, spike_dtype=float)
        >>> proj = bl.train.Dense(inp, lif, scale=100.0, seed=0)
        >>> proj.weight.shape, proj.weight.kind
        ((4, 3), 'param')

    Limits: dense (O(n_pre n_post) memory and work per step): meant for trained layers of up to a few thousand
    neurons; sparse connectivity belongs in :class:`~brainlab.Projection`.
    """

    IS_PROJECTION = True

    def __init__(self, pre: Any, post: Any, weight: Any = None, *, scale: float = 1.0, tau: float | None = None,
                 seed: int = 0, name: str | None = None) -> None:
        for role, pop in (("pre", pre), ("post", post)):
            if not is_population(pop):
                raise TypeError(f"Dense: {role} must be a population (a neuron model or bl.train.SpikeInput), got "
                                f"{type(pop).__name__}.")
        if not isinstance(getattr(pre, "spike", None), State):
            raise TypeError(f"Dense: pre ({type(pre).__name__}) emits no spikes (no `spike` State). Use a spiking "
                            "model built with spike_dtype=float, or bl.train.SpikeInput.")
        object.__setattr__(self, "_pre", pre)
        object.__setattr__(self, "_post", post)
        self.name = name if name is not None else "Dense"
        n_pre = int(np.prod(pre.spike.shape))
        post_shape = tuple(post.size) if not isinstance(post.size, int) else (post.size,)
        n_post = int(np.prod(post_shape))
        object.__setattr__(self, "_post_shape", post_shape)
        if isinstance(weight, State):
            if tuple(weight.shape) != (n_pre, n_post):
                raise ValueError(f"Dense: the weight ParamState has shape {tuple(weight.shape)}; expected (n_pre, "
                                 f"n_post) = ({n_pre}, {n_post}).")
            self.weight = weight
        else:
            if weight is None:
                w = np.random.default_rng(seed).normal(0.0, float(scale) / math.sqrt(n_pre), (n_pre, n_post))
            else:
                w = np.asarray(_raw(weight), dtype=float)
                if w.shape != (n_pre, n_post):
                    raise ValueError(f"Dense: weight has shape {w.shape}; expected (n_pre, n_post) = ({n_pre}, "
                                     f"{n_post}).")
            if not np.all(np.isfinite(w)):
                raise ValueError("Dense: weight has NaN or infinite entries; pass finite weights.")
            self.weight = ParamState(w.astype(default_float()), name=f"{self.name}.weight")
        if tau is not None and not (isinstance(tau, (int, float)) and tau > 0):
            raise ValueError(f"Dense: tau must be a positive time constant in ms (or None for a one-step current), "
                             f"got {tau!r}.")
        object.__setattr__(self, "_tau", None if tau is None else float(tau))
        if tau is not None:
            self.I = HiddenState(jax.device_put(np.zeros(n_post, dtype=default_float())), name=f"{self.name}.I")

    @property
    def pre(self) -> Any:
        """The presynaptic population."""
        return self._pre

    @property
    def post(self) -> Any:
        """The postsynaptic population."""
        return self._post

    @property
    def tau(self) -> float | None:
        """The synaptic time constant (ms), or ``None``."""
        return self._tau

    def update(self, t: Any, dt: Any) -> jax.Array:
        """The current onto ``post`` for the step from ``t`` to ``t + dt`` (ms), shape ``post.size``."""
        w = self.weight.value
        x = self._pre.spike.value.reshape(-1).astype(w.dtype) @ w
        if self._tau is not None:
            x = self.I.value * jnp.exp(-_raw(dt) / self._tau) + x
            self.I.value = x
        return x.reshape(self._post_shape)

    def describe(self) -> str:
        return f"Dense({self.weight.shape[0]}x{self.weight.shape[1]}" + (f", tau={self._tau:g} ms)" if self._tau
                                                                           else ")")

    def __repr__(self) -> str:
        return self.describe()


class LeakyReadout(AbstractNeuron, register=False):
    r"""Leaky non-spiking integrator units, a readout layer: :math:`\tau\,\dot V = -V + R\,(I_\text{ext} + I)`.

    Their potential :math:`V` (mV) is the output a loss reads (e.g. its maximum over time,
    :func:`~brainlab.train.cross_entropy_max`, as in Zenke & Vogels 2021).  Integrated exactly for a current held
    constant over a step (exponential Euler).

    Example:
        >>> import brainlab as bl
        >>> out = bl.train.LeakyReadout(2, tau=20.0)
        >>> out.update(0.0, 1.0, 100.0)                  # one 1-ms step of 100 pA
        >>> round(float(out.V.value[0]), 3)              # 100 pA * 0.1 GOhm * (1 - e^-1/20) mV
        0.488
    """

    PARAMETERS = (
        Parameter("tau", 10.0, "ms", (0.01, 1e4), "membrane time constant"),
        Parameter("R", 0.1, "GΩ", (1e-6, 1e3), "membrane resistance (R I in mV for I in pA)"),
        Parameter("I_ext", 0.0, "pA", (-1e6, 1e6), "constant external current"),
    )
    VARIABLES = (Variable("V", 0.0, "mV", "potential (the readout)"),)
    EQUATIONS = r"\tau \frac{dV}{dt} = -V + R\,(I_\text{ext} + I)"
    REFERENCE = "Zenke F, Vogels TP (2021) Neural Comput 33:899-925 (leaky readout units)"
    DEFAULT_DT = 1.0
    METHOD = "exp_euler"
    SPIKING = False

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        return {"V": (-state["V"] + p["R"] * (p["I_ext"] + I)) / p["tau"]}
