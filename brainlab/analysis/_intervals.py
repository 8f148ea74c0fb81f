"""Inter-spike intervals: per-neuron ISIs, their coefficient of variation, and the pooled ISI histogram.

Spike conventions (sparse ``times``/``indices``) are those of :mod:`._spikes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._spikes import NeuronStatistic, as_spikes, check_positive, edge_guard, neuron_statistic, ratio_floor

__all__ = ["InterSpikeIntervals", "isi", "cv_isi", "isi_histogram"]


@dataclass(frozen=True, eq=False)
class InterSpikeIntervals:
    """Inter-spike intervals of a population, grouped by neuron (CSR layout).

    Attributes:
        intervals: all ISIs (ms), float64; neuron ``k``'s are ``intervals[offsets[k]:offsets[k+1]]`` in time
            order.  Pooled over neurons this is the whole array.
        offsets: int64 ``[n_neurons + 1]``.
    """

    intervals: np.ndarray
    offsets: np.ndarray

    @property
    def n_neurons(self) -> int:
        return int(self.offsets.shape[0] - 1)

    @property
    def counts(self) -> np.ndarray:
        """Number of ISIs of each neuron (its spike count minus one, or 0)."""
        return np.diff(self.offsets)

    def of(self, neuron: int) -> np.ndarray:
        """The ISIs of one neuron (ms), in time order."""
        k = int(neuron)
        if not 0 <= k < self.n_neurons:
            raise IndexError(f"InterSpikeIntervals.of: neuron {neuron} is outside [0, {self.n_neurons}).")
        return self.intervals[self.offsets[k]:self.offsets[k + 1]]

    def __repr__(self) -> str:
        return f"InterSpikeIntervals({self.intervals.shape[0]} intervals of {self.n_neurons} neurons)"


def isi(times: Any, indices: Any, n_neurons: int) -> InterSpikeIntervals:
    r"""Inter-spike intervals of every neuron.

    For neuron *i* with sorted spike times :math:`t^i_1 < \dots < t^i_{n_i}`, the ISIs are
    :math:`\tau^i_k = t^i_{k+1} - t^i_k` (ms), :math:`k = 1 \dots n_i - 1`.

    Args:
        times: spike times (ms), ``[n_spikes]``, in any order.
        indices: neuron id of each spike, ``[n_spikes]``.
        n_neurons: population size.

    Returns:
        :class:`InterSpikeIntervals` (``.intervals`` pooled, ``.of(i)`` per neuron).

    Example:
        >>> s = isi([0., 10., 30., 5., 6.], [0, 0, 0, 1, 1], n_neurons=2)
        >>> s.of(0), s.of(1)
        (array([10., 20.]), array([1.]))

    Limits: intervals are between consecutive recorded spikes; the censored intervals before the first and after
    the last spike of the window are not included, which biases long ISIs down in short recordings.
    Cost O(n_spikes + n_neurons) for time-sorted input (numba), O(n log n) otherwise.
    """
    return _isi("isi", times, indices, n_neurons)[0]


def _isi(owner: str, times: Any, indices: Any, n_neurons: int) -> tuple[InterSpikeIntervals, float]:
    """The ISIs and the largest spike-time magnitude (the scale of their round-off)."""
    t, i, n = as_spikes(owner, times, indices, n_neurons)
    from ._spike_kernels import group_by_neuron, intervals

    grouped, offsets = group_by_neuron(t, i, n)
    ivals, ioffsets = intervals(grouped, offsets)
    return InterSpikeIntervals(intervals=ivals, offsets=ioffsets), float(np.abs(t).max(initial=0.0))


def cv_isi(times: Any, indices: Any, n_neurons: int, min_spikes: int = 3) -> NeuronStatistic:
    r"""Coefficient of variation of each neuron's inter-spike intervals.

    .. math:: \mathrm{CV}_i = \frac{\sqrt{\frac{1}{n-1}\sum_k (\tau_k - \bar\tau)^2}}{\bar\tau},

    over the *n* ISIs :math:`\tau_k` of neuron *i* (see :func:`isi`).  Poisson trains have CV = 1, gamma-process
    trains of shape *k* have :math:`\mathrm{CV} = 1/\sqrt{k}`, a regular train has CV = 0.

    Args:
        times, indices, n_neurons: spikes and population size.
        min_spikes: neurons with fewer spikes are excluded (``nan``); at least 3 (two ISIs) is required.

    Returns:
        :class:`NeuronStatistic`; ``mean`` is the average CV over neurons with at least ``min_spikes`` spikes.

    Example:
        >>> cv_isi([0., 10., 20., 30.], [0, 0, 0, 0], n_neurons=1).values
        array([0.])

    Limits: CV from *n* exponential ISIs has a small downward bias and a standard error near
    :math:`1/\sqrt{n}`; non-stationary rates inflate CV (use CV2 or local measures for those, not provided here).
    """
    owner = "cv_isi"
    if int(min_spikes) < 3:
        raise ValueError(f"{owner}: min_spikes must be >= 3 (two intervals are needed for a standard deviation); "
                         f"got {min_spikes}.")
    s, _ = _isi(owner, times, indices, n_neurons)
    from ._spike_kernels import segment_cv

    values = segment_cv(s.intervals, s.offsets, int(min_spikes) - 1)
    return neuron_statistic(values, "CV of ISI")


def isi_histogram(times: Any, indices: Any, n_neurons: int, bin_ms: float = 1.0, max_isi_ms: float | None = None,
                  density: bool = False) -> tuple[np.ndarray, np.ndarray]:
    r"""Histogram of the inter-spike intervals of all neurons, pooled.

    Bin *k* covers :math:`[k\Delta, (k+1)\Delta)` with :math:`\Delta` = ``bin_ms``, up to ``max_isi_ms``.  With
    ``density=True`` the counts are divided by :math:`n_\text{ISI}\,\Delta`, :math:`n_\text{ISI}` the number of
    *all* ISIs, giving an estimate of the ISI probability density :math:`p(\tau)` (1/ms) — for a Poisson neuron of
    rate :math:`\nu`, :math:`p(\tau) = \nu e^{-\nu\tau}`.

    Args:
        times, indices, n_neurons: spikes and population size.
        bin_ms: bin width (ms).
        max_isi_ms: upper end of the histogram (ms); ``None`` covers the longest ISI.  Longer ISIs are left out of
            the bins but still count in the density's normaliser.
        density: counts (``False``) or probability density in 1/ms (``True``).

    Returns:
        ``(centres, values)``: bin centres (ms) and counts or density, both ``[n_bins]``.

    Example:
        >>> c, h = isi_histogram([0., 1.5, 2., 4.], [0, 0, 0, 0], 1, bin_ms=1., max_isi_ms=3.)
        >>> c, h
        (array([0.5, 1.5, 2.5]), array([1, 1, 1]))

    Limits: linear bins only; pooling mixes neurons of different rates (use :func:`isi` for per-neuron ISIs).
    """
    owner = "isi_histogram"
    bin_ms = check_positive(owner, "bin_ms", bin_ms)
    s, scale = _isi(owner, times, indices, n_neurons)  # ISIs are differences of times up to `scale` in size
    if max_isi_ms is None:
        top = float(s.intervals.max()) if s.intervals.size else bin_ms
        nb = max(1, math.floor(top / bin_ms) + 1)
    else:
        max_isi_ms = check_positive(owner, "max_isi_ms", max_isi_ms)
        nb = max(1, ratio_floor(max_isi_ms, bin_ms))
    from ._spike_kernels import histogram_uniform

    counts = histogram_uniform(s.intervals, 0.0, bin_ms, nb, edge_guard(2 * scale, bin_ms))
    centres = (np.arange(nb) + 0.5) * bin_ms
    if density:
        total = s.intervals.shape[0]
        return centres, counts / (total * bin_ms) if total else np.zeros(nb)
    return centres, counts
