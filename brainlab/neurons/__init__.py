r"""The neuron library: spiking and rate models, each declaring its equations, parameters and citation once.

Every model is a :class:`~brainlab.engine.Module` built as ``Model(size, *, method=None, name=None, **params)``;
parameters are ``ParamState``\ s (change them by plain assignment, ``neuron.gNa = 100.``, without recompiling),
variables are ``HiddenState``\ s, and ``update(t, dt, I)`` advances one step.  ``vector_field(state, params, I)``
is the pure right-hand side used by the analysis tools.

============================ =========================================================================
spiking, integrate-and-fire  :class:`LIF`, :class:`ExpIF`, :class:`AdEx`, :class:`QIF`, :class:`Izhikevich`
spiking, conductance-based   :class:`HH`, :class:`TraubMiles`, :class:`WangBuzsaki`, :class:`MorrisLecar`
spiking, dimensionless       :class:`FHN`, :class:`HindmarshRose`
rate models                  :class:`WilsonCowan`, :class:`ThresholdLinear`, :class:`WongWang`
surrogate gradients          :func:`spike_fn`, :class:`Sigmoid`, :class:`FastSigmoid`, :class:`Arctan`,
                             :class:`Triangle`, :class:`Gaussian`, :class:`MultiGaussian`
============================ =========================================================================
"""

from ._base import AbstractNeuron
from ._exponential import AdEx, ExpIF
from ._fitzhugh_nagumo import FHN
from ._hh import HH
from ._hindmarsh_rose import HindmarshRose
from ._izhikevich import Izhikevich
from ._lif import LIF
from ._morris_lecar import MorrisLecar
from ._qif import QIF
from ._rate import ThresholdLinear, WilsonCowan
from ._surrogate import SURROGATES, Arctan, FastSigmoid, Gaussian, MultiGaussian, Sigmoid, Surrogate, Triangle, spike_fn
from ._traub_miles import TraubMiles
from ._wang_buzsaki import WangBuzsaki
from ._wong_wang import WongWang

__all__ = [
    "AbstractNeuron",
    "LIF",
    "ExpIF",
    "AdEx",
    "QIF",
    "Izhikevich",
    "HH",
    "TraubMiles",
    "WangBuzsaki",
    "MorrisLecar",
    "FHN",
    "HindmarshRose",
    "WilsonCowan",
    "ThresholdLinear",
    "WongWang",
    "spike_fn",
    "Surrogate",
    "Sigmoid",
    "FastSigmoid",
    "Triangle",
    "Arctan",
    "Gaussian",
    "MultiGaussian",
    "SURROGATES",
]
