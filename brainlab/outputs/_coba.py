r"""Conductance-based output: the current is driven by the distance to a reversal potential."""

from typing import Any

import jax

from .._model import Parameter
from ._base import AbstractOutput

__all__ = ["COBA"]


class COBA(AbstractOutput):
    r"""Conductance-based synapses: :math:`I = g\,(E - V)`.

    With :math:`g` in nS and potentials in mV the current is in pA (the unit of ``bl.neurons.LIF``); with
    :math:`g` in mS/cm² it is in µA/cm² (the unit of ``bl.neurons.HH``).  The postsynaptic potential :math:`V`
    is read at the start of the step, before the population is updated.

    Args:
        E: the reversal potential (mV): about 0 mV for AMPA/NMDA, -80 mV for GABA_A, -95 mV for GABA_B.
        V: the name of the postsynaptic voltage variable (default ``'V'``).

    Example:
        >>> import brainlab as bl
        >>> gaba = bl.outputs.COBA(E=-80.0)
        >>> float(gaba.current(6.7, -65.0))       # 6.7 nS at V = -65 mV: 6.7 nS * (-80 mV + 65 mV), in pA
        -100.5
        >>> E = bl.neurons.LIF(80); I = bl.neurons.LIF(20)
        >>> proj = bl.Projection(I, E, bl.conn.FixedProb(0.02, seed=2), bl.synapses.Expon(tau=10.), gaba,
        ...                      weight=6.7)      # 6.7 nS inhibitory synapses
        >>> proj.nnz
        33

    Limits: the current is computed with :math:`V` held over the step (first order in :math:`\Delta t`).

    Reference: Brette R et al. (2007) J Comput Neurosci 23:349-398 (the COBA benchmark).
    """

    EQUATIONS = r"I = g\,(E - V)"
    REFERENCE = "Brette R et al. (2007) J Comput Neurosci 23:349-398"
    PARAMETERS = (Parameter("E", 0.0, "mV", (-200.0, 200.0), "reversal potential"),)
    NEEDS_VOLTAGE = True

    def current(self, g: Any, V: Any = None) -> jax.Array:
        return g * (self.E.value - V)
