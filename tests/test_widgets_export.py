"""Panel export (brainlab/widgets/_export.py): data files that load back to what the sources hold, a standalone
offline HTML page, PNG and SVG drawn by Chromium, and the copy-as-code output."""

from __future__ import annotations

import json
import os
import struct
import xml.etree.ElementTree as ET

import ipywidgets as W
import numpy as np
import pytest
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure

from brainlab._mime import CODE_MIME
from brainlab.widgets import AbstractPanel


class Demo(AbstractPanel):
    def __init__(self) -> None:
        super().__init__("demo <panel>")
        y = np.array([0.0, 1.0, np.nan, 3.0, 4.0])
        self.sources["line"] = ColumnDataSource({"x": np.arange(5.0), "y": y})
        self.sources["marks"] = ColumnDataSource({"label": ["a", "b"], "n": np.array([1, 2])})
        fig = figure(width=320, height=210, title="demo")
        fig.line("x", "y", source=self.sources["line"])
        self.figures["main"] = fig

    def code(self) -> str:
        return "import numpy as np\nx = np.arange(5.0)"

    def _build_layout(self) -> W.Widget:
        return W.VBox([self.export_bar()])


class TwoFigures(Demo):
    """Figures shown in the page (inside the view's bokeh document), as in every displayed panel."""

    def __init__(self) -> None:
        super().__init__()
        other = figure(width=200, height=150, title="second")
        other.scatter("x", "y", source=self.sources["line"])
        self.figures["second"] = other

    def _build_layout(self) -> W.Widget:
        from bokeh.layouts import row

        return W.VBox([self.bokeh_view(row(*self.figures.values())), self.export_bar()])


@pytest.fixture
def panel(tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    p = Demo()
    p.widget
    yield p
    p.close()
    os.chdir(cwd)


def test_npz_and_json_hold_the_sources(panel, tmp_path):
    arrays = dict(np.load(panel.export(tmp_path / "v.npz"), allow_pickle=False))
    assert sorted(arrays) == ["line/x", "line/y", "marks/label", "marks/n"]
    np.testing.assert_array_equal(arrays["line/y"], panel.sources["line"].data["y"])  # NaN kept in .npz
    assert list(arrays["marks/label"]) == ["a", "b"]
    doc = json.loads(panel.export(tmp_path / "v.json").read_text())
    assert doc["line/y"] == [0.0, 1.0, None, 3.0, 4.0]  # strict JSON: NaN becomes null
    assert doc["marks/n"] == [1, 2]


def test_html_is_standalone_and_offline(panel, tmp_path):
    text = panel.export(tmp_path / "v.html").read_text()
    assert "cdn.bokeh.org" not in text and "<script src=" not in text.replace(" ", "")  # BokehJS inline
    assert "Bokeh" in text and "demo" in text


def test_displayed_figures_export_again_and_again(tmp_path):
    p = TwoFigures()
    p.widget  # the figures now belong to the view's document
    doc = p.figures["main"].document
    assert doc is not None
    for k in range(2):
        text = p.export(tmp_path / f"two{k}.html").read_text()
        assert "second" in text and "demo" in text
    assert p.figures["main"].document is doc and p.figures["second"].document is doc  # the page's view untouched
    p.close()


def test_bad_path_names_the_formats(panel):
    with pytest.raises(ValueError, match=r"Demo.export.*'.txt'.*\.npz"):
        panel.export("v.txt")
    with pytest.raises(TypeError, match="path must be a file name"):
        panel.export(3)


def test_buttons_write_the_file_and_say_where(panel, tmp_path):
    panel.controls["export_format"].value = ".json"
    panel.controls["export_name"].value = "saved"
    panel.controls["export"].click()
    assert (tmp_path / "saved.json").exists()
    assert panel.status_text == "saved saved.json" and not panel.errors


def test_copy_as_code_is_a_code_bundle(panel):
    panel.controls["copy_code"].value = True
    (out,) = panel.code_output.outputs
    assert out["data"][CODE_MIME]["code"] == panel.code()
    assert out["data"][CODE_MIME]["title"] == "Demo: demo <panel>"
    assert out["data"]["text/html"].startswith("<pre><code>import numpy")
    panel.controls["copy_code"].value = False
    assert panel.code_output.outputs == ()


def test_code_errors_reach_the_status_line(tmp_path):
    class NoCode(Demo):
        def code(self) -> str:
            return AbstractPanel.code(self)

    p = NoCode()
    p.widget
    p.controls["copy_code"].value = True
    assert "NoCode does not export code" in p.status_text and p.errors
    p.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.browser
def test_png_and_svg_are_drawn_by_chromium(panel, tmp_path):
    pytest.importorskip("playwright")
    width, height = _png_size(panel.export(tmp_path / "v.png").read_bytes())
    assert (width, height) in ((320, 210), (640, 420))  # CSS pixels, or device pixels at a ratio of 2
    root = ET.parse(panel.export(tmp_path / "v.svg")).getroot()
    assert root.tag.endswith("svg") and root.get("width") == "320" and root.get("height") == "210"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 3  # the line, axes and ticks as vectors
    assert panel.figures["main"].output_backend == "canvas"  # the displayed figure is left as it was
