r"""Short-term plasticity of release: Tsodyks-Markram facilitation and depression (STP) and depression only (STD)."""

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractShortTermPlasticity, decay

__all__ = ["STP", "STD", "stp_steady_state", "std_steady_state"]

_TM_REFERENCE = (
    "Tsodyks M, Pawelzik K, Markram H (1998) Neural Comput 10:821-835; Markram H, Wang Y, Tsodyks M (1998) "
    "Proc Natl Acad Sci USA 95:5323-5328"
)


def stp_steady_state(U: float, tau_f: float, tau_d: float, interval: float) -> tuple[float, float]:
    r"""Steady state of :class:`STP` for a regular spike train of period ``interval`` (ms).

    .. math::

        u^* = \frac{U}{1 - (1 - U)\, e^{-\Delta/\tau_f}}, \qquad
        x^* = \frac{1 - e^{-\Delta/\tau_d}}{1 - (1 - u^*)\, e^{-\Delta/\tau_d}},

    where :math:`u^*` is the release probability used at a spike (after the facilitation jump) and :math:`x^*`
    the resources just before it; each spike then releases :math:`u^* x^*`.  (Markram, Wang & Tsodyks 1998.)
    """
    ef, ed = jnp.exp(-interval / tau_f), jnp.exp(-interval / tau_d)
    u = U / (1.0 - (1.0 - U) * ef)
    x = (1.0 - ed) / (1.0 - (1.0 - u) * ed)
    return float(u), float(x)


def std_steady_state(U: float, tau_d: float, interval: float) -> float:
    r"""Steady-state resources :math:`x^* = (1 - e^{-\Delta/\tau_d}) / (1 - (1 - U) e^{-\Delta/\tau_d})` of
    :class:`STD` before each spike of a regular train of period ``interval`` (ms); each spike releases
    :math:`U x^*`."""
    ed = jnp.exp(-interval / tau_d)
    return float((1.0 - ed) / (1.0 - (1.0 - U) * ed))


