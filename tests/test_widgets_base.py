"""The panel base: controls from declarations, coalescing of rapid changes, errors in the status line."""

import asyncio
import math

import ipywidgets as W
import numpy as np
import pytest

import brainlab as bl
from brainlab._model import Parameter
from brainlab.widgets import AbstractPanel, LatestWins, parameter_slider, slider_bounds


def _declared_parameters():
    for entry in bl.catalog():
        for p in entry["parameters"]:
            lo, hi = (-math.inf if p["range"][0] is None else p["range"][0],
                      math.inf if p["range"][1] is None else p["range"][1])
            yield entry["name"], Parameter(p["name"], p["default"], p["unit"], (lo, hi), p["doc"])


def test_every_declared_parameter_gets_a_slider_inside_its_admissible_range():
    n = 0
    for model, p in _declared_parameters():
        s = parameter_slider(p)
        lo, hi = p.range
        assert lo <= s.min if not isinstance(s, W.FloatLogSlider) else lo <= 10 ** s.min * (1 + 1e-12), (model, p)
        top = 10 ** s.max if isinstance(s, W.FloatLogSlider) else s.max
        assert top <= hi * (1 + 1e-12) + 1e-12, (model, p)
        assert s.value == pytest.approx(p.default), (model, p.name)
        assert p.name in s.description and (p.unit in s.description)
        assert p.doc in s.tooltip
        n += 1
    assert n > 50  # the whole library


def test_slider_bounds_rules():
    # a positive range over >= 3 decades: logarithmic, at most 4 decades around the default
    lo, hi, log = slider_bounds(Parameter("tau", 10.0, "ms", (1e-3, 1e6)))
    assert log and (lo, hi) == (0.1, 1000.0)
    # a narrow finite range is used whole
    assert slider_bounds(Parameter("ENa", 50.0, "mV", (-100.0, 200.0))) == (-100.0, 200.0, False)
    # an unbounded range: default ± 10 × scale
    assert slider_bounds(Parameter("x", -65.0, "mV")) == (-715.0, 585.0, False)


def test_explicit_bounds_are_checked_against_the_declaration():
    p = Parameter("gL", 0.3, "mS/cm²", (0.0, 100.0), "leak")
    s = parameter_slider(p, bounds=(0.0, 2.0))
    assert (s.min, s.max) == (0.0, 2.0)
    with pytest.raises(ValueError, match="gL.*admissible range"):
        parameter_slider(p, bounds=(-1.0, 2.0))
    with pytest.raises(TypeError, match="pair"):
        parameter_slider(p, bounds=3.0)


def test_a_burst_of_100_changes_runs_the_work_a_few_times_the_last_with_the_last_value():
    seen = []
    box = {"v": None}
    job = LatestWins(lambda: seen.append(box["v"]), on_error=pytest.fail, delay=0.005)

    async def burst():
        for v in range(100):
            box["v"] = v
            job.request()
            if v % 10 == 0:
                await asyncio.sleep(0)  # messages interleave with the loop, as in a kernel
        await job.settled()

    asyncio.run(burst())
    assert 1 <= job.runs <= 3 and seen[-1] == 99


def test_changes_during_a_run_cause_exactly_one_more_run():
    seen = []
    box = {"v": 0}

    def work():
        seen.append(box["v"])
        if len(seen) == 1:
            box["v"] = 7
            job.request()  # arrives while the work runs

    job = LatestWins(work, on_error=pytest.fail, delay=0.0)

    async def go():
        job.request()
        await job.settled()

    asyncio.run(go())
    assert seen == [0, 7]


class _Toy(AbstractPanel):
    def __init__(self):
        super().__init__("toy")
        self.controls["x"] = W.FloatSlider(value=1.0, min=0.0, max=10.0)
        self.result = None
        self.job = self.schedule(self._compute, "recompute")
        self.on_change(self.controls["x"], lambda _v: self.job.request(), "x")

    def _compute(self):
        x = self.controls["x"].value
        if x > 5:
            raise ValueError(f"x = {x} is too large for this toy")
        self.result = 2 * x

    def _build_layout(self):
        return W.VBox([self.controls["x"], self.status])


