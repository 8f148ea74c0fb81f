r"""The delta synapse: every event is an instantaneous pulse."""

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from .._model import Variable
from ._base import AbstractSynapse

__all__ = ["Delta"]


class Delta(AbstractSynapse):
    r"""Delta synapse: each event delivers its weight as an instantaneous pulse.

    .. math::

        g(t) = \sum_k w_k\, \delta(t - t_k),

    which on a grid of step :math:`\Delta t` is the constant :math:`g = x / \Delta t` during the step in which the
    summed weights :math:`x` arrive (and 0 otherwise), so the integral of :math:`g` -- the delivered charge, or the
    conductance-time product -- equals the weight whatever :math:`\Delta t`.  With ``bl.outputs.CUBA()`` onto a
    LIF neuron (:math:`\tau \dot V = \dots + R I`) a weight :math:`w` in pA·ms moves the potential by
    :math:`R w / \tau` (e.g. 0.1 GΩ × 100 pA·ms / 10 ms = 1 mV) in the limit of small steps.

    The variable ``g`` holds the pulse delivered in the last step (the unit of the weights per ms).

    Example:
        >>> import brainlab as bl
        >>> pulse = bl.synapses.Delta(1)              # bound to one neuron, for a direct look
        >>> float(pulse.update(0.0, 0.1, 50.0)[0]), float(pulse.update(0.1, 0.1, 0.0)[0])   # 50 pA·ms arrive
        (500.0, 0.0)
        >>> pre, post = bl.neurons.LIF(80), bl.neurons.LIF(20)
        >>> proj = bl.Projection(pre, post, bl.conn.FixedProb(0.1, seed=0), bl.synapses.Delta(),
        ...                      bl.outputs.CUBA(), weight=50.0)        # 50 pA·ms per spike
        >>> proj.syn.g.shape
        (20,)

    Limits: the pulse is spread over one step; for a neuron integrated with a current held constant over the step
    the jump of the potential is exact only as :math:`\Delta t \to 0` (for the LIF with exponential Euler it is
    :math:`R w (1 - e^{-\Delta t/\tau}) / \Delta t`).

    Reference: Gerstner W, Kistler WM, Naud R, Paninski L (2014) Neuronal Dynamics, Cambridge University Press,
    ch. 1.3 (current pulses); the synapse of Brunel N (2000) J Comput Neurosci 8:183-208.
    """

    PARAMETERS = ()
    VARIABLES = (Variable("g", 0.0, "w/ms", "pulse delivered in the last step (weight per ms)"),)
    EQUATIONS = r"g(t) = \sum_k w_k\, \delta(t - t_k) \;\to\; g = x / \Delta t \text{ during the step of arrival}"
    REFERENCE = "Brunel N (2000) J Comput Neurosci 8:183-208"
    DEFAULT_DT = 0.1
    STATE_ON = "post"

    def vector_field(self, state: Mapping[str, Any], params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        return {"g": jnp.zeros_like(state["g"])}

    def arrive(self, x: Mapping[str, Any], events: Any, t: Any, dt: Any, params: Mapping[str, Any]) -> dict:
        return {"g": events / dt}

    def exact_step(self, x: Mapping[str, Any], t: Any, dt: Any, params: Mapping[str, Any], I: Any = 0.0) -> dict:  # noqa: E741
        return {"g": x["g"]}
