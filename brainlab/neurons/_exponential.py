r"""Exponential integrate-and-fire neurons: ExpIF and its adaptive extension AdEx."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron, reset_fire

__all__ = ["ExpIF", "AdEx"]

_V_RANGE = (-150.0, 100.0)


def _capped(V: Any, V_peak: Any) -> jax.Array:
    r""":math:`\min(V, V_\text{peak})`: the vector field is evaluated there.

    Above :math:`V_\text{peak}` the neuron has already spiked (it is reset at the end of the step); freezing the
    field at its :math:`V_\text{peak}` value keeps the intermediate stages of multi-stage methods (and the
    adaptation current they feed) finite instead of letting the exponential overflow.
    """
    return jnp.minimum(V, V_peak)


class ExpIF(AbstractNeuron):
    r"""Exponential integrate-and-fire neuron (Fourcaud-Trocmé et al. 2003).

    .. math::

        \tau \frac{dV}{dt} = -(V - V_\text{rest}) + \Delta_T\, e^{(V - V_T)/\Delta_T} + R\,(I_\text{ext} + I),
        \qquad V \ge V_\text{peak} \;\Rightarrow\; \text{spike},\; V \leftarrow V_\text{reset}

    held at :math:`V_\text{reset}` for :math:`t_\text{ref}` after a spike.  The exponential term models the
    sodium current's spike initiation: :math:`V_T` is the potential where it balances the leak's slope
    (the rheobase threshold) and :math:`\Delta_T` the sharpness of initiation.

    Units: :math:`V` in mV, times in ms, currents in pA, :math:`R` in GΩ.

    Example:
        >>> import brainlab as bl
        >>> n = bl.neurons.ExpIF(10, I_ext=150.0)

    Limits: :math:`V_\text{peak}` is a numerical cut, not a biophysical threshold (the upswing is so fast that
    its value hardly matters); above :math:`V_\text{peak}` the vector field is evaluated at
    :math:`V_\text{peak}` (the neuron has spiked there), which keeps multi-stage methods finite.

    Reference: Fourcaud-Trocmé N, Hansel D, van Vreeswijk C, Brunel N (2003) J Neurosci 23:11628-11640.
    """

    PARAMETERS = (
        Parameter("V_rest", -65.0, "mV", _V_RANGE, "resting potential"),
        Parameter("V_reset", -68.0, "mV", _V_RANGE, "potential after a spike"),
        Parameter("V_T", -55.0, "mV", _V_RANGE, "rheobase threshold (spike-initiation potential)"),
        Parameter("delta_T", 2.0, "mV", (0.01, 50.0), "spike slope factor (sharpness of initiation)"),
        Parameter("V_peak", 0.0, "mV", _V_RANGE, "spike cut-off: V is reset when it reaches this value"),
        Parameter("tau", 10.0, "ms", (0.01, 1e4), "membrane time constant"),
        Parameter("R", 0.1, "GΩ", (1e-6, 1e3), "membrane resistance"),
        Parameter("t_ref", 2.0, "ms", (0.0, 1e3), "absolute refractory period"),
        Parameter("I_ext", 0.0, "pA", (-1e6, 1e6), "constant external current"),
    )
    VARIABLES = (Variable("V", -65.0, "mV", "membrane potential"),)
    EQUATIONS = (
        r"\tau \frac{dV}{dt} = -(V - V_\text{rest}) + \Delta_T e^{(V - V_T)/\Delta_T} + R\,(I_\text{ext} + I), "
        r"\quad V \ge V_\text{peak} \Rightarrow V \leftarrow V_\text{reset}"
    )
    REFERENCE = "Fourcaud-Trocmé N, Hansel D, van Vreeswijk C, Brunel N (2003) J Neurosci 23:11628-11640"
    DEFAULT_DT = 0.1
    METHOD = "euler"
    SPIKING = True

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"V": params["V_rest"]}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V = _capped(state["V"], p["V_peak"])
        spike = p["delta_T"] * jnp.exp((V - p["V_T"]) / p["delta_T"])
        return {"V": (-(V - p["V_rest"]) + spike + p["R"] * (p["I_ext"] + I)) / p["tau"]}

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        V, s, _ = reset_fire(self, x_new["V"], params, t, dt, threshold="V_peak")
        return {"V": V}, s


class AdEx(AbstractNeuron):
    r"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005).

    .. math::

        C \frac{dV}{dt} &= -g_L (V - E_L) + g_L \Delta_T e^{(V - V_T)/\Delta_T} - w + I_\text{ext} + I \\
        \tau_w \frac{dw}{dt} &= a (V - E_L) - w \\
        V \ge V_\text{peak} &\;\Rightarrow\; V \leftarrow V_\text{reset},\; w \leftarrow w + b

    :math:`V` is held at :math:`V_\text{reset}` for :math:`t_\text{ref}` after a spike (0 by default, as in the
    original), while :math:`w` keeps evolving.  The defaults are the cortical pyramidal cell of Brette & Gerstner
    (2005), Table 1: C = 281 pF, g_L = 30 nS, E_L = -70.6 mV, V_T = -50.4 mV, Δ_T = 2 mV, τ_w = 144 ms,
    a = 4 nS, b = 80.5 pA, V_reset = E_L, with spikes cut at V_peak = 20 mV.

    Units: :math:`V` in mV, :math:`C` in pF, conductances in nS, currents (:math:`w`, :math:`b`, :math:`I`) in pA,
    times in ms (pA/pF = mV/ms).

    Example:
        >>> import brainlab as bl
        >>> n = bl.neurons.AdEx(1, I_ext=800.0)   # adapting tonic firing

    Limits: as for :class:`ExpIF`, the vector field is evaluated at :math:`\min(V, V_\text{peak})`, so the
    adaptation current never sees the artificial values of the upswing; spike times are quantised to ``dt``.

    Reference: Brette R, Gerstner W (2005) J Neurophysiol 94:3637-3642.
    """

    PARAMETERS = (
        Parameter("C", 281.0, "pF", (1e-3, 1e6), "membrane capacitance"),
        Parameter("g_L", 30.0, "nS", (1e-6, 1e5), "leak conductance"),
        Parameter("E_L", -70.6, "mV", _V_RANGE, "leak reversal potential"),
        Parameter("V_T", -50.4, "mV", _V_RANGE, "rheobase threshold (spike-initiation potential)"),
        Parameter("delta_T", 2.0, "mV", (0.01, 50.0), "spike slope factor"),
        Parameter("V_peak", 20.0, "mV", _V_RANGE, "spike cut-off: V is reset when it reaches this value"),
        Parameter("V_reset", -70.6, "mV", _V_RANGE, "potential after a spike"),
        Parameter("a", 4.0, "nS", (-1e4, 1e4), "subthreshold adaptation coupling"),
        Parameter("b", 80.5, "pA", (-1e5, 1e5), "spike-triggered adaptation increment"),
        Parameter("tau_w", 144.0, "ms", (0.01, 1e5), "adaptation time constant"),
        Parameter("t_ref", 0.0, "ms", (0.0, 1e3), "absolute refractory period"),
        Parameter("I_ext", 0.0, "pA", (-1e6, 1e6), "constant external current"),
    )
    VARIABLES = (
        Variable("V", -70.6, "mV", "membrane potential"),
        Variable("w", 0.0, "pA", "adaptation current"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"C \frac{dV}{dt} &= -g_L (V - E_L) + g_L \Delta_T e^{(V - V_T)/\Delta_T} - w + I_\text{ext} + I \\"
        r"\tau_w \frac{dw}{dt} &= a (V - E_L) - w \\"
        r"V \ge V_\text{peak} &\Rightarrow V \leftarrow V_\text{reset},\ w \leftarrow w + b"
        r"\end{aligned}"
    )
    REFERENCE = "Brette R, Gerstner W (2005) J Neurophysiol 94:3637-3642"
    DEFAULT_DT = 0.1
    METHOD = "euler"
    SPIKING = True

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"V": params["E_L"], "w": 0.0}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V, w = _capped(state["V"], p["V_peak"]), state["w"]
        spike = p["g_L"] * p["delta_T"] * jnp.exp((V - p["V_T"]) / p["delta_T"])
        dV = (-p["g_L"] * (V - p["E_L"]) + spike - w + p["I_ext"] + I) / p["C"]
        dw = (p["a"] * (V - p["E_L"]) - w) / p["tau_w"]
        return {"V": dV, "w": dw}

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        V, s, spiking = reset_fire(self, x_new["V"], params, t, dt, threshold="V_peak")
        w = jnp.where(spiking, x_new["w"] + params["b"], x_new["w"])
        return {"V": V, "w": w}, s
