"""Spike-train statistics (brainlab.analysis spike measures) against independent truth.

Truth comes from: numpy references (np.histogram, np.diff, all-pairs O(n^2) delays, dense convolutions),
scipy (scipy.signal.welch / periodogram, scipy.ndimage.gaussian_filter1d, scipy.stats distributions), analytic
results for point processes (Poisson: CV = 1, Fano = 1, exponential ISI density, flat cross-correlogram with the
triangular expectation of independent uniform spikes; gamma process of shape k: CV = 1/sqrt(k)), Parseval's
identity, and Golomb (2007, Scholarpedia 2(1):1347): chi = 1 for identical trains, chi^2 -> 1/N for independent ones.
Statistical checks use fixed seeds and tolerances derived from the sample sizes.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from brainlab.analysis._correlations import (autocorrelogram, correlogram, synchrony_index, trace_synchrony,
                                             van_rossum_distance)
from brainlab.analysis._intervals import cv_isi, isi, isi_histogram
from brainlab.analysis._rates import fano_factor, firing_rates, population_rate
from brainlab.analysis._spectra import power_spectrum
from brainlab.analysis._spikes import spikes_from_raster



# ---------------------------------------------------------------------------------------------------------------
# independent generators (numpy only)
# ---------------------------------------------------------------------------------------------------------------
def poisson_population(rng, n_neurons, rate_hz, t_stop_ms):
    """Homogeneous Poisson trains: Poisson count, then uniform times. Returned shuffled (unsorted)."""
    counts = rng.poisson(rate_hz * t_stop_ms / 1000.0, size=n_neurons)
    idx = np.repeat(np.arange(n_neurons), counts)
    t = rng.uniform(0.0, t_stop_ms, size=idx.shape[0])
    order = rng.permutation(t.shape[0])
    return t[order], idx[order], counts


def gamma_population(rng, n_neurons, shape_k, rate_hz, t_stop_ms):
    """Renewal trains with gamma ISIs of shape k (CV = 1/sqrt(k)), mean ISI 1000/rate ms."""
    mean_isi = 1000.0 / rate_hz
    n_draw = int(t_stop_ms / mean_isi * 1.5 + 50)
    times, idx = [], []
    for i in range(n_neurons):
        t = np.cumsum(rng.gamma(shape_k, mean_isi / shape_k, size=n_draw))
        t = t[t < t_stop_ms]
        times.append(t)
        idx.append(np.full(t.shape[0], i))
    return np.concatenate(times), np.concatenate(idx)


# ---------------------------------------------------------------------------------------------------------------
# conversion and rates
# ---------------------------------------------------------------------------------------------------------------
def test_spikes_from_raster_matches_nonzero_and_bins_on_the_grid():
    rng = np.random.default_rng(0)
    raster = rng.random((5000, 40)) < 0.02
    s = spikes_from_raster(raster, dt=0.1, t0=2.0)
    steps, neurons = np.nonzero(raster)
    np.testing.assert_array_equal(s.indices, neurons)
    np.testing.assert_allclose(s.times, 2.0 + steps * 0.1, rtol=0, atol=1e-12)
    assert s.n_neurons == 40 and s.t_window == (2.0, 2.0 + 5000 * 0.1)
    # binning at bin_ms = dt returns the raster's per-step counts exactly (grid times land in their own bin,
    # although e.g. 3 * 0.1 / 0.1 < 3 in floating point)
    _, rate = population_rate(s.times, s.t_window, 40, bin_ms=0.1)
    np.testing.assert_allclose(rate * 40 * 0.1 / 1000.0, raster.sum(axis=1), rtol=1e-12)
    F = fano_factor(s.times, s.indices, 40, s.t_window, bin_ms=0.1)
    c = raster.astype(float)
    np.testing.assert_allclose(F.values, c.var(axis=0, ddof=1) / c.mean(axis=0), rtol=1e-10)


@pytest.mark.parametrize("dt", [0.1, 0.025, 0.07, 1 / 3])
@pytest.mark.parametrize("t0", [0.0, -50.0, 1234.5, 1e5])
def test_grid_times_land_in_their_own_bin(dt, t0):
    # t0 + k*dt binned at dt must give bin k for every k, although (t0 + k*dt - t0)/dt often rounds below k
    # (about 10 % of the steps for these dt without the round-off guard)
    n = 200_000
    t = t0 + np.arange(n) * dt
    _, r = population_rate(t, (t0, t0 + n * dt), 1, bin_ms=dt)
    np.testing.assert_allclose(r * dt / 1000.0, 1.0, rtol=1e-9)


def test_firing_rates_reference_and_poisson_bounds():
    rng = np.random.default_rng(1)
    n, rate, T = 200, 8.0, 20_000.0
    t, i, counts = poisson_population(rng, n, rate, T)
    r = firing_rates(t, i, n, (0.0, T))
    np.testing.assert_allclose(r, counts / (T / 1000.0), rtol=1e-12)  # every spike is inside the window
    # each count within the central 1 - 1e-6 Poisson interval (all 200 pass with probability ~0.9998)
    lo, hi = scipy.stats.poisson.interval(1 - 1e-6, rate * T / 1000.0)
    assert np.all((counts >= lo) & (counts <= hi))
    # window restriction against a numpy reference
    m = (t >= 5000.0) & (t < 7500.0)
    np.testing.assert_allclose(firing_rates(t, i, n, (5000.0, 7500.0)),
                               np.bincount(i[m], minlength=n) / 2.5, rtol=1e-12)


def test_firing_rates_accepts_jax_arrays():
    jnp = pytest.importorskip("jax.numpy")
    t = np.array([1.0, 2.0, 3.0, 999.0])
    i = np.array([0, 1, 1, 2])
    np.testing.assert_allclose(firing_rates(jnp.asarray(t, dtype=jnp.float32), jnp.asarray(i), 3, (0.0, 1000.0)),
                               [1.0, 2.0, 1.0])


def test_population_rate_matches_histogram_and_poisson_mean():
    rng = np.random.default_rng(2)
    n, rate, T = 100, 20.0, 10_000.0
    t, _, counts = poisson_population(rng, n, rate, T)
    centres, r = population_rate(t, (0.0, T), n, bin_ms=2.0)
    ref, edges = np.histogram(t, bins=np.arange(0.0, T + 1e-9, 2.0))
    np.testing.assert_allclose(r * n * 2.0 / 1000.0, ref)
    np.testing.assert_allclose(centres, (edges[:-1] + edges[1:]) / 2)
    total = counts.sum()
    mu = n * rate * T / 1000.0
    assert abs(total - mu) < 5 * math.sqrt(mu)
    assert r.mean() == pytest.approx(total / n / (T / 1000.0), rel=1e-12)


def test_population_rate_smoothing_against_scipy_and_edge_correction():
    rng = np.random.default_rng(3)
    t, _, _ = poisson_population(rng, 50, 30.0, 2000.0)
    _, raw = population_rate(t, (0.0, 2000.0), 50, bin_ms=1.0)
    _, g = population_rate(t, (0.0, 2000.0), 50, bin_ms=1.0, smooth="gaussian", width_ms=5.0)
    # scipy's Gaussian filter with truncate=4 uses the same radius (20 bins) and a kernel normalised to 1
    num = scipy.ndimage.gaussian_filter1d(raw, 5.0, mode="constant", truncate=4.0)
    den = scipy.ndimage.gaussian_filter1d(np.ones_like(raw), 5.0, mode="constant", truncate=4.0)
    np.testing.assert_allclose(g, num / den, rtol=1e-9, atol=1e-9)
    # box of 5 bins: a centred moving average in the interior
    _, b = population_rate(t, (0.0, 2000.0), 50, bin_ms=1.0, smooth="box", width_ms=5.0)
    np.testing.assert_allclose(b[2:-2], np.convolve(raw, np.ones(5) / 5, mode="valid"), rtol=1e-9)
    # a constant rate stays constant up to the edges (edge correction)
    flat = np.arange(1000) + 0.5  # one spike per 1 ms bin
    _, f = population_rate(flat, (0.0, 1000.0), 1, smooth="gaussian", width_ms=10.0)
    np.testing.assert_allclose(f, 1000.0, rtol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# intervals
# ---------------------------------------------------------------------------------------------------------------
def test_isi_matches_per_neuron_diff_on_unsorted_input():
    rng = np.random.default_rng(4)
    t, i, _ = poisson_population(rng, 30, 15.0, 3000.0)
    s = isi(t, i, 30)
    for k in range(30):
        np.testing.assert_array_equal(s.of(k), np.diff(np.sort(t[i == k])))
    assert s.intervals.shape[0] == sum(max((i == k).sum() - 1, 0) for k in range(30))


def test_cv_poisson_is_one():
    rng = np.random.default_rng(5)
    t, i, counts = poisson_population(rng, 100, 20.0, 50_000.0)
    cv = cv_isi(t, i, 100)
    assert cv.n_included == 100
    se = cv.values.std(ddof=1) / math.sqrt(cv.n_included)
    bias = 2.0 / counts.mean()  # O(1/n) small-sample bias
    assert abs(cv.mean - 1.0) < 5 * se + bias, (cv.mean, se)


@pytest.mark.parametrize("k", [0.5, 2.0, 4.0])
def test_cv_gamma_process_is_inverse_sqrt_shape(k):
    rng = np.random.default_rng(6)
    t, i = gamma_population(rng, 50, k, 20.0, 50_000.0)
    cv = cv_isi(t, i, 50)
    se = cv.values.std(ddof=1) / math.sqrt(cv.n_included)
    assert abs(cv.mean - 1 / math.sqrt(k)) < 5 * se + 2.0 / 1000 * (1 / math.sqrt(k)), (k, cv.mean, se)


def test_cv_and_fano_of_a_regular_train_vanish():
    period = 7.3
    t = 2.0 + period * np.arange(1000)
    cv = cv_isi(t, np.zeros_like(t, dtype=int), 1)
    assert cv.values[0] < 1e-12
    # bins a multiple of the period, spikes mid-period: every bin holds exactly 10 spikes
    t10 = 5.0 + 10.0 * np.arange(1000)
    assert fano_factor(t10, np.zeros(1000, int), 1, (0.0, 10_000.0), bin_ms=100.0).values[0] == 0.0
    # otherwise counts are floor/ceil of the mean: Var <= 1/4, so F <= 1/(4 mean)
    F = fano_factor(t, np.zeros(1000, int), 1, (0.0, period * 1000), bin_ms=50.0)
    assert F.values[0] <= 0.25 / (50.0 / period)


def test_cv_min_spikes_excludes_neurons():
    t = np.array([0.0, 10.0, 20.0, 30.0, 5.0, 9.0])
    i = np.array([0, 0, 0, 0, 1, 1])
    cv = cv_isi(t, i, 3, min_spikes=3)
    assert cv.values[0] == 0.0 and np.isnan(cv.values[1]) and np.isnan(cv.values[2])
    assert cv.n_included == 1 and cv.mean == 0.0


def test_isi_histogram_exponential_density():
    rng = np.random.default_rng(7)
    rate = 25.0
    t, i, _ = poisson_population(rng, 40, rate, 40_000.0)
    c, h = isi_histogram(t, i, 40, bin_ms=2.0, max_isi_ms=200.0)
    ivals = isi(t, i, 40).intervals
    np.testing.assert_array_equal(h, np.histogram(ivals, bins=np.arange(0.0, 200.0 + 1e-9, 2.0))[0])
    # chi-square against the exponential ISI distribution (last class: the tail beyond 200 ms)
    lam = rate / 1000.0
    edges = np.arange(0.0, 202.0, 2.0)
    p = np.exp(-lam * edges[:-1]) - np.exp(-lam * edges[1:])
    obs = np.append(h, (ivals >= 200.0).sum())
    exp = ivals.shape[0] * np.append(p, np.exp(-lam * 200.0))
    assert exp.min() > 5  # the chi-square approximation holds in every class
    stat = ((obs - exp) ** 2 / exp).sum()
    assert scipy.stats.chi2.sf(stat, obs.size - 1) > 1e-3, stat
    _, d = isi_histogram(t, i, 40, bin_ms=2.0, max_isi_ms=200.0, density=True)
    np.testing.assert_allclose(d, h / (ivals.shape[0] * 2.0))
    sd = np.sqrt(h) / (ivals.shape[0] * 2.0)  # Poisson error of each bin's density
    assert np.all(np.abs(d[:50] - lam * np.exp(-lam * c[:50])) < 5 * sd[:50])


# ---------------------------------------------------------------------------------------------------------------
# Fano factor
# ---------------------------------------------------------------------------------------------------------------
def test_fano_poisson_is_one():
    rng = np.random.default_rng(8)
    t, i, _ = poisson_population(rng, 100, 10.0, 100_000.0)
    F = fano_factor(t, i, 100, (0.0, 100_000.0), bin_ms=100.0)
    se = F.values.std(ddof=1) / math.sqrt(F.n_included)
    assert abs(F.mean - 1.0) < 5 * se, (F.mean, se)


def test_fano_matches_dense_reference():
    rng = np.random.default_rng(9)
    t, i, _ = poisson_population(rng, 12, 40.0, 3000.0)
    t = np.append(t, [-5.0, 3100.0])  # outside the window: ignored
    i = np.append(i, [0, 1])
    F = fano_factor(t, i, 12, (0.0, 2990.0), bin_ms=23.0)  # 130 full bins
    edges = np.arange(131) * 23.0
    dense = np.stack([np.histogram(t[i == k], bins=edges)[0] for k in range(12)], axis=1).astype(float)
    np.testing.assert_allclose(F.values, dense.var(axis=0, ddof=1) / dense.mean(axis=0), rtol=1e-10)


# ---------------------------------------------------------------------------------------------------------------
# correlograms
# ---------------------------------------------------------------------------------------------------------------
def brute_correlogram(a, b, bin_ms, max_lag_ms, exclude_self=False):
    """All-pairs O(n_a n_b) reference with the documented convention (centred bins, lag = b - a)."""
    m = math.floor(max_lag_ms / bin_ms + 1e-9)
    lo = -(m + 0.5) * bin_ms
    d = b[None, :] - a[:, None]
    x = (d - lo) / bin_ms
    if exclude_self:
        x = x[~np.eye(a.shape[0], dtype=bool)]
    x = x[(x >= 0) & (x < 2 * m + 1)]
    return np.bincount(np.floor(x).astype(int), minlength=2 * m + 1)


@pytest.mark.parametrize("bin_ms,max_lag", [(1.0, 20.0), (0.7, 10.0), (2.5, 50.0), (1.0, 0.0)])
def test_correlogram_equals_brute_force(bin_ms, max_lag):
    rng = np.random.default_rng(10)
    a = rng.uniform(0, 2000, 300)
    b = np.concatenate([rng.uniform(0, 2000, 200), a[:50] + 3.0])
    lags, c = correlogram(a, b, bin_ms, max_lag)  # unsorted input
    np.testing.assert_array_equal(c, brute_correlogram(np.sort(a), np.sort(b), bin_ms, max_lag))
    assert lags.shape == c.shape and lags[len(lags) // 2] == 0.0
    _, ac = autocorrelogram(a, bin_ms, max_lag)
    np.testing.assert_array_equal(ac, brute_correlogram(np.sort(a), np.sort(a), bin_ms, max_lag, True))
    np.testing.assert_array_equal(ac, ac[::-1])


@given(st.lists(st.integers(0, 200), max_size=40), st.lists(st.integers(0, 200), max_size=40),
       st.integers(1, 4), st.integers(0, 30))
def test_correlogram_integer_times_property(a, b, bin_int, max_lag):
    a = np.array(a, float)
    b = np.array(b, float)
    lags, c = correlogram(a, b, float(bin_int), float(max_lag))
    np.testing.assert_array_equal(c, brute_correlogram(np.sort(a), np.sort(b), float(bin_int), float(max_lag)))
    if bin_int % 2:  # bin edges at half-integers: no integer delay on an edge, so swapping mirrors the lags
        _, c2 = correlogram(b, a, float(bin_int), float(max_lag))
        np.testing.assert_array_equal(c2, c[::-1])


def test_correlogram_independent_poisson_is_flat():
    rng = np.random.default_rng(11)
    T = 200_000.0
    a = rng.uniform(0, T, rng.poisson(20 * T / 1000))
    b = rng.uniform(0, T, rng.poisson(15 * T / 1000))
    bin_ms, max_lag = 2.0, 100.0
    lags, c = correlogram(a, b, bin_ms, max_lag)
    # expectation for independent uniform spikes: the difference of two uniforms on [0, T] has the triangular
    # density (T - |s|)/T^2; integrate it over each bin
    cdf = lambda s: np.where(s < 0, (T + s) ** 2 / (2 * T**2), 1 - (T - s) ** 2 / (2 * T**2))
    exp = a.size * b.size * (cdf(lags + bin_ms / 2) - cdf(lags - bin_ms / 2))
    stat = ((c - exp) ** 2 / exp).sum()
    assert scipy.stats.chi2.sf(stat, c.size) > 1e-3, stat
    _, ratio = correlogram(a, b, bin_ms, max_lag, normalize="expected", t_window=(0.0, T))
    np.testing.assert_allclose(ratio, c / exp, rtol=1e-9)
    _, rate = correlogram(a, b, bin_ms, max_lag, normalize="rate")
    np.testing.assert_allclose(rate, c / (a.size * bin_ms / 1000.0))
    # mean over lags ~ rate_b: the pair total C has Var ~ E[C] (1 + (rate_a + rate_b) * lag range) for Poisson trains
    w = lags.size * bin_ms / 1000.0
    n_pairs = exp.sum()
    rel_sd = math.sqrt((1 + (a.size + b.size) / (T / 1000.0) * w) / n_pairs)
    assert rate.mean() == pytest.approx(b.size / (T / 1000.0) * (1 - np.abs(lags).mean() / T), rel=5 * rel_sd)


@pytest.mark.parametrize("shift", [5.0, -5.0])
def test_correlogram_shifted_copy_peaks_at_the_shift(shift):
    rng = np.random.default_rng(12)
    a = rng.uniform(0, 50_000, 500)
    b = np.concatenate([a + shift, rng.uniform(0, 50_000, 500)])  # b fires `shift` ms after a
    lags, c = correlogram(a, b, 1.0, 20.0)
    assert lags[np.argmax(c)] == shift
    assert c.max() >= 500


def test_autocorrelogram_expected_normalisation_of_poisson():
    rng = np.random.default_rng(13)
    T = 100_000.0
    a = rng.uniform(0, T, 3000)
    lags, r = autocorrelogram(a, 5.0, 200.0, normalize="expected", t_window=(0.0, T))
    # pairs per bin ~ 3000^2 * 5/T ~ 450: relative sd ~ 0.047 per bin; the mean over 81 bins within 2 %
    assert abs(r.mean() - 1.0) < 0.02
    assert np.all(np.abs(r - 1.0) < 5 * 0.047 * 1.5)


# ---------------------------------------------------------------------------------------------------------------
# synchrony and spike-train distance
# ---------------------------------------------------------------------------------------------------------------
def dense_chi2(t, i, n, T, bin_ms, kernel):
    """Golomb's chi^2 with explicit dense per-neuron traces (full convolution with the kernel)."""
    nb = int(T / bin_ms)
    edges = np.arange(nb + 1) * bin_ms
    traces = np.stack([np.convolve(np.histogram(t[i == k], bins=edges)[0], kernel, mode="full") for k in range(n)],
                      axis=1)
    return traces.mean(axis=1).var() / traces.var(axis=0).mean()


