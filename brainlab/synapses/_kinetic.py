r"""Transmitter-gated receptor kinetics (AMPA, GABA_A, NMDA): first-order binding driven by a transmitter pulse."""

from collections.abc import Mapping
from typing import Any, ClassVar

import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractSynapse

__all__ = ["AbstractTransmitterSynapse", "AMPA", "GABAa", "NMDA"]

_KINETIC_REFERENCE = (
    "Destexhe A, Mainen ZF, Sejnowski TJ (1994) J Comput Neurosci 1:195-230; Destexhe A, Mainen ZF, Sejnowski TJ "
    "(1998) Kinetic models of synaptic transmission, in Koch C, Segev I (eds) Methods in Neuronal Modeling, 2nd "
    "ed., MIT Press, pp 1-25"
)

_EQUATIONS = (
    r"\frac{dg}{dt} = \alpha\,T\,(1 - g) - \beta\,g,\quad T = T_\text{max}\,a \text{ for } T_\text{dur} "
    r"\text{ after an event of amplitude } a \text{, else } 0"
)


def _variables() -> tuple[Variable, ...]:
    return (
        Variable("g", 0.0, "", "fraction of open receptor channels"),
        Variable("T", 0.0, "mM", "transmitter concentration in the cleft"),
        Variable("pulse", 0.0, "ms", "time left in the current transmitter pulse"),
    )


def _parameters(alpha: float, beta: float) -> tuple[Parameter, ...]:
    return (
        Parameter("alpha", alpha, "1/(mM ms)", (0.0, 1e4), "binding rate per transmitter concentration"),
        Parameter("beta", beta, "1/ms", (1e-6, 1e4), "unbinding rate"),
        Parameter("T_max", 1.0, "mM", (0.0, 1e3), "transmitter concentration during a pulse"),
        Parameter("T_dur", 1.0, "ms", (0.0, 1e3), "duration of the transmitter pulse"),
    )


