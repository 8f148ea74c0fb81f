"""Dynamics analysis: spike statistics, phase planes, continuation and bifurcations, slow points.

Results are plain data (numpy arrays and dataclasses) with a ``plot()`` that returns a bokeh figure.
"""

from ._correlations import (
    Synchrony,
    autocorrelogram,
    correlogram,
    synchrony_index,
    trace_synchrony,
    van_rossum_distance,
)
from ._intervals import InterSpikeIntervals, cv_isi, isi, isi_histogram
from ._rates import fano_factor, firing_rates, population_rate
from ._spectra import power_spectrum
from ._spikes import NeuronStatistic, SpikeTrains, spikes_from_raster
