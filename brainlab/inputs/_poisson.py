r"""Poisson spike sources: a population of independent Poisson neurons, and summed Poisson input onto a
population."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import engine as be
from ..engine import HiddenState
from ..engine._array import unwrap
from ._binomial import binomial_counts
from ._params import ParamHolder, no_current, population_shape, size_shape

__all__ = ["PoissonSpikes", "PoissonInput"]


def _probability(owner: str, rate: Any, dt: Any) -> Any:
    p = rate * dt / 1000.0
    if not isinstance(p, jax.core.Tracer) and not isinstance(dt, jax.core.Tracer):
        mx = float(np.max(np.asarray(p)))
        if mx > 1.0:
            raise ValueError(
                f"{owner}: rate × dt = {mx * 1000:g} Hz·ms exceeds 1000, so a step would need more than one spike. "
                "Lower the rate or the step (rate_hz * dt_ms / 1000 must be <= 1)."
            )
    return p


class PoissonSpikes(ParamHolder):
    r"""A population of independent Poisson spike sources, usable as ``pre`` of a projection.

    In each step of :math:`\Delta t` ms, each source spikes with probability
    :math:`p = \nu\, \Delta t / 1000` (:math:`\nu` in Hz), independently of everything else: a Bernoulli
    approximation of a Poisson process with rate :math:`\nu`, exact in the limit of small steps (at most one
    spike per step).

    Args:
        size: the number of sources (int) or a shape.
        rate_hz: the rate :math:`\nu` (Hz): a number or one per source; a ``ParamState`` (``src.rate_hz = 20.``
            changes it without recompiling; ``bl.sweep`` can vary it).
        seed: the seed of the source's own random generator (``None``: fresh entropy).
        name: a readable name.

    Attributes:
        spike: ``HiddenState`` of bool, the spikes of the last step.
        rng: the :class:`~brainlab.engine.random.RandomState` drawing the spikes (``be.vmap`` gives every batch
            member its own stream).

    Example:
        >>> import brainlab as bl
        >>> src = bl.inputs.PoissonSpikes(1000, rate_hz=10.0, seed=0)
        >>> post = bl.neurons.LIF(100)
        >>> proj = bl.Projection(src, post, bl.conn.FixedProb(0.1, seed=1), bl.synapses.Expon(),
        ...                      bl.outputs.COBA(E=0.), weight=0.5)

    Limits: at most one spike per source per step (``rate_hz * dt / 1000`` must be <= 1); spike times lie on the
    step grid; the uniform draws are float32, so probabilities per step below ~1e-7 (rates below ~1 mHz at
    dt = 0.1 ms) are not resolved.
    """

    def __init__(self, size: int | tuple[int, ...], rate_hz: Any = 10.0, seed: int | None = None,
                 name: str | None = None) -> None:
        shape = size_shape("PoissonSpikes", size)
        self.size = shape
        self.num = int(np.prod(shape))
        self.name = name if name is not None else "PoissonSpikes"
        self._declare("rate_hz", rate_hz, "Hz", 0.0, np.inf, shape)
        self.rng = be.random.RandomState(seed)
        self.spike = HiddenState(jnp.zeros(shape, dtype=bool), name=f"{self.name}.spike")

    def update(self, t: Any, dt: Any, I: Any = 0.0) -> jax.Array:  # noqa: E741
        r"""Draw the spikes of the step from ``t`` to ``t + dt`` (ms) and store them in ``spike``."""
        no_current("PoissonSpikes", I)
        p = _probability("PoissonSpikes", self.rate_hz.value, dt)
        spikes = unwrap(self.rng.random(self.size)) < p
        self.spike.value = spikes
        return spikes

    def __repr__(self) -> str:
        return f"PoissonSpikes(size={self.size[0] if len(self.size) == 1 else self.size}, {self._text('rate_hz')})"


class PoissonInput(ParamHolder):
    r"""The summed input of ``n_inputs`` independent Poisson sources onto every neuron of ``post``.

    Each step, the number of input spikes reaching neuron :math:`j` is drawn at once,
    :math:`k_j \sim \mathrm{Binomial}(n, p)` with :math:`p = \nu \Delta t / 1000` (the sum of :math:`n`
    Bernoulli sources, without simulating them one by one; by inversion of the CDF for means up to ~80, whose
    cost grows with the mean count :math:`np` per step, not with :math:`n`), and :math:`x_j = w\, k_j` drives
    the synapse model, whose conductance goes through the output:

    .. math::

        \mathbb{E}[x_j] = w\, n p, \qquad \mathrm{Var}[x_j] = w^2\, n p (1 - p).

    The default synapse ``bl.synapses.Delta()`` with ``bl.outputs.CUBA()`` delivers a charge :math:`w` per input
    spike (current :math:`w k_j / \Delta t` during the step); ``synapse=bl.synapses.Expon(tau=5.)`` with
    ``output=bl.outputs.COBA(E=0.)`` gives conductance-based Poisson drive.  The sources of different
    postsynaptic neurons are independent (no shared input).

    Args:
        post: the target population.
        n_inputs: the number :math:`n` of Poisson sources per neuron (int >= 0).
        rate_hz: the rate :math:`\nu` of each source (Hz): a number or one per post neuron (``ParamState``).
        weight: :math:`w`, in the unit the synapse and output expect (``ParamState``; a number or one per post
            neuron).
        synapse: a synapse model whose state lives per postsynaptic neuron (Delta, Expon, DualExpon, Alpha).
        output: a synaptic output (default ``bl.outputs.CUBA()``).
        seed: the seed of the module's random generator.

    Example:
        >>> import brainlab as bl
        >>> E = bl.neurons.LIF(100)
        >>> drive = bl.inputs.PoissonInput(E, n_inputs=1000, rate_hz=5.0, weight=0.2,
        ...                                synapse=bl.synapses.Expon(tau=5.), output=bl.outputs.COBA(E=0.))
        >>> net = bl.Network(E=E, drive=drive)

    Limits: one rate and one weight per postsynaptic neuron; at most one spike per source and step; the draw
    costs about :math:`np + 5\sqrt{np}` vector operations per step (fine up to a few hundred input spikes per
    neuron and step).
    """

    IS_PROJECTION = True

    def __init__(self, post: Any, n_inputs: int, rate_hz: Any, weight: Any, *, synapse: Any = None,
                 output: Any = None, seed: int | None = None, name: str | None = None) -> None:
        from ..outputs import CUBA, AbstractOutput
        from ..synapses import AbstractSynapse, Delta

        shape = population_shape("PoissonInput", post)
        if isinstance(n_inputs, (bool, np.bool_)) or not isinstance(n_inputs, (int, np.integer)) or n_inputs < 0:
            raise ValueError(f"PoissonInput: n_inputs must be an int >= 0 (sources per neuron), got {n_inputs!r}.")
        object.__setattr__(self, "_post", post)
        self.name = name if name is not None else "PoissonInput"
        self.n_inputs = int(n_inputs)
        n_post = int(np.prod(shape))
        object.__setattr__(self, "_shape", shape)
        self._declare("rate_hz", rate_hz, "Hz", 0.0, np.inf, (n_post,))
        self._declare("weight", weight, "", -np.inf, np.inf, (n_post,))
        synapse = Delta() if synapse is None else synapse
        if isinstance(synapse, type) and issubclass(synapse, AbstractSynapse):
            synapse = synapse()
        if not isinstance(synapse, AbstractSynapse) or synapse.STATE_ON != "post":
            raise TypeError(
                f"PoissonInput: synapse must be a synapse model whose state lives per postsynaptic neuron (Delta, "
                f"Expon, DualExpon, Alpha), got {type(synapse).__name__}. Saturating kinetics (AMPA ...) need a "
                "presynaptic population: use bl.inputs.PoissonSpikes with a bl.Projection."
            )
        self.syn = synapse.bind((n_post,))
        output = CUBA() if output is None else output
        if not isinstance(output, AbstractOutput):
            raise TypeError(f"PoissonInput: output must be a synaptic output such as bl.outputs.CUBA(), got "
                            f"{type(output).__name__}.")
        if output.NEEDS_VOLTAGE and not isinstance(getattr(post, output.voltage_name, None), be.State):
            raise ValueError(f"PoissonInput: {type(output).__name__} reads the postsynaptic potential "
                             f"{output.voltage_name!r}, which {type(post).__name__} does not have.")
        self.output = output
        self.rng = be.random.RandomState(seed)

    @property
    def post(self) -> Any:
        """The target population."""
        return self._post

    pre = None  # no presynaptic population (Network.summary shows '-')
    nnz = None

    def update(self, t: Any, dt: Any) -> jax.Array:
        r"""The current onto ``post`` during the step from ``t`` to ``t + dt`` (ms)."""
        n_post = self.syn.num
        p = _probability("PoissonInput", self.rate_hz.value, dt)
        k = binomial_counts(self.rng.split_key(), self.n_inputs, p, (n_post,), self.weight.dtype)
        x = self.weight.value * k.astype(self.weight.dtype)
        g = self.syn.update(t, dt, x)
        V = None
        if self.output.NEEDS_VOLTAGE:
            V = getattr(self._post, self.output.voltage_name).value.reshape(-1)
        return self.output.current(g, V).reshape(self._shape)

    def describe(self) -> str:
        """One line for ``Network.summary()``."""
        return (f"PoissonInput(n={self.n_inputs}, {self._text('rate_hz')}, {self._text('weight')}) "
                f"{self.syn.describe_short()} -> {self.output.describe()}")

    def __repr__(self) -> str:
        return self.describe()
