r"""Argument parsing for :class:`~brainlab.widgets.LiveRun`: traces, populations, controls, plain sliders."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

import ipywidgets as W

from .._runner_config import _number

__all__ = ["running_loop", "positive", "trace_spec", "populations", "control_spec", "plain_slider"]


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def positive(name: str, value: Any, unit: str = "ms") -> float:
    """A LiveRun number, checked as the Runner checks its own (strings and booleans refused)."""
    return _number("LiveRun", name, value, unit=unit)


def trace_spec(traces: Any) -> list[tuple[str, Any]]:
    if traces is None or traces is False:
        return []
    if isinstance(traces, str):
        return [(traces, None)]
    if isinstance(traces, tuple) and len(traces) == 2 and isinstance(traces[0], str) and not isinstance(traces[1], str):
        return [(traces[0], traces[1])]
    if isinstance(traces, Mapping):
        return [(str(k), v) for k, v in traces.items()]
    if isinstance(traces, (list, tuple)):
        out = []
        for t in traces:
            out.extend(trace_spec(t))
        return out
    raise TypeError(f"LiveRun: traces must be a State path ('E.V'), a pair ('E.V', [0, 1]) or a dict "
                    f"{{'E.V': [0, 1]}}, got {type(traces).__name__}.")


def populations(arg: str, value: Any, sizes: dict[str, int]) -> list[str]:
    if value is True:
        return list(sizes)
    if value is None or value is False:
        return []
    names = [value] if isinstance(value, str) else list(value)
    for n in names:
        if n not in sizes:
            raise KeyError(f"LiveRun: {arg} names {n!r}, which is not a spiking population of the network; "
                           f"spiking populations: {sorted(sizes)}.")
    return names


def control_spec(controls: Any) -> dict[str, Any]:
    if controls is None:
        return {}
    if isinstance(controls, str):
        return {controls: None}
    if isinstance(controls, Mapping):
        return dict(controls)
    try:
        return {c: None for c in controls}
    except TypeError:
        raise TypeError(f"LiveRun: controls must be a list of State paths (['E.I_ext']) or a dict "
                        f"{{'EE.weight': (0, 2)}}, got {type(controls).__name__}.") from None


def plain_slider(path: str, value: float, bounds: Any) -> W.FloatSlider:
    from ._controls import _nice_step

    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise TypeError(f"LiveRun: bounds for {path!r} must be a pair (lo, hi) of numbers, got {bounds!r}.") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"LiveRun: bounds for {path!r} must be finite with lo < hi, got {bounds!r}.")
    return W.FloatSlider(value=min(max(value, lo), hi), min=lo, max=hi, step=_nice_step(hi - lo), description=path,
                         continuous_update=True, readout_format=".4g", style={"description_width": "110px"},
                         layout=W.Layout(width="380px"))
