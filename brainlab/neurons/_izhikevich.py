r"""Izhikevich's (2003) simple spiking model."""

from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron

__all__ = ["Izhikevich"]

V_INIT = -65.0  # mV, as in the published code; u starts at b * V_INIT

# Izhikevich (2003), Fig. 2: (a, b, c, d) of the cortical and thalamic cell classes.
_PATTERNS = {
    "RS": {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0},  # regular spiking (excitatory, adapting)
    "IB": {"a": 0.02, "b": 0.2, "c": -55.0, "d": 4.0},  # intrinsically bursting
    "CH": {"a": 0.02, "b": 0.2, "c": -50.0, "d": 2.0},  # chattering (fast rhythmic bursting)
    "FS": {"a": 0.1, "b": 0.2, "c": -65.0, "d": 2.0},  # fast spiking (inhibitory, little adaptation)
    "LTS": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 2.0},  # low-threshold spiking
    "RZ": {"a": 0.1, "b": 0.26, "c": -65.0, "d": 2.0},  # resonator
    "TC": {"a": 0.02, "b": 0.25, "c": -65.0, "d": 0.05},  # thalamo-cortical
}


class Izhikevich(AbstractNeuron):
    r"""Izhikevich's simple model: a quadratic integrate-and-fire neuron with a recovery variable.

    .. math::

        \frac{dV}{dt} &= 0.04 V^2 + 5 V + 140 - u + I_\text{ext} + I \\
        \frac{du}{dt} &= a (b V - u) \\
        V \ge V_\text{peak} &\;\Rightarrow\; V \leftarrow c,\; u \leftarrow u + d

    :math:`V` is in mV and :math:`t` in ms; :math:`u` and the current are in the model's normalised units (mV/ms),
    as in the original.  ``Izhikevich.PATTERNS`` holds the published parameter sets of Izhikevich (2003), Fig. 2:
    RS (regular spiking), IB (intrinsically bursting), CH (chattering), FS (fast spiking), LTS (low-threshold
    spiking), RZ (resonator), TC (thalamo-cortical); the defaults are RS.  Start with
    ``Izhikevich.from_preset('FS', size)``.  Initially :math:`V = -65` mV and :math:`u = bV`.

    Example:
        >>> import brainlab as bl, brainlab.engine as be
        >>> rs = bl.neurons.Izhikevich.from_preset("RS", 1, I_ext=10.0)
        >>> spikes = be.for_loop(lambda t: rs.update(t, 0.1), be.arange(0.0, 300.0, 0.1))

    Limits: a phenomenological model: it reproduces firing patterns, not the currents behind them; the spike
    peak is a cut at ``V_peak`` (30 mV), and spike timing depends on ``dt`` (the paper used 0.5-1 ms Euler steps;
    0.1 ms is the default here).

    Reference: Izhikevich EM (2003) Simple model of spiking neurons. IEEE Trans Neural Netw 14:1569-1572.
    """

    PARAMETERS = (
        Parameter("a", 0.02, "1/ms", (0.0, 1.0), "recovery rate of u"),
        Parameter("b", 0.2, "", (-1.0, 1.0), "sensitivity of u to V (subthreshold coupling)"),
        Parameter("c", -65.0, "mV", (-100.0, 0.0), "after-spike reset of V"),
        Parameter("d", 8.0, "mV/ms", (-50.0, 50.0), "after-spike increment of u"),
        Parameter("V_peak", 30.0, "mV", (-20.0, 100.0), "spike cut-off: V is reset when it reaches this value"),
        Parameter("I_ext", 0.0, "mV/ms", (-1e4, 1e4), "constant external current (normalised units)"),
    )
    VARIABLES = (
        Variable("V", V_INIT, "mV", "membrane potential"),
        Variable("u", 0.2 * V_INIT, "mV/ms", "membrane recovery variable"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"\frac{dV}{dt} &= 0.04 V^2 + 5 V + 140 - u + I_\text{ext} + I \\"
        r"\frac{du}{dt} &= a (b V - u) \\"
        r"V \ge V_\text{peak} &\Rightarrow V \leftarrow c,\ u \leftarrow u + d"
        r"\end{aligned}"
    )
    REFERENCE = "Izhikevich EM (2003) Simple model of spiking neurons. IEEE Trans Neural Netw 14:1569-1572"
    DEFAULT_DT = 0.1
    METHOD = "euler"
    SPIKING = True
    PRESETS = _PATTERNS
    #: The published firing-pattern parameter sets (an alias of ``PRESETS``).
    PATTERNS: ClassVar[dict[str, dict[str, float]]] = _PATTERNS

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"V": V_INIT, "u": params["b"] * V_INIT}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V, u = state["V"], state["u"]
        return {
            "V": 0.04 * V * V + 5.0 * V + 140.0 - u + p["I_ext"] + I,
            "u": p["a"] * (p["b"] * V - u),
        }

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        V, u = x_new["V"], x_new["u"]
        s = self._spike(V - params["V_peak"])
        spiking = V >= params["V_peak"]
        return {"V": jnp.where(spiking, params["c"], V), "u": jnp.where(spiking, u + params["d"], u)}, s
