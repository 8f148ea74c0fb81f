"""BifurcationPanel and DynamicsExplorer, kernel side: building the diagram, and a click to new data in the sources.

- build, Hodgkin-Huxley: ``BifurcationPanel(bl.neurons.HH(1), param='I_ext', bounds=(0, 200))`` and its layout
  (``panel.widget``: the jupyter_bokeh model, serialised as in a notebook): equilibria over I_ext in [0, 200]
  µA/cm² and the limit cycles from the first Hopf point (I = 9.78) to the second (154.5).  The first build in a
  process compiles the vector field's derivatives and the collocation kernels (reported apart, no target); the
  rows time later builds (target <= 5 s);
- click on the diagram, HH: a bokeh Tap event handed to the figure's callbacks as jupyter_bokeh does, until the
  cursor, slider and the equilibria at the cursor are in the sources (target <= 100 ms); checked: no
  continuation runs (the vector field is never traced again, the diagram object is the same);
- click on the diagram of a DynamicsExplorer (HH, plane V-n with m, h held): the same click, now also until the
  linked PhasePlanePanel has redrawn (field, nullclines, fixed points at the new I_ext; with no event loop
  running it redraws at once), marked the branch's equilibrium and drawn the cycle there (target <= 100 ms).

``cases()`` returns the rows; run ``.venv/bin/python benchmarks/_bench_bifurcation.py`` for a table.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

N_BUILD = 3
N_CLICK = 30
HH_WINDOW = {"V": (-80.0, 50.0), "n": (0.2, 0.9)}


def _row(name: str, what: str, times: list[float], target: float | None, **extra: Any) -> dict[str, Any]:
    ms = np.array(times) * 1000.0
    return {"name": name, "what": what, "n": len(ms), "median_ms": float(np.median(ms)),
            "p95_ms": float(np.percentile(ms, 95)), "min_ms": float(ms.min()), "ms": float(np.median(ms)),
            "target_ms": target, "target": target, "load": f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            **extra}


def _hh_panel() -> Any:
    import brainlab as bl

    panel = bl.widgets.BifurcationPanel(bl.neurons.HH(1), param="I_ext", bounds=(0.0, 200.0), variable="V")
    panel.widget
    return panel


def hh_build() -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    first = _hh_panel()
    compile_s = time.perf_counter() - t0
    assert len(first.diagram.cycles) == 1 and not first.diagram.problems, first.status_text
    first.close()
    times = []
    for _ in range(N_BUILD):
        t0 = time.perf_counter()
        panel = _hh_panel()
        times.append(time.perf_counter() - t0)
        panel.close()
    return [_row("BifurcationPanel (HH) first build", "equilibria + cycles, with compilation", [compile_s], None),
            _row("BifurcationPanel (HH)", "build: equilibria I_ext in [0, 200] + cycles from H1", times, 5000.0)]


def _click_times(panel: Any, fig: Any, check: Any) -> list[float]:
    from bokeh import events

    (callback,) = fig._event_callbacks["tap"]
    xs = np.random.default_rng(0).uniform(0.0, 200.0, N_CLICK + 3)
    times = []
    for k, x in enumerate(xs):
        t0 = time.perf_counter()
        callback(events.Tap(fig, x=float(x), y=0.0))
        if k >= 3:
            times.append(time.perf_counter() - t0)
        check(float(x))
    return times


def hh_click() -> dict[str, Any]:
    panel = _hh_panel()
    diagram, traces = panel.diagram, panel.system.trace_count

    def check(x: float) -> None:
        assert abs(panel.value - x) <= panel.step and panel.sources["current"].data["x"][0] == panel.value

    times = _click_times(panel, panel.figures["diagram"], check)
    assert panel.diagram is diagram and panel.system.trace_count == traces, "a click recomputed the diagram"
    assert not panel.errors, panel.errors
    panel.close()
    return _row("BifurcationPanel (HH)", "click -> cursor, slider, equilibria at the cursor", times, 100.0)


def hh_click_linked() -> dict[str, Any]:
    import brainlab as bl

    ex = bl.widgets.DynamicsExplorer(bl.neurons.HH(1), param="I_ext", bounds=(0.0, 200.0), variables=HH_WINDOW)
    ex.widget
    bif, pp = ex.bifurcation, ex.phase_plane
    diagram = bif.diagram

    def check(x: float) -> None:
        # (the plane's slider may sit one of its steps off: _controls.on_grid can drop the top grid point)
        assert abs(pp.params["I_ext"] - bif.value) <= pp.controls["I_ext"].step + 1e-9
        assert abs(bif.value - x) <= bif.step
        on_cycle = bif.cycle() is not None
        assert (len(pp.sources["shown_cycle"].data["x"]) > 0) == on_cycle

    times = _click_times(bif, bif.figures["diagram"], check)
    assert bif.diagram is diagram and not bif.errors and not pp.errors, (bif.errors, pp.errors)
    ex.close()
    return _row("DynamicsExplorer (HH, V-n plane)", "click -> cursor + linked plane redrawn with cycle", times,
                100.0)


def cases() -> list[dict[str, Any]]:
    """Every case's row: ``name``, ``what``, ``n``, ``median_ms`` (= ``ms``), ``p95_ms``, ``min_ms``, ``target`` (=
    ``target_ms``; None: no target), ``load``."""
    return [*hh_build(), hh_click(), hh_click_linked()]


if __name__ == "__main__":
    from widgets import _table  # the table of benchmarks/widgets.py, with its target column

    rows = cases()
    print(_table(rows))
    print(f"load average {rows[-1]['load']}")
