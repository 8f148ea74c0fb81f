r"""Live panels for JupyterLab: ipywidgets controls around bokeh figures (``jupyter_bokeh.BokehModel``).

Every panel has ``controls`` (``{name: ipywidget}``), ``figures`` and ``sources`` (what is drawn), a ``status``
line where errors from callbacks appear, and ``close()``; code and tests drive a panel like a learner does.
Slider moves are coalesced (the last value wins) and long runs go through an asyncio task, so the kernel stays
responsive.  Only this package imports ipywidgets.

- :class:`NeuronExplorer`: one neuron model, a slider per declared parameter, an input chooser, voltage and
  state traces, an F-I curve; re-runs without recompiling.
- :class:`LiveRun` (and the presets :func:`LiveRaster`, :func:`LiveVoltage`): a network that streams its raster,
  traces and rates while it runs, with start/pause/resume/stop/step and sliders that act mid-run.
- :class:`PhasePlanePanel`: vector field, nullclines, fixed points with their eigenvalues; a click integrates a
  trajectory.  :class:`BifurcationPanel`: equilibrium and cycle branches with their special points; a click sets
  the parameter.  :func:`link` and :class:`DynamicsExplorer` tie the two together.
- :class:`SweepPanel`: a grid of parameter sets run in one batched call, shown as a heat map.
- :class:`NetworkBuilder`: forms and a diagram to build a ``bl.Network``, run it live and export its code.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._controls import parameter_slider, slider_bounds
from ._panel import AbstractPanel
from ._schedule import LatestWins

_LAZY = {
    "NeuronExplorer": "brainlab.widgets._explorer",
    "LiveRun": "brainlab.widgets._live",
    "LiveRaster": "brainlab.widgets._live",
    "LiveVoltage": "brainlab.widgets._live",
    "PhasePlanePanel": "brainlab.widgets._phase_panel",
    "BifurcationPanel": "brainlab.widgets._bifurcation_panel",
    "DynamicsExplorer": "brainlab.widgets._dynamics",
    "link": "brainlab.widgets._dynamics",
    "SweepPanel": "brainlab.widgets._sweep_panel",
    "NetworkBuilder": "brainlab.widgets._builder",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'brainlab.widgets' has no attribute {name!r}")


__all__ = ["AbstractPanel", "LatestWins", "parameter_slider", "slider_bounds", *_LAZY]
