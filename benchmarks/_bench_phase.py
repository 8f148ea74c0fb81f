"""PhasePlanePanel latency, kernel side: from a control change (or a click) to new data in the panel's sources.

Each case builds the panel and its layout (``panel.widget``: the jupyter_bokeh BokehModel, so every source change
is serialised for the page as in a notebook), warms up, then times ``N`` changes: with no event loop running the
panel recomputes at once, so the time of ``slider.value = x`` is the time until the new vector field, nullclines
and fixed points are in ``sources``.  The browser's drawing is not included.

- parameter change, FitzHugh-Nagumo (``I_ext`` slider; arrows 21 x 21, nullclines on 161 x 161): target <= 50 ms;
- parameter change, Morris-Lecar type I (``I_ext`` slider crossing the saddle-node): target <= 50 ms;
- the same with streamlines instead of arrows (no target; for information);
- click -> trajectory, Morris-Lecar, 200 ms forward (a bokeh Tap event handed to the figure's callbacks, as
  jupyter_bokeh does): target <= 100 ms;
- peer: the same Morris-Lecar change done without the panel, ``PhasePlane.update`` and a new full bokeh figure
  from ``portrait.plot()`` serialised as ``show`` does (no target).

``cases()`` returns the rows; run ``.venv/bin/python benchmarks/_bench_phase.py`` for a table.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

N = 30
ML_WINDOW = {"V": (-70.0, 50.0), "w": (-0.05, 0.6)}


def _row(name: str, what: str, times: list[float], target: float | None, **extra: Any) -> dict[str, Any]:
    ms = np.array(times) * 1000.0
    return {"name": name, "what": what, "n": len(ms), "median_ms": float(np.median(ms)),
            "p95_ms": float(np.percentile(ms, 95)), "min_ms": float(ms.min()), "ms": float(np.median(ms)),
            "target_ms": target, "load": f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", **extra}


def _slider_case(panel: Any, name: str, values: np.ndarray, label: str, what: str, target: float | None) -> dict:
    panel.widget
    slider = panel.controls[name]
    for v in values[:3]:  # warm-up (first-call compilation of each shape)
        slider.value = float(v)
    traces = panel.system.trace_count
    times = []
    for k in range(N):
        v = float(values[(7 * k) % len(values)])
        if v == slider.value:
            v = float(values[(7 * k + 1) % len(values)])
        before = panel.sources["fixed_points"].data
        t0 = time.perf_counter()
        slider.value = v
        times.append(time.perf_counter() - t0)
        assert panel.sources["fixed_points"].data is not before, "the change did not reach the sources"
    assert not panel.errors, panel.errors
    row = _row(label, what, times, target, traces_during=panel.system.trace_count - traces)
    panel.close()
    return row


def fhn_param() -> dict[str, Any]:
    import brainlab as bl

    panel = bl.widgets.PhasePlanePanel(bl.neurons.FHN(1), {"v": (-2.5, 2.5), "w": (-1.0, 2.5)})
    return _slider_case(panel, "I_ext", np.linspace(0.0, 1.0, 31), "PhasePlanePanel (FHN)",
                        "I_ext slider -> field, nullclines, fixed points", 50.0)


def ml_param(field: str = "arrows") -> dict[str, Any]:
    import brainlab as bl

    panel = bl.widgets.PhasePlanePanel(bl.neurons.MorrisLecar.from_preset("type_I", 1), ML_WINDOW,
                                       values={"I_ext": 30.0}, field=field)
    label = "PhasePlanePanel (Morris-Lecar)" + (" streamlines" if field == "streamlines" else "")
    return _slider_case(panel, "I_ext", np.linspace(20.0, 60.0, 41), label,
                        "I_ext slider -> field, nullclines, fixed points", 50.0 if field == "arrows" else None)


def ml_click() -> dict[str, Any]:
    import brainlab as bl
    from bokeh import events

    panel = bl.widgets.PhasePlanePanel(bl.neurons.MorrisLecar.from_preset("type_I", 1), ML_WINDOW,
                                       values={"I_ext": 30.0}, duration=200.0)
    panel.widget
    fig = panel.figures["plane"]
    (callback,) = fig._event_callbacks["tap"]
    rng = np.random.default_rng(0)
    starts = np.stack([rng.uniform(-60, 40, N + 3), rng.uniform(0.0, 0.5, N + 3)], axis=-1)
    times = []
    for k, (x, y) in enumerate(starts):
        panel.clear()
        t0 = time.perf_counter()
        callback(events.Tap(fig, x=float(x), y=float(y)))
        if k >= 3:
            times.append(time.perf_counter() - t0)
        assert len(panel.sources["trajectory"].data["t"]) > 10
    assert not panel.errors, panel.errors
    panel.close()
    return _row("PhasePlanePanel (Morris-Lecar)", "click -> 200 ms trajectory in sources", times, 100.0)


def peer_update_and_plot() -> dict[str, Any]:
    import brainlab as bl
    from bokeh.embed import json_item

    pp = bl.analysis.PhasePlane(bl.neurons.MorrisLecar.from_preset("type_I", 1), ML_WINDOW,
                                params={"I_ext": 30.0}, resolution=161)
    values = np.linspace(20.0, 60.0, 41)
    for v in values[:3]:
        json_item(pp.update(I_ext=float(v)).plot())
    times = []
    for k in range(N):
        t0 = time.perf_counter()
        json_item(pp.update(I_ext=float(values[(7 * k) % len(values)])).plot())
        times.append(time.perf_counter() - t0)
    return _row("peer: PhasePlane.update + new figure (Morris-Lecar)", "I_ext -> full figure", times, None)


CASES = (fhn_param, ml_param, lambda: ml_param("streamlines"), ml_click, peer_update_and_plot)


def cases() -> list[dict[str, Any]]:
    """Every case's row: ``name``, ``what``, ``n``, ``median_ms`` (= ``ms``), ``p95_ms``, ``min_ms``,
    ``target_ms`` (None: no target), ``load``."""
    return [case() for case in CASES]


if __name__ == "__main__":
    from widgets import _table  # the table of benchmarks/widgets.py, with its target column

    rows = cases()
    print(_table(rows))
    print(f"load average {rows[-1]['load']}")
