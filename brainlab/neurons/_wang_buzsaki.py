r"""The Wang-Buzsáki (1996) fast-spiking interneuron model."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron, crossing_fire
from ._gating import exprel_rate

__all__ = ["WangBuzsaki"]

V_INIT = -65.0  # mV; h and n start at their steady state there


def wb_rates(V: jax.Array) -> dict[str, jax.Array]:
    r"""Rates (1/ms, before the factor :math:`\phi`) of the Wang-Buzsáki gates at ``V`` (mV)."""
    return {
        "alpha_m": exprel_rate((V + 35.0) / 10.0),  # = 0.1 (V + 35) / (1 - exp(-(V + 35)/10))
        "beta_m": 4.0 * jnp.exp(-(V + 60.0) / 18.0),
        "alpha_h": 0.07 * jnp.exp(-(V + 58.0) / 20.0),
        "beta_h": 1.0 / (1.0 + jnp.exp(-(V + 28.0) / 10.0)),
        "alpha_n": 0.1 * exprel_rate((V + 34.0) / 10.0),  # = 0.01 (V + 34) / (1 - exp(-(V + 34)/10))
        "beta_n": 0.125 * jnp.exp(-(V + 44.0) / 80.0),
    }


class WangBuzsaki(AbstractNeuron):
    r"""Wang & Buzsáki's (1996) hippocampal fast-spiking interneuron: HH-type, with instantaneous sodium activation.

    .. math::

        C \frac{dV}{dt} &= -g_\text{Na} m_\infty^3(V)\, h (V - E_\text{Na}) - g_\text{K} n^4 (V - E_\text{K})
                          - g_\text{L}(V - E_\text{L}) + I_\text{ext} + I \\
        \frac{dx}{dt} &= \phi\,[\alpha_x(V)(1 - x) - \beta_x(V)\,x], \quad x \in \{h, n\},
        \qquad m_\infty = \frac{\alpha_m}{\alpha_m + \beta_m}

    with :math:`\alpha_m = \frac{0.1(V+35)}{1 - e^{-(V+35)/10}}`, :math:`\beta_m = 4e^{-(V+60)/18}`,
    :math:`\alpha_h = 0.07 e^{-(V+58)/20}`, :math:`\beta_h = \frac{1}{1 + e^{-(V+28)/10}}`,
    :math:`\alpha_n = \frac{0.01(V+34)}{1 - e^{-(V+34)/10}}`, :math:`\beta_n = 0.125 e^{-(V+44)/80}` (1/ms).

    Units: :math:`V` in mV, conductances in mS/cm², :math:`C` in µF/cm², currents in µA/cm², time in ms.  The
    neuron fires from very low rates (type I onset, rheobase near 0.16 µA/cm²) up to hundreds of Hz with little
    adaptation.  A spike is an upward crossing of ``V_th`` (-20 mV).

    Example:
        >>> import brainlab as bl
        >>> wb = bl.neurons.WangBuzsaki(1, I_ext=1.0)

    Limits: one compartment, no synaptic or gap-junction coupling of its own (add synapses to build the
    original interneuron network).

    Reference: Wang XJ, Buzsáki G (1996) J Neurosci 16:6402-6413.
    """

    PARAMETERS = (
        Parameter("gNa", 35.0, "mS/cm²", (0.0, 1e3), "maximal sodium conductance"),
        Parameter("gK", 9.0, "mS/cm²", (0.0, 1e3), "maximal potassium conductance"),
        Parameter("gL", 0.1, "mS/cm²", (0.0, 100.0), "leak conductance"),
        Parameter("ENa", 55.0, "mV", (-100.0, 200.0), "sodium reversal potential"),
        Parameter("EK", -90.0, "mV", (-200.0, 50.0), "potassium reversal potential"),
        Parameter("EL", -65.0, "mV", (-150.0, 50.0), "leak reversal potential"),
        Parameter("C", 1.0, "µF/cm²", (1e-3, 100.0), "membrane capacitance"),
        Parameter("phi", 5.0, "", (1e-3, 100.0), "temperature factor of the h and n kinetics"),
        Parameter("V_th", -20.0, "mV", (-100.0, 100.0), "spike detection threshold (upward crossing)"),
        Parameter("I_ext", 0.0, "µA/cm²", (-1e4, 1e4), "constant external current"),
    )
    VARIABLES = (
        Variable("V", V_INIT, "mV", "membrane potential"),
        Variable("h", 0.8046, "", "sodium inactivation"),
        Variable("n", 0.0826, "", "potassium activation"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"C \frac{dV}{dt} &= -g_\text{Na} m_\infty^3 h (V - E_\text{Na}) - g_\text{K} n^4 (V - E_\text{K}) "
        r"- g_\text{L}(V - E_\text{L}) + I_\text{ext} + I \\"
        r"\frac{dx}{dt} &= \phi[\alpha_x(V)(1 - x) - \beta_x(V)x], \quad x \in \{h, n\}, "
        r"\quad m_\infty = \frac{\alpha_m}{\alpha_m + \beta_m} \\"
        r"\alpha_m &= \frac{0.1(V+35)}{1 - e^{-(V+35)/10}}, \quad \beta_m = 4e^{-(V+60)/18} \\"
        r"\alpha_h &= 0.07e^{-(V+58)/20}, \quad \beta_h = \frac{1}{1 + e^{-(V+28)/10}} \\"
        r"\alpha_n &= \frac{0.01(V+34)}{1 - e^{-(V+34)/10}}, \quad \beta_n = 0.125e^{-(V+44)/80}"
        r"\end{aligned}"
    )
    REFERENCE = "Wang XJ, Buzsáki G (1996) J Neurosci 16:6402-6413"
    DEFAULT_DT = 0.01
    METHOD = "exp_euler"
    SPIKING = True

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        r = wb_rates(jnp.asarray(V_INIT))
        return {"V": V_INIT, **{x: r[f"alpha_{x}"] / (r[f"alpha_{x}"] + r[f"beta_{x}"]) for x in "hn"}}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V, h, n = state["V"], state["h"], state["n"]
        r = wb_rates(V)
        m_inf = r["alpha_m"] / (r["alpha_m"] + r["beta_m"])
        i_ion = (
            p["gNa"] * m_inf**3 * h * (V - p["ENa"]) + p["gK"] * n**4 * (V - p["EK"]) + p["gL"] * (V - p["EL"])
        )
        return {
            "V": (p["I_ext"] + I - i_ion) / p["C"],
            "h": p["phi"] * (r["alpha_h"] * (1.0 - h) - r["beta_h"] * h),
            "n": p["phi"] * (r["alpha_n"] * (1.0 - n) - r["beta_n"] * n),
        }

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        s, _ = crossing_fire(self, x["V"], x_new["V"], params["V_th"])
        return x_new, s
