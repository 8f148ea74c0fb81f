"""Firing rates and spike-count variability: per-neuron rates, the population rate, the Fano factor.

Spike conventions (sparse ``times``/``indices``, windows, bins) are those of :mod:`._spikes`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from ._spikes import (NeuronStatistic, as_spikes, as_times, check_choice, check_n_neurons, check_positive,
                      check_window, n_full_bins, neuron_statistic, window_guard)

__all__ = ["firing_rates", "population_rate", "fano_factor"]


def firing_rates(times: Any, indices: Any, n_neurons: int, t_window: tuple[float, float]) -> np.ndarray:
    r"""Mean firing rate of each neuron over the window (Hz).

    .. math:: \nu_i = \frac{N_i}{T} \cdot 1000, \qquad T = t_\text{stop} - t_\text{start}\ \text{(ms)},

    with :math:`N_i` the number of spikes of neuron *i* with :math:`t_\text{start} \le t < t_\text{stop}`.

    Args:
        times: spike times (ms), shape ``[n_spikes]``.
        indices: neuron id of each spike, shape ``[n_spikes]``, in ``[0, n_neurons)``.
        n_neurons: population size.
        t_window: ``(t_start, t_stop)`` in ms; spikes outside are ignored.

    Returns:
        float64 array ``[n_neurons]`` of rates in Hz.

    Example:
        >>> firing_rates([1., 2., 3., 500.], [0, 0, 1, 0], n_neurons=3, t_window=(0., 1000.))
        array([3., 1., 0.])

    Limits: the estimate is a plain count over the window; its standard error for a Poisson neuron is
    :math:`\sqrt{\nu/T}`.  One O(n_spikes) pass (numba).
    """
    owner = "firing_rates"
    t, i, n = as_spikes(owner, times, indices, n_neurons)
    t0, t1 = check_window(owner, t_window)
    from ._spike_kernels import count_per_neuron

    counts = count_per_neuron(t, i, n, t0, t1)
    return counts * (1000.0 / (t1 - t0))


def _kernel(smooth: str, width_ms: float, bin_ms: float) -> np.ndarray:
    """Discrete smoothing kernel on the bin grid, odd length, summing to 1."""
    if smooth == "gaussian":
        h = max(1, math.ceil(4.0 * width_ms / bin_ms))
        x = np.arange(-h, h + 1) * bin_ms
        k = np.exp(-0.5 * (x / width_ms) ** 2)
    else:  # box
        m = max(1, int(round(width_ms / bin_ms)))
        if m % 2 == 0:
            m += 1
        k = np.ones(m)
    return k / k.sum()


def population_rate(times: Any, t_window: tuple[float, float], n_neurons: int, bin_ms: float = 1.0,
                    smooth: Literal["gaussian", "box"] | None = None,
                    width_ms: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Population firing rate: spikes of all neurons per bin, per neuron, per second (Hz).

    .. math:: r_k = \frac{C_k}{N\,\Delta} \cdot 1000,

    with :math:`C_k` the number of spikes in bin *k* (width :math:`\Delta` = ``bin_ms``) and *N* = ``n_neurons``.
    With ``smooth``, :math:`r` is convolved with a kernel :math:`K` summing to one — ``'gaussian'``:
    :math:`K_j \propto e^{-(j\Delta)^2 / 2\sigma^2}`, :math:`\sigma` = ``width_ms``, cut at :math:`\pm 4\sigma`;
    ``'box'``: a moving average over ``width_ms`` (rounded to an odd number of bins) — and edge-corrected,

    .. math:: \tilde r = \frac{K * r}{K * \mathbf 1},

    so that the kernel's mass falling outside the window does not bias the rate down near the edges.

    Args:
        times: spike times of the whole population (ms), shape ``[n_spikes]`` (neuron ids are not needed).
        t_window: ``(t_start, t_stop)`` in ms; only full bins inside it are used.
        n_neurons: population size *N* (the rate is per neuron).
        bin_ms: bin width (ms).
        smooth: ``None`` (raw histogram), ``'gaussian'`` or ``'box'``.
        width_ms: Gaussian standard deviation, or box full width (ms); used only with ``smooth``.

    Returns:
        ``(centres, rate)``: bin centres (ms) and the rate (Hz), both ``[n_bins]``.

    Example:
        >>> t, r = population_rate([0.5, 0.7, 2.2], t_window=(0., 4.), n_neurons=2, bin_ms=1.)
        >>> t, r
        (array([0.5, 1.5, 2.5, 3.5]), array([1000.,    0.,  500.,    0.]))

    Limits: a rate from one trial is noisy (Poisson standard error :math:`\sqrt{r/(N\Delta)}`); smoothing trades
    that noise for temporal resolution.  Binning is one O(n_spikes) pass (numba); smoothing is a convolution
    (direct or FFT, chosen by scipy).
    """
    owner = "population_rate"
    t = as_times(owner, times)
    n = check_n_neurons(owner, n_neurons)
    t0, t1 = check_window(owner, t_window)
    bin_ms = check_positive(owner, "bin_ms", bin_ms)
    check_choice(owner, "smooth", smooth, (None, "gaussian", "box"))
    nb = n_full_bins(owner, (t0, t1), bin_ms)
    from ._spike_kernels import histogram_uniform

    counts = histogram_uniform(t, t0, bin_ms, nb, window_guard((t0, t1), bin_ms))
    rate = counts * (1000.0 / (n * bin_ms))
    if smooth is not None:
        width_ms = check_positive(owner, "width_ms", width_ms)
        import scipy.signal

        k = _kernel(smooth, width_ms, bin_ms)
        num = scipy.signal.convolve(rate, k, mode="same")
        den = scipy.signal.convolve(np.ones(nb), k, mode="same")
        rate = num / den
    centres = t0 + (np.arange(nb) + 0.5) * bin_ms
    return centres, rate


