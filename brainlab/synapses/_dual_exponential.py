r"""The dual-exponential synapse (finite rise, exponential decay), normalised to a peak equal to the weight."""

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractSynapse, decay, positive_gap

__all__ = ["DualExpon", "dual_exp_peak_time"]


def dual_exp_peak_time(tau_rise: Any, tau_decay: Any) -> Any:
    r"""Time of the peak of :math:`e^{-t/\tau_d} - e^{-t/\tau_r}`:
    :math:`t_p = \frac{\tau_d \tau_r}{\tau_d - \tau_r} \ln \frac{\tau_d}{\tau_r}` (ms)."""
    gap = tau_decay - tau_rise  # exact for close time constants (Sterbenz), so nothing cancels below
    return jnp.log1p(gap / tau_rise) * tau_decay * tau_rise / gap


class DualExpon(AbstractSynapse):
    r"""Dual-exponential synapse: rise time :math:`\tau_r`, decay time :math:`\tau_d`, peak equal to the weight.

    .. math::

        \frac{dg}{dt} = -\frac{g}{\tau_d} + h, \qquad \frac{dh}{dt} = -\frac{h}{\tau_r}
        + \frac{1}{a} \sum_k w_k\, \delta(t - t_k),

    so that one event of weight :math:`w` at :math:`t = 0` gives

    .. math::

        g(t) = w\, \frac{e^{-t/\tau_d} - e^{-t/\tau_r}}{e^{-t_p/\tau_d} - e^{-t_p/\tau_r}},
        \qquad t_p = \frac{\tau_d \tau_r}{\tau_d - \tau_r} \ln\frac{\tau_d}{\tau_r},

    peaking at :math:`g(t_p) = w`; the normalisation is :math:`a = \tau_r e^{-t_p/\tau_d}`.  The state lives per
    postsynaptic neuron (linear model).  A step is exact (the matrix exponential of the triangular system):

    .. math::

        g \leftarrow g\, e^{-\Delta t/\tau_d} + h\, c(\Delta t), \quad h \leftarrow h\, e^{-\Delta t/\tau_r},
        \qquad c(s) = \frac{\tau_d \tau_r}{\tau_d - \tau_r}\left(e^{-s/\tau_d} - e^{-s/\tau_r}\right),

    with :math:`c` evaluated through ``expm1`` so that close time constants lose no precision.  ``g`` has the unit
    of the weights (nS for ``COBA``), ``h`` that unit per ms.

    Example:
        >>> import brainlab as bl
        >>> syn = bl.synapses.DualExpon(tau_rise=1.0, tau_decay=10.0)   # peak of g: the weight, at t_p = 2.56 ms

    Limits: requires :math:`\tau_r < \tau_d` (use :class:`Alpha` for equal time constants); the value delivered
    during a step is the conductance at its start (the rise is resolved at the step's resolution).

    Reference: Rotter S, Diesmann M (1999) Biol Cybern 81:381-402 (exact integration of linear synaptic kernels);
    Dayan P, Abbott LF (2001) Theoretical Neuroscience, MIT Press, ch. 5.8.
    """

    PARAMETERS = (
        Parameter("tau_rise", 1.0, "ms", (1e-3, 1e5), "rise time constant"),
        Parameter("tau_decay", 10.0, "ms", (1e-3, 1e5), "decay time constant (must exceed tau_rise)"),
    )
    VARIABLES = (
        Variable("g", 0.0, "nS", "synaptic conductance (in the unit of the weights)"),
        Variable("h", 0.0, "nS/ms", "rise variable driving g"),
    )
    EQUATIONS = (
        r"\frac{dg}{dt} = -\frac{g}{\tau_d} + h,\quad \frac{dh}{dt} = -\frac{h}{\tau_r} + \frac{1}{a}\sum_k w_k\,"
        r"\delta(t - t_k),\quad a = \tau_r e^{-t_p/\tau_d},\; t_p = \frac{\tau_d\tau_r}{\tau_d-\tau_r}"
        r"\ln\frac{\tau_d}{\tau_r}"
    )
    REFERENCE = "Rotter S, Diesmann M (1999) Biol Cybern 81:381-402"
    DEFAULT_DT = 0.1
    STATE_ON = "post"

    def _check_params(self, params: Mapping[str, Any]) -> None:
        positive_gap(type(self).__name__, "tau_rise", "tau_decay", params)

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        p = self._params_for("vector_field", params)
        return {"g": -state["g"] / p["tau_decay"] + state["h"], "h": -state["h"] / p["tau_rise"]}

    def arrive(self, x: Mapping[str, Any], events: Any, t: Any, dt: Any, params: Mapping[str, Any]) -> dict:
        tr, td = params["tau_rise"], params["tau_decay"]
        scale = jnp.exp(dual_exp_peak_time(tr, td) / td) / tr  # 1 / a
        return {"g": x["g"], "h": x["h"] + events * scale}

    def exact_step(self, x: Mapping[str, Any], t: Any, dt: Any, params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        tr, td = params["tau_rise"], params["tau_decay"]
        delta = (td - tr) / (td * tr)  # 1/tr - 1/td without cancellation
        ed = decay(dt, td)
        c = ed * (-jnp.expm1(-dt * delta)) / delta
        return {"g": x["g"] * ed + x["h"] * c, "h": x["h"] * decay(dt, tr)}