class AbstractTransmitterSynapse(AbstractSynapse, abstract=True):
    r"""First-order receptor kinetics gated by a square pulse of transmitter (Destexhe et al. 1994).

    .. math::

        \frac{dg}{dt} = \alpha\, T(t)\, (1 - g) - \beta\, g,

    where :math:`g` is the fraction of open channels and :math:`T(t) = T_\text{max}` (mM) during
    :math:`T_\text{dur}` after each presynaptic spike, 0 otherwise.  A spike that arrives during a pulse starts a
    new pulse.  An event of amplitude :math:`a \in [0, 1]` (the release of a short-term-plasticity model) releases
    :math:`a\, T_\text{max}`.

    Where the state lives: the response saturates (:math:`g \le 1`), so it is not the sum of single-spike
    responses; but it depends only on the presynaptic spike train, so ``g`` is held per *presynaptic* neuron and
    shared by all of its synapses, and the postsynaptic conductance is :math:`G_j = \sum_i w_{ij}\, g_i` with the
    weights :math:`w_{ij}` the maximal conductances (nS).

    Exact integration: while :math:`T` is constant the equation is linear with constant coefficients,

    .. math::

        g \leftarrow g_\infty + (g - g_\infty)\, e^{-(\alpha T + \beta)\Delta t},
        \qquad g_\infty = \frac{\alpha T}{\alpha T + \beta},

    which is exact when :math:`T_\text{dur}` is a multiple of the step (the pulse lasts
    :math:`\max(1, \mathrm{round}(T_\text{dur}/\Delta t))` steps).
    """

    PARAMETERS: ClassVar[tuple] = ()
    VARIABLES: ClassVar[tuple] = _variables()
    EQUATIONS: ClassVar[str] = _EQUATIONS
    REFERENCE: ClassVar[str] = _KINETIC_REFERENCE
    DEFAULT_DT = 0.1
    STATE_ON = "pre"

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        p = self._params_for("vector_field", params)
        g, T, pulse = state["g"], state["T"], state["pulse"]
        return {
            "g": p["alpha"] * T * (1.0 - g) - p["beta"] * g,
            "T": jnp.zeros_like(T),
            "pulse": -(pulse > 0).astype(pulse.dtype),
        }

    def arrive(self, x: Mapping[str, Any], events: Any, t: Any, dt: Any, params: Mapping[str, Any]) -> dict:
        hit = events > 0
        still_on = x["pulse"] > 0.5 * dt
        T = jnp.where(hit, params["T_max"] * events, jnp.where(still_on, x["T"], 0.0))
        pulse = jnp.where(hit, params["T_dur"], jnp.where(still_on, x["pulse"], 0.0))
        return {"g": x["g"], "T": T, "pulse": pulse}

    def exact_step(self, x: Mapping[str, Any], t: Any, dt: Any, params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        rate_on = params["alpha"] * x["T"]
        rate = rate_on + params["beta"]
        g_inf = rate_on / rate
        g = g_inf + (x["g"] - g_inf) * jnp.exp(-rate * dt)
        return {"g": g, "T": x["T"], "pulse": jnp.maximum(x["pulse"] - dt, 0.0)}


class AMPA(AbstractTransmitterSynapse):
    r"""AMPA receptor synapse: fast excitatory kinetics (Destexhe et al. 1994), to be used with
    ``bl.outputs.COBA(E=0.)``.

    .. math::

        \frac{dg}{dt} = \alpha\, T\, (1 - g) - \beta\, g, \qquad \alpha = 1.1\ \text{mM}^{-1}\text{ms}^{-1},\;
        \beta = 0.19\ \text{ms}^{-1},\; T = 1\ \text{mM for 1 ms after a spike.}

    ``g`` is the fraction of open channels (dimensionless, per presynaptic neuron); the projection's weights are
    the maximal conductances (nS), so the current is :math:`I_j = \sum_i w_{ij} g_i (E - V_j)`.  See
    :class:`AbstractTransmitterSynapse` for the exact integration.

    Example:
        >>> import brainlab as bl
        >>> one = bl.synapses.AMPA(1)                    # bound to one presynaptic neuron: one spike at t = 0
        >>> g = [float(one.update(0.1 * k, 0.1, k == 0)[0]) for k in range(30)]
        >>> g.index(max(g)), round(max(g), 3)   # peak at 1 ms, the pulse's end: 1.1/1.29 * (1 - exp(-1.29))
        (10, 0.618)
        >>> E = bl.neurons.LIF(80); I = bl.neurons.LIF(20)
        >>> proj = bl.Projection(E, I, bl.conn.FixedProb(0.1, seed=0), bl.synapses.AMPA(), bl.outputs.COBA(E=0.),
        ...                      weight=1.0)                     # 1 nS maximal conductance per synapse
        >>> proj.nnz
        145

    Limits: one binding step (no desensitisation); the square transmitter pulse is resolved on the step grid.

    Reference: Destexhe A, Mainen ZF, Sejnowski TJ (1994) J Comput Neurosci 1:195-230 (rates from Destexhe et al.
    1998, Methods in Neuronal Modeling, MIT Press).
    """

    PARAMETERS = _parameters(1.1, 0.19)


class GABAa(AbstractTransmitterSynapse):
    r"""GABA_A receptor synapse: fast inhibitory kinetics (Destexhe et al. 1994), to be used with
    ``bl.outputs.COBA(E=-80.)``.

    .. math::

        \frac{dg}{dt} = \alpha\, T\, (1 - g) - \beta\, g, \qquad \alpha = 5\ \text{mM}^{-1}\text{ms}^{-1},\;
        \beta = 0.18\ \text{ms}^{-1},\; T = 1\ \text{mM for 1 ms after a spike.}

    ``g`` is the fraction of open channels (per presynaptic neuron); weights are maximal conductances (nS).

    Example:
        >>> import brainlab as bl
        >>> E = bl.neurons.LIF(80); I = bl.neurons.LIF(20)
        >>> proj = bl.Projection(I, E, bl.conn.FixedProb(0.1, seed=0), bl.synapses.GABAa(),
        ...                      bl.outputs.COBA(E=-80.), weight=2.0)
        >>> proj.syn.g.shape                     # kinetic synapses keep one open fraction per presynaptic neuron
        (20,)

    Limits: as :class:`AMPA`.

    Reference: Destexhe A, Mainen ZF, Sejnowski TJ (1994) J Comput Neurosci 1:195-230 (rates from Destexhe et al.
    1998, Methods in Neuronal Modeling, MIT Press).
    """

    PARAMETERS = _parameters(5.0, 0.18)


class NMDA(AbstractTransmitterSynapse):
    r"""NMDA receptor synapse: slow transmitter-gated kinetics, with the magnesium block in the output
    (``bl.outputs.MgBlock``, Jahr & Stevens 1990).

    .. math::

        \frac{dg}{dt} = \alpha\, T\, (1 - g) - \beta\, g, \qquad \alpha = 0.072\ \text{mM}^{-1}\text{ms}^{-1},\;
        \beta = 0.0066\ \text{ms}^{-1},

    and the current :math:`I = \sum_i w_{ij} g_i\, B(V)\,(E - V)` with
    :math:`B(V) = [1 + [\mathrm{Mg}^{2+}]_o\, e^{-0.062 V} / 3.57]^{-1}` from ``bl.outputs.MgBlock``.

    ``g`` is the fraction of open (unblocked) channels per presynaptic neuron; weights are maximal conductances
    (nS).  The slow unbinding (:math:`1/\beta \approx 150` ms) lets responses to spike trains summate and saturate.

    Example:
        >>> import brainlab as bl
        >>> E = bl.neurons.LIF(80)
        >>> proj = bl.Projection(E, E, bl.conn.FixedProb(0.1, seed=0), bl.synapses.NMDA(),
        ...                      bl.outputs.MgBlock(E=0., cc_Mg=1.2), weight=0.3)
        >>> round(float(proj.output.block(-65.0)), 3), round(float(proj.output.block(-20.0)), 3)   # B(V): unblocks
        (0.05, 0.463)

    Limits: first-order kinetics (a two-state binding scheme); the magnesium block is instantaneous.

    Reference: Destexhe A, Mainen ZF, Sejnowski TJ (1998) Kinetic models of synaptic transmission, in Methods in
    Neuronal Modeling, MIT Press; Jahr CE, Stevens CF (1990) J Neurosci 10:3178-3182 (magnesium block).
    """

    PARAMETERS = _parameters(0.072, 0.0066)
    REFERENCE = _KINETIC_REFERENCE + "; Jahr CE, Stevens CF (1990) J Neurosci 10:3178-3182"
