"""Spike data conventions shared by the spike-train statistics, and the raster converter.

Spikes are *sparse*: two 1-D arrays of equal length, ``times`` (ms, float) and ``indices`` (neuron ids, int in
``[0, n_neurons)``), plus the population size ``n_neurons`` and the recording window ``t_window = (t_start,
t_stop)`` in ms.  Spikes need not be sorted.  numpy arrays, JAX arrays and :class:`brainlab.engine.Array` are all
accepted (they are converted with ``np.asarray``); results are numpy arrays or small frozen dataclasses.

Binning convention (used by every binned statistic): bin ``k`` of width ``bin_ms`` covers
``[t_start + k*bin_ms, t_start + (k+1)*bin_ms)``; only the ``floor((t_stop - t_start)/bin_ms)`` *full* bins of the
window are used.  A time that lies on a bin edge up to floating-point round-off is counted in the upper bin, so
spike times on a simulation grid (``t0 + k*dt``) land in the bin they label, although e.g. ``(43 * 0.1) / 0.1``
evaluates to 42.99999999999999: times are binned as ``floor((t - t_start)/bin_ms + g)`` with the guard
``g = ROUNDOFF * scale / bin_ms``, ``scale`` the largest time magnitude involved (``ROUNDOFF`` = 1e-14, about
45 ulp).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SpikeTrains", "NeuronStatistic", "spikes_from_raster"]

ROUNDOFF = 1e-14
"""Relative round-off tolerated at bin edges (see the module docstring); far below any physical time scale."""

MAX_BINS = 2**31 - 1


# ----------------------------------------------------------------------------------------------------------------
# result containers
# ----------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SpikeTrains:
    """Sparse spikes of a population: what :func:`spikes_from_raster` returns.

    Attributes:
        times: spike times (ms), float64, shape ``[n_spikes]``, sorted in time.
        indices: neuron id of each spike, int64, shape ``[n_spikes]``.
        n_neurons: population size.
        t_window: recording window ``(t_start, t_stop)`` in ms.
    """

    times: np.ndarray
    indices: np.ndarray
    n_neurons: int
    t_window: tuple[float, float]

    @property
    def n_spikes(self) -> int:
        """Number of spikes."""
        return int(self.times.shape[0])

    def __repr__(self) -> str:
        t0, t1 = self.t_window
        return (f"SpikeTrains(n_spikes={self.n_spikes}, n_neurons={self.n_neurons}, "
                f"t_window=({t0:g}, {t1:g}) ms)")


@dataclass(frozen=True, eq=False)
class NeuronStatistic:
    """A per-neuron statistic and its mean over the neurons for which it is defined.

    Attributes:
        values: the statistic of each neuron, shape ``[n_neurons]``; ``nan`` for excluded neurons (too few spikes).
        mean: mean of ``values`` over the included neurons (``nan`` when none is included).
        n_included: number of neurons included in ``mean``.
        name: what the statistic is (for display).
    """

    values: np.ndarray
    mean: float
    n_included: int
    name: str = ""

    def __repr__(self) -> str:
        return (f"NeuronStatistic({self.name}: mean={self.mean:.4g} over {self.n_included} of "
                f"{self.values.shape[0]} neurons)")


def neuron_statistic(values: np.ndarray, name: str) -> NeuronStatistic:
    """Wrap per-neuron values (``nan`` = excluded) into a :class:`NeuronStatistic`."""
    ok = ~np.isnan(values)
    n = int(ok.sum())
    mean = float(values[ok].mean()) if n else math.nan
    return NeuronStatistic(values=values, mean=mean, n_included=n, name=name)


# ----------------------------------------------------------------------------------------------------------------
# argument checks (every message names the function, the argument and the fix)
# ----------------------------------------------------------------------------------------------------------------
def check_n_neurons(owner: str, n_neurons: Any) -> int:
    if isinstance(n_neurons, (bool, np.bool_)) or not isinstance(n_neurons, numbers.Integral):
        raise TypeError(f"{owner}: n_neurons must be a positive int; got {type(n_neurons).__name__} "
                        f"{n_neurons!r}. Pass the population size, e.g. n_neurons=1000.")
    if int(n_neurons) <= 0:
        raise ValueError(f"{owner}: n_neurons must be positive; got {n_neurons}. Pass the population size, "
                         f"e.g. n_neurons=1000.")
    return int(n_neurons)


def check_positive(owner: str, name: str, value: Any, unit: str = "ms") -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a positive number ({unit}); got {type(value).__name__} "
                        f"{value!r}.") from None
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(f"{owner}: {name} must be a positive, finite number ({unit}); got {value!r}. "
                         f"Pass e.g. {name}=1.0.")
    return v


def check_window(owner: str, t_window: Any) -> tuple[float, float]:
    try:
        t_start, t_stop = (float(t) for t in t_window)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: t_window must be a pair (t_start, t_stop) in ms; got {t_window!r}. "
                        f"Pass e.g. t_window=(0., 1000.).") from None
    if not (math.isfinite(t_start) and math.isfinite(t_stop)):
        raise ValueError(f"{owner}: t_window must be finite; got {t_window!r}.")
    if not t_stop > t_start:
        raise ValueError(f"{owner}: t_window=(t_start, t_stop) needs t_stop > t_start; got t_start={t_start:g}, "
                         f"t_stop={t_stop:g} ms. Pass the recording window, e.g. t_window=(0., 1000.).")
    return t_start, t_stop


def check_choice(owner: str, name: str, value: Any, choices: tuple) -> Any:
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}.")
    return value


def as_times(owner: str, times: Any, name: str = "times") -> np.ndarray:
    """``times`` as a finite float64 1-D array."""
    t = np.asarray(times)
    if t.ndim != 1:
        raise ValueError(f"{owner}: {name} must be a 1-D array of spike times (ms); got shape {t.shape}. "
                         f"For a dense [n_steps, n_neurons] raster use spikes_from_raster(raster, dt) first.")
    if t.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: {name} must hold numbers (spike times in ms); got dtype {t.dtype}.")
    t = np.ascontiguousarray(t, dtype=np.float64)
    if t.size and not np.isfinite(t).all():
        raise ValueError(f"{owner}: {name} contains nan or inf; drop those entries before calling {owner}.")
    return t


def as_spikes(owner: str, times: Any, indices: Any, n_neurons: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated ``(times float64, indices int64, n_neurons)``."""
    n = check_n_neurons(owner, n_neurons)
    t = as_times(owner, times)
    i = np.asarray(indices)
    if i.ndim != 1:
        raise ValueError(f"{owner}: indices must be a 1-D array of neuron ids, one per spike; got shape {i.shape}.")
    if i.shape[0] != t.shape[0]:
        raise ValueError(f"{owner}: indices has {i.shape[0]} entries but times has {t.shape[0]}; pass one neuron "
                         f"index per spike time (equal-length 1-D arrays).")
    if i.dtype.kind == "f":
        if i.size and not np.array_equal(i, np.round(i)):
            raise TypeError(f"{owner}: indices must be integer neuron ids; got non-integral floats. "
                            f"Pass e.g. indices.astype(int).")
    elif i.dtype.kind not in "iub":
        raise TypeError(f"{owner}: indices must be integer neuron ids; got dtype {i.dtype}.")
    i = np.ascontiguousarray(i, dtype=np.int64)
    if i.size:
        lo, hi = int(i.min()), int(i.max())
        if lo < 0 or hi >= n:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{owner}: indices must lie in [0, n_neurons) = [0, {n}); found neuron id {bad}. "
                             f"Pass the right n_neurons (the population size) or drop spikes of other neurons.")
    return t, i, n


