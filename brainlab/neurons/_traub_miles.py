r"""The Traub-Miles Hodgkin-Huxley-type neuron of the COBAHH benchmark."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron, crossing_fire
from ._gating import exprel_rate

__all__ = ["TraubMiles"]

V_INIT = -60.0   # mV: the default initial potential (= E_L); the gates start at their steady state there


def traub_miles_rates(V: jax.Array, VT: Any) -> dict[str, jax.Array]:
    r"""Opening (:math:`\alpha`) and closing (:math:`\beta`) rates in 1/ms of the Traub-Miles gates at ``V`` (mV).

    All six are functions of :math:`u = V - V_T` (mV); the two 0/0 points are removed with
    :func:`~brainlab.neurons._gating.exprel_rate`.
    """
    u = V - VT
    return {
        "alpha_m": 1.28 * exprel_rate((u - 13.0) / 4.0),    # = 0.32 (13 - u) / (exp((13 - u)/4) - 1)
        "beta_m": 1.4 * exprel_rate((40.0 - u) / 5.0),      # = 0.28 (u - 40) / (exp((u - 40)/5) - 1)
        "alpha_h": 0.128 * jnp.exp((17.0 - u) / 18.0),
        "beta_h": 4.0 / (1.0 + jnp.exp((40.0 - u) / 5.0)),
        "alpha_n": 0.16 * exprel_rate((u - 15.0) / 5.0),    # = 0.032 (15 - u) / (exp((15 - u)/5) - 1)
        "beta_n": 0.5 * jnp.exp((10.0 - u) / 40.0),
    }


@jax.jit  # one compiled program (op by op, the rate functions compile some twenty)
def _steady_gates(V: Any, VT: Any) -> dict[str, jax.Array]:
    r = traub_miles_rates(jnp.asarray(V, dtype=float), VT)
    return {x: r[f"alpha_{x}"] / (r[f"alpha_{x}"] + r[f"beta_{x}"]) for x in "mhn"}


# the steady state of the gates at V = -60 mV for V_T = -63 mV (checked against the rate functions in the tests)
_GATES0 = {"m": 0.026863, "h": 0.991306, "n": 0.060434}


class TraubMiles(AbstractNeuron):
    r"""Traub & Miles' (1991) Hodgkin-Huxley-type neuron, as used in the COBAHH benchmark of Brette et al. (2007).

    .. math::

        C \frac{dV}{dt} &= -g_\text{Na} m^3 h (V - E_\text{Na}) - g_\text{Kd} n^4 (V - E_\text{K})
                          - g_\text{L} (V - E_\text{L}) + I_\text{ext} + I \\
        \frac{dx}{dt} &= \alpha_x(V)(1 - x) - \beta_x(V)\, x, \qquad x \in \{m, h, n\}

    with, for :math:`u = V - V_T` in mV and rates in 1/ms,
    :math:`\alpha_m = \frac{0.32 (13 - u)}{e^{(13 - u)/4} - 1}`,
    :math:`\beta_m = \frac{0.28 (u - 40)}{e^{(u - 40)/5} - 1}`,
    :math:`\alpha_h = 0.128\, e^{(17 - u)/18}`, :math:`\beta_h = \frac{4}{1 + e^{(40 - u)/5}}`,
    :math:`\alpha_n = \frac{0.032 (15 - u)}{e^{(15 - u)/5} - 1}`, :math:`\beta_n = 0.5\, e^{(10 - u)/40}`.

    Units: :math:`V` in mV, :math:`C` in pF, conductances in nS, currents in pA (nS × mV = pA), time in ms.  The
    defaults are a single compartment of 20 000 µm² (1 µF/cm², 0.05 mS/cm² leak, 100 mS/cm² sodium, 30 mS/cm²
    potassium): :math:`C = 200` pF, :math:`g_L = 10` nS, :math:`g_\text{Na} = 20` µS, :math:`g_\text{Kd} = 6` µS.
    :math:`V_T` shifts every rate function along the voltage axis (raising it raises the spike threshold).  With
    the defaults the resting state is unstable: without input the cell fires on its own, at about 14 Hz.  A spike
    is an upward crossing of ``V_th`` (-20 mV) during a step; nothing is reset, and crossings less than ``t_ref``
    after the last spike are not counted (default 0: every crossing is a spike; the COBAHH benchmark uses 3 ms).
    The variables start at :math:`V = E_L` with the gates at their steady state there.

    Example:
        >>> import brainlab as bl, brainlab.engine as be
        >>> tm = bl.neurons.TraubMiles(1, I_ext=200.0)          # 200 pA
        >>> spikes = be.for_loop(lambda t: tm.update(t, 0.01), be.arange(0.0, 100.0, 0.01))
        >>> int(spikes.sum())                                   # about 43 Hz
        5

    Limits: one compartment, no adaptation current (the original 1991 model has calcium and AHP currents that
    the benchmark leaves out).  The default ``exp_euler`` is first order: at 200 pA it lengthens the firing period
    by under 1 % at ``dt = 0.01`` ms and by about 6 % at 0.1 ms, the step of the COBAHH benchmark (where Brian2's
    exponential Euler gives the same spike times as brainlab's); use ``method='rk4'`` with ``dt = 0.01`` ms for
    accurate spike times.

    Reference: Traub RD, Miles R (1991) Neuronal Networks of the Hippocampus, Cambridge University Press; the
    parameters of Brette R et al. (2007) J Comput Neurosci 23:349-398 (benchmark 3, COBAHH).
    """

    PARAMETERS = (
        Parameter("gNa", 20000.0, "nS", (0.0, 1e7), "maximal sodium conductance (20 µS)"),
        Parameter("gKd", 6000.0, "nS", (0.0, 1e7), "maximal delayed-rectifier potassium conductance (6 µS)"),
        Parameter("gL", 10.0, "nS", (0.0, 1e6), "leak conductance"),
        Parameter("ENa", 50.0, "mV", (-100.0, 200.0), "sodium reversal potential"),
        Parameter("EK", -90.0, "mV", (-200.0, 50.0), "potassium reversal potential"),
        Parameter("EL", -60.0, "mV", (-150.0, 50.0), "leak reversal potential"),
        Parameter("VT", -63.0, "mV", (-150.0, 50.0), "voltage offset of the rate functions (sets the threshold)"),
        Parameter("C", 200.0, "pF", (1e-3, 1e7), "membrane capacitance"),
        Parameter("V_th", -20.0, "mV", (-100.0, 100.0), "spike detection threshold (upward crossing)"),
        Parameter("t_ref", 0.0, "ms", (0.0, 1e3), "dead time after a detected spike (crossings in it are not spikes)"),
        Parameter("I_ext", 0.0, "pA", (-1e7, 1e7), "constant external current"),
    )
    VARIABLES = (
        Variable("V", V_INIT, "mV", "membrane potential"),
        Variable("m", _GATES0["m"], "", "sodium activation"),
        Variable("h", _GATES0["h"], "", "sodium inactivation"),
        Variable("n", _GATES0["n"], "", "potassium activation"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"C \frac{dV}{dt} &= -g_\text{Na} m^3 h (V - E_\text{Na}) - g_\text{Kd} n^4 (V - E_\text{K}) "
        r"- g_\text{L} (V - E_\text{L}) + I_\text{ext} + I \\"
        r"\frac{dx}{dt} &= \alpha_x(V)(1 - x) - \beta_x(V)\,x, \quad x \in \{m, h, n\}, \quad u = V - V_T \\"
        r"\alpha_m &= \frac{0.32(13 - u)}{e^{(13 - u)/4} - 1}, \quad "
        r"\beta_m = \frac{0.28(u - 40)}{e^{(u - 40)/5} - 1} \\"
        r"\alpha_h &= 0.128\,e^{(17 - u)/18}, \quad \beta_h = \frac{4}{1 + e^{(40 - u)/5}} \\"
        r"\alpha_n &= \frac{0.032(15 - u)}{e^{(15 - u)/5} - 1}, \quad \beta_n = 0.5\,e^{(10 - u)/40}"
        r"\end{aligned}"
    )
    REFERENCE = (
        "Traub RD, Miles R (1991) Neuronal Networks of the Hippocampus, Cambridge University Press; Brette R et al. "
        "(2007) J Comput Neurosci 23:349-398"
    )
    DEFAULT_DT = 0.01
    METHOD = "exp_euler"
    SPIKING = True

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        V = jnp.asarray(params["EL"])
        return {"V": V, **_steady_gates(V, params["VT"])}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V, m, h, n = state["V"], state["m"], state["h"], state["n"]
        r = traub_miles_rates(V, p["VT"])
        i_ion = (
            p["gNa"] * m**3 * h * (V - p["ENa"]) + p["gKd"] * n**4 * (V - p["EK"]) + p["gL"] * (V - p["EL"])
        )
        return {
            "V": (p["I_ext"] + I - i_ion) / p["C"],
            "m": r["alpha_m"] * (1.0 - m) - r["beta_m"] * m,
            "h": r["alpha_h"] * (1.0 - h) - r["beta_h"] * h,
            "n": r["alpha_n"] * (1.0 - n) - r["beta_n"] * n,
        }

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        s, crossed = crossing_fire(self, x["V"], x_new["V"], params["V_th"])
        # a crossing dated t + dt is ignored when it comes less than t_ref after the last spike (never for t_ref = 0)
        refractory = self._refractory(t + dt, dt, params["t_ref"])
        spiking = crossed & ~refractory
        self._record_spike_time(spiking, t, dt)
        return x_new, s * (~refractory).astype(s.dtype)