class STP(AbstractShortTermPlasticity):
    r"""Tsodyks-Markram short-term plasticity: facilitation of the release probability :math:`u` and depletion of
    the resources :math:`x`.

    .. math::

        \frac{du}{dt} = -\frac{u}{\tau_f} + U (1 - u^-)\, \sum_k \delta(t - t_k), \qquad
        \frac{dx}{dt} = \frac{1 - x}{\tau_d} - u^+ x^-\, \sum_k \delta(t - t_k),

    At a spike, :math:`u` first jumps to :math:`u^+ = u^- + U (1 - u^-)`, then the fraction :math:`u^+ x^-` of the
    resources is released (the spike's *efficacy*) and removed from :math:`x`.  Between spikes :math:`u` decays to
    0 and :math:`x` recovers to 1, both exactly: :math:`u \leftarrow u e^{-\Delta t/\tau_f}`,
    :math:`x \leftarrow 1 - (1 - x) e^{-\Delta t/\tau_d}`.  The first spike after a long silence releases
    :math:`U`.  For a regular train see :func:`stp_steady_state`.

    The state lives per presynaptic neuron (it depends only on that neuron's spikes and on parameters shared by
    the projection).  Use it in a projection, which multiplies every spike by its efficacy before the synapse
    model: ``bl.Projection(pre, post, conn, bl.synapses.Expon(), bl.outputs.CUBA(), weight=w,
    stp=bl.synapses.STP(U=0.15, tau_f=750., tau_d=50.))``.  Standalone, :meth:`update` takes the spikes and returns
    the efficacies.

    Example:
        >>> import brainlab as bl
        >>> stp = bl.synapses.STP(1, U=0.2, tau_f=500.0, tau_d=100.0)
        >>> round(float(stp.update(0.0, 0.1, True)[0]), 6)      # the first spike releases U
        0.2

    Limits: parameters are shared by all synapses of a presynaptic neuron (no per-synapse U); release is
    deterministic (the mean-field model, no vesicle counting).  The defaults are an illustrative facilitating
    synapse (small U, :math:`\tau_f \gg \tau_d`).

    Reference: Tsodyks M, Pawelzik K, Markram H (1998) Neural Comput 10:821-835; Markram H, Wang Y, Tsodyks M
    (1998) PNAS 95:5323-5328.
    """

    PARAMETERS = (
        Parameter("U", 0.15, "", (1e-6, 1.0), "release probability increment (release of the first spike)"),
        Parameter("tau_f", 750.0, "ms", (1e-3, 1e6), "facilitation time constant"),
        Parameter("tau_d", 50.0, "ms", (1e-3, 1e6), "recovery (depression) time constant"),
    )
    VARIABLES = (
        Variable("u", 0.0, "", "release probability (decays to 0 between spikes)"),
        Variable("x", 1.0, "", "fraction of available resources"),
    )
    EQUATIONS = (
        r"\frac{du}{dt} = -\frac{u}{\tau_f} + U(1 - u^-)\sum_k\delta(t - t_k),\quad "
        r"\frac{dx}{dt} = \frac{1 - x}{\tau_d} - u^+ x^-\sum_k\delta(t - t_k)"
    )
    REFERENCE = _TM_REFERENCE
    DEFAULT_DT = 0.1

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        p = self._params_for("vector_field", params)
        return {"u": -state["u"] / p["tau_f"], "x": (1.0 - state["x"]) / p["tau_d"]}

    def arrive(self, x: Mapping[str, Any], events: Any, t: Any, dt: Any, params: Mapping[str, Any]) -> dict:
        u = x["u"] + params["U"] * (1.0 - x["u"]) * events
        release = events * u * x["x"]
        return {"u": u, "x": x["x"] - release, "_release": release}

    def exact_step(self, x: Mapping[str, Any], t: Any, dt: Any, params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        return {"u": x["u"] * decay(dt, params["tau_f"]), "x": 1.0 - (1.0 - x["x"]) * decay(dt, params["tau_d"])}


class STD(AbstractShortTermPlasticity):
    r"""Short-term depression: each spike releases the fraction :math:`U` of the available resources :math:`x`.

    .. math::

        \frac{dx}{dt} = \frac{1 - x}{\tau_d} - U x^-\, \sum_k \delta(t - t_k),

    the Tsodyks-Markram model without facilitation.  A spike's efficacy is :math:`U x^-`; between spikes
    :math:`x \leftarrow 1 - (1 - x) e^{-\Delta t/\tau_d}` (exact).  Steady state for a regular train:
    :func:`std_steady_state`.  State per presynaptic neuron; use it as ``stp=`` of a projection.

    Example:
        >>> import brainlab as bl
        >>> std = bl.synapses.STD(1, U=0.5, tau_d=800.0)
        >>> [round(float(std.update(0.0, 0.1, True)[0]), 3), round(float(std.update(0.1, 0.1, True)[0]), 3)]
        [0.5, 0.25]

    Limits: as :class:`STP`.  The defaults (:math:`U = 0.5`, :math:`\tau_d = 800` ms) are illustrative values
    for a depressing neocortical synapse.

    Reference: Tsodyks MV, Markram H (1997) Proc Natl Acad Sci USA 94:719-723.
    """

    PARAMETERS = (
        Parameter("U", 0.5, "", (1e-6, 1.0), "fraction of the resources released by a spike"),
        Parameter("tau_d", 800.0, "ms", (1e-3, 1e6), "recovery time constant"),
    )
    VARIABLES = (Variable("x", 1.0, "", "fraction of available resources"),)
    EQUATIONS = r"\frac{dx}{dt} = \frac{1 - x}{\tau_d} - U x^-\sum_k\delta(t - t_k)"
    REFERENCE = "Tsodyks MV, Markram H (1997) Proc Natl Acad Sci USA 94:719-723"
    DEFAULT_DT = 0.1

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        p = self._params_for("vector_field", params)
        return {"x": (1.0 - state["x"]) / p["tau_d"]}

    def arrive(self, x: Mapping[str, Any], events: Any, t: Any, dt: Any, params: Mapping[str, Any]) -> dict:
        release = events * params["U"] * x["x"]
        return {"x": x["x"] - release, "_release": release}

    def exact_step(self, x: Mapping[str, Any], t: Any, dt: Any, params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        return {"x": 1.0 - (1.0 - x["x"]) * decay(dt, params["tau_d"])}
