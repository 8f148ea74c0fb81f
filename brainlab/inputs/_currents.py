r"""Time-series inputs: numpy arrays of one value per time step, for ``Runner.run(..., inputs={pop: series})``.

Sample :math:`i` is the input during the step from :math:`t_i = i\,\Delta t` to :math:`t_{i+1}` (the runner
applies ``series[i]`` in its step :math:`i`), and a run of ``duration`` ms has
:math:`n = \mathrm{round}(\text{duration}/\Delta t)` steps, the same count as ``Runner.run``.  Values are in the
target population's current unit (pA for ``bl.neurons.LIF``, µA/cm² for ``bl.neurons.HH``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["constant", "section", "ramp", "sinusoid", "square", "step_pulses", "n_steps"]


def _positive(owner: str, name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a number (ms), got {type(value).__name__}.") from None
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{owner}: {name} must be a finite number > 0 (ms), got {value!r}.")
    return v


def _real(owner: str, name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == np.bool_ or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{owner}: {name} must be a real number or array, got dtype {arr.dtype}.")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: {name} has NaN or infinite entries.")
    return arr


def n_steps(duration: float, dt: float, owner: str = "n_steps") -> int:
    """The number of steps of a run of ``duration`` ms at step ``dt`` ms: ``round(duration / dt)`` (>= 1)."""
    duration = _positive(owner, "duration", duration)
    dt = _positive(owner, "dt", dt)
    n = int(round(duration / dt))
    if n < 1:
        raise ValueError(f"{owner}: duration={duration} ms is shorter than one step (dt={dt} ms).")
    return n


def _times(owner: str, duration: float, dt: float) -> np.ndarray:
    return np.arange(n_steps(duration, dt, owner)) * float(dt)


def constant(value: Any, duration: float, dt: float) -> np.ndarray:
    r"""A constant input :math:`I(t) = c` for ``duration`` ms.

    Args:
        value: the value :math:`c` (a number, or an array of per-neuron values).
        duration: length (ms).  dt: time step (ms).

    Returns:
        Shape ``(n_steps,)``, or ``(n_steps, *value.shape)`` for an array value.

    Example:
        >>> import brainlab as bl
        >>> bl.inputs.constant(200.0, 1.0, 0.25)
        array([200., 200., 200., 200.])
    """
    v = _real("constant", "value", value)
    n = n_steps(duration, dt, "constant")
    return np.broadcast_to(v, (n,) + v.shape).copy()


def section(values: Sequence[Any], durations: Sequence[float], dt: float) -> np.ndarray:
    r"""A piecewise-constant input: ``values[k]`` during ``durations[k]`` ms, one section after the other.

    Section :math:`k` covers the steps :math:`\mathrm{round}(D_{k-1}/\Delta t) \le i < \mathrm{round}(D_k/\Delta t)`
    with :math:`D_k` the cumulative duration, so the total length is :math:`\mathrm{round}(\sum_k d_k / \Delta t)`
    even when a section is not a whole number of steps.

    Args:
        values: one value per section (numbers, or per-neuron arrays of one common shape).
        durations: one duration (ms, > 0) per section.  dt: time step (ms).

    Example:
        >>> import brainlab as bl
        >>> bl.inputs.section([0.0, 100.0, 0.0], [1.0, 2.0, 1.0], dt=0.5)
        array([  0.,   0., 100., 100., 100., 100.,   0.,   0.])

    Limits: all sections share one shape.
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not isinstance(durations, Sequence):
        raise TypeError("section: values and durations must be lists (one entry per section), e.g. "
                        "section([0., 100., 0.], [50., 100., 50.], dt=0.1).")
    if len(values) != len(durations) or not values:
        raise ValueError(f"section: values and durations must have the same, non-zero length (one entry per "
                         f"section); got {len(values)} values and {len(durations)} durations.")
    vals = [_real("section", f"values[{k}]", v) for k, v in enumerate(values)]
    shapes = {v.shape for v in vals}
    if len(shapes) != 1:
        raise ValueError(f"section: every value must have the same shape, got shapes {sorted(shapes)}.")
    durs = [_positive("section", f"durations[{k}]", d) for k, d in enumerate(durations)]
    dt = _positive("section", "dt", dt)
    bounds = np.rint(np.cumsum(durs) / dt).astype(int)
    if bounds[-1] < 1:
        raise ValueError(f"section: the total duration {sum(durs)} ms is shorter than one step (dt={dt} ms).")
    out = np.zeros((int(bounds[-1]),) + vals[0].shape)
    start = 0
    for v, stop in zip(vals, bounds):
        out[start:stop] = v
        start = stop
    return out


