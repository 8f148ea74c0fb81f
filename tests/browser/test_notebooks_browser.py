"""Every course notebook, opened and run in JupyterLab in a real browser, shows its figures and no errors.

The kernel-only notebook test (tests/test_notebooks.py) cannot see what the page does with the outputs: a figure
whose BokehJS never loaded (e.g. fetched from a CDN on a machine without internet) leaves an empty output cell
there and passes.  Here each figure must have drawn something on its canvas.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
COURSE = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
# BRAINLAB_SCREENSHOTS=/some/dir keeps a screenshot of each notebook page after its run, to look at.
SCREENSHOTS = os.environ.get("BRAINLAB_SCREENSHOTS")


@pytest.mark.browser
@pytest.mark.parametrize("name", COURSE, ids=[n.removesuffix(".ipynb") for n in COURSE])
def test_notebook_runs_and_draws_in_jupyterlab(lab_page, name):
    lab_page.open_notebook(name)
    lab_page.run_all_cells()
    lab_page.wait_until_done()

    errors = lab_page.error_outputs()
    assert not errors, f"{name}: error output in JupyterLab:\n" + "\n".join(errors)
    counts = [cell["count"] for cell in lab_page.code_cells()]
    assert all(c is not None for c in counts), f"{name}: cells left unrun: execution counts {counts}"

    expected = lab_page.count_bokeh_outputs()
    roots = lab_page.bokeh_roots()
    # Each `show` output is one bokeh root in the page, drawn once BokehJS has loaded (inline, no network);
    # widgets (NeuronExplorer, ...) add their own roots, drawn by the same BokehJS.
    lab_page.wait_for_shown_roots(expected)
    in_widget = lab_page.bokeh_roots_in_widgets()
    shown = in_widget.count(False)
    assert shown == expected, f"{name}: {expected} bokeh outputs but {shown} rendered roots"
    for i, widget in enumerate(in_widget):
        root = roots.nth(i)
        root.locator(".bk-Canvas").first.wait_for(state="attached", timeout=20_000)
        plots = lab_page.figure_stats(root)
        where = f"{name}: bokeh root {i + 1} of {len(in_widget)} ({'in a widget' if widget else 'a show output'})"
        assert any(plot["visible"] for plot in plots), f"{where} has no visible bokeh plot: {plots}"
        for plot in filter(lambda plot: plot["visible"], plots):
            assert plot["layers"] and plot["width"] > 0 and plot["height"] > 0, f"{where}: empty canvas {plot}"
            # Axes, grid and glyphs cover a few percent of a plot; a plot BokehJS never drew has none.
            assert plot["drawn"] > 0.01, f"{where} is blank: {plot}"

    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        lab_page.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name.removesuffix('.ipynb')}.png"))
    lab_page.assert_no_browser_errors()


@pytest.mark.browser
def test_cdn_bokehjs_leaves_figures_blank_offline_and_setup_notebook_does_not(lab_page):
    """The check above can fail: with bokeh's default ``output_notebook()`` (BokehJS from a CDN) the page,
    offline, never draws the figure and logs the failed download; ``bl.plotting.setup_notebook()`` draws it."""
    figure = "from bokeh.plotting import figure, show\np = figure(width=300, height=200)\np.line([0, 1, 2], [0, 2, 1])\nshow(p)"
    lab_page.open_notebook(lab_page.server.write_notebook(
        "cdn.ipynb", ["from bokeh.io import output_notebook\noutput_notebook(hide_banner=True)", figure]))
    lab_page.run_all_cells()
    lab_page.wait_until_done()
    assert not lab_page.error_outputs()
    lab_page.wait_for_shown_roots(1)
    root = lab_page.bokeh_roots().first
    lab_page.page.wait_for_timeout(3000)  # time enough for BokehJS to draw, had it loaded (inline takes < 1 s)
    assert root.locator(".bk-Canvas").count() == 0, "a figure was drawn without BokehJS: the check proves nothing"
    assert any("cdn.bokeh.org" in p or "Failed to load resource" in p for p in lab_page.problems), lab_page.problems
    lab_page.reported = len(lab_page.problems)  # those errors were the point of this test

    lab_page.open_notebook(lab_page.server.write_notebook(
        "inline.ipynb", ["import brainlab as bl\nbl.plotting.setup_notebook()", figure]))
    lab_page.run_all_cells()
    lab_page.wait_until_done()
    lab_page.wait_for_shown_roots(1)
    root = lab_page.bokeh_roots().first
    root.locator(".bk-Canvas").first.wait_for(state="attached", timeout=20_000)
    [plot] = lab_page.figure_stats(root)
    assert plot["visible"] and plot["drawn"] > 0.01, plot
    lab_page.assert_no_browser_errors()
