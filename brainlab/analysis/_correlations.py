"""Spike-train correlations: cross/auto-correlograms, Golomb's synchrony measure, the van Rossum distance.

Spike conventions (sparse ``times``/``indices``, windows, bins) are those of :mod:`._spikes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._spikes import (as_spikes, as_times, check_choice, check_positive, check_window, edge_guard, n_full_bins,
                      ratio_floor, window_guard)

__all__ = ["correlogram", "autocorrelogram", "Synchrony", "synchrony_index", "trace_synchrony",
           "van_rossum_distance"]

Normalize = Literal["count", "rate", "expected"]


def _sorted(t: np.ndarray) -> np.ndarray:
    from ._spike_kernels import is_sorted

    return t if is_sorted(t) else np.sort(t)


def _in_window(t: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
    return t if window is None else t[(t >= window[0]) & (t < window[1])]


def _expected_pairs(lags: np.ndarray, bin_ms: float, n_pairs: float, T: float) -> np.ndarray:
    """``n_pairs / T**2 * integral over each lag bin of (T - |s|) ds`` (pairs expected for independent trains)."""

    def F(s: np.ndarray) -> np.ndarray:  # antiderivative of |s|
        return np.sign(s) * s * s / 2.0

    lo, hi = lags - bin_ms / 2, lags + bin_ms / 2
    return n_pairs / T**2 * (T * bin_ms - (F(hi) - F(lo)))


def _correlogram(owner: str, a: Any, b: Any | None, bin_ms: float, max_lag_ms: float, normalize: str,
                 t_window: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    ta = as_times(owner, a, "times_a" if b is not None else "times")
    tb = as_times(owner, b, "times_b") if b is not None else ta
    bin_ms = check_positive(owner, "bin_ms", bin_ms)
    max_lag_ms = float(max_lag_ms)
    if not (max_lag_ms >= 0 and math.isfinite(max_lag_ms)):
        raise ValueError(f"{owner}: max_lag_ms must be a finite number >= 0 (ms); got {max_lag_ms!r}.")
    check_choice(owner, "normalize", normalize, ("count", "rate", "expected"))
    window = check_window(owner, t_window) if t_window is not None else None
    m = ratio_floor(max_lag_ms, bin_ms)
    n_bins = 2 * m + 1
    lo = -(m + 0.5) * bin_ms
    ta = _sorted(_in_window(ta, window))
    tb = ta if b is None else _sorted(_in_window(tb, window))
    from ._spike_kernels import cross_counts

    scale = max(np.abs(ta).max(initial=0.0), np.abs(tb).max(initial=0.0))
    guard = edge_guard(2 * scale + abs(lo), bin_ms)  # delays b - a and their offset by lo
    counts = cross_counts(ta, tb, lo, bin_ms, n_bins, b is None, guard)
    lags = np.arange(-m, m + 1) * bin_ms
    na, nb = ta.shape[0], tb.shape[0]
    if normalize == "count":
        return lags, counts
    if normalize == "rate":
        with np.errstate(invalid="ignore", divide="ignore"):
            return lags, counts / (na * bin_ms / 1000.0)
    if window is None:
        raise ValueError(f"{owner}: normalize='expected' needs the recording window; pass t_window=(t_start, "
                         f"t_stop) in ms.")
    T = window[1] - window[0]
    if (m + 0.5) * bin_ms >= T:
        raise ValueError(f"{owner}: max_lag_ms={max_lag_ms:g} ms reaches beyond the window ({T:g} ms); pass a "
                         f"smaller max_lag_ms with normalize='expected'.")
    n_pairs = float(na) * (na - 1) if b is None else float(na) * nb
    expected = _expected_pairs(lags, bin_ms, n_pairs, T)
    with np.errstate(invalid="ignore", divide="ignore"):
        return lags, counts / expected


def correlogram(times_a: Any, times_b: Any, bin_ms: float, max_lag_ms: float, normalize: Normalize = "count",
                t_window: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Cross-correlogram of two spike trains: the histogram of delays :math:`t^b_j - t^a_i` over all pairs.

    .. math:: C(\tau_k) = \#\{(i, j) : \tau_k - \Delta/2 \le t^b_j - t^a_i < \tau_k + \Delta/2\},
              \qquad \tau_k = k\Delta,\ k = -m \dots m,

    with :math:`\Delta` = ``bin_ms`` and :math:`m = \lfloor \text{max\_lag\_ms}/\Delta \rfloor`.  **Sign
    convention**: a peak at :math:`\tau > 0` means *b* fires :math:`\tau` ms *after* *a* (``times_b = times_a + 5``
    peaks at +5 ms).  ``normalize``:

    * ``'count'``: the pair counts :math:`C`;
    * ``'rate'``: :math:`C / (n_a \Delta)` in Hz, the rate of *b* at lag :math:`\tau` after a spike of *a*
      (tends to *b*'s mean rate for independent trains, times :math:`1 - |\tau|/T`);
    * ``'expected'``: :math:`C` over its expectation for independent trains given the counts,
      :math:`\frac{n_a n_b}{T^2}\int_{\text{bin}} (T - |s|)\,ds` (needs ``t_window``); 1 means uncorrelated.

    Args:
        times_a, times_b: spike times (ms) of the reference and target trains, any order.
        bin_ms: bin width (ms); bins are centred on multiples of ``bin_ms``.
        max_lag_ms: largest lag shown (ms).
        normalize: ``'count'``, ``'rate'`` or ``'expected'``.
        t_window: ``(t_start, t_stop)`` (ms); when given, only spikes inside are used.

    Returns:
        ``(lags, values)``: lags (ms) and the correlogram, both ``[2m + 1]``.

    Example:
        >>> lags, c = correlogram([10., 50.], [15., 52.], bin_ms=1., max_lag_ms=6.)
        >>> lags[c > 0], c[c > 0]
        (array([2., 5.]), array([1, 1]))

    Limits: counts from one recording; for trains of rates :math:`\nu_a, \nu_b` the count per bin is roughly
    Poisson with mean :math:`\nu_a\nu_b\Delta T`.  Cost O(n_a log n_a + n_b log n_b) to sort (skipped if sorted)
    plus a two-pointer sweep O(n_a + n_b + pairs within the lag range) (numba) — never all pairs.
    """
    return _correlogram("correlogram", times_a, times_b, bin_ms, max_lag_ms, normalize, t_window)