@pytest.mark.parametrize("kernel", ["gaussian", "box"])
def test_synchrony_index_matches_dense_reference(kernel):
    rng = np.random.default_rng(14)
    t, i, _ = poisson_population(rng, 8, 20.0, 2000.0)
    common = rng.uniform(0, 2000.0, 30)  # shared events give partial synchrony
    t = np.concatenate([t, np.tile(common, 8) + rng.normal(0, 2.0, 240)])
    i = np.concatenate([i, np.repeat(np.arange(8), 30)])
    keep = (t >= 0) & (t < 2000.0)
    t, i = t[keep], i[keep]
    S = synchrony_index(t, i, 8, (0.0, 2000.0), width_ms=4.0, kernel=kernel)
    if kernel == "gaussian":
        x = np.arange(-16, 17.0)
        k = np.exp(-0.5 * (x / 4.0) ** 2)
    else:
        k = np.ones(5)
    assert S.chi_squared == pytest.approx(dense_chi2(t, i, 8, 2000.0, 1.0, k / k.sum()), rel=1e-9)
    assert 1 / 8 < S.chi_squared < 1


def test_synchrony_identical_and_independent():
    rng = np.random.default_rng(15)
    n, T = 100, 10_000.0
    base = rng.uniform(0, T, 100)
    S = synchrony_index(np.tile(base, n), np.repeat(np.arange(n), 100), n, (0.0, T))
    assert S.chi == pytest.approx(1.0, abs=1e-9)
    t, i, _ = poisson_population(rng, n, 10.0, T)
    S = synchrony_index(t, i, n, (0.0, T), width_ms=5.0)
    # chi^2 -> 1/N for independent neurons; relative fluctuation ~ sqrt(2 * 2 sqrt(pi) sigma / T) ~ 0.06
    assert abs(S.chi_squared * n - 1.0) < 0.3, S
    assert S.chi < 2 / math.sqrt(n)


