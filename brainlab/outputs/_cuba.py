r"""Current-based output: the synaptic variable is the current."""

from typing import Any

import jax
import jax.numpy as jnp

from ._base import AbstractOutput

__all__ = ["CUBA"]


class CUBA(AbstractOutput):
    r"""Current-based synapses: :math:`I = g`.

    The synaptic variable is added to the postsynaptic current as it is, so the weights are in the
    postsynaptic model's current unit (pA for ``bl.neurons.LIF``, µA/cm² for ``bl.neurons.HH``) -- or in that
    unit × ms for ``bl.synapses.Delta`` (a charge per spike).  The response does not depend on the
    postsynaptic potential.

    Example:
        >>> import brainlab as bl
        >>> float(bl.outputs.CUBA().current(20.0, -65.0))   # the synaptic variable is the current, whatever V
        20.0
        >>> E = bl.neurons.LIF(80); I = bl.neurons.LIF(20)
        >>> proj = bl.Projection(E, I, bl.conn.FixedProb(0.1, seed=0), bl.synapses.Expon(tau=5.), bl.outputs.CUBA(),
        ...                      weight=20.0)           # 20 pA peak current per spike
        >>> proj.nnz
        145

    Limits: no reversal potential, so the current does not shrink as the potential approaches it (use
    :class:`COBA` for that).

    Reference: Brette R et al. (2007) J Comput Neurosci 23:349-398 (the CUBA benchmark).
    """

    EQUATIONS = r"I = g"
    REFERENCE = "Brette R et al. (2007) J Comput Neurosci 23:349-398"

    def current(self, g: Any, V: Any = None) -> jax.Array:
        return jnp.asarray(g)