def autocorrelogram(times: Any, bin_ms: float, max_lag_ms: float, normalize: Normalize = "count",
                    t_window: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Autocorrelogram of one spike train: :func:`correlogram` of the train with itself, self-pairs excluded.

    .. math:: A(\tau_k) = \#\{(i, j),\ i \ne j : \tau_k - \Delta/2 \le t_j - t_i < \tau_k + \Delta/2\},

    symmetric in :math:`\tau`.  ``normalize='expected'`` divides by :math:`\frac{n(n-1)}{T^2}\int_\text{bin}
    (T-|s|)\,ds`, the Poisson expectation; ``'rate'`` by :math:`n\Delta` (Hz).

    Args:
        times: spike times (ms).
        bin_ms, max_lag_ms, normalize, t_window: as in :func:`correlogram`.

    Returns:
        ``(lags, values)`` (ms, counts or normalised).

    Example:
        >>> lags, a = autocorrelogram([0., 10., 20.], bin_ms=5., max_lag_ms=20.)
        >>> a
        array([1, 0, 2, 0, 0, 0, 2, 0, 1])

    Limits: as :func:`correlogram`.  A refractory period shows as a dip around lag 0; spikes at identical times
    (other than a spike with itself) count at lag 0.
    """
    return _correlogram("autocorrelogram", times, None, bin_ms, max_lag_ms, normalize, t_window)


@dataclass(frozen=True)
class Synchrony:
    r"""Golomb's synchrony measure :math:`\chi` and its square.

    Attributes:
        chi_squared: :math:`\chi^2 = \sigma_V^2 / \langle\sigma_{V_i}^2\rangle_i`.
        chi: :math:`\chi = \sqrt{\chi^2}`, in [0, 1] for non-negative correlations: 1 = identical activity,
            about :math:`1/\sqrt{N}` for *N* independent neurons.
        n_neurons: *N*.
    """

    chi_squared: float
    chi: float
    n_neurons: int


def _synchrony(chi2: float, n: int) -> Synchrony:
    return Synchrony(chi_squared=float(chi2), chi=float(math.sqrt(chi2)) if chi2 >= 0 else math.nan, n_neurons=n)


def synchrony_index(times: Any, indices: Any, n_neurons: int, t_window: tuple[float, float], width_ms: float = 5.0,
                    bin_ms: float = 1.0, kernel: Literal["gaussian", "box"] = "gaussian") -> Synchrony:
    r"""Golomb's synchrony measure :math:`\chi` from spikes, using smoothed single-neuron rates as the signals.

    Golomb (2007), "Neuronal synchrony measures", Scholarpedia 2(1):1347, defines, for signals :math:`V_i(t)` of
    *N* neurons and their population average :math:`V(t) = \frac1N\sum_i V_i(t)`,

    .. math:: \chi^2(N) = \frac{\sigma_V^2}{\frac1N \sum_{i=1}^N \sigma_{V_i}^2}, \qquad
              \sigma_X^2 = \langle X(t)^2\rangle_t - \langle X(t)\rangle_t^2 .

    Here :math:`V_i = K * s_i` is neuron *i*'s spike count per bin (``bin_ms``) convolved with the kernel *K*
    (``'gaussian'``: standard deviation ``width_ms``; ``'box'``: full width ``width_ms``), taken over the full
    convolution support so that no spike's kernel is truncated.  :math:`\chi = 1` for identical trains;
    :math:`\chi^2 \approx 1/N` for independent ones.  All *N* neurons enter the denominator (silent ones with
    zero variance), as in Golomb's definition.

    Computed without dense ``[n_bins, N]`` arrays: :math:`\sum_t V^2 = \frac1{N^2}\sum_d A_{|d|} R_d` with
    :math:`A` the kernel's autocorrelation and :math:`R` the pooled-count autocorrelation up to the kernel
    width; each :math:`\sum_t V_i^2 = \sum_{k,l} A_{|b_k - b_l|}` over that neuron's spike bins.

    Args:
        times, indices, n_neurons: spikes (ms, neuron ids) and population size.
        t_window: ``(t_start, t_stop)`` (ms); full bins inside it are used.
        width_ms: kernel width (ms): the time scale at which synchrony is measured.
        bin_ms: bin width (ms), well below ``width_ms``.
        kernel: ``'gaussian'`` or ``'box'``.

    Returns:
        :class:`Synchrony` (``nan`` when no neuron spikes).

    Example:
        >>> import numpy as np
        >>> t = np.array([10., 50., 90.]); n = 4
        >>> S = synchrony_index(np.tile(t, n), np.repeat(np.arange(n), 3), n, (0., 100.))
        >>> round(S.chi, 6)
        1.0

    Limits: finite recordings bias :math:`\chi^2` of independent neurons to about :math:`1/N` (so :math:`\chi`
    to about :math:`1/\sqrt N`), and the estimate fluctuates by roughly :math:`\sqrt{2\,\text{width}/T}`
    relatively; :math:`\chi` depends on ``width_ms`` (coincidences closer than about the width count as
    synchronous).  Cost O(n_spikes + n_bins x kernel length) (numba).
    """
    owner = "synchrony_index"
    t, i, n = as_spikes(owner, times, indices, n_neurons)
    t0, t1 = check_window(owner, t_window)
    bin_ms = check_positive(owner, "bin_ms", bin_ms)
    width_ms = check_positive(owner, "width_ms", width_ms)
    check_choice(owner, "kernel", kernel, ("gaussian", "box"))
    nb = n_full_bins(owner, (t0, t1), bin_ms)
    from ._rates import _kernel
    from ._spike_kernels import group_by_neuron, histogram_uniform, lag_autocorrelation, within_neuron_pair_sum

    k = _kernel(kernel, width_ms, bin_ms)
    a = np.correlate(k, k, mode="full")[k.shape[0] - 1:]  # A_d, d = 0 .. len(k) - 1
    L = nb + k.shape[0] - 1
    guard = window_guard((t0, t1), bin_ms)
    pooled = histogram_uniform(t, t0, bin_ms, nb, guard)
    r = lag_autocorrelation(pooled, a.shape[0] - 1)
    sum_v = pooled.sum() / n
    sum_v2 = (a[0] * r[0] + 2.0 * np.dot(a[1:], r[1:])) / (n * n)
    var_pop = sum_v2 / L - (sum_v / L) ** 2
    grouped, offsets = group_by_neuron(t, i, n)
    s1, s2 = within_neuron_pair_sum(grouped, offsets, t0, bin_ms, nb, a, guard)
    var_each = s2 / L - (s1 / L) ** 2
    mean_var = var_each.mean()
    if not mean_var > 0:
        return Synchrony(math.nan, math.nan, n)
    return _synchrony(var_pop / mean_var, n)


def trace_synchrony(traces: Any) -> Synchrony:
    r"""Golomb's synchrony measure :math:`\chi` from continuous traces (e.g. membrane potentials).

    .. math:: \chi^2 = \frac{\sigma_V^2}{\frac1N \sum_i \sigma_{V_i}^2},\qquad V(t) = \frac1N \sum_i V_i(t),

    variances over time (Golomb 2007, Scholarpedia 2(1):1347).

    Args:
        traces: ``[n_steps, n_neurons]`` array (any unit, e.g. mV), numpy or JAX.

    Returns:
        :class:`Synchrony` (``nan`` when every trace is constant).

    Example:
        >>> import numpy as np
        >>> x = np.sin(np.linspace(0, 20, 500))[:, None]
        >>> round(trace_synchrony(np.repeat(x, 5, axis=1)).chi, 9)
        1.0

    Limits: sensitive to what the traces contain: spikes dominate the variance of voltage traces, subthreshold
    coherence that of filtered ones.  Uses float64 and O(n_steps x n_neurons) memory.
    """
    x = np.asarray(traces, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"trace_synchrony: traces must be [n_steps, n_neurons] with at least 2 steps; got shape "
                         f"{x.shape}.")
    if not np.isfinite(x).all():
        raise ValueError("trace_synchrony: traces contain nan or inf; drop those steps first.")
    mean_var = x.var(axis=0).mean()
    if not mean_var > 0:
        return Synchrony(math.nan, math.nan, x.shape[1])
    return _synchrony(x.mean(axis=1).var() / mean_var, x.shape[1])


def van_rossum_distance(times_a: Any, times_b: Any, tau_ms: float) -> float:
    r"""van Rossum distance between two spike trains (van Rossum 2001, Neural Comput. 13:751).

    Each train is filtered with a causal exponential, :math:`f(t) = \sum_i H(t - t_i)\,e^{-(t - t_i)/\tau}`, and

    .. math:: D^2 = \frac1\tau \int_{-\infty}^{\infty} (f_a - f_b)^2\,dt
              = \tfrac12\Big[\sum_{i,j} e^{-|a_i - a_j|/\tau} + \sum_{i,j} e^{-|b_i - b_j|/\tau}
                - 2\sum_{i,j} e^{-|a_i - b_j|/\tau}\Big].

    The three double sums are computed in O(n_a + n_b) after sorting, with the recursive exponential sums of
    Houghton & Kreuz (2012).  One unmatched spike contributes :math:`D^2 = 1/2`.

    Args:
        times_a, times_b: spike times (ms).
        tau_ms: filter time constant :math:`\tau` (ms): small values count coincidences, large ones rate
            differences.

    Returns:
        :math:`D` (dimensionless).

    Example:
        >>> round(van_rossum_distance([10.], [], tau_ms=5.) ** 2, 12)
        0.5

    Limits: the integral runs over all time (no window truncation); round-off grows like the number of spikes
    within a few :math:`\tau` of each other, negligible in float64.
    """
    owner = "van_rossum_distance"
    a = _sorted(as_times(owner, times_a, "times_a"))
    b = _sorted(as_times(owner, times_b, "times_b"))
    tau = check_positive(owner, "tau_ms", tau_ms)
    from ._spike_kernels import exp_cross_sum, exp_self_sum

    d2 = 0.5 * (exp_self_sum(a, tau) + exp_self_sum(b, tau) - 2.0 * exp_cross_sum(a, b, tau))
    return math.sqrt(max(d2, 0.0))