def fano_factor(times: Any, indices: Any, n_neurons: int, t_window: tuple[float, float], bin_ms: float,
                min_spikes: int = 1) -> NeuronStatistic:
    r"""Fano factor of each neuron's spike counts in bins of ``bin_ms``.

    .. math:: F_i = \frac{\operatorname{Var}_k[C_{ik}]}{\operatorname{E}_k[C_{ik}]},

    where :math:`C_{ik}` is the count of neuron *i* in bin *k*, over the :math:`K` full bins of the window, with
    the unbiased variance :math:`\frac{1}{K-1}\sum_k (C_{ik} - \bar C_i)^2`.  A Poisson process has
    :math:`F = 1` for every bin width; a perfectly regular train has :math:`F \to 0` (exactly 0 when the bin is a
    multiple of its period).

    Args:
        times, indices, n_neurons: spikes (ms, neuron ids) and population size.
        t_window: ``(t_start, t_stop)`` in ms.
        bin_ms: counting window (ms); needs at least two full bins in ``t_window``.
        min_spikes: neurons with fewer spikes in the window are excluded (``nan``).

    Returns:
        :class:`NeuronStatistic`: ``values`` per neuron (``nan`` if excluded) and their ``mean``.

    Example:
        >>> F = fano_factor([5., 15., 25., 35.], [0, 0, 0, 0], 1, (0., 40.), bin_ms=20.)
        >>> F.values
        array([0.])

    Limits: with *K* bins the estimate of a Poisson neuron's *F* has standard error about
    :math:`\sqrt{2/(K-1)}`; counts are taken in consecutive (non-overlapping) bins of a single trial, so slow rate
    drifts inflate *F*.  Cost O(n_spikes + n_neurons) after a per-neuron grouping (numba).
    """
    owner = "fano_factor"
    t, i, n = as_spikes(owner, times, indices, n_neurons)
    t0, t1 = check_window(owner, t_window)
    bin_ms = check_positive(owner, "bin_ms", bin_ms)
    nb = n_full_bins(owner, (t0, t1), bin_ms)
    if nb < 2:
        raise ValueError(f"{owner}: bin_ms={bin_ms:g} ms leaves {nb} full bin in the window {t1 - t0:g} ms; the "
                         f"variance needs at least 2. Pass a smaller bin_ms.")
    if int(min_spikes) < 1:
        raise ValueError(f"{owner}: min_spikes must be >= 1; got {min_spikes}.")
    from ._spike_kernels import count_moments, group_by_neuron

    grouped, offsets = group_by_neuron(t, i, n)
    s1, s2 = count_moments(grouped, offsets, t0, bin_ms, nb, window_guard((t0, t1), bin_ms))
    mean = s1 / nb
    var = np.maximum(s2 - s1 * s1 / nb, 0.0) / (nb - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(s1 >= int(min_spikes), var / np.where(mean > 0, mean, 1.0), np.nan)
    return neuron_statistic(values, "Fano factor")
