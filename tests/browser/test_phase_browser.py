"""PhasePlanePanel in JupyterLab and Chromium: a mouse click on the plane's canvas reaches the kernel as a bokeh
Tap event and draws a trajectory (kernel source and page figure hold the same rows), and a slider moved with the
keyboard redraws the nullclines in the page.  Notebooks are written into the server's temporary root."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

SETUP = "import json\nimport numpy as np\nimport brainlab as bl\nbl.plotting.setup_notebook()"






def _finite(values: list[float]) -> np.ndarray:
    a = np.array([np.nan if v is None else v for v in values], dtype=float)
    return a[np.isfinite(a)]


@pytest.mark.browser
def test_click_draws_a_trajectory_and_a_slider_redraws_the_nullclines(lab_page):
    lab_page.run_notebook("phase_panel.ipynb", [
        SETUP,
        "pp = bl.widgets.PhasePlanePanel(bl.neurons.MorrisLecar.from_preset('type_I', 1),\n"
        "                                {'V': (-70.0, 50.0), 'w': (-0.05, 0.6)}, values={'I_ext': 30.0})\n"
        "pp",
    ])
    ids = json.loads(lab_page.kernel_eval(
        "print(json.dumps({k: pp.sources[k].id for k in ('trajectories', 'trajectory', 'nullcline_V')}))"))
    roots = lab_page.bokeh_roots()
    roots.first.wait_for(state="attached", timeout=60_000)
    lab_page.wait_until(lambda: (c := lab_page.bokeh_columns(ids["nullcline_V"])) and len(c["x"]) > 10, 30,
               "the V-nullcline in the page")
    drawn: list[Any] = []

    def plots_drawn() -> bool:
        drawn.append([s for s in lab_page.figure_stats(roots.first) if s["visible"]])
        return len(drawn[-1]) >= 3 and all(s["drawn"] > 0.005 for s in drawn[-1])

    lab_page.wait_until(plots_drawn, 30, lambda: f"the plane and the time courses to be drawn; last stats {drawn[-1:]}")

    # A click in the middle of the plane's canvas (the first plot of the row) integrates a trajectory.
    canvas = roots.first.locator(".bk-Canvas").first
    box = canvas.bounding_box()
    assert box and box["width"] > 100
    lab_page.page.mouse.click(box["x"] + 0.55 * box["width"], box["y"] + 0.5 * box["height"])

    def kernel_rows() -> int:
        return int(lab_page.kernel_eval("pp.settle(); print(len(pp.sources['trajectory'].data['t']))"))

    lab_page.wait_until(lambda: kernel_rows() > 10, 30, "the click's trajectory in the kernel's source")
    start, kernel_x, errors = json.loads(lab_page.kernel_eval(
        "print(json.dumps([list(map(float, pp.trajectories[-1].states[0])), "
        "[None if x != x else float(x) for x in pp.sources['trajectories'].data['x']], "
        "[repr(e) for e in pp.errors]]))"))
    assert not errors, errors
    assert -70.0 < start[0] < 50.0 and -0.05 < start[1] < 0.6, f"the click landed at {start}, outside the window"
    # near the middle of the window (the canvas has axis margins, so not exactly)
    assert abs(start[0] + 10.0) < 30.0 and abs(start[1] - 0.275) < 0.15, start
    want = _finite(kernel_x)

    def page_has_trajectory() -> bool:
        cols = lab_page.bokeh_columns(ids["trajectories"])
        got = None if cols is None else _finite(cols["x"])
        return got is not None and got.shape == want.shape and np.allclose(got, want, rtol=1e-12)

    lab_page.wait_until(page_has_trajectory, 30, f"the page to hold the trajectory's {want.size} points")

    # The I_ext slider moved with the keyboard: the kernel redraws, the page shows the new nullcline.
    before = _finite(lab_page.bokeh_columns(ids["nullcline_V"])["y"])
    I0, step = json.loads(lab_page.kernel_eval(
        "print(json.dumps([pp.controls['I_ext'].value, pp.controls['I_ext'].step]))"))
    slider = lab_page.page.locator(".widget-hslider",
                                   has=lab_page.page.locator(".widget-label", has_text="I_ext"))
    slider.locator(".noUi-handle").focus()
    for _ in range(3):
        lab_page.page.keyboard.press("ArrowRight")
    seen: list[float] = []

    def kernel_moved() -> bool:
        seen.append(json.loads(lab_page.kernel_eval("pp.settle(); print(json.dumps(pp.params['I_ext']))")))
        return math.isclose(seen[-1], I0 + 3 * step, rel_tol=1e-9)

    lab_page.wait_until(kernel_moved, 30, lambda: f"I_ext = {I0 + 3 * step} in the kernel; seen {seen[-3:]}")
    new = _finite(json.loads(lab_page.kernel_eval(
        "print(json.dumps([None if y != y else float(y) for y in pp.sources['nullcline_V'].data['y']]))")))
    assert new.shape != before.shape or not np.allclose(new, before), "the nullcline did not change"

    # The page must come to hold the kernel's nullcline; read the kernel's again at each poll, since a slider
    # echo from a loaded page may still trigger one more (equal-valued or later) redraw after the one above.
    seen_page: list[str] = []

    def page_has_new_nullcline() -> bool:
        got = _finite(lab_page.bokeh_columns(ids["nullcline_V"])["y"])
        now = _finite(json.loads(lab_page.kernel_eval(
            "pp.settle(); print(json.dumps([None if y != y else float(y) for y in pp.sources['nullcline_V'].data['y']]))")))
        seen_page.append(f"page {got.shape}, kernel {now.shape}")
        changed = got.shape != before.shape or not np.allclose(got, before)
        return changed and got.shape == now.shape and np.allclose(got, now, rtol=1e-12)

    lab_page.wait_until(page_has_new_nullcline, 60,
                        lambda: f"the page to draw the redrawn V-nullcline ({seen_page[-3:]})")
    errors = lab_page.kernel_eval("print([repr(e) for e in pp.errors])").strip()
    assert errors == "[]", f"the panel reported errors: {errors}"
    lab_page.assert_no_browser_errors()
