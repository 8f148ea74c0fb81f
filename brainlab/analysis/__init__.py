"""Dynamics analysis: spike statistics, phase planes, continuation and bifurcations, slow points.

Results are plain data (numpy arrays and frozen dataclasses) with a ``plot()`` that returns a bokeh figure (bokeh
is imported only when a figure is drawn).  Every dynamical analysis accepts a plain function
``f(v, w, I=0.5, ...)`` (positional arguments: state variables; keyword arguments: parameters), a brainlab model
(``bl.neurons.HH(1)``: its state variables and every declared parameter, ``I_ext`` included) or a :class:`System`,
and computes in float64 internally, whatever the global JAX setting.

Phase planes (one or two displayed variables, or a 2D slice of a larger model):
    :class:`PhasePlane` and its results :class:`VectorField`, :class:`Nullclines`, :class:`FixedPoint`,
    :class:`FixedPoints`, :class:`Trajectory`, :class:`LimitCycle`, :class:`Separatrix`, :class:`Separatrices`,
    :class:`PhasePortrait`; :func:`classify_equilibrium`.
Continuation and bifurcations:
    :class:`Continuation` (equilibria in one parameter, limit cycles from a Hopf point, fold and Hopf curves in
    two), its results :class:`Branch`, :class:`SpecialPoint`, :class:`Codim2Branch`, :class:`CycleBranch`,
    :class:`CycleSpecialPoint`; lower-level :func:`continue_cycles_from_hopf`, :func:`continue_cycles` (from a
    simulated cycle) and :func:`cycle_from_trajectory`.
Bursting and high-dimensional systems:
    :func:`fast_slow_analysis` (:class:`FastSlowResult`, :class:`FastSubsystemPoint`), :func:`find_slow_points`
    (:class:`SlowPoints`).
Spike statistics:
    :class:`SpikeTrains`, :func:`firing_rates`, :func:`isi`, :func:`cv_isi`, :func:`fano_factor`,
    :func:`power_spectrum`, :func:`correlogram` ...

For integrate-and-fire models (LIF, ExpIF, AdEx, QIF, Izhikevich) threshold and reset are not part of the vector
field: their analysis concerns the subthreshold dynamics (see :attr:`System.note`).
"""

import importlib
from typing import Any

from ._branch import Branch, Codim2Branch, SpecialPoint
from ._classify import classify_equilibrium
from ._continuation import Continuation
from ._correlations import (
    Synchrony,
    autocorrelogram,
    correlogram,
    synchrony_index,
    trace_synchrony,
    van_rossum_distance,
)
from ._intervals import InterSpikeIntervals, cv_isi, isi, isi_histogram
from ._phase_plane import PhasePlane
from ._phase_results import (
    FixedPoint,
    FixedPoints,
    LimitCycle,
    Nullclines,
    PhasePortrait,
    Separatrices,
    Separatrix,
    Trajectory,
    VectorField,
)
from ._rates import fano_factor, firing_rates, population_rate
from ._slow_points import SlowPoints, find_slow_points
from ._spectra import power_spectrum
from ._spikes import NeuronStatistic, SpikeTrains, spikes_from_raster
from ._system import System, as_system

# Periodic orbits need scipy.sparse (a large import): load those names on first use.
_LAZY = {
    "CycleBranch": "_periodic",
    "CycleSpecialPoint": "_periodic",
    "continue_cycles": "_periodic",
    "continue_cycles_from_hopf": "_periodic",
    "cycle_from_trajectory": "_periodic",
    "FastSlowResult": "_fast_slow",
    "FastSubsystemPoint": "_fast_slow",
    "fast_slow_analysis": "_fast_slow",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    # phase planes
    "PhasePlane",
    "VectorField",
    "Nullclines",
    "FixedPoint",
    "FixedPoints",
    "Trajectory",
    "LimitCycle",
    "Separatrix",
    "Separatrices",
    "PhasePortrait",
    "classify_equilibrium",
    # systems
    "System",
    "as_system",
    # continuation
    "Continuation",
    "Branch",
    "SpecialPoint",
    "Codim2Branch",
    "CycleBranch",
    "CycleSpecialPoint",
    "continue_cycles",
    "continue_cycles_from_hopf",
    "cycle_from_trajectory",
    # bursting, slow points
    "FastSlowResult",
    "FastSubsystemPoint",
    "fast_slow_analysis",
    "SlowPoints",
    "find_slow_points",
    # spike statistics
    "SpikeTrains",
    "NeuronStatistic",
    "spikes_from_raster",
    "firing_rates",
    "population_rate",
    "fano_factor",
    "isi",
    "cv_isi",
    "isi_histogram",
    "InterSpikeIntervals",
    "power_spectrum",
    "correlogram",
    "autocorrelogram",
    "synchrony_index",
    "trace_synchrony",
    "van_rossum_distance",
    "Synchrony",
]
