"""Power spectral density of sampled signals (population rates, LFP-like traces) by Welch's method."""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from ._spikes import check_choice, check_positive

__all__ = ["power_spectrum"]


def _default_segment(n: int) -> int:
    """About 8 half-overlapping segments: the largest power of two <= n/4 (at least min(n, 16))."""
    if n <= 16:
        return n
    return max(16, 2 ** int(math.floor(math.log2(n / 4))))


def _detrend(seg: np.ndarray, how: str | None) -> np.ndarray:
    """Remove the mean (``'constant'``) or least-squares line (``'linear'``) of each segment (last axis)."""
    if how is None:
        return seg
    if how == "constant":
        return seg - seg.mean(axis=-1, keepdims=True)
    n = seg.shape[-1]
    x = np.arange(n) - (n - 1) / 2.0
    slope = (seg * x).sum(axis=-1, keepdims=True) / (x * x).sum()
    return seg - seg.mean(axis=-1, keepdims=True) - slope * x


def power_spectrum(signal: Any, dt_ms: float, method: Literal["welch", "periodogram"] = "welch",
                   segment_ms: float | None = None, overlap: float = 0.5,
                   detrend: Literal["constant", "linear"] | None = "constant") -> tuple[np.ndarray, np.ndarray]:
    r"""One-sided power spectral density of a sampled signal (Welch's method, Hann windows).

    The signal :math:`x_n` (sampled every :math:`\Delta t` = ``dt_ms``, :math:`f_s = 1000/\Delta t` Hz) is cut into
    segments of *M* samples overlapping by ``overlap``; each is detrended, multiplied by the periodic Hann window
    :math:`w_j = \tfrac12 - \tfrac12\cos(2\pi j/M)` and Fourier transformed,
    :math:`X_k = \sum_j w_j x_j e^{-2\pi i jk/M}`.  The estimate is the segment average of

    .. math:: P(f_k) = \frac{c_k\,|X_k|^2}{f_s \sum_j w_j^2},\qquad f_k = \frac{k f_s}{M},\quad
              c_k = \begin{cases}1 & f_k = 0 \text{ or } f_s/2\\ 2 & \text{otherwise,}\end{cases}

    in (signal unit)²/Hz.  It satisfies Parseval per segment: :math:`\sum_k P(f_k)\,\Delta f =
    \sum_j (w_j x_j)^2 / \sum_j w_j^2`, the window-weighted variance; white noise of variance :math:`\sigma^2`
    has the flat level :math:`2\sigma^2/f_s`.  ``method='periodogram'`` uses one segment, the whole signal.

    Args:
        signal: ``[n_steps]`` or ``[n_steps, n_channels]`` (time on axis 0), e.g. a population rate in Hz from
            :func:`population_rate`.
        dt_ms: sampling step (ms), e.g. the rate's ``bin_ms``.
        method: ``'welch'`` or ``'periodogram'``.
        segment_ms: Welch segment length (ms); ``None`` picks the largest power-of-two number of samples
            :math:`\le n/4` (about 7 segments), which sets the frequency resolution :math:`f_s/M`.
        overlap: fraction of a segment shared with the next, in [0, 1).
        detrend: ``'constant'`` (remove each segment's mean, default), ``'linear'`` or ``None``.

    Returns:
        ``(freq, power)``: frequencies (Hz) ``[M//2 + 1]`` and the PSD, ``[M//2 + 1]`` or
        ``[M//2 + 1, n_channels]``.

    Example:
        >>> import numpy as np
        >>> t = np.arange(4000) * 1.0                       # 4 s at 1 ms
        >>> f, p = power_spectrum(np.sin(2 * np.pi * 0.04 * t), dt_ms=1.0, segment_ms=1000.)
        >>> float(f[np.argmax(p)])
        40.0

    Limits: frequency resolution is :math:`f_s/M` and the Hann window spreads a pure tone over about 2 bins
    (so peak heights, not areas, depend on where the tone falls); the variance of each bin falls only as
    1/(number of segments).  Gaps or non-uniform sampling are not supported.
    """
    owner = "power_spectrum"
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError(f"{owner}: signal must be [n_steps] or [n_steps, n_channels]; got shape {x.shape}.")
    if x.shape[0] < 2:
        raise ValueError(f"{owner}: signal needs at least 2 samples along axis 0 (time); got shape {x.shape}.")
    if not np.isfinite(x).all():
        raise ValueError(f"{owner}: signal contains nan or inf; interpolate or drop them first.")
    dt_ms = check_positive(owner, "dt_ms", dt_ms)
    check_choice(owner, "method", method, ("welch", "periodogram"))
    check_choice(owner, "detrend", detrend, ("constant", "linear", None))
    overlap = float(overlap)
    if not 0.0 <= overlap < 1.0:
        raise ValueError(f"{owner}: overlap must lie in [0, 1); got {overlap!r}. Pass e.g. overlap=0.5.")
    n = x.shape[0]
    fs = 1000.0 / dt_ms
    if method == "periodogram":
        m = n
    elif segment_ms is None:
        m = _default_segment(n)
    else:
        segment_ms = check_positive(owner, "segment_ms", segment_ms)
        m = int(round(segment_ms / dt_ms))
        if m < 2 or m > n:
            raise ValueError(f"{owner}: segment_ms={segment_ms:g} ms is {m} samples, outside [2, {n}] (the "
                             f"signal length); pass a segment_ms between {2 * dt_ms:g} and {n * dt_ms:g} ms.")
    step = max(1, m - int(math.floor(overlap * m)))
    n_seg = (n - m) // step + 1
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(m) / m)
    xt = np.moveaxis(x, 0, -1)  # [..., n]
    segs = np.lib.stride_tricks.sliding_window_view(xt, m, axis=-1)[..., ::step, :][..., :n_seg, :]
    spec = np.fft.rfft(_detrend(segs, detrend) * w, axis=-1)
    p = (spec.real ** 2 + spec.imag ** 2).mean(axis=-2) / (fs * (w * w).sum())  # [..., m//2 + 1]
    p[..., 1:] *= 2.0
    if m % 2 == 0:
        p[..., -1] /= 2.0
    freq = np.fft.rfftfreq(m, d=1.0 / fs)
    return freq, np.moveaxis(p, -1, 0)
