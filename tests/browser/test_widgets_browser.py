"""The widgets as a learner uses them: in JupyterLab, in Chromium, moved with the keyboard and the buttons.

The kernel-side widget tests drive the Python objects; these check the other half, that the page sends a slider
move to the kernel and that what the kernel computes reaches the figure BokehJS draws (``jupyter_bokeh``'s
``BokehModel``, compared through ``window.Bokeh.documents``).  The notebooks are written into the server's
temporary root, never into notebooks/.
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pytest

SETUP = "import json\nimport numpy as np\nimport brainlab as bl\nbl.plotting.setup_notebook()"




def open_and_run(lab_page, name: str, cells: list[str]) -> None:
    lab_page.run_notebook(name, cells)
    lab_page.page.locator(".jp-OutputArea-output .bk-Canvas").first.wait_for(state="attached", timeout=60_000)


@pytest.mark.browser
def test_a_panel_draws_in_a_notebook_that_never_set_up_bokeh(lab_page):
    """jupyter_bokeh's extension does not bundle BokehJS: the panel sends it on its first display."""
    lab_page.open_notebook(lab_page.server.write_notebook("explorer_no_setup.ipynb", [
        "import brainlab as bl\nbl.widgets.NeuronExplorer(bl.neurons.LIF)",
    ]))
    lab_page.run_all_cells()
    lab_page.wait_until_done()
    errors = lab_page.error_outputs()
    assert not errors, "error output:\n" + "\n".join(errors)
    roots = lab_page.bokeh_roots()
    roots.first.wait_for(state="attached", timeout=60_000)
    drawn: list[Any] = []

    def trace_is_drawn() -> bool:
        drawn.append([s for s in lab_page.figure_stats(roots.first) if s["visible"]])
        return bool(drawn[-1]) and all(s["drawn"] > 0.01 for s in drawn[-1])

    lab_page.wait_until(trace_is_drawn, 30, lambda: f"the explorer's figures to be drawn; last stats {drawn[-1:]}")
    lab_page.assert_no_browser_errors()


@pytest.mark.browser
def test_neuron_explorer_slider_moved_with_the_keyboard_redraws_the_trace(lab_page):
    open_and_run(lab_page, "explorer_keyboard.ipynb", [
        SETUP,
        "ex = bl.widgets.NeuronExplorer(bl.neurons.LIF, duration=100.0)\n"
        "initial = {k: c.value for k, c in ex.controls.items() if isinstance(getattr(c, 'value', None), float)}\n"
        "ex",
    ])
    source = lab_page.kernel_eval("print(ex.sources['V'].id)").strip()

    def kernel_trace() -> np.ndarray:
        return np.array(json.loads(lab_page.kernel_eval("ex.settle(); print(json.dumps(np.asarray(ex.sources['V'].data['y'], dtype=float).tolist()))")))

    def page_trace() -> np.ndarray | None:
        cols = lab_page.bokeh_columns(source)
        return None if cols is None else np.array(cols["y"])

    lab_page.wait_until(lambda: (y := page_trace()) is not None and y.size > 0, 30, "the V trace in the page")
    # What the page's sliders sent back when they were drawn (checked at the end).
    after_display = json.loads(lab_page.kernel_eval(
        "print(json.dumps({k: [initial[k], ex.controls[k].value] for k in initial}))"
    ))
    before = page_trace()
    np.testing.assert_allclose(before, kernel_trace(), rtol=1e-12, err_msg="page and kernel traces differ")

    tau0, step, log = json.loads(lab_page.kernel_eval(
        "s = ex.controls['tau']; print(json.dumps([s.value, s.step, type(s).__name__ == 'FloatLogSlider']))"
    ))
    presses = 4
    expected = tau0 * 10 ** (presses * step) if log else tau0 + presses * step  # one step per arrow key
    slider = lab_page.page.locator(".widget-hslider", has=lab_page.page.locator(".widget-label", has_text="tau (ms)"))
    slider.locator(".noUi-handle").focus()
    for _ in range(presses):
        lab_page.page.keyboard.press("ArrowRight")
    last: list[float] = []

    def kernel_tau_is_expected() -> bool:
        last.append(json.loads(lab_page.kernel_eval("print(json.dumps(ex.controls['tau'].value))")))
        return last[-1] == pytest.approx(expected, rel=1e-9)

    lab_page.wait_until(kernel_tau_is_expected, 30,
               lambda: f"tau = {expected:.6g} ms in the kernel after {presses} x ArrowRight from {tau0} (step {step}); "
                       f"values seen {last[-3:]}")

    # The kernel re-runs the model; the page then draws the new trace: equal to the kernel's, unlike before.
    after_kernel = kernel_trace()
    seen: list[Any] = []

    def page_shows_kernel_trace() -> list[np.ndarray] | None:
        y = page_trace()
        seen.append(None if y is None else (y.shape, float(np.max(np.abs(y - after_kernel))) if y.shape ==
                                            after_kernel.shape else "other shape"))
        return [y] if y is not None and y.shape == after_kernel.shape and np.array_equal(y, after_kernel) else None

    [after_page] = lab_page.wait_until(
        page_shows_kernel_trace, 30,
        lambda: f"the page to show the re-run trace (kernel: {after_kernel.shape}); page (shape, max |diff|): "
                f"{seen[-1:]}",
    )
    assert after_page.shape != before.shape or not np.allclose(after_page, before), \
        "the trace did not change when tau changed"
    errors = lab_page.kernel_eval("print([repr(e) for e in ex.errors])").strip()
    assert errors == "[]", f"the explorer reported errors: {errors}"
    lab_page.assert_no_browser_errors()

    # Showing the panel must not change a control: a slider that snaps its value to its own step grid sends the
    # snapped value back, and the explorer then runs something other than what the code asked for.
    changed = {k: v for k, v in after_display.items() if v[1] != pytest.approx(v[0], rel=1e-12, abs=1e-12)}
    assert not changed, f"displaying the explorer changed controls (name: [set, after display]): {changed}"