def test_callback_errors_go_to_the_status_line_and_are_kept():
    p = _Toy()
    p.controls["x"].value = 2.0
    assert p.result == 4.0 and p.status_text == "ready"
    p.controls["x"].value = 6.0
    assert p.result == 4.0  # the previous result is kept
    assert "recompute: ValueError: x = 6.0 is too large" in p.status_text
    assert "color:#b00020" in p.status.value and isinstance(p.errors[-1], ValueError)
    p.set_status("<b>x</b>")
    assert "&lt;b&gt;" in p.status.value  # text is escaped
    assert "toy" in repr(p) and "controls ['x']" in repr(p)
    bundle = p._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    p.close()
    assert "closed" in repr(p)
    with pytest.raises(RuntimeError, match="closed"):
        p.widget


# -- display: BokehJS first, once per kernel --------------------------------------------------------------------

class _Figure(AbstractPanel):
    """A panel with one figure and one source, as the real panels embed them."""

    def __init__(self):
        from bokeh.models import ColumnDataSource, Range1d
        from bokeh.plotting import figure

        super().__init__("figure")
        self.sources["s"] = ColumnDataSource(data={"t": [0.0, 1.0], "y": [2.0, 3.0]})
        self.figures["f"] = figure(x_range=Range1d(0.0, 10.0))
        self.figures["f"].line("t", "y", source=self.sources["s"])

    def _build_layout(self):
        return W.VBox([self.status, self.bokeh_view(self.figures["f"])])


@pytest.fixture
def fresh_kernel(monkeypatch):
    """A Jupyter kernel as _panel sees it: bokeh's output_notebook recorded instead of run, nothing sent yet."""
    import bokeh.io

    from brainlab.plotting import notebook
    from brainlab.widgets import _panel

    calls = []
    monkeypatch.setattr(notebook, "_in_jupyter_kernel", lambda: True)
    monkeypatch.setattr(bokeh.io, "output_notebook", lambda **kw: calls.append(("bokehjs", kw)))
    monkeypatch.setattr(_panel, "_BOKEHJS_SENT", [])
    return calls


def test_the_first_panel_displayed_in_a_kernel_sends_bokehjs_before_its_widget_and_only_once(fresh_kernel,
                                                                                              monkeypatch):
    from bokeh.resources import INLINE

    a, b = _Figure(), _Figure()
    for panel in (a, b):
        widget_repr = panel.widget._repr_mimebundle_
        monkeypatch.setattr(panel.widget, "_repr_mimebundle_",
                            lambda _r=widget_repr, **kw: (fresh_kernel.append(("widget", None)), _r(**kw))[1])
    bundle = a._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    b._repr_mimebundle_()
    a._repr_mimebundle_()
    assert [c[0] for c in fresh_kernel] == ["bokehjs", "widget", "widget", "widget"]
    assert fresh_kernel[0][1]["resources"] is INLINE  # the installed copy: works offline
    a.close(), b.close()


def test_a_notebook_set_up_by_the_learner_gets_no_second_copy(fresh_kernel, monkeypatch):
    from bokeh.io.state import curstate

    monkeypatch.setattr(curstate(), "_notebook", True)
    p = _Figure()
    p._repr_mimebundle_()
    assert fresh_kernel == []
    p.close()


def test_outside_a_kernel_displaying_sends_nothing(monkeypatch):
    import bokeh.io

    from brainlab.widgets import _panel

    calls = []
    monkeypatch.setattr(bokeh.io, "output_notebook", lambda **kw: calls.append(kw))
    monkeypatch.setattr(_panel, "_BOKEHJS_SENT", [])
    p = _Figure()
    p._repr_mimebundle_()
    assert calls == []
    p.close()


# -- the page's echo of the kernel's own patches -----------------------------------------------------------------

def _page_message(event):
    """The message the page sends for a bokeh document event: serialized with references, arrays inline (the
    page's Serializer makes no buffers here), tagged as jupyter_bokeh's view tags it."""
    from bokeh.core.serialization import Serializer

    content = Serializer(references=set(event.document.models), deferred=False).encode(event)
    content["event"] = "jsevent"
    return content


def test_the_pages_echo_of_a_stream_leaves_the_kernels_source_as_it_was():
    import numpy as np
    from bokeh.document.events import ColumnsPatchedEvent, ColumnsStreamedEvent, ModelChangedEvent

    p = _Figure()
    view = p.widget.children[1]
    src = p.sources["s"]
    src.stream({"t": np.array([2.0, 3.0]), "y": np.array([4.0, 5.0])}, rollover=10)
    before = {k: list(v) for k, v in src.data.items()}
    doc = src.document
    echoes = [
        ColumnsStreamedEvent(doc, src, "data", {"t": np.array([2.0, 3.0]), "y": np.array([4.0, 5.0])}, 10),
        ColumnsPatchedEvent(doc, src, "data", {"y": [(0, 99.0)]}),
        ModelChangedEvent(doc, src, "data", {"t": np.array([7.0]), "y": np.array([8.0])}),
    ]
    for event in echoes:
        view._sync_model(view, _page_message(event), [])
        assert {k: list(v) for k, v in src.data.items()} == before, event.kind
    # a change of a range (the learner pans) still reaches the kernel
    rng = p.figures["f"].x_range
    view._sync_model(view, _page_message(ModelChangedEvent(doc, rng, "start", 3.5)), [])
    assert rng.start == 3.5
    p.close()


