r"""Controls built from a model's declared parameters.

Every model declares its parameters once (:class:`brainlab._model.Parameter`: name, default, unit, admissible
range, meaning); a slider made here carries that declaration: the label shows the name and unit, the tooltip the
meaning and the admissible range, and the bounds never leave the range.

Bounds.  A declared range states what is *admissible* (``gNa`` in [0, 1000] mS/cm²), which is often far wider than
what is worth exploring.  The slider spans the declared range when that is at most ``SPAN`` times the
parameter's own scale, ``max(|default|, 1)``; otherwise it spans ``default ± SPAN/2 × scale``, clipped to the range.
A strictly positive range spanning three decades or more (time constants, capacitances) gets a logarithmic
slider over at most four decades around the default.  ``bounds=(lo, hi)`` overrides all of this.

Grid.  The page's slider only takes the values ``min + k × step`` (for a ``FloatLogSlider``: exponents
``min + k × step``) and snaps any other value onto that grid, then sends the snapped value back: an explorer
shown with ``duration=100`` on a slider from 1 ms in steps of 5 ms would re-run at 101 ms.  :func:`on_grid`
therefore places ``min``, ``max`` and ``value`` on one grid (shifting ``min`` and ``max`` inwards by less than
a step when needed), so that displaying a slider never changes its value.
"""

from __future__ import annotations

import math
from typing import Any

import ipywidgets as W

from .._model import Parameter

__all__ = ["parameter_slider", "slider_bounds", "on_grid", "place", "SPAN"]

SPAN = 20.0  # a linear slider covers at most SPAN × max(|default|, 1) (in the parameter's unit)


def slider_bounds(p: Parameter, value: float | None = None) -> tuple[float, float, bool]:
    r"""The ``(lo, hi, logarithmic)`` bounds of the slider for parameter ``p`` around ``value`` (default: its
    declared default).

    Example:
        >>> from brainlab._model import Parameter
        >>> slider_bounds(Parameter("tau", 10.0, "ms", (0.1, 1000.0)))
        (0.1, 1000.0, True)
        >>> slider_bounds(Parameter("gNa", 120.0, "mS/cm²", (0.0, 1000.0)))
        (0.0, 1000.0, False)
        >>> slider_bounds(Parameter("I_ext", 0.0, "µA/cm²", (-1e4, 1e4)))
        (-10.0, 10.0, False)
    """
    v = p.default if value is None else float(value)
    lo, hi = p.range
    if lo > 0 and math.isfinite(hi) and hi / lo >= 1e3:
        return max(lo, v / 100.0), min(hi, v * 100.0), True
    scale = max(abs(v), 1.0)
    if math.isfinite(lo) and math.isfinite(hi) and hi - lo <= SPAN * scale:
        return lo, hi, False
    return max(lo, v - SPAN / 2 * scale), min(hi, v + SPAN / 2 * scale), False


def _nice_step(span: float) -> float:
    """A round step giving about 200 to 500 positions over ``span``."""
    raw = span / 200.0
    if raw <= 0 or not math.isfinite(raw):
        return 0.01
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * mag >= raw:
            return m * mag
    return 10.0 * mag


def _clean(x: float) -> float:
    """``x`` without the last digits of float noise (``0.30000000000000004`` -> ``0.3``)."""
    return float(f"{x:.12g}")


def on_grid(lo: float, hi: float, value: float, step: float) -> tuple[float, float, float]:
    r"""``(min, max, step)`` of a slider within ``[lo, hi]`` whose grid ``min + k × step`` holds ``value``.

    A value on the grid of multiples of ``step`` keeps the round grid: ``min`` is the first multiple at or
    above ``lo``.  Another value keeps the step and shifts the grid: ``min = value - k × step`` for the
    largest such ``k`` with ``min >= lo``.  ``max`` is the last grid point at or below ``hi``.

    Example:
        >>> on_grid(1.0, 500.0, 100.0, 5.0)
        (5.0, 500.0, 5.0)
        >>> on_grid(0.0, 10.0, 2.25, 0.5)
        (0.25, 9.75, 0.5)
        >>> on_grid(-9.6, 182.6, 182.6, 0.2)  # hi itself, though -9.6 + 961 × 0.2 is 182.60000000000002
        (-9.6, 182.6, 0.2)
    """
    lo, hi, value, step = float(lo), float(hi), float(value), float(step)
    if not (step > 0 and lo <= value <= hi):
        raise ValueError(f"on_grid: need step > 0 and lo <= value <= hi, got lo={lo}, hi={hi}, value={value}, "
                         f"step={step}.")
    tol = 1e-9
    k = round(value / step)
    if abs(value / step - k) <= tol * max(1.0, abs(k)):  # value is a multiple of step: a round grid
        start = _clean(math.ceil(lo / step - tol) * step)
    else:
        start = value - math.floor((value - lo) / step + tol) * step
        if start < lo:
            start += step
    n = math.floor((hi - start) / step + tol)
    top = start + n * step
    if top > hi + tol * step * max(1.0, n):  # beyond hi by more than float noise (182.60000000000002 is 182.6)
        top -= step
    return start, (_clean(top) if _clean(top) <= hi else min(top, hi)), step