def test_trace_synchrony():
    rng = np.random.default_rng(16)
    x = rng.normal(size=(20_000, 50))
    S = trace_synchrony(x)
    assert abs(S.chi_squared * 50 - 1.0) < 0.1  # sd of the estimate ~ sqrt(2/20000)
    common = rng.normal(size=(20_000, 1))
    assert trace_synchrony(np.repeat(common, 50, axis=1) * 3.0 - 65.0).chi == pytest.approx(1.0, rel=1e-12)
    assert math.isnan(trace_synchrony(np.ones((10, 3))).chi)


def brute_van_rossum(a, b, tau):
    s = lambda x, y: np.exp(-np.abs(x[:, None] - y[None, :]) / tau).sum()
    return math.sqrt(max(0.5 * (s(a, a) + s(b, b) - 2 * s(a, b)), 0.0))


def test_van_rossum_against_pair_sums_and_integral():
    rng = np.random.default_rng(17)
    a = rng.uniform(0, 500, 60)
    b = np.concatenate([a[:30] + rng.normal(0, 1.0, 30), rng.uniform(0, 500, 20)])
    for tau in (1.0, 5.0, 50.0):
        assert van_rossum_distance(a, b, tau) == pytest.approx(brute_van_rossum(a, b, tau), rel=1e-10)
    # the definition: (1/tau) * integral of the squared difference of exponentially filtered trains
    a, b = a[:8], b[:6]
    dt, tau = 0.002, 5.0
    grid = np.arange(-10.0, 700.0, dt)
    f = lambda x: (np.exp(-np.clip(grid[:, None] - x[None, :], 0, None) / tau) * (grid[:, None] >= x)).sum(1)
    integral = ((f(a) - f(b)) ** 2).sum() * dt / tau
    assert van_rossum_distance(a, b, tau) ** 2 == pytest.approx(integral, rel=2e-3)
    assert van_rossum_distance([3.0], [], 2.0) ** 2 == pytest.approx(0.5)
    assert van_rossum_distance(a, a, 2.0) == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# power spectra
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("detrend", ["constant", "linear", None])
def test_welch_matches_scipy(detrend):
    rng = np.random.default_rng(18)
    x = rng.normal(size=(5000, 3)) + np.linspace(0, 2, 5000)[:, None]
    f, p = power_spectrum(x, dt_ms=0.5, segment_ms=256.0, detrend=detrend)  # 512 samples
    fr, pr = scipy.signal.welch(x, fs=2000.0, window="hann", nperseg=512, noverlap=256,
                                detrend=detrend if detrend else False, axis=0)
    np.testing.assert_allclose(f, fr)
    np.testing.assert_allclose(p, pr, rtol=1e-10, atol=1e-14)
    f1, p1 = power_spectrum(x[:, 0], dt_ms=0.5, method="periodogram", detrend=detrend)
    fr, pr = scipy.signal.periodogram(x[:, 0], fs=2000.0, window="hann", detrend=detrend if detrend else False)
    np.testing.assert_allclose(p1, pr, rtol=1e-10, atol=1e-14)


