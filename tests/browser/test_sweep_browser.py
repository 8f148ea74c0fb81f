"""A SweepPanel as a learner uses it: in JupyterLab, in Chromium, its heat map drawn from the kernel's numbers and
a mouse click on a cell of the map opening that point (a NeuronExplorer at those parameter values).

The notebook is written into the server's temporary root, never into notebooks/.  Heavy: run this file alone.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

SETUP = "import json\nimport numpy as np\nimport brainlab as bl\nbl.plotting.setup_notebook()"




@pytest.mark.browser
def test_sweep_panel_draws_its_map_and_a_click_opens_the_point(lab_page):
    lab_page.run_notebook("sweep_panel.ipynb", [
        SETUP,
        "panel = bl.widgets.SweepPanel(bl.neurons.LIF(1), x=('I_ext', [200.0, 300.0, 400.0, 500.0]),\n"
        "                              y=('tau', [5.0, 10.0, 20.0]), duration=100.0)\n"
        "panel",
        "await panel.wait()\nprint(panel.values.shape)",
    ])
    ids = json.loads(lab_page.kernel_eval(
        "print(json.dumps({'source': panel.sources['heatmap'].id, 'figure': panel.figures['heatmap'].id, "
        "'values': panel.values.tolist()}))"))
    kernel_values = np.array(ids["values"])
    assert kernel_values.shape == (3, 4) and np.all(kernel_values > 0)

    # The page holds the kernel's numbers (one cell per parameter set, x fastest) and draws them.
    def page_values() -> list[np.ndarray] | None:
        cols = lab_page.bokeh_columns(ids["source"])
        return None if not cols or len(cols.get("value", [])) != 12 else [np.array(cols["value"])]

    [got] = lab_page.wait_until(page_values, 60, "the heat map's values in the page")
    np.testing.assert_array_equal(got, kernel_values.ravel())
    roots = lab_page.bokeh_roots()
    roots.first.wait_for(state="attached", timeout=60_000)
    stats: list[Any] = []

    def map_is_drawn() -> bool:
        stats.append([s for s in lab_page.figure_stats(roots.first) if s["visible"]])
        return bool(stats[-1]) and stats[-1][0]["drawn"] > 0.2  # the cells fill most of the plot

    lab_page.wait_until(map_is_drawn, 30, lambda: f"the heat map to be drawn; last stats {stats[-1:]}")
    assert len(stats[-1]) == 1, f"only the map is shown before a click (the raster is hidden): {stats[-1]}"

    # Click the cell I_ext = 400 pA, tau = 10 ms where BokehJS draws it (its own scales give the pixel).
    px, py = lab_page.wait_until(lambda: lab_page.figure_pixel(ids["figure"], 400.0, 10.0), 30,
                                 "the heat map's view in the page")
    lab_page.page.mouse.click(px, py)
    opened = lab_page.wait_until(
        lambda: json.loads(lab_page.kernel_eval(
            "print(json.dumps(None if panel.explorer is None else [list(panel.selected), "
            "panel.explorer.controls['I_ext'].value, panel.explorer.controls['tau'].value, panel.explorer.rate]))")),
        60, "the click to open an explorer in the kernel")
    assert opened[:3] == [[2, 1], 400.0, 10.0]
    # the explorer's own run of that point: the same spikes, so the same rate up to the rounding of count / time
    assert opened[3] == pytest.approx(kernel_values[1, 2], rel=1e-12)

    # The explorer appears below the map and draws its voltage trace.
    lab_page.wait_until(lambda: roots.count() >= 2, 60, "the explorer's figures in the page")
    drawn: list[Any] = []

    def explorer_is_drawn() -> bool:
        drawn.append([s for s in lab_page.figure_stats(roots.nth(1)) if s["visible"]])
        return bool(drawn[-1]) and drawn[-1][0]["drawn"] > 0.01

    lab_page.wait_until(explorer_is_drawn, 30, lambda: f"the explorer's trace to be drawn; last stats {drawn[-1:]}")
    errors = lab_page.kernel_eval("print([repr(e) for e in panel.errors + panel.explorer.errors])").strip()
    assert errors == "[]", f"the panel reported errors: {errors}"
    lab_page.assert_no_browser_errors()
