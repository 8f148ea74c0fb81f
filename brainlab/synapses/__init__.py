r"""The synapse library: event-driven conductance models and short-term plasticity, each declared once.

Every model is an :class:`AbstractSynapse` (a :class:`~brainlab.engine.Module` listed by :func:`brainlab.catalog`
with kind ``'synapse'``).  Build one without a size to hand it to a projection, which sizes it
(``bl.Projection(pre, post, conn, bl.synapses.Expon(tau=5.), bl.outputs.COBA(E=0.), weight=0.6)``), or with a
size to use it standalone (``syn.update(t, dt, x)``).

========================== ==================================================================================
linear, state per post     :class:`Delta`, :class:`Expon`, :class:`DualExpon`, :class:`Alpha` (exact steps)
receptor kinetics, per pre :class:`AMPA`, :class:`GABAa`, :class:`NMDA` (with ``bl.outputs.MgBlock``)
short-term plasticity      :class:`STP` (Tsodyks-Markram), :class:`STD` (depression only); ``stp=`` of a projection
========================== ==================================================================================
"""

from ._alpha import Alpha
from ._base import AbstractShortTermPlasticity, AbstractSynapse
from ._delta import Delta
from ._dual_exponential import DualExpon, dual_exp_peak_time
from ._exponential import Expon
from ._kinetic import AMPA, NMDA, AbstractTransmitterSynapse, GABAa
from ._short_term import STD, STP, std_steady_state, stp_steady_state

__all__ = [
    "AbstractSynapse",
    "AbstractShortTermPlasticity",
    "AbstractTransmitterSynapse",
    "Delta",
    "Expon",
    "DualExpon",
    "Alpha",
    "AMPA",
    "GABAa",
    "NMDA",
    "STP",
    "STD",
    "dual_exp_peak_time",
    "stp_steady_state",
    "std_steady_state",
]
