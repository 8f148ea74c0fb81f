r"""The pieces of :class:`~brainlab.widgets.NeuronExplorer` that involve no widget: per-model defaults, the input
currents it builds (from :mod:`brainlab.inputs`), the Python code that reproduces a setting, trace decimation and
the steady firing rate of the F-I curve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["INPUT_KINDS", "input_series", "input_code", "model_defaults", "steady_rates", "decimate"]

INPUT_KINDS = ("constant", "step", "ramp", "sinusoid", "noise")

# What each input kind reads, and the label each shared control takes for it.
USES: dict[str, dict[str, str]] = {
    "constant": {"amplitude": "I"},
    "step": {"baseline": "baseline", "amplitude": "step height", "onset": "onset", "width": "width"},
    "ramp": {"baseline": "ramp from", "amplitude": "ramp to", "onset": "onset", "width": "ramp length"},
    "sinusoid": {"baseline": "bias", "amplitude": "amplitude", "frequency": "frequency"},
    "noise": {"amplitude": "mean", "sigma": "sigma", "tau_noise": "tau", "seed": "seed"},
}

# (input amplitude in the model's current unit, duration in ms) for the library's neuron models.  Spiking models:
# about 1.3 to 2 times the current at which they start firing repetitively (found by a scan of 141 currents per
# model, 200 ms runs; 1000 ms for the slow Hindmarsh-Rose and Morris-Lecar), so the first view shows spikes:
# HH 10 µA/cm² (repetitive from 6.3), LIF 200 pA (rheobase (V_th - V_rest)/R = 150 pA), AdEx 1000 pA (~800),
# ExpIF 200 pA (~90), QIF 150 pA (~63), Izhikevich 10 (~7), TraubMiles 200 pA (~10: slow firing there),
# WangBuzsaki 1 µA/cm² (~0.3), FHN 0.5 (Hopf at ~0.33), MorrisLecar 100 µA/cm² (~90), HindmarshRose 2 (~1.3).
_DEFAULTS: dict[str, tuple[float, float]] = {
    "HH": (10.0, 200.0), "LIF": (200.0, 200.0), "AdEx": (1000.0, 200.0), "ExpIF": (200.0, 200.0),
    "QIF": (150.0, 200.0), "Izhikevich": (10.0, 200.0), "TraubMiles": (200.0, 200.0), "WangBuzsaki": (1.0, 200.0),
    "FHN": (0.5, 200.0), "MorrisLecar": (100.0, 1000.0), "HindmarshRose": (2.0, 1000.0),
    "ThresholdLinear": (10.0, 200.0), "WilsonCowan": (1.0, 200.0),
}


def model_defaults(cls: type) -> tuple[float, float]:
    """``(amplitude, duration)`` of the explorer's default input for the model class ``cls``.

    Library models use the table above.  For another spiking model one batched run scans 61 currents from
    0.01 to 10⁴ (in its current unit; the top is lowered a decade at a time while the run goes non-finite) and
    takes twice the smallest current that gives two spikes in the second half of a 200 ms run, rounded to one
    significant digit; a rate model (or a model that never fires) gets 1.
    """
    if cls.__name__ in _DEFAULTS and cls.__module__.startswith("brainlab."):
        return _DEFAULTS[cls.__name__]
    if not getattr(cls, "SPIKING", False):
        return 1.0, 200.0
    from .._runner import Runner

    for top in (4, 3, 2, 1, 0):
        currents = np.logspace(-2, top, 61)
        pop = cls(len(currents))
        try:
            res = Runner(pop, dt=cls.DEFAULT_DT, progress=False).run(200.0, inputs={pop: currents})
        except FloatingPointError:
            continue
        late = res.spikes.times > 100.0
        counts = np.bincount(res.spikes.indices[late], minlength=len(currents))
        if (counts >= 2).any():
            value = 2.0 * currents[int(np.argmax(counts >= 2))]
            digits = -int(math.floor(math.log10(value)))
            return float(round(value, digits)), 200.0
        break
    return 1.0, 200.0


def _window(values: Mapping[str, Any], duration: float) -> tuple[float, float]:
    onset, width = float(values["onset"]), float(values["width"])
    if not (0.0 <= onset < duration):
        raise ValueError(f"NeuronExplorer: the onset {onset:g} ms must lie within the run (0 to {duration:g} ms).")
    return onset, width


def input_series(kind: str, values: Mapping[str, Any], duration: float, dt: float) -> np.ndarray:
    """The input current of ``kind`` (not ``'noise'``) as a series of one value per step (``bl.inputs``)."""
    from .. import inputs

    if kind == "constant":
        return inputs.constant(values["amplitude"], duration, dt)
    if kind == "step":
        onset, width = _window(values, duration)
        return inputs.step_pulses(values["amplitude"], [onset], width, duration, dt, baseline=values["baseline"])
    if kind == "ramp":
        onset, width = _window(values, duration)
        return inputs.ramp(values["baseline"], values["amplitude"], duration, dt, t_start=onset, t_end=onset + width)
    if kind == "sinusoid":
        return inputs.sinusoid(values["amplitude"], values["frequency"], duration, dt, bias=values["baseline"])
    raise ValueError(f"NeuronExplorer: input must be one of {', '.join(INPUT_KINDS)}; got {kind!r}.")


def _num(x: Any) -> str:
    return repr(float(x))


def input_code(kind: str, values: Mapping[str, Any], duration: float, dt: float, unit: str) -> str:
    """The line that builds :func:`input_series`'s array (``I = bl.inputs....``), with a unit comment."""
    d, h = _num(duration), _num(dt)
    a, b = _num(values["amplitude"]), _num(values.get("baseline", 0.0))
    if kind == "constant":
        call = f"bl.inputs.constant({a}, {d}, {h})"
    elif kind == "step":
        call = (f"bl.inputs.step_pulses({a}, [{_num(values['onset'])}], {_num(values['width'])}, {d}, {h}, "
                f"baseline={b})")
    elif kind == "ramp":
        onset, width = float(values["onset"]), float(values["width"])
        call = f"bl.inputs.ramp({b}, {a}, {d}, {h}, t_start={_num(onset)}, t_end={_num(onset + width)})"
    elif kind == "sinusoid":
        call = f"bl.inputs.sinusoid({a}, {_num(values['frequency'])}, {d}, {h}, bias={b})"
    else:
        raise ValueError(f"input_code: no series for input kind {kind!r}.")
    return f"I = {call}" + (f"  # {unit}, one value per step of {h} ms" if unit else "")


