"""Bokeh figures for spike data: raster, population rate, ISI histogram, correlogram, power spectrum.

Plain functions of numpy-like arrays (numpy, JAX) that return a ``bokeh.plotting.figure``; display it with
``bokeh.io.show`` (after ``bokeh.io.output_notebook()`` in Jupyter) or lay several out with ``bokeh.layouts``.
They draw what they are given — compute the statistics with ``brainlab.analysis`` first, e.g.
``rate_figure(*population_rate(times, (0., 1000.), n_neurons=100, smooth='gaussian'))``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.plotting import figure

__all__ = ["raster_figure", "rate_figure", "isi_histogram_figure", "correlogram_figure", "spectrum_figure"]

_SIZE = dict(width=700, height=300)


def _pair(owner: str, x: Any, y: Any, xname: str, yname: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"{owner}: {xname} and {yname} must be 1-D arrays; got shapes {np.shape(x)} and "
                         f"{np.shape(y)}.")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{owner}: {xname} has {x.shape[0]} entries but {yname} has {y.shape[0]}; pass arrays of "
                         f"equal length (as returned together by the analysis function).")
    return x, y


def _width(centres: np.ndarray, width: float | None) -> float:
    if width is not None:
        return float(width)
    return float(np.min(np.diff(centres))) if centres.shape[0] > 1 else 1.0


def raster_figure(times: Any, indices: Any, n_neurons: int | None = None,
                  t_window: tuple[float, float] | None = None, max_spikes: int = 200_000, seed: int = 0,
                  title: str = "Spike raster", **figure_kwargs: Any) -> figure:
    """Spike raster: one dot per spike at (time in ms, neuron id).

    Args:
        times: spike times (ms), ``[n_spikes]``.
        indices: neuron ids, ``[n_spikes]``.
        n_neurons: sets the y range to ``[-0.5, n_neurons - 0.5]`` when given.
        t_window: sets the x range (ms) when given.
        max_spikes: above this many spikes a uniform random subset (``seed``) is drawn and the title says so —
            browsers slow down beyond a few hundred thousand glyphs.
        title: figure title.
        **figure_kwargs: passed to ``bokeh.plotting.figure`` (``width``, ``height`` ...).

    Returns:
        The figure (WebGL output backend).

    Example:
        >>> p = raster_figure([1., 2., 5.], [0, 2, 1], n_neurons=3, t_window=(0., 10.))
    """
    t, i = _pair("raster_figure", times, indices, "times", "indices")
    shown = t.shape[0]
    if shown > max_spikes:
        keep = np.sort(np.random.default_rng(seed).choice(shown, size=max_spikes, replace=False))
        t, i = t[keep], i[keep]
        title = f"{title} ({max_spikes:,} of {shown:,} spikes shown)"
    kw = dict(_SIZE, title=title, x_axis_label="time (ms)", y_axis_label="neuron", output_backend="webgl")
    kw.update(figure_kwargs)
    if n_neurons is not None:
        kw.setdefault("y_range", (-0.5, int(n_neurons) - 0.5))
    if t_window is not None:
        kw.setdefault("x_range", (float(t_window[0]), float(t_window[1])))
    p = figure(**kw)
    p.scatter(t, i, marker="square", size=2, line_width=0, fill_color="black")
    return p


def rate_figure(centres: Any, rate: Any, title: str = "Population rate", **figure_kwargs: Any) -> figure:
    """Firing rate (Hz) against time (ms), as a line.

    Args:
        centres: bin centres (ms), ``[n_bins]``.
        rate: rate (Hz), ``[n_bins]``.
        title: figure title.
        **figure_kwargs: passed to ``bokeh.plotting.figure``.

    Example:
        >>> p = rate_figure([0.5, 1.5, 2.5], [10., 20., 15.])
    """
    x, y = _pair("rate_figure", centres, rate, "centres", "rate")
    kw = dict(_SIZE, title=title, x_axis_label="time (ms)", y_axis_label="rate (Hz)")
    kw.update(figure_kwargs)
    p = figure(**kw)
    p.line(x, y, line_width=1.5)
    return p


def isi_histogram_figure(centres: Any, values: Any, bin_ms: float | None = None, density: bool = False,
                         title: str = "Inter-spike intervals", **figure_kwargs: Any) -> figure:
    """ISI histogram as adjacent bars.

    Args:
        centres: bin centres (ms).
        values: counts, or density (1/ms) when ``density=True`` (only changes the axis label).
        bin_ms: bar width (ms); inferred from ``centres`` when omitted.
        title: figure title.
        **figure_kwargs: passed to ``bokeh.plotting.figure``.

    Example:
        >>> p = isi_histogram_figure([0.5, 1.5, 2.5], [3, 5, 2])
    """
    x, y = _pair("isi_histogram_figure", centres, values, "centres", "values")
    w = _width(x, bin_ms)
    kw = dict(_SIZE, title=title, x_axis_label="ISI (ms)",
              y_axis_label="density (1/ms)" if density else "count")
    kw.update(figure_kwargs)
    p = figure(**kw)
    p.quad(left=x - w / 2, right=x + w / 2, bottom=0.0, top=y, line_color="white")
    return p


def correlogram_figure(lags: Any, values: Any, bin_ms: float | None = None, ylabel: str = "pair count",
                       title: str = "Correlogram", **figure_kwargs: Any) -> figure:
    """Cross- or auto-correlogram as bars centred on the lags; a dashed line marks lag 0.

    Args:
        lags: lags (ms); positive = second train after the first.
        values: correlogram values.
        bin_ms: bar width (ms); inferred from ``lags`` when omitted.
        ylabel: y-axis label (e.g. ``'rate (Hz)'`` or ``'observed / expected'`` for normalised correlograms).
        title: figure title.
        **figure_kwargs: passed to ``bokeh.plotting.figure``.

    Example:
        >>> p = correlogram_figure([-1., 0., 1.], [2, 7, 3])
    """
    x, y = _pair("correlogram_figure", lags, values, "lags", "values")
    w = _width(x, bin_ms)
    kw = dict(_SIZE, title=title, x_axis_label="lag (ms)", y_axis_label=ylabel)
    kw.update(figure_kwargs)
    p = figure(**kw)
    p.vbar(x=x, width=w, top=y, bottom=0.0, line_color="white")
    p.line([0.0, 0.0], [0.0, float(np.max(y)) if y.size else 1.0], line_dash="dashed", line_color="gray")
    return p


def spectrum_figure(freq: Any, power: Any, log_y: bool = True, max_freq: float | None = None,
                    ylabel: str = "power (unit²/Hz)", title: str = "Power spectrum", **figure_kwargs: Any) -> figure:
    """Power spectral density against frequency (Hz), log-scaled power by default.

    Args:
        freq: frequencies (Hz).
        power: PSD (non-negative); with ``log_y`` the zero-frequency bin and zero values are not drawn.
        log_y: logarithmic power axis.
        max_freq: upper end of the frequency axis (Hz).
        ylabel: y-axis label (e.g. ``'power (Hz²/Hz)'`` for a rate).
        title: figure title.
        **figure_kwargs: passed to ``bokeh.plotting.figure``.

    Example:
        >>> p = spectrum_figure([0., 1., 2.], [1., 0.5, 0.25], max_freq=2.)
    """
    f, pw = _pair("spectrum_figure", freq, power, "freq", "power")
    if log_y:
        keep = (pw > 0) & (f > 0)
        f, pw = f[keep], pw[keep]
    kw = dict(_SIZE, title=title, x_axis_label="frequency (Hz)", y_axis_label=ylabel,
              y_axis_type="log" if log_y else "linear")
    if max_freq is not None:
        kw["x_range"] = (0.0, float(max_freq))
    kw.update(figure_kwargs)
    p = figure(**kw)
    p.line(f, pw, line_width=1.5)
    return p
