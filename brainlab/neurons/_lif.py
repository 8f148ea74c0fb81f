r"""The leaky integrate-and-fire neuron."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron, reset_fire

__all__ = ["LIF"]

_V_RANGE = (-150.0, 50.0)


class LIF(AbstractNeuron):
    r"""Leaky integrate-and-fire neuron with a refractory period.

    .. math::

        \tau \frac{dV}{dt} = -(V - V_\text{rest}) + R\,(I_\text{ext} + I),
        \qquad V \ge V_\text{th} \;\Rightarrow\; \text{spike},\; V \leftarrow V_\text{reset}

    and :math:`V` is held at :math:`V_\text{reset}` for :math:`t_\text{ref}` after each spike.

    Units: :math:`V` in mV, :math:`\tau` and :math:`t_\text{ref}` in ms, currents in pA and :math:`R` in GΩ (so
    that :math:`R I` is in mV: 0.1 GΩ × 200 pA = 20 mV).

    For a constant current with :math:`R I > V_\text{th} - V_\text{rest}` the neuron fires periodically at

    .. math::

        f = \left[t_\text{ref} + \tau \ln \frac{V_\text{rest} + R I - V_\text{reset}}
        {V_\text{rest} + R I - V_\text{th}}\right]^{-1},

    and not at all below that rheobase.  The default method ``'exp_euler'`` integrates the subthreshold
    dynamics exactly for a current held constant over a step.

    Example:
        >>> import brainlab as bl, brainlab.engine as be
        >>> lif = bl.neurons.LIF(100, I_ext=250.0)            # 25 mV of drive
        >>> spikes = be.for_loop(lambda t: lif.update(t, 0.1), be.arange(0.0, 100.0, 0.1))
        >>> spikes.shape
        (1000, 100)

    Limits: a single compartment with an instantaneous spike; no adaptation (see :class:`AdEx`); spike times are
    quantised to the step ``dt`` (the threshold crossing is not interpolated).

    Reference: Lapicque (1907) *J. Physiol. Pathol. Gén.* 9:620-635; the form used here follows Gerstner,
    Kistler, Naud & Paninski (2014) *Neuronal Dynamics*, Cambridge Univ. Press, ch. 1.3.
    """

    PARAMETERS = (
        Parameter("V_rest", -65.0, "mV", _V_RANGE, "resting potential"),
        Parameter("V_reset", -65.0, "mV", _V_RANGE, "potential after a spike"),
        Parameter("V_th", -50.0, "mV", _V_RANGE, "spike threshold"),
        Parameter("tau", 10.0, "ms", (0.01, 1e4), "membrane time constant"),
        Parameter("R", 0.1, "GΩ", (1e-6, 1e3), "membrane resistance (0.1 GΩ = 100 MΩ)"),
        Parameter("t_ref", 2.0, "ms", (0.0, 1e3), "absolute refractory period"),
        Parameter("I_ext", 0.0, "pA", (-1e6, 1e6), "constant external current"),
    )
    VARIABLES = (Variable("V", -65.0, "mV", "membrane potential"),)
    EQUATIONS = (
        r"\tau \frac{dV}{dt} = -(V - V_\text{rest}) + R\,(I_\text{ext} + I), \quad "
        r"V \ge V_\text{th} \Rightarrow V \leftarrow V_\text{reset} \text{ (held for } t_\text{ref}\text{)}"
    )
    REFERENCE = (
        "Lapicque L (1907) J Physiol Pathol Gen 9:620-635; Gerstner W, Kistler WM, Naud R, Paninski L (2014) "
        "Neuronal Dynamics, Cambridge University Press, ch. 1.3"
    )
    DEFAULT_DT = 0.1
    METHOD = "exp_euler"
    SPIKING = True

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"V": params["V_rest"]}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V = state["V"]
        return {"V": (-(V - p["V_rest"]) + p["R"] * (p["I_ext"] + I)) / p["tau"]}

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        if self.__dict__.get("_trace_without_refractory", False):
            # Set only by bl.train.BPTT while it traces a step, after checking that every t_ref of this population
            # is 0 (and that t_ref is not trained): no neuron is ever refractory then (reset_fire's test
            # t - t_last < t_ref - dt/2 is false), so the same V and spikes follow without reading or writing the
            # refractory clock, which leaves BPTT's loop one carried state (and its stored masks) lighter.
            V, V_th = x_new["V"], params["V_th"]
            s = self._spike(V - V_th)
            return {"V": jnp.where(V >= V_th, params["V_reset"], V)}, s
        V, s, _ = reset_fire(self, x_new["V"], params, t, dt, threshold="V_th")
        return {"V": V}, s