def test_welch_white_noise_level_and_parseval():
    rng = np.random.default_rng(19)
    sigma, dt = 3.0, 0.25
    fs = 1000.0 / dt
    x = rng.normal(0, sigma, 2**17)
    m = 1024
    f, p = power_spectrum(x, dt_ms=dt, segment_ms=m * dt)
    # Parseval per segment, computed independently: sum P df = mean_seg sum (w x)^2 / sum w^2 (after demeaning)
    w = np.hanning(m + 1)[:-1]
    segs = [x[s:s + m] - x[s:s + m].mean() for s in range(0, x.size - m + 1, m // 2)]
    assert p.sum() * (fs / m) == pytest.approx(np.mean([((w * s) ** 2).sum() / (w * w).sum() for s in segs]),
                                               rel=1e-10)
    # flat at 2 sigma^2 / fs: with K = 255 half-overlapping Hann segments each bin has relative sd ~ 1/sqrt(0.9 K)
    level = 2 * sigma**2 / fs
    interior = p[1:-1] / level
    sd = 1 / math.sqrt(0.9 * len(segs))
    assert abs(interior.mean() - 1.0) < 5 * sd / math.sqrt(interior.size / 2)
    assert np.all(np.abs(interior - 1.0) < 6 * sd)
    half = interior.size // 2
    assert abs(interior[:half].mean() / interior[half:].mean() - 1.0) < 0.03


def test_power_spectrum_of_modulated_population_rate_peaks_at_modulation():
    rng = np.random.default_rng(20)
    n, T, f_mod = 200, 4000.0, 40.0
    r0, depth = 20.0, 0.5
    # inhomogeneous Poisson by thinning: candidates at the peak rate, kept with probability r(t)/r_max
    cand = rng.uniform(0, T, rng.poisson(n * r0 * (1 + depth) * T / 1000))
    keep = rng.random(cand.size) < (1 + depth * np.sin(2 * np.pi * f_mod * cand / 1000)) / (1 + depth)
    _, rate = population_rate(cand[keep], (0.0, T), n, bin_ms=1.0)
    f, p = power_spectrum(rate, dt_ms=1.0, segment_ms=1000.0)
    sel = f > 5
    assert f[sel][np.argmax(p[sel])] == f_mod


# ---------------------------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------------------------
def test_bad_input_errors():
    t = np.array([1.0, 2.0, 3.0])
    i = np.array([0, 1, 0])
    with pytest.raises(ValueError, match=r"firing_rates: indices has 2 entries but times has 3"):
        firing_rates(t, i[:2], 2, (0.0, 10.0))
    with pytest.raises(ValueError, match=r"population_rate: bin_ms must be a positive"):
        population_rate(t, (0.0, 10.0), 2, bin_ms=-1.0)
    with pytest.raises(ValueError, match=r"fano_factor: t_window=\(t_start, t_stop\) needs t_stop > t_start"):
        fano_factor(t, i, 2, (10.0, 10.0), bin_ms=1.0)
    with pytest.raises(ValueError, match=r"cv_isi: indices must lie in \[0, n_neurons\) = \[0, 1\); found neuron id 1"):
        cv_isi(t, i, 1)
    with pytest.raises(ValueError, match=r"isi: indices must lie in .* found neuron id -1"):
        isi(t, np.array([0, -1, 0]), 2)
    with pytest.raises(ValueError, match=r"firing_rates: times contains nan"):
        firing_rates(np.array([1.0, np.nan]), np.array([0, 0]), 1, (0.0, 10.0))
    with pytest.raises(TypeError, match=r"firing_rates: indices must be integer neuron ids"):
        firing_rates(t, np.array([0.5, 1.0, 0.0]), 2, (0.0, 10.0))
    with pytest.raises(TypeError, match=r"synchrony_index: n_neurons must be a positive int"):
        synchrony_index(t, i, 2.0, (0.0, 10.0))
    with pytest.raises(ValueError, match=r"correlogram: bin_ms must be a positive"):
        correlogram(t, t, 0.0, 10.0)
    with pytest.raises(ValueError, match=r"correlogram: max_lag_ms must be"):
        correlogram(t, t, 1.0, -1.0)
    with pytest.raises(ValueError, match=r"normalize='expected' needs the recording window"):
        correlogram(t, t, 1.0, 5.0, normalize="expected")
    with pytest.raises(ValueError, match=r"autocorrelogram: normalize must be one of"):
        autocorrelogram(t, 1.0, 5.0, normalize="pearson")
    with pytest.raises(ValueError, match=r"population_rate: smooth must be one of"):
        population_rate(t, (0.0, 10.0), 2, smooth="triangle")
    with pytest.raises(ValueError, match=r"population_rate: bin_ms=20 ms is longer than the window"):
        population_rate(t, (0.0, 10.0), 2, bin_ms=20.0)
    with pytest.raises(ValueError, match=r"fano_factor: .* the variance needs at least 2"):
        fano_factor(t, i, 2, (0.0, 10.0), bin_ms=6.0)
    with pytest.raises(ValueError, match=r"cv_isi: min_spikes must be >= 3"):
        cv_isi(t, i, 2, min_spikes=2)
    with pytest.raises(ValueError, match=r"firing_rates: times must be a 1-D array .* spikes_from_raster"):
        firing_rates(np.zeros((3, 2)), i, 2, (0.0, 10.0))
    with pytest.raises(ValueError, match=r"spikes_from_raster: raster must be \[n_steps, n_neurons\]"):
        spikes_from_raster(np.zeros((2, 2, 2), bool), dt=0.1)
    with pytest.raises(ValueError, match=r"power_spectrum: segment_ms=500 ms is 500 samples, outside \[2, 100\]"):
        power_spectrum(np.zeros(100), dt_ms=1.0, segment_ms=500.0)
    with pytest.raises(ValueError, match=r"power_spectrum: overlap must lie in \[0, 1\)"):
        power_spectrum(np.zeros(100), dt_ms=1.0, overlap=1.0)
    with pytest.raises(ValueError, match=r"van_rossum_distance: tau_ms must be a positive"):
        van_rossum_distance(t, t, 0.0)


# ---------------------------------------------------------------------------------------------------------------
# plotting and docstring examples
# ---------------------------------------------------------------------------------------------------------------
def test_spike_figures():
    from bokeh.models import GlyphRenderer, VBar

    from brainlab.plotting import spikes as sp

    rng = np.random.default_rng(21)
    t, i, _ = poisson_population(rng, 20, 10.0, 1000.0)
    p = sp.raster_figure(t, i, n_neurons=20, t_window=(0.0, 1000.0))
    (r,) = p.select(type=GlyphRenderer)
    np.testing.assert_array_equal(r.data_source.data["x"], t)
    p = sp.raster_figure(t, i, max_spikes=50)
    assert len(p.select(type=GlyphRenderer)[0].data_source.data["x"]) == 50 and "50 of" in p.title.text
    lags, c = correlogram(t[i == 0], t[i == 1], 5.0, 50.0)
    p = sp.correlogram_figure(lags, c)
    (bars,) = [r for r in p.select(type=GlyphRenderer) if isinstance(r.glyph, VBar)]
    np.testing.assert_array_equal(bars.data_source.data["top"], c)
    sp.rate_figure(*population_rate(t, (0.0, 1000.0), 20, smooth="gaussian"))
    sp.isi_histogram_figure(*isi_histogram(t, i, 20, bin_ms=5.0), density=False)
    f, pw = power_spectrum(population_rate(t, (0.0, 1000.0), 20)[1], 1.0)
    sp.spectrum_figure(f, pw, max_freq=200.0)
    with pytest.raises(ValueError, match=r"rate_figure: centres has 3 entries but rate has 2"):
        sp.rate_figure([1.0, 2.0, 3.0], [1.0, 2.0])
    # the plotting module draws plain arrays and imports nothing from brainlab.analysis
    tree = ast.parse(Path(sp.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if "analysis" in m], imported


@pytest.mark.parametrize("module", ["brainlab.analysis._spikes", "brainlab.analysis._rates",
                                    "brainlab.analysis._intervals", "brainlab.analysis._correlations",
                                    "brainlab.analysis._spectra", "brainlab.plotting.spikes"])
def test_docstring_examples_exist(module):
    # The examples run once, under `--doctest-modules` (pyproject.toml); here: every module has some.
    assert sum(len(t.examples) for t in doctest.DocTestFinder().find(importlib.import_module(module))) > 0
