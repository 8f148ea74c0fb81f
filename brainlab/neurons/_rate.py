r"""Firing-rate models: the Wilson-Cowan E-I pair and the threshold-linear rate unit."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron

__all__ = ["WilsonCowan", "ThresholdLinear"]


def wc_sigmoid(x: Any, gain: Any, theta: Any) -> jax.Array:
    r"""Wilson-Cowan response function :math:`S(x) = \frac{1}{1 + e^{-a(x - \theta)}} - \frac{1}{1 + e^{a\theta}}`
    (shifted so that :math:`S(0) = 0`)."""
    return jax.nn.sigmoid(gain * (x - theta)) - jax.nn.sigmoid(-gain * theta)


class WilsonCowan(AbstractNeuron):
    r"""Wilson-Cowan model of an excitatory (E) and an inhibitory (I) population (one E-I pair per unit).

    .. math::

        \tau_E \frac{dr_E}{dt} &= -r_E + (k_E - r_E)\, S_E(w_{EE} r_E - w_{EI} r_I + I_\text{ext} + I) \\
        \tau_I \frac{dr_I}{dt} &= -r_I + (k_I - r_I)\, S_I(w_{IE} r_E - w_{II} r_I + I_\text{ext,I}) \\
        S_X(x) &= \frac{1}{1 + e^{-a_X (x - \theta_X)}} - \frac{1}{1 + e^{a_X \theta_X}}, \quad
        k_X = 1 - \frac{1}{1 + e^{a_X \theta_X}}

    :math:`r_E, r_I` are the fractions of active cells (dimensionless, in :math:`[0, k_X)`); the factor
    :math:`(k_X - r_X)` is the original's refractory term with unit refractory period (:math:`k_X` is the
    maximum of :math:`S_X`).  The input ``I`` of :meth:`update` drives the E population.  The default couplings
    and response functions are the limit-cycle set of Wilson & Cowan (1972): :math:`w_{EE} = 16, w_{EI} = 12,
    w_{IE} = 15, w_{II} = 3, a_E = 1.3, \theta_E = 4, a_I = 2, \theta_I = 3.7`; time constants are 10 ms.
    Preset ``'limit_cycle'`` adds their drive :math:`P = 1.25` (``I_ext``), which makes the pair oscillate.

    Example:
        >>> import brainlab as bl
        >>> wc = bl.neurons.WilsonCowan.from_preset("limit_cycle", 1)

    Limits: a mean-field description (no spikes, no fluctuations); the refractory factor is kept in its
    simplest form (unit refractory period), as is common in textbook uses of the model.

    Reference: Wilson HR, Cowan JD (1972) Biophys J 12:1-24.
    """

    PARAMETERS = (
        Parameter("tau_E", 10.0, "ms", (0.01, 1e4), "time constant of the E population"),
        Parameter("tau_I", 10.0, "ms", (0.01, 1e4), "time constant of the I population"),
        Parameter("w_EE", 16.0, "", (0.0, 100.0), "E -> E coupling"),
        Parameter("w_EI", 12.0, "", (0.0, 100.0), "I -> E coupling (inhibition of E)"),
        Parameter("w_IE", 15.0, "", (0.0, 100.0), "E -> I coupling"),
        Parameter("w_II", 3.0, "", (0.0, 100.0), "I -> I coupling"),
        Parameter("a_E", 1.3, "", (0.01, 100.0), "gain of the E response function"),
        Parameter("theta_E", 4.0, "", (-50.0, 50.0), "threshold of the E response function"),
        Parameter("a_I", 2.0, "", (0.01, 100.0), "gain of the I response function"),
        Parameter("theta_I", 3.7, "", (-50.0, 50.0), "threshold of the I response function"),
        Parameter("I_ext", 0.0, "", (-100.0, 100.0), "constant external input to E (P in the original)"),
        Parameter("I_ext_I", 0.0, "", (-100.0, 100.0), "constant external input to I (Q in the original)"),
    )
    VARIABLES = (
        Variable("rE", 0.0, "", "active fraction of the excitatory population"),
        Variable("rI", 0.0, "", "active fraction of the inhibitory population"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"\tau_E \frac{dr_E}{dt} &= -r_E + (k_E - r_E) S_E(w_{EE} r_E - w_{EI} r_I + I_\text{ext} + I) \\"
        r"\tau_I \frac{dr_I}{dt} &= -r_I + (k_I - r_I) S_I(w_{IE} r_E - w_{II} r_I + I_\text{ext,I}) \\"
        r"S_X(x) &= \frac{1}{1 + e^{-a_X(x - \theta_X)}} - \frac{1}{1 + e^{a_X \theta_X}}, \quad "
        r"k_X = 1 - \frac{1}{1 + e^{a_X\theta_X}}"
        r"\end{aligned}"
    )
    REFERENCE = "Wilson HR, Cowan JD (1972) Biophys J 12:1-24"
    DEFAULT_DT = 0.1
    METHOD = "rk4"
    SPIKING = False
    PRESETS = {"limit_cycle": {"I_ext": 1.25}}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        rE, rI = state["rE"], state["rI"]
        kE = jax.nn.sigmoid(p["a_E"] * p["theta_E"])  # = 1 - 1/(1 + exp(a theta))
        kI = jax.nn.sigmoid(p["a_I"] * p["theta_I"])
        inE = p["w_EE"] * rE - p["w_EI"] * rI + p["I_ext"] + I
        inI = p["w_IE"] * rE - p["w_II"] * rI + p["I_ext_I"]
        return {
            "rE": (-rE + (kE - rE) * wc_sigmoid(inE, p["a_E"], p["theta_E"])) / p["tau_E"],
            "rI": (-rI + (kI - rI) * wc_sigmoid(inI, p["a_I"], p["theta_I"])) / p["tau_I"],
        }


class ThresholdLinear(AbstractNeuron):
    r"""Threshold-linear (rectified-linear) rate unit.

    .. math::

        \tau \frac{dr}{dt} = -r + g\,[I_\text{ext} + I - \theta]_+, \qquad [x]_+ = \max(x, 0)

    The steady-state rate for a constant input is :math:`g [I - \theta]_+`, reached with time constant
    :math:`\tau`.  Units: :math:`r` in Hz, currents and :math:`\theta` in pA, :math:`g` in Hz/pA, :math:`\tau`
    in ms.

    Example:
        >>> import brainlab as bl
        >>> unit = bl.neurons.ThresholdLinear(10, gain=0.5, I_ext=40.0)   # settles at 20 Hz

    Limits: no saturation (rates grow without bound with the input); a network of such units with strong
    recurrent excitation can diverge.

    Reference: Dayan P, Abbott LF (2001) Theoretical Neuroscience, MIT Press, ch. 7.
    """

    PARAMETERS = (
        Parameter("tau", 10.0, "ms", (0.01, 1e4), "rate time constant"),
        Parameter("gain", 1.0, "Hz/pA", (0.0, 1e4), "slope of the rate above threshold"),
        Parameter("theta", 0.0, "pA", (-1e6, 1e6), "input threshold"),
        Parameter("I_ext", 0.0, "pA", (-1e6, 1e6), "constant external input"),
    )
    VARIABLES = (Variable("r", 0.0, "Hz", "firing rate"),)
    EQUATIONS = r"\tau \frac{dr}{dt} = -r + g\,[I_\text{ext} + I - \theta]_+"
    REFERENCE = "Dayan P, Abbott LF (2001) Theoretical Neuroscience, MIT Press, ch. 7"
    DEFAULT_DT = 0.1
    METHOD = "exp_euler"
    SPIKING = False

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        r = state["r"]
        return {"r": (-r + p["gain"] * jnp.maximum(p["I_ext"] + I - p["theta"], 0.0)) / p["tau"]}
