r"""The quadratic integrate-and-fire neuron."""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractNeuron, reset_fire

__all__ = ["QIF"]

_V_RANGE = (-150.0, 100.0)


class QIF(AbstractNeuron):
    r"""Quadratic integrate-and-fire neuron, the normal form of a saddle-node-on-invariant-circle (type I) onset.

    .. math::

        \tau \frac{dV}{dt} = a_0 (V - V_\text{rest})(V - V_c) + R\,(I_\text{ext} + I),
        \qquad V \ge V_\text{peak} \;\Rightarrow\; \text{spike},\; V \leftarrow V_\text{reset}

    held at :math:`V_\text{reset}` for :math:`t_\text{ref}` after a spike.  Without input, :math:`V_\text{rest}`
    is stable and :math:`V_c` the unstable (critical) point; the rheobase is
    :math:`R I = a_0 (V_c - V_\text{rest})^2 / 4` (3.9 mV, i.e. 39 pA, for the defaults), above which the rate
    rises as the square root of the excess current.

    Units: :math:`V` in mV, times in ms, :math:`a_0` in 1/mV, currents in pA, :math:`R` in GΩ.

    Example:
        >>> import brainlab as bl
        >>> n = bl.neurons.QIF(10, I_ext=100.0)

    Limits: the quadratic blows up in finite time; :math:`V_\text{peak}` cuts it, and in the vector field
    :math:`V` is capped at :math:`V_\text{peak}` (the field is evaluated there) to keep multi-stage methods finite.

    Reference: Ermentrout GB, Kopell N (1986) SIAM J Appl Math 46:233-253; Latham PE, Richmond BJ, Nelson PG,
    Nirenberg S (2000) J Neurophysiol 83:808-827.
    """

    PARAMETERS = (
        Parameter("V_rest", -65.0, "mV", _V_RANGE, "resting potential (stable fixed point without input)"),
        Parameter("V_c", -50.0, "mV", _V_RANGE, "critical potential (unstable fixed point without input)"),
        Parameter("a_0", 0.07, "1/mV", (1e-6, 10.0), "curvature of the quadratic"),
        Parameter("V_reset", -68.0, "mV", _V_RANGE, "potential after a spike"),
        Parameter("V_peak", 30.0, "mV", _V_RANGE, "spike cut-off: V is reset when it reaches this value"),
        Parameter("tau", 10.0, "ms", (0.01, 1e4), "membrane time constant"),
        Parameter("R", 0.1, "GΩ", (1e-6, 1e3), "membrane resistance"),
        Parameter("t_ref", 0.0, "ms", (0.0, 1e3), "absolute refractory period"),
        Parameter("I_ext", 0.0, "pA", (-1e6, 1e6), "constant external current"),
    )
    VARIABLES = (Variable("V", -65.0, "mV", "membrane potential"),)
    EQUATIONS = (
        r"\tau \frac{dV}{dt} = a_0 (V - V_\text{rest})(V - V_c) + R\,(I_\text{ext} + I), \quad "
        r"V \ge V_\text{peak} \Rightarrow V \leftarrow V_\text{reset}"
    )
    REFERENCE = (
        "Ermentrout GB, Kopell N (1986) SIAM J Appl Math 46:233-253; Latham PE, Richmond BJ, Nelson PG, "
        "Nirenberg S (2000) J Neurophysiol 83:808-827"
    )
    DEFAULT_DT = 0.1
    METHOD = "euler"
    SPIKING = True

    def initial_values(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"V": params["V_rest"]}

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        V = jnp.minimum(state["V"], p["V_peak"])
        return {"V": (p["a_0"] * (V - p["V_rest"]) * (V - p["V_c"]) + p["R"] * (p["I_ext"] + I)) / p["tau"]}

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        V, s, _ = reset_fire(self, x_new["V"], params, t, dt, threshold="V_peak")
        return {"V": V}, s