# -- sliders sit on their own step grid ----------------------------------------------------------------------------

def assert_on_grid(slider, what):
    """min, max and value of ``slider`` are grid points ``min + k × step`` (exponents for a FloatLogSlider): the
    page shows them as they are and never sends back a snapped value."""
    value = math.log10(slider.value) if isinstance(slider, W.FloatLogSlider) else slider.value
    for name, x in (("value", value), ("max", slider.max)):
        k = (x - slider.min) / slider.step
        assert k >= -1e-9 and abs(k - round(k)) <= 1e-9 * max(1.0, abs(k)), \
            f"{what}: {name} {x!r} is {k!r} steps of {slider.step!r} from min {slider.min!r}"


def test_every_parameter_slider_has_min_max_and_value_on_its_step_grid():
    n = 0
    for model, p in _declared_parameters():
        assert_on_grid(parameter_slider(p), f"{model}.{p.name}")
        n += 1
    assert n > 50


def test_on_grid_keeps_round_grids_and_shifts_others_inside_the_bounds():
    from brainlab.widgets._controls import on_grid

    assert on_grid(1.0, 500.0, 100.0, 5.0) == (5.0, 500.0, 5.0)  # the explorer's duration slider, 100 ms shown
    assert on_grid(0.0, 1000.0, 120.0, 5.0) == (0.0, 1000.0, 5.0)
    lo, hi, step = on_grid(1.0, 500.0, 123.4, 5.0)
    assert 1.0 <= lo < 6.0 and 495.0 < hi <= 500.0 and step == 5.0
    assert (123.4 - lo) / step == pytest.approx(round((123.4 - lo) / step), rel=1e-12)
    with pytest.raises(ValueError, match="lo <= value <= hi"):
        on_grid(0.0, 1.0, 2.0, 0.1)


def test_on_grid_reaches_a_bound_that_lies_on_the_grid_despite_float_noise():
    # -9.6 + 961 x 0.2 evaluates to 182.60000000000002: the top grid point is the bound, not one step below it
    # (a BifurcationPanel placed its linked slider at 182.4 for a click at 182.6).
    from brainlab.widgets._controls import on_grid

    assert on_grid(-9.6, 182.6, 182.6, 0.2) == (-9.6, 182.6, 0.2)
    rng = np.random.default_rng(7)
    for _ in range(5000):  # bounds and value on one grid of a decimal step: the slider spans exactly [a, b]
        step = float(rng.choice([0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5]))
        a = round(float(rng.uniform(-100, 100)) / step) * step
        n = int(rng.integers(1, 2000))
        b = a + n * step
        v = a + int(rng.integers(0, n + 1)) * step
        lo, hi, got = on_grid(a, b, v, step)
        eps = 1e-9 * max(1.0, abs(b))
        assert abs(lo - a) <= eps and abs(hi - b) <= eps and got == step, (a, b, v, step, lo, hi)


def test_the_pages_echo_of_a_stream_is_reported_as_an_acknowledgement():
    import numpy as np
    from bokeh.document.events import ColumnsPatchedEvent, ColumnsStreamedEvent

    p = _Figure()
    view = p.widget.children[1]
    src = p.sources["s"]
    got = []
    view.on_stream_echo(lambda source_id, newest_t: got.append((source_id, newest_t)))
    src.stream({"t": np.array([2.0, 3.0]), "y": np.array([4.0, 5.0])}, rollover=10)
    before = list(src.data["t"])
    doc = src.document
    view._sync_model(view, _page_message(ColumnsStreamedEvent(doc, src, "data", {"t": np.array([2.0, 3.0]),
                                                                                  "y": np.array([4.0, 5.0])}, 10)), [])
    view._sync_model(view, _page_message(ColumnsPatchedEvent(doc, src, "data", {"y": [(0, 99.0)]})), [])
    assert got == [(src.id, 3.0)]  # streams only; the data stays the kernel's
    assert list(src.data["t"]) == before
    p.close()