def place(slider: W.Widget, value: float) -> None:
    """Set ``slider`` to ``value``, moving its bounds so that they and ``value`` share one step grid (for a
    ``FloatLogSlider`` in exponents) and widening them to reach ``value`` if needed."""
    value = float(value)
    if isinstance(slider, W.FloatLogSlider):
        if not value > 0:
            slider.value = value  # the slider clamps; nothing to place on an exponent grid
            return
        x = math.log10(value)
        lo, hi, _s = on_grid(min(slider.min, x), max(slider.max, x), x, slider.step)
    elif isinstance(slider, W.FloatSlider):
        lo, hi, _s = on_grid(min(slider.min, value), max(slider.max, value), value, slider.step)
    else:
        slider.min, slider.max = min(slider.min, value), max(slider.max, value)
        slider.value = value
        return
    slider.min, slider.max = min(slider.min, lo), max(slider.max, hi)  # wide first: the value is never clamped
    slider.value = value
    slider.min, slider.max = lo, hi


def parameter_slider(p: Parameter, value: Any = None, *, bounds: tuple[float, float] | None = None,
                     continuous_update: bool = True) -> W.Widget:
    r"""A slider for the declared parameter ``p``, labelled with its name and unit, its meaning as tooltip.

    Args:
        p: the declaration (``bl.neurons.HH.PARAMETERS[0]``).
        value: the initial value (default: ``p.default``); a per-neuron array is shown by its mean.
        bounds: ``(lo, hi)`` for the slider instead of the automatic bounds (see the module docstring); it must
            lie within the declared range.
        continuous_update: send changes while dragging (the panels coalesce them).

    Example:
        >>> import brainlab as bl
        >>> s = parameter_slider(bl.neurons.HH.PARAMETERS[0])
        >>> s.description, s.value, (s.min, s.max)
        ('gNa (mS/cm²)', 120.0, (0.0, 1000.0))
    """
    if not isinstance(p, Parameter):
        raise TypeError(f"parameter_slider: p must be a Parameter declaration, got {type(p).__name__}.")
    v = p.default if value is None else float(_mean(value))
    if bounds is not None:
        try:
            lo, hi = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise TypeError(f"parameter_slider: bounds for {p.name!r} must be a pair (lo, hi) of numbers, "
                            f"got {bounds!r}.") from None
        plo, phi = p.range
        if not (plo <= lo < hi <= phi):
            raise ValueError(f"parameter_slider: bounds {bounds!r} for {p.name!r} must satisfy lo < hi and lie "
                             f"within the admissible range {p.describe_range()}.")
        log = lo > 0 and hi / lo >= 1e3
    else:
        lo, hi, log = slider_bounds(p, v)
    v = min(max(v, lo), hi)
    if log:
        x = math.log10(v)
        lo, hi, _step = on_grid(math.log10(lo), math.log10(hi), x, _nice_step(math.log10(hi) - math.log10(lo)))
    else:
        lo, hi, _step = on_grid(lo, hi, v, _nice_step(hi - lo))
    unit = f" ({p.unit})" if p.unit else ""
    common = dict(value=v, description=f"{p.name}{unit}", continuous_update=continuous_update,
                  readout_format=".4g", style={"description_width": "110px"},
                  layout=W.Layout(width="380px"),
                  tooltip=f"{p.doc}; admissible {p.describe_range()}".strip("; "))
    if log:
        return W.FloatLogSlider(base=10.0, min=lo, max=hi, step=_step, **common)
    return W.FloatSlider(min=lo, max=hi, step=_step, **common)


def _mean(value: Any) -> float:
    import numpy as np

    return float(np.mean(np.asarray(getattr(value, "value", value), dtype=float)))
