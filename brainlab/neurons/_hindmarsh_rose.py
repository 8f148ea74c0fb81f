r"""The Hindmarsh-Rose bursting model."""

from collections.abc import Mapping
from typing import Any

import jax

from .._model import Parameter, Variable
from ._base import AbstractNeuron, crossing_fire

__all__ = ["HindmarshRose"]


class HindmarshRose(AbstractNeuron):
    r"""Hindmarsh-Rose model: a fast spiking subsystem modulated by a slow adaptation current, so it bursts.

    .. math::

        \frac{dx}{dt} &= y - a x^3 + b x^2 - z + I_\text{ext} + I \\
        \frac{dy}{dt} &= c - d x^2 - y \\
        \frac{dz}{dt} &= r\,[s (x - x_R) - z]

    Dimensionless :math:`x` (membrane potential), :math:`y` (fast recovery), :math:`z` (slow adaptation) and
    :math:`I`; time is counted in the simulator's ms.  With the usual values :math:`a = 1, b = 3, c = 1, d = 5,
    s = 4, x_R = -1.6` and a small :math:`r` (0.001 here), the neuron rests for small :math:`I`, bursts for
    intermediate :math:`I` (about 1.3-3) and fires tonically for large :math:`I`; :math:`r` sets the burst period.
    A spike is an upward crossing of ``x_th`` (1.0).

    Example:
        >>> import brainlab as bl
        >>> hr = bl.neurons.HindmarshRose(1, I_ext=2.0)

    Limits: dimensionless and phenomenological; the burst pattern (regular or chaotic) depends sensitively on
    :math:`I` and :math:`r`.

    Reference: Hindmarsh JL, Rose RM (1984) Proc R Soc Lond B 221:87-102.
    """

    PARAMETERS = (
        Parameter("a", 1.0, "", (0.0, 10.0), "cubic coefficient of x"),
        Parameter("b", 3.0, "", (-10.0, 20.0), "quadratic coefficient of x"),
        Parameter("c", 1.0, "", (-20.0, 20.0), "constant of the y equation"),
        Parameter("d", 5.0, "", (0.0, 20.0), "quadratic coefficient in the y equation"),
        Parameter("r", 0.001, "1/ms", (0.0, 1.0), "time-scale ratio of the slow variable z"),
        Parameter("s", 4.0, "", (0.0, 20.0), "coupling of z to x"),
        Parameter("x_R", -1.6, "", (-10.0, 10.0), "resting x of the slow subsystem"),
        Parameter("x_th", 1.0, "", (-10.0, 10.0), "spike detection threshold on x (upward crossing)"),
        Parameter("I_ext", 0.0, "", (-100.0, 100.0), "constant external current (dimensionless)"),
    )
    VARIABLES = (
        Variable("x", -1.6, "", "membrane potential (dimensionless)"),
        Variable("y", -11.8, "", "fast recovery variable"),
        Variable("z", 0.0, "", "slow adaptation current"),
    )
    EQUATIONS = (
        r"\begin{aligned}"
        r"\frac{dx}{dt} &= y - a x^3 + b x^2 - z + I_\text{ext} + I \\"
        r"\frac{dy}{dt} &= c - d x^2 - y \\"
        r"\frac{dz}{dt} &= r\,[s(x - x_R) - z]"
        r"\end{aligned}"
    )
    REFERENCE = "Hindmarsh JL, Rose RM (1984) Proc R Soc Lond B 221:87-102"
    DEFAULT_DT = 0.05
    METHOD = "rk4"
    SPIKING = True

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict[str, jax.Array]:  # noqa: E741
        p = self._params_for("vector_field", params)
        x, y, z = state["x"], state["y"], state["z"]
        return {
            "x": y - p["a"] * x**3 + p["b"] * x**2 - z + p["I_ext"] + I,
            "y": p["c"] - p["d"] * x**2 - y,
            "z": p["r"] * (p["s"] * (x - p["x_R"]) - z),
        }

    def _fire(self, x: dict, x_new: dict, params: dict, t: Any, dt: Any) -> tuple[dict, jax.Array]:
        s, _ = crossing_fire(self, x["x"], x_new["x"], params["x_th"])
        return x_new, s