def edge_guard(scale: float, bin_ms: float) -> float:
    """Round-off guard, in bin widths, for times of magnitude up to ``scale`` (ms)."""
    return ROUNDOFF * abs(float(scale)) / bin_ms


def window_guard(t_window: tuple[float, float], bin_ms: float) -> float:
    """Round-off guard for binning inside ``t_window`` (only times inside the window matter)."""
    return edge_guard(max(abs(t_window[0]), abs(t_window[1])), bin_ms)


def ratio_floor(x: float, y: float) -> int:
    """``floor(x / y)`` tolerant to round-off (``0.3 / 0.1`` gives 3)."""
    r = x / y
    return math.floor(r + 1e-12 * max(abs(r), 1.0))


def n_full_bins(owner: str, t_window: tuple[float, float], bin_ms: float) -> int:
    """Number of full bins of width ``bin_ms`` in the window (round-off tolerant)."""
    n = math.floor((t_window[1] - t_window[0]) / bin_ms + window_guard(t_window, bin_ms))
    if n < 1:
        raise ValueError(f"{owner}: bin_ms={bin_ms:g} ms is longer than the window {t_window[1] - t_window[0]:g} "
                         f"ms; pass a smaller bin_ms or a longer t_window.")
    if n > MAX_BINS:
        raise ValueError(f"{owner}: bin_ms={bin_ms:g} ms gives {n} bins over the window, more than 2**31 - 1; "
                         f"pass a larger bin_ms.")
    return int(n)


# ----------------------------------------------------------------------------------------------------------------
# dense raster -> sparse spikes
# ----------------------------------------------------------------------------------------------------------------
def spikes_from_raster(raster: Any, dt: float, t0: float = 0.0) -> SpikeTrains:
    r"""Convert a dense spike raster ``[n_steps, n_neurons]`` into sparse spikes.

    A nonzero ``raster[k, i]`` is one spike of neuron ``i`` at time

    .. math:: t = t_0 + k\,\Delta t \quad \text{(ms)},

    i.e. a spike is stamped at the *start* of the step that records it; the window is
    :math:`[t_0,\ t_0 + n_\text{steps}\,\Delta t)`.  Spikes come out sorted by time (then by neuron).

    Args:
        raster: boolean (or 0/1) array ``[n_steps, n_neurons]``; numpy or JAX.  A 1-D array is one neuron.
        dt: step (ms).
        t0: time of step 0 (ms).

    Returns:
        :class:`SpikeTrains` with ``times``, ``indices``, ``n_neurons`` and ``t_window``.

    Example:
        >>> import numpy as np
        >>> r = np.zeros((10, 3), bool); r[2, 0] = r[5, 2] = True
        >>> s = spikes_from_raster(r, dt=0.1)
        >>> s.times, s.indices, s.t_window
        (array([0.2, 0.5]), array([0, 2]), (0.0, 1.0))

    Limits: a step holding a count larger than one still gives one spike (nonzero = spiked); the dense raster must
    fit in memory.
    """
    owner = "spikes_from_raster"
    r = np.asarray(raster)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2:
        raise ValueError(f"{owner}: raster must be [n_steps, n_neurons]; got shape {r.shape}.")
    if r.shape[1] == 0 or r.shape[0] == 0:
        raise ValueError(f"{owner}: raster has shape {r.shape}; it needs at least one step and one neuron.")
    dt = check_positive(owner, "dt", dt)
    try:
        t0 = float(t0)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: t0 must be a number (ms); got {t0!r}.") from None
    steps, neurons = np.nonzero(r)
    times = t0 + steps.astype(np.float64) * dt
    return SpikeTrains(times=times, indices=neurons.astype(np.int64), n_neurons=int(r.shape[1]),
                       t_window=(t0, t0 + r.shape[0] * dt))
