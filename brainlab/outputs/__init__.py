r"""Synaptic outputs: how a synapse model's conductance :math:`g` becomes a current onto its target.

=================== ===================================== =====================================================
:class:`CUBA`       :math:`I = g`                         weights in the target's current unit (pA, µA/cm²)
:class:`COBA`       :math:`I = g (E - V)`                 weights in nS (pA currents) or mS/cm² (µA/cm²)
:class:`MgBlock`    :math:`I = g B(V) (E - V)`            NMDA magnesium block (Jahr & Stevens 1990)
=================== ===================================== =====================================================

Pass one to a projection: ``bl.Projection(pre, post, conn, bl.synapses.Expon(), bl.outputs.COBA(E=0.), weight)``.
"""

from ._base import AbstractOutput
from ._coba import COBA
from ._cuba import CUBA
from ._mg_block import MgBlock

__all__ = ["AbstractOutput", "CUBA", "COBA", "MgBlock"]
