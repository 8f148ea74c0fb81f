r"""Conductance-based output with the voltage-dependent magnesium block of NMDA receptors."""

from typing import Any

import jax
import jax.numpy as jnp

from .._model import Parameter
from ._base import AbstractOutput

__all__ = ["MgBlock"]


class MgBlock(AbstractOutput):
    r"""NMDA output with the magnesium block of Jahr & Stevens (1990): :math:`I = g\, B(V)\, (E - V)`,

    .. math::

        B(V) = \frac{1}{1 + \dfrac{[\mathrm{Mg}^{2+}]_o}{\beta}\, e^{-\alpha V}},
        \qquad \alpha = 0.062\ \text{mV}^{-1},\; \beta = 3.57\ \text{mM}.

    :math:`B` rises from about 0.02 at -80 mV and 0.05 at -65 mV to 0.75 at 0 mV for 1.2 mM magnesium: NMDA
    current flows only when the postsynaptic cell is depolarised.  :meth:`block` gives :math:`B(V)`.

    Args:
        E: reversal potential (mV), 0 for NMDA receptors.
        cc_Mg: extracellular magnesium concentration (mM).
        alpha: voltage sensitivity of the block (1/mV).
        beta: magnesium concentration scale (mM).
        V: the name of the postsynaptic voltage variable (default ``'V'``).

    Example:
        >>> import brainlab as bl
        >>> mg = bl.outputs.MgBlock(E=0.0, cc_Mg=1.2)
        >>> round(float(mg.block(-65.0)), 4)
        0.0502

    Limits: the block is instantaneous (no unblocking kinetics).

    Reference: Jahr CE, Stevens CF (1990) J Neurosci 10:3178-3182 (voltage dependence); the same constants in
    Brunel N, Wang XJ (2001) J Comput Neurosci 11:63-85.
    """

    EQUATIONS = (r"I = g\,B(V)\,(E - V),\quad B(V) = \left(1 + \frac{[\mathrm{Mg}^{2+}]_o}{\beta}"
                 r" e^{-\alpha V}\right)^{-1}")
    REFERENCE = "Jahr CE, Stevens CF (1990) J Neurosci 10:3178-3182"
    PARAMETERS = (
        Parameter("E", 0.0, "mV", (-200.0, 200.0), "reversal potential"),
        Parameter("cc_Mg", 1.2, "mM", (0.0, 100.0), "extracellular magnesium concentration"),
        Parameter("alpha", 0.062, "1/mV", (0.0, 10.0), "voltage sensitivity of the block"),
        Parameter("beta", 3.57, "mM", (1e-6, 1e3), "magnesium concentration scale of the block"),
    )
    NEEDS_VOLTAGE = True

    def block(self, V: Any) -> jax.Array:
        r"""The unblocked fraction :math:`B(V)` at membrane potential ``V`` (mV)."""
        V = jnp.asarray(V)
        return 1.0 / (1.0 + self.cc_Mg.value / self.beta.value * jnp.exp(-self.alpha.value * V))

    def current(self, g: Any, V: Any = None) -> jax.Array:
        return g * self.block(V) * (self.E.value - V)
