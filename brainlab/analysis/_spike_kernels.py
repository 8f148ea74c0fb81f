"""numba kernels behind the spike statistics: binning, grouping by neuron, pair sweeps.

All kernels are single-pass or two-pointer sweeps: O(n_spikes + n_bins + n_neurons), plus O(pairs within range)
for the pair sweeps; no kernel is quadratic in the number of spikes.  Inputs are validated by the callers
(float64 times, int64 indices in range).  Imported lazily (this module imports numba).

A time ``t`` falls in bin ``floor((t - t_start) / bin_ms + guard)``, ``guard`` a round-off allowance in bins
computed by the caller (see :mod:`._spikes`); the guard is one number per call, so bin indices stay monotone in
``t``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def histogram_uniform(times, t_start, bin_ms, n_bins, guard):
    """Counts of ``times`` in ``n_bins`` bins of width ``bin_ms`` from ``t_start`` (others dropped)."""
    counts = np.zeros(n_bins, np.int64)
    for i in range(times.shape[0]):
        x = (times[i] - t_start) / bin_ms + guard
        if x >= 0.0 and x < n_bins:
            counts[int(x)] += 1
    return counts


@njit(cache=True)
def count_per_neuron(times, indices, n_neurons, t_start, t_stop):
    """Spike count of each neuron over ``t_start <= t < t_stop``."""
    counts = np.zeros(n_neurons, np.int64)
    for i in range(times.shape[0]):
        t = times[i]
        if t >= t_start and t < t_stop:
            counts[indices[i]] += 1
    return counts


@njit(cache=True)
def is_sorted(x):
    for i in range(1, x.shape[0]):
        if x[i] < x[i - 1]:
            return False
    return True


@njit(cache=True)
def group_by_neuron(times, indices, n_neurons):
    """Spike times grouped by neuron (CSR layout), each neuron's times sorted.

    Returns ``(grouped, offsets)``: neuron ``k``'s times are ``grouped[offsets[k]:offsets[k+1]]``.  A stable
    counting sort by neuron (O(n + n_neurons)); segments are sorted only if they are not already (they are when
    the input is sorted by time, as simulation output is).
    """
    n = times.shape[0]
    offsets = np.zeros(n_neurons + 1, np.int64)
    for i in range(n):
        offsets[indices[i] + 1] += 1
    for k in range(n_neurons):
        offsets[k + 1] += offsets[k]
    pos = offsets[:-1].copy()
    grouped = np.empty(n, np.float64)
    for i in range(n):
        k = indices[i]
        grouped[pos[k]] = times[i]
        pos[k] += 1
    for k in range(n_neurons):
        a, b = offsets[k], offsets[k + 1]
        if b - a > 1 and not is_sorted(grouped[a:b]):
            grouped[a:b] = np.sort(grouped[a:b])
    return grouped, offsets


@njit(cache=True)
def count_moments(grouped, offsets, t_start, bin_ms, n_bins, guard):
    """Per neuron, sum and sum of squares of its spike counts over the ``n_bins`` bins (sorted, grouped input)."""
    n_neurons = offsets.shape[0] - 1
    s1 = np.zeros(n_neurons, np.float64)
    s2 = np.zeros(n_neurons, np.float64)
    for k in range(n_neurons):
        prev = -1
        run = 0
        for j in range(offsets[k], offsets[k + 1]):
            x = (grouped[j] - t_start) / bin_ms + guard
            if x < 0.0 or x >= n_bins:
                continue
            b = int(x)
            if b == prev:
                run += 1
            else:
                s1[k] += run
                s2[k] += run * run
                prev = b
                run = 1
        s1[k] += run
        s2[k] += run * run
    return s1, s2


@njit(cache=True)
def intervals(grouped, offsets):
    """Inter-spike intervals of each neuron (CSR layout with ``isi_offsets[k] = offsets[k] - k``, clipped)."""
    n_neurons = offsets.shape[0] - 1
    isi_offsets = np.zeros(n_neurons + 1, np.int64)
    for k in range(n_neurons):
        isi_offsets[k + 1] = isi_offsets[k] + max(offsets[k + 1] - offsets[k] - 1, 0)
    out = np.empty(isi_offsets[n_neurons], np.float64)
    for k in range(n_neurons):
        p = isi_offsets[k]
        for j in range(offsets[k] + 1, offsets[k + 1]):
            out[p] = grouped[j] - grouped[j - 1]
            p += 1
    return out, isi_offsets


@njit(cache=True)
def segment_cv(values, offsets, min_count):
    """Per segment ``std(ddof=1) / mean`` of ``values``; nan for segments with fewer than ``min_count`` values."""
    n = offsets.shape[0] - 1
    out = np.full(n, np.nan)
    for k in range(n):
        a, b = offsets[k], offsets[k + 1]
        m = b - a
        if m < min_count or m < 2:
            continue
        mean = 0.0
        for j in range(a, b):
            mean += values[j]
        mean /= m
        if mean <= 0.0:
            continue
        ss = 0.0
        for j in range(a, b):
            d = values[j] - mean
            ss += d * d
        out[k] = math.sqrt(ss / (m - 1)) / mean
    return out


@njit(cache=True)
def cross_counts(a, b, lo, bin_ms, n_bins, exclude_self, guard):
    """Pair counts of delays ``b[j] - a[i]`` in ``n_bins`` bins of width ``bin_ms`` starting at ``lo``.

    ``a`` and ``b`` sorted ascending.  Two-pointer sweep: the first candidate ``b`` only moves forward as ``a``
    increases, so the cost is O(n_a + n_b + pairs counted).  ``exclude_self`` skips ``j == i`` (autocorrelogram).
    """
    counts = np.zeros(n_bins, np.int64)
    nb = b.shape[0]
    start = 0
    for i in range(a.shape[0]):
        ta = a[i]
        while start < nb and ((b[start] - ta) - lo) / bin_ms + guard < 0.0:
            start += 1
        j = start
        while j < nb:
            x = ((b[j] - ta) - lo) / bin_ms + guard
            if x >= n_bins:
                break
            if not (exclude_self and j == i):
                counts[int(x)] += 1
            j += 1
    return counts


@njit(cache=True)
def lag_autocorrelation(counts, max_lag):
    """``R[d] = sum_t counts[t] * counts[t + d]`` for ``d = 0..max_lag`` (integer counts, exact)."""
    n = counts.shape[0]
    out = np.zeros(max_lag + 1, np.float64)
    for d in range(min(max_lag, n - 1) + 1):
        s = 0
        for t in range(n - d):
            s += counts[t] * counts[t + d]
        out[d] = s
    return out


@njit(cache=True)
def within_neuron_pair_sum(grouped, offsets, t_start, bin_ms, n_bins, weights, guard):
    """Per neuron, ``sum_{k,l} weights[|b_k - b_l|]`` over its in-window spikes' bin indices ``b`` (``weights``
    beyond its length are 0), and the number of in-window spikes."""
    n_neurons = offsets.shape[0] - 1
    max_lag = weights.shape[0] - 1
    s2 = np.zeros(n_neurons, np.float64)
    s1 = np.zeros(n_neurons, np.float64)
    buf = np.empty(grouped.shape[0], np.int64)
    for k in range(n_neurons):
        m = 0
        for j in range(offsets[k], offsets[k + 1]):
            x = (grouped[j] - t_start) / bin_ms + guard
            if x >= 0.0 and x < n_bins:
                buf[m] = int(x)
                m += 1
        acc = m * weights[0]
        for p in range(m):
            for q in range(p + 1, m):
                d = buf[q] - buf[p]
                if d > max_lag:
                    break
                acc += 2.0 * weights[d]
        s2[k] = acc
        s1[k] = m
    return s1, s2


@njit(cache=True)
def exp_self_sum(x, tau):
    """``sum_{i,j} exp(-|x_i - x_j| / tau)`` for sorted ``x`` in O(n) (recursive exponential sum)."""
    n = x.shape[0]
    if n == 0:
        return 0.0
    m = 0.0
    total = float(n)
    for i in range(1, n):
        m = math.exp(-(x[i] - x[i - 1]) / tau) * (m + 1.0)
        total += 2.0 * m
    return total


@njit(cache=True)
def exp_cross_sum(a, b, tau):
    """``sum_{i,j} exp(-|a_i - b_j| / tau)`` for sorted ``a``, ``b`` in O(n_a + n_b).

    Forward pass: for each ``a_i`` the sum over ``b_j <= a_i``; backward pass: over ``b_j > a_i``.  Every exponent
    is non-positive, so the recursions cannot overflow.
    """
    na, nb = a.shape[0], b.shape[0]
    total = 0.0
    if na == 0 or nb == 0:
        return total
    # forward: f = sum_{b_j <= t} exp(-(t - b_j)/tau), held at time `last` (the latest b_j absorbed)
    f = 0.0
    last = b[0]
    j = 0
    for i in range(na):
        while j < nb and b[j] <= a[i]:
            f = f * math.exp(-(b[j] - last) / tau) + 1.0
            last = b[j]
            j += 1
        if j > 0:
            total += f * math.exp(-(a[i] - last) / tau)
    # backward: g = sum_{b_j > t} exp(-(b_j - t)/tau), held at time `last` (the earliest b_j absorbed)
    g = 0.0
    last = b[nb - 1]
    j = nb - 1
    for i in range(na - 1, -1, -1):
        while j >= 0 and b[j] > a[i]:
            g = g * math.exp(-(last - b[j]) / tau) + 1.0
            last = b[j]
            j -= 1
        if j < nb - 1:
            total += g * math.exp(-(last - a[i]) / tau)
    return total
