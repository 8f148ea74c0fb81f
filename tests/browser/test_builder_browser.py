"""The NetworkBuilder as a learner uses it in JupyterLab (Chromium, Playwright): two populations and a projection
typed into the forms and added with the buttons, the diagram (a bokeh figure) showing them, a mouse click on a box of the diagram opening that population's
form, a live run streaming its raster, and
the exported code.  The notebook is written into the server's temporary root, never into notebooks/."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

SETUP = "import json\nimport brainlab as bl\nbl.plotting.setup_notebook()"




@pytest.mark.browser
def test_builder_forms_diagram_run_and_export_in_the_page(lab_page):
    lab_page.open_notebook(lab_page.server.write_notebook("builder.ipynb", [
        SETUP, "b = bl.widgets.NetworkBuilder(duration=2000.0)\nb",
    ]))
    lab_page.run_all_cells()
    lab_page.wait_until_done()
    assert not lab_page.error_outputs(), lab_page.error_outputs()
    page = lab_page.page
    page.locator(".bl-pop-name input").wait_for(state="visible", timeout=60_000)

    def kernel(expr: str) -> Any:
        return json.loads(lab_page.kernel_eval(f"print(json.dumps({expr}))"))

    def type_into(css: str, text: str) -> None:
        box = page.locator(f"{css} input").first
        box.fill(text)
        box.press("Tab")

    # two populations, typed in and added with the button; neurons that fire on their own (V_rest above V_th)
    def new_part() -> None:
        """Click *new* and wait until the kernel has emptied the forms (the page then shows their defaults)."""
        page.locator(".bl-new").click()
        lab_page.wait_until(lambda: kernel("[b._selected, b.controls['pop.name'].value]")[0] is None
                   and kernel("b.controls['select'].value") == "", 30, "the forms to be emptied")
        time.sleep(0.5)

    for name, size in (("E", "80"), ("I", "20")):
        new_part()
        type_into(".bl-pop-name", name)
        page.locator(".bl-pop-model select").select_option("LIF")
        type_into(".bl-pop-size", size)
        type_into(".bl-pop-V-rest", "-45")
        form = "[b.controls['pop.name'].value, b.controls['pop.size'].value, b.controls['pop.V_rest'].value]"
        lab_page.wait_until(lambda n=name, s=size: kernel(form) == [n, int(s), -45.0], 30,
                   lambda n=name: f"the population form of {n} to reach the kernel (it shows {kernel(form)})")
        page.locator(".bl-add-population").click()
        lab_page.wait_until(lambda n=name: n in kernel("sorted(b.build().populations())"), 30, f"population {name} added")

    # a wrong size is shown beside the field, and the add button builds nothing
    new_part()
    type_into(".bl-pop-size", "-5")
    error = page.locator(".bl-pop-size-error")
    lab_page.wait_until(lambda: "size must be positive" in error.inner_text(), 30, "the size error beside the field")
    page.locator(".bl-add-population").click()
    time.sleep(1.0)
    assert kernel("sorted(b.build().populations())") == ["E", "I"]

    # a projection E -> I
    page.locator(".lm-TabBar-tab", has_text="projection").click()
    page.locator(".bl-proj-pre select").select_option("E")
    page.locator(".bl-proj-post select").select_option("I")
    type_into(".bl-proj-rule-prob", "0.2")
    page.locator(".bl-proj-output select").select_option("CUBA")
    type_into(".bl-proj-weight", "2")
    lab_page.wait_until(lambda: kernel("[b.controls['proj.pre'].value, b.controls['proj.post'].value, "
                              "b.controls['proj.rule.prob'].value, b.controls['proj.weight'].value]")
               == ["E", "I", 0.2, 2.0], 30, "the projection form to reach the kernel")
    page.locator(".bl-add-projection").click()
    lab_page.wait_until(lambda: kernel("sorted(b.build().projections())") == ["EI"], 30, "projection EI added")
    assert kernel("[float(b.build().EI.weight.value), b.network_dict()['projections'][0]['conn']['prob']]") \
        == [2.0, 0.2]

    # the diagram in the page (a bokeh figure) shows the two populations and the projection
    ids = kernel("{k: b.sources[f'diagram_{k}'].id for k in ('nodes', 'edges')}")
    lab_page.wait_until(lambda: (cols := lab_page.bokeh_columns(ids["nodes"])) is not None and len(cols["x"]) == 2
               and len(lab_page.bokeh_columns(ids["edges"])["lx"]) == 1, 30,
               "the diagram's two boxes and one arrow in the page")
    canvas = page.locator(".bl-diagram .bk-Canvas").first
    canvas.wait_for(state="visible", timeout=30_000)
    drawn = lambda: lab_page.figure_stats(page.locator(".bl-diagram").first)  # noqa: E731
    lab_page.wait_until(lambda: any(s["drawn"] > 0.01 for s in drawn()), 30, lambda: f"the diagram drawn ({drawn()})")

    # a mouse click on the box of I in the page opens its form in the kernel
    page.locator(".bl-new").click()
    lab_page.wait_until(lambda: kernel("b.controls['select'].value") == "", 30, "the forms to be emptied")
    geo = kernel("dict(zip(['x', 'y'], [float(v[b.sources['diagram_nodes'].data['id'].index('I')]) for v in "
                 "(b.sources['diagram_nodes'].data['x'], b.sources['diagram_nodes'].data['y'])]), "
                 "x0=b.figures['diagram'].x_range.start, x1=b.figures['diagram'].x_range.end, "
                 "y0=b.figures['diagram'].y_range.start, y1=b.figures['diagram'].y_range.end, "
                 "w=b.figures['diagram'].frame_width, h=b.figures['diagram'].frame_height, "
                 "border=b.figures['diagram'].min_border)")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] >= geo["w"], (box, geo)
    left, top = box["x"] + geo["border"], box["y"] + box["height"] - geo["border"] - geo["h"]  # the frame
    px = left + (geo["x"] - geo["x0"]) / (geo["x1"] - geo["x0"]) * geo["w"]
    py = top + (geo["y1"] - geo["y"]) / (geo["y1"] - geo["y0"]) * geo["h"]
    page.mouse.click(px, py)
    opened = ("[b.controls['select'].value, b.controls['pop.name'].value, b.controls['pop.size'].value, "
              "b.controls['tabs'].selected_index]")
    lab_page.wait_until(lambda: kernel(opened) == ["I", "I", 20, 0], 30,
               lambda: f"the click at ({px:.0f}, {py:.0f}) on I's box to open its form (kernel: {kernel(opened)})")
    page.locator(".bl-pop-name input").first.wait_for(state="visible", timeout=10_000)
    lab_page.wait_until(lambda: page.locator(".bl-pop-name input").first.input_value() == "I", 30,
               "the page's population form to show I")

    # run: a live raster whose kernel-side source gets rows, and whose page figure gets them too
    page.locator(".bl-run").click()
    rows = lab_page.wait_until(lambda: kernel("0 if b.live is None else len(b.live.sources['raster'].data['t'])"), 60,
                      "rows in the live raster's source")
    assert rows > 0
    source = kernel("b.live.sources['raster'].id")
    lab_page.wait_until(lambda: (cols := lab_page.bokeh_columns(source)) is not None and len(cols["t"]) > 0, 60,
               "the raster's spikes in the page")

    # export: the code box shows the code that builds the network
    page.locator(".bl-export-code").click()
    code_box = page.locator(".bl-code textarea")
    lab_page.wait_until(lambda: "bl.Network(" in code_box.input_value(), 30, "the exported code in the code box")
    assert "bl.Projection(E, I" in code_box.input_value()
    errors = kernel("[str(e) for e in b.errors]")  # only the refused add, which the status line showed
    assert len(errors) == 1 and "size must be positive" in errors[0], errors
    lab_page.assert_no_browser_errors()
