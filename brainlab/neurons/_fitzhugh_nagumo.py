r"""The FitzHugh-Nagumo model."""

from collections.abc import Mapping
from typing import Any

import jax

from .._model import Parameter, Variable
from ._base import AbstractNeuron, crossing_fire

__all__ = ["FHN"]


class FHN(AbstractNeuron):
    r"""FitzHugh-Nagumo model: a two-variable caricature of excitability (fast voltage, slow recovery).

    .. math::

        \frac{dv}{dt} &= v - \frac{v^3}{3} - w + I_\text{ext} + I \\
        \tau \frac{dw}{dt} &= v + a - b w

    Dimensionless :math:`v, w, I`; time is counted in the simulator's ms (one model time unit per ms).  The
    defaults :math:`a = 0.7, b = 0.8, \tau = 12.5` are FitzHugh's (1961): without input the rest state
    :math:`(v, w) \approx (-1.199, -0.624)` is excitable; it loses stability in Hopf bifurcations at
    :math:`I \approx 0.331` and :math:`I \approx 1.419` (where :math:`1 - v^2 = b/\tau` at the fixed point), and
    the neuron oscillates in between.  A "spike" is an upward crossing of ``v_th`` (1.0).

    Example:
        >>> import brainlab as bl
        >>> fhn = bl.neurons.FHN(1, I_ext=0.5)   # relaxation oscillations

    Limits: a qualitative model: no units, no ionic currents; its time scale (ms here) is a convention.

    Reference: FitzHugh R (1961) Biophys J 1:445-466; Nagumo J, Arimoto S, Yoshizawa S (1962) Proc IRE
    50:2061-2070.
    """

    PARAMETERS = (
        Parameter("a", 0.7, "", (-10.0, 10.0), "offset of the w-nullcline"),
        Parameter("b", 0.8, "", (0.0, 10.0), "slope factor of the recovery"),
        Parameter("tau", 12.5, "ms", (0.01, 1e4), "time constant of the recovery variable"),
        Parameter("v_th", 1.0, "", (-10.0, 10.0), "spike detection threshold on v (upward crossing)"),
        Parameter("I_ext", 0.0, "", (-100.0, 100.0), "constant external current (dimensionless)"),
    )
    VARIABLES = (
        Variable("v", -1.199, "", "fast (voltage-like) variable"),
        Variable("w", -0.624, "", "slow recovery variable"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"\frac{dv}{dt} &= v - \frac{v^3}{3} - w + I_\text{ext} + I \\"
        r"\tau \frac{dw}{dt} &= v + a - b w"
        r"\end{aligned}"
    )
    REFERENCE = (
        "FitzHugh R (1961) Biophys J 1:445-466; Nagumo J, Arimoto S, Yoshizawa S (1962) Proc IRE 50:2061-2070"
    )
    DEFAULT_DT = 0.1
    METHOD = "rk4"
    SPIKING = True

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        v, w = state["v"], state["w"]
        return {"v": v - v**3 / 3.0 - w + p["I_ext"] + I, "w": (v + p["a"] - p["b"] * w) / p["tau"]}

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        s, _ = crossing_fire(self, x["v"], x_new["v"], params["v_th"])
        return x_new, s