def steady_rates(times: np.ndarray, indices: np.ndarray, n: int, duration: float) -> np.ndarray:
    r"""Steady firing rate (Hz) of each of ``n`` neurons: :math:`f = 1000\,(k - 1)/(t_k - t_1)` over the
    :math:`k \ge 2` spikes in the second half of the run (the onset transient is skipped); 0 with fewer spikes.

    Example:
        >>> steady_rates(np.array([10., 60., 110., 160.]), np.array([0, 0, 0, 0]), 2, 200.0)
        array([20.,  0.])
    """
    out = np.zeros(n)
    late = times > duration / 2.0
    t, i = times[late], indices[late]
    for k in range(n):
        tk = t[i == k]
        if tk.size >= 2 and tk[-1] > tk[0]:
            out[k] = 1000.0 * (tk.size - 1) / (tk[-1] - tk[0])
    return out


def decimate(y: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of at most about ``max_points`` samples of ``y`` that draw like the whole trace: the first and
    last sample and, per bucket of consecutive samples, its minimum and maximum (spike peaks are kept exactly).

    Example:
        >>> y = np.sin(np.linspace(0, 20, 10000))
        >>> idx = decimate(y, 400)
        >>> len(idx) <= 402, bool(y[idx].max() == y.max()), bool(y[idx].min() == y.min())
        (True, True, True)
    """
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, max_points // 2)
    size = n // buckets
    m = buckets * size
    blocks = np.asarray(y[:m]).reshape(buckets, size)
    start = np.arange(buckets) * size
    lo = np.argmin(blocks, axis=1) + start
    hi = np.argmax(blocks, axis=1) + start
    return np.unique(np.concatenate([[0], lo, hi, np.arange(m, n), [n - 1]]))
