"""DynamicsExplorer in JupyterLab and Chromium: a mouse click on the bifurcation diagram's canvas reaches the kernel
as a bokeh Tap event, moves the cursor, and the linked phase plane takes the clicked parameter value and redraws
(its kernel sources and the page's figure hold the same new nullcline).  Notebooks are written into the server's
temporary root."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

SETUP = "import json\nimport numpy as np\nimport brainlab as bl\nbl.plotting.setup_notebook()"




def _finite(values: list[float]) -> np.ndarray:
    a = np.array([np.nan if v is None else v for v in values], dtype=float)
    return a[np.isfinite(a)]


@pytest.mark.browser
def test_a_click_on_the_diagram_moves_the_linked_phase_plane(lab_page):
    lab_page.run_notebook("dynamics_explorer.ipynb", [
        SETUP,
        "ex = bl.widgets.DynamicsExplorer(bl.neurons.FHN(1), param='I_ext', bounds=(0.0, 1.5),\n"
        "                                 variables={'v': (-2.5, 2.5), 'w': (-1.0, 2.5)},\n"
        "                                 bifurcation={'cycle_options': {'max_steps': 60}})\n"
        "ex",
    ])
    ids = json.loads(lab_page.kernel_eval(
        "print(json.dumps({'null': ex.phase_plane.sources['nullcline_v'].id,"
        " 'current': ex.bifurcation.sources['current'].id, 'I0': ex.bifurcation.value,"
        " 'figure': ex.bifurcation.figures['diagram'].id}))"))
    roots = lab_page.bokeh_roots()
    roots.first.wait_for(state="attached", timeout=60_000)
    lab_page.wait_until(lambda: (c := lab_page.bokeh_columns(ids["null"])) and len(c["x"]) > 10, 30,
               "the phase plane's v-nullcline in the page")
    drawn: list[Any] = []

    def diagram_drawn() -> bool:
        drawn.append([s for s in lab_page.figure_stats(roots.first) if s["visible"]])
        return bool(drawn[-1]) and drawn[-1][0]["drawn"] > 0.005

    lab_page.wait_until(diagram_drawn, 30, lambda: f"the bifurcation diagram to be drawn; last stats {drawn[-1:]}")
    before = _finite(lab_page.bokeh_columns(ids["null"])["y"])

    # A click at I_ext = 0.9, v = 0 on the diagram, placed with BokehJS's own scales (the frame's pixels), well
    # away from the starting value.
    px, py = lab_page.wait_until(lambda: lab_page.figure_pixel(ids["figure"], 0.9, 0.0), 30,
                                 "the diagram's view in the page")
    lab_page.page.mouse.click(px, py)
    seen: list[Any] = []

    def kernel_moved() -> bool:
        seen.append(json.loads(lab_page.kernel_eval(
            "ex.phase_plane.settle(); print(json.dumps([ex.bifurcation.value, ex.phase_plane.params['I_ext']]))")))
        return abs(seen[-1][0] - 0.9) < 0.01  # a pixel is about 0.003 of I_ext here

    lab_page.wait_until(kernel_moved, 30, lambda: f"the click at I_ext = 0.9 to move the cursor; seen {seen[-3:]}")
    value, pp_value = seen[-1]
    # (the page's slider echoes the value computed on its own grid: equal up to rounding)
    assert pp_value == pytest.approx(value, rel=1e-9), "the linked phase plane did not take the clicked value"
    kernel = json.loads(lab_page.kernel_eval(
        "print(json.dumps({'null': [None if y != y else float(y) for y in ex.phase_plane.sources['nullcline_v'].data['y']],"
        " 'errors': [repr(e) for e in ex.bifurcation.errors + ex.phase_plane.errors]}))"))
    assert not kernel["errors"], kernel["errors"]
    new = _finite(kernel["null"])
    assert new.shape != before.shape or not np.allclose(new, before), "the phase plane did not redraw"

    def page_has_new_plane() -> bool:
        got = _finite(lab_page.bokeh_columns(ids["null"])["y"])
        return got.shape == new.shape and np.allclose(got, new, rtol=1e-12)

    lab_page.wait_until(page_has_new_plane, 30, "the page to draw the redrawn v-nullcline")

    def page_cursor() -> bool:
        cols = lab_page.bokeh_columns(ids["current"])
        return cols is not None and len(cols["x"]) > 0 and np.allclose(cols["x"], value)

    lab_page.wait_until(page_cursor, 30, "the page to mark the equilibria at the new cursor")
    lab_page.assert_no_browser_errors()