@pytest.mark.browser
def test_live_raster_streams_pauses_and_resumes(lab_page):
    open_and_run(lab_page, "live_raster.ipynb", [
        SETUP,
        # open-ended run, slowed to 200 simulated ms per second so that frames come one by one
        "live = bl.widgets.LiveRaster(bl.networks.coba(400, seed=0), duration=None, every=10.0, fps=10, speed=200.0)\n"
        "live",
    ])
    ids = json.loads(lab_page.kernel_eval(
        "print(json.dumps({'raster': live.sources['raster'].id, 'x_range': live.figures['raster'].x_range.id}))"
    ))
    page = lab_page.page

    def newest() -> float:
        """The newest spike time in the page's raster (-inf while there is none)."""
        cols = lab_page.bokeh_columns(ids["raster"])
        return max(cols["t"]) if cols and cols["t"] else float("-inf")

    def kernel_state() -> tuple[str, float, int]:
        return tuple(json.loads(lab_page.kernel_eval("print(json.dumps([live.state, live.t, live.frames_pushed]))")))

    page.locator("button", has_text="start").click()
    seen = [lab_page.wait_until(lambda: (t := newest()) > 0 and t, 60, "the first frame in the page")]
    for _ in range(3):  # frames keep arriving: the newest plotted time grows
        seen.append(lab_page.wait_until(lambda: (t := newest()) > seen[-1] and t, 30, f"a frame newer than t = {seen[-1]} ms"))
    assert kernel_state()[0] == "running"

    # The visible window follows the newest data (what a learner watches); checked at the end.
    # Both read at once in the page (a frame could land between two reads).
    def view() -> tuple[dict[str, Any], float] | None:
        got = page.evaluate(
            """([src, rng]) => {
                for (const doc of (window.Bokeh && window.Bokeh.documents) || []) {
                    const s = doc.get_model_by_id(src), r = doc.get_model_by_id(rng);
                    if (s == null || r == null) continue;
                    const t = s.data instanceof Map ? s.data.get('t') : s.data.t;
                    return [{start: r.start, end: r.end}, Math.max(...Array.from(t, Number))];
                }
                return null;
            }""",
            [ids["raster"], ids["x_range"]],
        )
        return None if got is None else (got[0], got[1])

    rng, t_new = lab_page.wait_until(view, 30, "the raster's range and spikes in the page")

    page.locator("button", has_text="pause").click()
    lab_page.wait_until(lambda: kernel_state()[0] == "paused", 30, "the kernel to pause")
    # Pausing acts at the end of the current chunk: wait until the kernel's time has settled.
    settled: list[tuple[str, float, int]] = [kernel_state()]

    def still() -> bool:
        time.sleep(0.5)
        settled.append(kernel_state())
        return settled[-1] == settled[-2]

    lab_page.wait_until(still, 30, "the paused run to settle")
    last = float(lab_page.kernel_eval("print(max(live.sources['raster'].data['t']))"))
    lab_page.wait_until(lambda: newest() == last, 30, f"the page to show the last spikes before the pause (t = {last} ms)")
    paused_at = newest()
    time.sleep(2.0)  # while paused nothing may arrive, however long we wait
    assert newest() == paused_at, f"frames arrived while paused: {paused_at} -> {newest()} ms"
    assert kernel_state() == settled[-1], f"the run went on while paused: {settled[-1]} -> {kernel_state()}"

    # Paused, the page holds exactly the kernel's window of spikes.
    kernel_cols = json.loads(lab_page.kernel_eval(
        "print(json.dumps({k: np.asarray(v, dtype=float).tolist() for k, v in live.sources['raster'].data.items()}))"
    ))
    page_cols = lab_page.bokeh_columns(ids["raster"])
    mismatch = []  # checked at the end, after pause and resume
    kt = np.asarray(kernel_cols["t"])
    if not np.all(np.diff(kt) >= 0):
        mismatch.append(f"paused, the kernel's raster times are out of order ({kt.size} rows; the page echoed "
                        "streams back into it?)")
    for col in ("t", "i", "k"):
        k, p = np.asarray(kernel_cols[col]), np.asarray(page_cols[col])
        if not (k.shape == p.shape and np.array_equal(k, p)):
            mismatch.append(f"paused, the page's raster column {col!r} ({p.size} rows, {p[:1]}..{p[-1:]}) differs "
                            f"from the kernel's ({k.size} rows, {k[:1]}..{k[-1:]})")

    page.locator("button", has_text="resume").click()
    lab_page.wait_until(lambda: newest() > paused_at, 30,
               f"frames after resume (paused at t = {paused_at} ms; kernel [state, t, frames] now {kernel_state()})")
    assert kernel_state()[0] == "running"
    page.locator("button", has_text="stop").click()
    lab_page.wait_until(lambda: kernel_state()[0] == "stopped", 30, "the run to stop")
    lab_page.assert_no_browser_errors()
    assert not mismatch, "\n".join(mismatch)
    assert rng["start"] <= t_new <= rng["end"] + 1e-9, (
        f"while running, the raster's x range [{rng['start']}, {rng['end']}] ms did not show the newest spikes "
        f"(t = {t_new} ms)"
    )