def ramp(c_start: float, c_end: float, duration: float, dt: float, t_start: float = 0.0,
         t_end: float | None = None) -> np.ndarray:
    r"""A linear ramp from ``c_start`` at ``t_start`` to ``c_end`` at ``t_end``, zero outside
    :math:`[t_\text{start}, t_\text{end})`.

    .. math::

        I(t_i) = c_\text{start} + (c_\text{end} - c_\text{start})\, \frac{t_i - t_\text{start}}
        {t_\text{end} - t_\text{start}}, \qquad t_\text{start} \le t_i < t_\text{end}.

    Args:
        c_start, c_end: values at the two ends.  duration: length of the array (ms).  dt: step (ms).
        t_start: start of the ramp (ms).  t_end: end of the ramp (ms, default ``duration``).

    Example:
        >>> import brainlab as bl
        >>> bl.inputs.ramp(0.0, 100.0, 1.0, 0.25)
        array([ 0., 25., 50., 75.])
    """
    t = _times("ramp", duration, dt)
    t_end = float(duration) if t_end is None else float(t_end)
    t_start = float(t_start)
    if not (math.isfinite(t_start) and math.isfinite(t_end)) or t_end <= t_start:
        raise ValueError(f"ramp: need t_start < t_end (ms); got t_start={t_start}, t_end={t_end}.")
    c0, c1 = float(c_start), float(c_end)
    inside = (t >= t_start - 1e-9 * dt) & (t < t_end - 1e-9 * dt)
    return np.where(inside, c0 + (c1 - c0) * (t - t_start) / (t_end - t_start), 0.0)


def sinusoid(amplitude: float, frequency_hz: float, duration: float, dt: float, bias: float = 0.0,
             phase: float = 0.0) -> np.ndarray:
    r"""A sinusoidal input :math:`I(t_i) = b + A \sin(2\pi f t_i / 1000 + \varphi)` (:math:`t` in ms, :math:`f` in
    Hz).

    Args:
        amplitude: :math:`A`.  frequency_hz: :math:`f` (Hz, >= 0).  duration, dt: ms.  bias: the offset :math:`b`.
        phase: :math:`\varphi` (radians).

    Example:
        >>> import brainlab as bl
        >>> bl.inputs.sinusoid(1.0, 250.0, 4.0, 1.0).round(6)        # a 4 ms period sampled every ms
        array([ 0.,  1.,  0., -1.])
    """
    f = float(frequency_hz)
    if not (math.isfinite(f) and f >= 0):
        raise ValueError(f"sinusoid: frequency_hz must be a finite number >= 0 (Hz), got {frequency_hz!r}.")
    t = _times("sinusoid", duration, dt)
    return float(bias) + float(amplitude) * np.sin(2.0 * np.pi * f * t / 1000.0 + float(phase))


def square(amplitude: float, frequency_hz: float, duration: float, dt: float, duty: float = 0.5,
           bias: float = 0.0) -> np.ndarray:
    r"""A square wave: :math:`b + A` during the first fraction ``duty`` of each period, :math:`b - A` during the
    rest (the convention of ``scipy.signal.square``).

    .. math::

        I(t_i) = b + A\, \mathrm{sgn}(\text{duty} - \{f t_i / 1000\}), \quad \{\cdot\} \text{ the fractional part}.

    Args:
        amplitude: :math:`A`.  frequency_hz: :math:`f` (Hz, > 0).  duration, dt: ms.
        duty: fraction of the period at the high value, in [0, 1].  bias: the offset :math:`b`.

    Example:
        >>> import brainlab as bl
        >>> bl.inputs.square(1.0, 250.0, 8.0, 1.0)
        array([ 1.,  1., -1., -1.,  1.,  1., -1., -1.])
    """
    f = float(frequency_hz)
    if not (math.isfinite(f) and f > 0):
        raise ValueError(f"square: frequency_hz must be a finite number > 0 (Hz), got {frequency_hz!r}.")
    duty = float(duty)
    if not 0.0 <= duty <= 1.0:
        raise ValueError(f"square: duty must lie in [0, 1] (the fraction of each period at the high value), got "
                         f"{duty}.")
    t = _times("square", duration, dt)
    frac = np.mod(f * t / 1000.0 + 1e-9, 1.0)  # the nudge puts a time on a phase boundary after it, not before
    return float(bias) + float(amplitude) * np.where(frac < duty, 1.0, -1.0)


def step_pulses(amplitude: float | Sequence[float], onsets: Sequence[float], width: float, duration: float,
                dt: float, baseline: float = 0.0) -> np.ndarray:
    r"""Rectangular pulses: ``baseline`` plus ``amplitude`` during :math:`[t_k, t_k + w)` after each onset
    :math:`t_k`.

    .. math::

        I(t_i) = b + \sum_k A_k\, \mathbb{1}[t_k \le t_i < t_k + w].

    Args:
        amplitude: the height of every pulse, or one height per onset.  onsets: pulse starts (ms).
        width: pulse width :math:`w` (ms, > 0).  duration, dt: ms.  baseline: :math:`b`.

    Example:
        >>> import brainlab as bl
        >>> bl.inputs.step_pulses(5.0, [1.0, 4.0], 2.0, 7.0, 1.0)
        array([0., 5., 5., 0., 5., 5., 0.])

    Limits: overlapping pulses add up; pulse edges fall on the step grid (an onset between grid points starts at
    the next grid point).
    """
    t = _times("step_pulses", duration, dt)
    width = _positive("step_pulses", "width", width)
    on = _real("step_pulses", "onsets", onsets).ravel()
    amp = _real("step_pulses", "amplitude", amplitude)
    if amp.ndim and amp.shape != on.shape:
        raise ValueError(f"step_pulses: amplitude must be a number or have one value per onset ({on.size}); got "
                         f"shape {amp.shape}.")
    amp = np.broadcast_to(amp, on.shape)
    eps = 1e-9 * float(dt)
    inside = (t[:, None] >= on[None, :] - eps) & (t[:, None] < on[None, :] + width - eps)
    return float(baseline) + (inside * amp[None, :]).sum(axis=1)
