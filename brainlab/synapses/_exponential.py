r"""The single-exponential synapse."""

from collections.abc import Mapping
from typing import Any

from .._model import Parameter, Variable
from ._base import AbstractSynapse, decay

__all__ = ["Expon"]


class Expon(AbstractSynapse):
    r"""Single-exponential synapse: an instantaneous rise and an exponential decay.

    .. math::

        \frac{dg}{dt} = -\frac{g}{\tau} + \sum_k w_k\, \delta(t - t_k),
        \qquad g(t) = \sum_{t_k \le t} w_k\, e^{-(t - t_k)/\tau}.

    The model is linear, so its state lives per postsynaptic neuron and is driven by the summed weights
    :math:`x = \sum_i w_{ij} s_i` of each step.  A step is exact: :math:`g \leftarrow (g + x)\, e^{-\Delta t/\tau}`,
    and the value delivered during the step is :math:`g + x` (the conductance just after the arrival).

    ``g`` has the unit of the weights: nS with ``bl.outputs.COBA`` (then :math:`g (E - V)` is in pA), or the
    post's current unit with ``bl.outputs.CUBA``.

    Example:
        >>> import brainlab as bl
        >>> one = bl.synapses.Expon(1, tau=5.0)                    # bound to one neuron, for a direct look
        >>> [round(float(one.update(t, 0.1, w)[0]), 4) for t, w in [(0.0, 1.0), (0.1, 0.0), (0.2, 0.0)]]
        [1.0, 0.9802, 0.9608]
        >>> syn = bl.synapses.Expon(tau=5.0)                       # unbound: the projection sizes it
        >>> E = bl.neurons.LIF(80)
        >>> proj = bl.Projection(E, E, bl.conn.FixedProb(0.02, seed=1), syn, bl.outputs.COBA(E=0.0), weight=0.6)
        >>> proj.syn.g.shape                                       # one conductance per postsynaptic neuron
        (80,)

    Limits: an infinitely fast rise (see :class:`DualExpon` or :class:`Alpha` for a finite one); events are
    aligned to the step grid.

    Reference: Dayan P, Abbott LF (2001) Theoretical Neuroscience, MIT Press, ch. 5.8; the COBA benchmark of
    Brette R et al. (2007) J Comput Neurosci 23:349-398 (tau = 5 ms excitatory, 10 ms inhibitory).
    """

    PARAMETERS = (Parameter("tau", 5.0, "ms", (1e-3, 1e5), "decay time constant"),)
    VARIABLES = (Variable("g", 0.0, "nS", "synaptic conductance (in the unit of the weights)"),)
    EQUATIONS = r"\frac{dg}{dt} = -\frac{g}{\tau} + \sum_k w_k\,\delta(t - t_k)"
    REFERENCE = (
        "Dayan P, Abbott LF (2001) Theoretical Neuroscience, MIT Press, ch. 5.8; Brette R et al. (2007) "
        "J Comput Neurosci 23:349-398"
    )
    DEFAULT_DT = 0.1
    STATE_ON = "post"

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        p = self._params_for("vector_field", params)
        return {"g": -state["g"] / p["tau"]}

    def arrive(self, x: Mapping[str, Any], events: Any, t: Any, dt: Any, params: Mapping[str, Any]) -> dict:
        return {"g": x["g"] + events}

    def exact_step(self, x: Mapping[str, Any], t: Any, dt: Any, params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        return {"g": x["g"] * decay(dt, params["tau"])}
