"""Speed of the spike-train statistics on 10^6 and 10^7 spikes.

Spikes of 10,000 neurons at 10 Hz, sorted by time as simulation output is.  Times each statistic (best of
``REPEATS`` after a warm-up call that compiles/loads the numba kernels), compares binning with numpy's
``np.histogram`` / ``np.bincount`` as a reference point, and times correlograms of two 100 Hz trains of n/2 spikes
each (±50 ms in 1 ms bins; the pair count is reported since the sweep is O(n + pairs)).  Prints a table and
writes ``benchmarks/results/spike_stats.json``.

Run: ``.venv/bin/python benchmarks/spike_stats.py`` (about a minute; single-threaded numba kernels).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numba
import numpy as np

from brainlab.analysis._correlations import autocorrelogram, correlogram, synchrony_index
from brainlab.analysis._intervals import cv_isi, isi_histogram
from brainlab.analysis._rates import fano_factor, firing_rates, population_rate
from brainlab.analysis._spectra import power_spectrum

N_NEURONS = 10_000
RATE_HZ = 10.0
SIZES = (10**6, 10**7)
REPEATS = 3


def best_of(fn, repeats=REPEATS):
    fn()  # warm-up: numba compile or cache load
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def population(rng, n_spikes):
    t_stop = n_spikes / (N_NEURONS * RATE_HZ) * 1000.0  # ms
    times = np.sort(rng.uniform(0.0, t_stop, n_spikes))
    indices = rng.integers(0, N_NEURONS, n_spikes)
    return times, indices, (0.0, t_stop)


def main() -> dict:
    rng = np.random.default_rng(0)
    rows = []
    for n in SIZES:
        t, i, win = population(rng, n)
        nb = int(win[1])  # 1 ms bins
        res = {"n_spikes": n, "n_neurons": N_NEURONS, "duration_ms": win[1]}
        res["firing_rates_s"] = best_of(lambda: firing_rates(t, i, N_NEURONS, win))
        res["numpy_bincount_s"] = best_of(lambda: np.bincount(i[(t >= win[0]) & (t < win[1])], minlength=N_NEURONS))
        res["population_rate_1ms_s"] = best_of(lambda: population_rate(t, win, N_NEURONS, bin_ms=1.0))
        res["population_rate_gauss_s"] = best_of(
            lambda: population_rate(t, win, N_NEURONS, bin_ms=1.0, smooth="gaussian", width_ms=5.0))
        res["numpy_histogram_1ms_s"] = best_of(lambda: np.histogram(t, bins=nb, range=win))
        res["fano_factor_100ms_s"] = best_of(lambda: fano_factor(t, i, N_NEURONS, win, bin_ms=100.0))
        res["cv_isi_s"] = best_of(lambda: cv_isi(t, i, N_NEURONS))
        res["isi_histogram_s"] = best_of(lambda: isi_histogram(t, i, N_NEURONS, bin_ms=1.0, max_isi_ms=500.0))
        res["synchrony_index_s"] = best_of(lambda: synchrony_index(t, i, N_NEURONS, win, width_ms=5.0), 1)
        _, rate = population_rate(t, win, N_NEURONS, bin_ms=1.0)
        res["power_spectrum_s"] = best_of(lambda: power_spectrum(rate, dt_ms=1.0))
        # correlogram of two 100 Hz trains with n/2 spikes each
        half = n // 2
        t_c = half / 100.0 * 1000.0
        a = np.sort(rng.uniform(0.0, t_c, half))
        b = np.sort(rng.uniform(0.0, t_c, half))
        res["correlogram_pairs"] = int(correlogram(a, b, 1.0, 50.0)[1].sum())
        res["correlogram_s"] = best_of(lambda: correlogram(a, b, 1.0, 50.0))
        res["correlogram_unsorted_s"] = best_of(lambda: correlogram(a[::-1], b[::-1], 1.0, 50.0), 1)
        res["autocorrelogram_s"] = best_of(lambda: autocorrelogram(a, 1.0, 50.0))
        rows.append(res)
        del t, i, a, b

    print(f"{'measure':28s}" + "".join(f"{f'{n:.0e} spikes':>16s}" for n in SIZES))
    for key in rows[0]:
        if key.endswith("_s"):
            print(f"{key[:-2]:28s}" + "".join(f"{r[key] * 1e3:13.1f} ms" for r in rows))
    print(f"{'correlogram pairs':28s}" + "".join(f"{r['correlogram_pairs']:16,d}" for r in rows))

    result = {
        "benchmark": "spike_stats",
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count(),
                    "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__},
        "repeats": REPEATS,
        "rows": rows,
    }
    out = Path(__file__).parent / "results" / "spike_stats.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
