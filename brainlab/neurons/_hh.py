r"""The Hodgkin-Huxley model of the squid giant axon."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron, crossing_fire
from ._gating import exprel_rate

__all__ = ["HH"]

V_INIT = -65.0  # mV: the initial potential; the gates start at their steady state there


def hh_rates(V: jax.Array) -> dict[str, jax.Array]:
    r"""The opening (:math:`\alpha`) and closing (:math:`\beta`) rates in 1/ms of the HH gates at ``V`` (mV)."""
    return {
        "alpha_m": exprel_rate((V + 40.0) / 10.0),  # = 0.1 (V + 40) / (1 - exp(-(V + 40)/10))
        "beta_m": 4.0 * jnp.exp(-(V + 65.0) / 18.0),
        "alpha_h": 0.07 * jnp.exp(-(V + 65.0) / 20.0),
        "beta_h": 1.0 / (1.0 + jnp.exp(-(V + 35.0) / 10.0)),
        "alpha_n": 0.1 * exprel_rate((V + 55.0) / 10.0),  # = 0.01 (V + 55) / (1 - exp(-(V + 55)/10))
        "beta_n": 0.125 * jnp.exp(-(V + 65.0) / 80.0),
    }


class HH(AbstractNeuron):
    r"""The Hodgkin-Huxley (1952) squid-axon model, in the modern convention (rest near -65 mV, 6.3 °C).

    .. math::

        C \frac{dV}{dt} &= -g_\text{Na} m^3 h (V - E_\text{Na}) - g_\text{K} n^4 (V - E_\text{K})
                          - g_\text{L} (V - E_\text{L}) + I_\text{ext} + I \\
        \frac{dx}{dt} &= \alpha_x(V)(1 - x) - \beta_x(V)\, x, \qquad x \in \{m, h, n\}

    with, for :math:`V` in mV and rates in 1/ms,
    :math:`\alpha_m = \frac{0.1 (V+40)}{1 - e^{-(V+40)/10}}`, :math:`\beta_m = 4 e^{-(V+65)/18}`,
    :math:`\alpha_h = 0.07 e^{-(V+65)/20}`, :math:`\beta_h = \frac{1}{1 + e^{-(V+35)/10}}`,
    :math:`\alpha_n = \frac{0.01 (V+55)}{1 - e^{-(V+55)/10}}`, :math:`\beta_n = 0.125 e^{-(V+65)/80}`.

    Units: :math:`V` in mV, conductances in mS/cm², :math:`C` in µF/cm², currents in µA/cm², time in ms.  A spike
    is an upward crossing of ``V_th`` (default 0 mV) during a step; nothing is reset.  The gates start at their
    steady state for :math:`V = -65` mV.

    Example:
        >>> import brainlab as bl, brainlab.engine as be
        >>> hh = bl.neurons.HH(1, I_ext=10.0)
        >>> spikes = be.for_loop(lambda t: hh.update(t, 0.01), be.arange(0.0, 100.0, 0.01))
        >>> int(spikes.sum())  # tonic firing near 68 Hz
        7

    Limits: the rate functions are those of the squid axon at 6.3 °C (no temperature factor); explicit methods
    need ``dt`` ≲ 0.05 ms (``rk4``) and the default ``exp_euler`` is first order, so use ``rk4`` with
    ``dt = 0.01`` ms where spike times must be accurate.

    Reference: Hodgkin AL, Huxley AF (1952) J Physiol 117:500-544.
    """

    PARAMETERS = (
        Parameter("gNa", 120.0, "mS/cm²", (0.0, 1e3), "maximal sodium conductance"),
        Parameter("gK", 36.0, "mS/cm²", (0.0, 1e3), "maximal potassium conductance"),
        Parameter("gL", 0.3, "mS/cm²", (0.0, 100.0), "leak conductance"),
        Parameter("ENa", 50.0, "mV", (-100.0, 200.0), "sodium reversal potential"),
        Parameter("EK", -77.0, "mV", (-200.0, 50.0), "potassium reversal potential"),
        Parameter("EL", -54.387, "mV", (-150.0, 50.0), "leak reversal potential"),
        Parameter("C", 1.0, "µF/cm²", (1e-3, 100.0), "membrane capacitance"),
        Parameter("V_th", 0.0, "mV", (-100.0, 100.0), "spike detection threshold (upward crossing)"),
        Parameter("I_ext", 0.0, "µA/cm²", (-1e4, 1e4), "constant external current"),
    )
    VARIABLES = (
        Variable("V", V_INIT, "mV", "membrane potential"),
        Variable("m", 0.0529, "", "sodium activation"),
        Variable("h", 0.5961, "", "sodium inactivation"),
        Variable("n", 0.3177, "", "potassium activation"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"C \frac{dV}{dt} &= -g_\text{Na} m^3 h (V - E_\text{Na}) - g_\text{K} n^4 (V - E_\text{K}) "
        r"- g_\text{L} (V - E_\text{L}) + I_\text{ext} + I \\"
        r"\frac{dx}{dt} &= \alpha_x(V)(1 - x) - \beta_x(V)\,x, \quad x \in \{m, h, n\} \\"
        r"\alpha_m &= \frac{0.1(V+40)}{1 - e^{-(V+40)/10}}, \quad \beta_m = 4 e^{-(V+65)/18} \\"
        r"\alpha_h &= 0.07 e^{-(V+65)/20}, \quad \beta_h = \frac{1}{1 + e^{-(V+35)/10}} \\"
        r"\alpha_n &= \frac{0.01(V+55)}{1 - e^{-(V+55)/10}}, \quad \beta_n = 0.125 e^{-(V+65)/80}"
        r"\end{aligned}"
    )
    REFERENCE = "Hodgkin AL, Huxley AF (1952) J Physiol 117:500-544"
    DEFAULT_DT = 0.01
    METHOD = "exp_euler"
    SPIKING = True

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        r = hh_rates(jnp.asarray(V_INIT))
        return {"V": V_INIT, **{x: r[f"alpha_{x}"] / (r[f"alpha_{x}"] + r[f"beta_{x}"]) for x in "mhn"}}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V, m, h, n = state["V"], state["m"], state["h"], state["n"]
        r = hh_rates(V)
        i_ion = (
            p["gNa"] * m**3 * h * (V - p["ENa"]) + p["gK"] * n**4 * (V - p["EK"]) + p["gL"] * (V - p["EL"])
        )
        return {
            "V": (p["I_ext"] + I - i_ion) / p["C"],
            "m": r["alpha_m"] * (1.0 - m) - r["beta_m"] * m,
            "h": r["alpha_h"] * (1.0 - h) - r["beta_h"] * h,
            "n": r["alpha_n"] * (1.0 - n) - r["beta_n"] * n,
        }

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        s, _ = crossing_fire(self, x["V"], x_new["V"], params["V_th"])
        return x_new, s
