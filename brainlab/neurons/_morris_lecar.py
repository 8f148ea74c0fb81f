r"""The Morris-Lecar model, with Rinzel & Ermentrout's (1998) parameter sets."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron, crossing_fire

__all__ = ["MorrisLecar"]

V_INIT = -60.0  # mV; w starts at w_inf(V_INIT)

# Rinzel & Ermentrout (1998) (also listed in Ermentrout & Terman 2010, Mathematical Foundations of Neuroscience,
# ch. 3): the three regimes differ in g_Ca, V3, V4 and phi only.
_PRESETS = {
    "type_II": {"g_Ca": 4.4, "V3": 2.0, "V4": 30.0, "phi": 0.04},  # Hopf onset: rate jumps from zero
    "type_I": {"g_Ca": 4.0, "V3": 12.0, "V4": 17.4, "phi": 1.0 / 15.0},  # saddle-node on invariant circle
    "homoclinic": {"g_Ca": 4.0, "V3": 12.0, "V4": 17.4, "phi": 0.23},  # saddle homoclinic onset
}


def _m_inf(V: Any, p: Mapping[str, Any]) -> jax.Array:
    return 0.5 * (1.0 + jnp.tanh((V - p["V1"]) / p["V2"]))


def _w_inf(V: Any, p: Mapping[str, Any]) -> jax.Array:
    return 0.5 * (1.0 + jnp.tanh((V - p["V3"]) / p["V4"]))


class MorrisLecar(AbstractNeuron):
    r"""Morris-Lecar model: a calcium-spike oscillator, the textbook planar model of excitability types I and II.

    .. math::

        C \frac{dV}{dt} &= -g_\text{Ca} m_\infty(V)(V - E_\text{Ca}) - g_\text{K} w (V - E_\text{K})
                           - g_\text{L} (V - E_\text{L}) + I_\text{ext} + I \\
        \frac{dw}{dt} &= \phi\, \frac{w_\infty(V) - w}{\tau_w(V)} \\
        m_\infty &= \tfrac12 [1 + \tanh((V - V_1)/V_2)],\quad
        w_\infty = \tfrac12 [1 + \tanh((V - V_3)/V_4)],\quad
        \tau_w = 1 / \cosh((V - V_3)/(2 V_4))

    Units: :math:`V` in mV, conductances in mS/cm², :math:`C` in µF/cm², currents in µA/cm², time in ms;
    :math:`\phi` in 1/ms.  The defaults are the Hopf (type II) set of Rinzel & Ermentrout (1998); the presets
    ``'type_II'``, ``'type_I'`` (saddle-node on invariant circle) and ``'homoclinic'`` set
    :math:`g_\text{Ca}, V_3, V_4, \phi` of their three regimes (``MorrisLecar.from_preset('type_I', n)``).
    A spike is an upward crossing of ``V_th`` (0 mV).  Initially :math:`V = -60` mV, :math:`w = w_\infty(V)`.

    Example:
        >>> import brainlab as bl
        >>> ml = bl.neurons.MorrisLecar.from_preset("type_I", 1, I_ext=45.0)

    Limits: calcium activation is instantaneous and there is no sodium current; the model is planar, so it has
    no bursting without an added slow variable.

    Reference: Morris C, Lecar H (1981) Biophys J 35:193-213; parameters from Rinzel J, Ermentrout GB (1998)
    Analysis of neural excitability and oscillations, in Koch & Segev (eds) Methods in Neuronal Modeling,
    2nd ed., MIT Press, pp 251-291.
    """

    PARAMETERS = (
        Parameter("C", 20.0, "µF/cm²", (1e-3, 1e3), "membrane capacitance"),
        Parameter("g_Ca", 4.4, "mS/cm²", (0.0, 100.0), "maximal calcium conductance"),
        Parameter("g_K", 8.0, "mS/cm²", (0.0, 100.0), "maximal potassium conductance"),
        Parameter("g_L", 2.0, "mS/cm²", (0.0, 100.0), "leak conductance"),
        Parameter("E_Ca", 120.0, "mV", (-100.0, 300.0), "calcium reversal potential"),
        Parameter("E_K", -84.0, "mV", (-200.0, 50.0), "potassium reversal potential"),
        Parameter("E_L", -60.0, "mV", (-150.0, 50.0), "leak reversal potential"),
        Parameter("V1", -1.2, "mV", (-100.0, 100.0), "half-activation of m_inf"),
        Parameter("V2", 18.0, "mV", (0.01, 100.0), "slope of m_inf"),
        Parameter("V3", 2.0, "mV", (-100.0, 100.0), "half-activation of w_inf"),
        Parameter("V4", 30.0, "mV", (0.01, 100.0), "slope of w_inf"),
        Parameter("phi", 0.04, "1/ms", (1e-6, 100.0), "rate scale of w"),
        Parameter("V_th", 0.0, "mV", (-100.0, 100.0), "spike detection threshold (upward crossing)"),
        Parameter("I_ext", 0.0, "µA/cm²", (-1e4, 1e4), "constant external current"),
    )
    VARIABLES = (
        Variable("V", V_INIT, "mV", "membrane potential"),
        Variable("w", 0.0158, "", "fraction of open potassium channels"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"C \frac{dV}{dt} &= -g_\text{Ca} m_\infty(V)(V - E_\text{Ca}) - g_\text{K} w (V - E_\text{K}) "
        r"- g_\text{L}(V - E_\text{L}) + I_\text{ext} + I \\"
        r"\frac{dw}{dt} &= \phi \frac{w_\infty(V) - w}{\tau_w(V)} \\"
        r"m_\infty &= \tfrac12[1 + \tanh((V - V_1)/V_2)], \quad w_\infty = \tfrac12[1 + \tanh((V - V_3)/V_4)], "
        r"\quad \tau_w = 1/\cosh((V - V_3)/(2V_4))"
        r"\end{aligned}"
    )
    REFERENCE = (
        "Morris C, Lecar H (1981) Biophys J 35:193-213; Rinzel J, Ermentrout GB (1998) in Koch C, Segev I (eds) "
        "Methods in Neuronal Modeling, 2nd ed, MIT Press, pp 251-291"
    )
    DEFAULT_DT = 0.05
    METHOD = "rk4"
    SPIKING = True
    PRESETS = _PRESETS

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"V": V_INIT, "w": _w_inf(jnp.asarray(V_INIT), params)}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V, w = state["V"], state["w"]
        i_ion = (
            p["g_Ca"] * _m_inf(V, p) * (V - p["E_Ca"]) + p["g_K"] * w * (V - p["E_K"]) + p["g_L"] * (V - p["E_L"])
        )
        tau_w = 1.0 / jnp.cosh((V - p["V3"]) / (2.0 * p["V4"]))
        return {"V": (p["I_ext"] + I - i_ion) / p["C"], "w": p["phi"] * (_w_inf(V, p) - w) / tau_w}

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        s, _ = crossing_fire(self, x["V"], x_new["V"], params["V_th"])
        return x_new, s
