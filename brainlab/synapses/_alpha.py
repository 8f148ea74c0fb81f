r"""The alpha synapse (rise and decay with one time constant), normalised to a peak equal to the weight."""

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from .._model import Parameter, Variable
from ._base import AbstractSynapse, decay

__all__ = ["Alpha"]


class Alpha(AbstractSynapse):
    r"""Alpha synapse: :math:`g(t) = w\, \frac{t}{\tau} e^{1 - t/\tau}` after one event, peaking at :math:`w` at
    :math:`t = \tau`.

    .. math::

        \frac{dg}{dt} = -\frac{g}{\tau} + h, \qquad \frac{dh}{dt} = -\frac{h}{\tau}
        + \frac{e}{\tau} \sum_k w_k\, \delta(t - t_k).

    The state lives per postsynaptic neuron (linear model).  A step is exact:

    .. math::

        g \leftarrow (g + h\, \Delta t)\, e^{-\Delta t/\tau}, \qquad h \leftarrow h\, e^{-\Delta t/\tau}.

    ``g`` has the unit of the weights (nS for ``COBA``), ``h`` that unit per ms.

    Example:
        >>> import brainlab as bl
        >>> syn = bl.synapses.Alpha(tau=2.0)          # peak conductance = weight, 2 ms after the spike

    Limits: one time constant for rise and decay (see :class:`DualExpon` for two); the value delivered during a
    step is the conductance at its start.

    Reference: Rall W (1967) J Neurophysiol 30:1138-1168; Rotter S, Diesmann M (1999) Biol Cybern 81:381-402.
    """

    PARAMETERS = (Parameter("tau", 2.0, "ms", (1e-3, 1e5), "time constant (time to peak)"),)
    VARIABLES = (
        Variable("g", 0.0, "nS", "synaptic conductance (in the unit of the weights)"),
        Variable("h", 0.0, "nS/ms", "rise variable driving g"),
    )
    EQUATIONS = (
        r"\frac{dg}{dt} = -\frac{g}{\tau} + h,\quad \frac{dh}{dt} = -\frac{h}{\tau} + \frac{e}{\tau}\sum_k w_k\,"
        r"\delta(t - t_k)"
    )
    REFERENCE = "Rall W (1967) J Neurophysiol 30:1138-1168; Rotter S, Diesmann M (1999) Biol Cybern 81:381-402"
    DEFAULT_DT = 0.1
    STATE_ON = "post"

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        p = self._params_for("vector_field", params)
        return {"g": -state["g"] / p["tau"] + state["h"], "h": -state["h"] / p["tau"]}

    def arrive(self, x: Mapping[str, Any], events: Any, t: Any, dt: Any, params: Mapping[str, Any]) -> dict:
        return {"g": x["g"], "h": x["h"] + events * (jnp.e / params["tau"])}

    def exact_step(self, x: Mapping[str, Any], t: Any, dt: Any, params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        e = decay(dt, params["tau"])
        return {"g": (x["g"] + x["h"] * dt) * e, "h": x["h"] * e}
