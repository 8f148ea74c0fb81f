r"""The base every brainlab panel shares.

A panel is a Python object that a notebook displays and that code drives like a learner would:

- ``panel.controls``: ``{name: ipywidget}``, every slider, dropdown and button, by parameter or control name;
- ``panel.figures``: ``{name: bokeh figure}``; ``panel.sources``: ``{name: ColumnDataSource}``, what is drawn;
- ``panel.status``: an ``ipywidgets.HTML`` line saying what the panel is doing, and every error raised by a
  callback (also kept, as exceptions, in ``panel.errors``): nothing is lost in a console no one reads;
- ``panel.close()``; a short ``repr``; display through ``_repr_mimebundle_``;
- export: ``panel.data()`` (what is drawn, as arrays), ``panel.code()`` (the Python that reproduces the view),
  ``panel.export(path)`` (``.npz``/``.json`` data, ``.html``/``.png``/``.svg`` figures) and
  ``panel.export_bar()``, the same as buttons for the page (:mod:`brainlab.widgets._export`).

Figures are embedded with ``jupyter_bokeh.BokehModel``.  Its JupyterLab extension does *not* bundle BokehJS: it
draws with the ``window.Bokeh`` that bokeh's ``output_notebook`` puts into the page.  So the first panel a kernel
displays first sends the installed BokehJS (:func:`brainlab.plotting.setup_notebook`, inline, works offline), as
an output placed before the panel's own, unless the notebook has already done so (``setup_notebook()`` or
``bokeh.io.output_notebook()``).  It is sent once per kernel: a page reloaded while the kernel runs has lost it,
and its panels stay blank until ``bl.plotting.setup_notebook()`` is run again (or the notebook is re-run).

Changes to a source's data in Python reach the page as small patches; the page's echo of those patches is not
applied back to the kernel's sources (see :func:`_bokeh_model_class`).
"""

from __future__ import annotations

import html
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from ._schedule import LatestWins

__all__ = ["AbstractPanel"]

_COLOURS = {"info": "#444", "busy": "#1f5fa8", "ok": "#2a7a2a", "error": "#b00020"}


class AbstractPanel:
    r"""Base of the brainlab panels (``NeuronExplorer``, ``LiveRun``, ...); not displayed by itself.

    A subclass fills ``controls``, ``figures`` and ``sources`` in its constructor and implements
    :meth:`_build_layout`, which returns the ipywidgets box to display.  Callbacks are attached with
    :meth:`on_change` (errors go to the status line) and expensive recomputations go through
    :meth:`schedule` (coalesced: the last value wins).
    """

    def __init__(self, title: str):
        self.title = title
        self.controls: dict[str, W.Widget] = {}
        self.figures: dict[str, Any] = {}
        self.sources: dict[str, Any] = {}
        self.status = W.HTML(layout=W.Layout(min_height="1.6em"))
        self.errors: list[BaseException] = []
        self._widget: W.Widget | None = None
        self._jobs: list[LatestWins] = []
        self._closed = False
        self.set_status("ready")

    # -- what subclasses provide -------------------------------------------------------------------------
    def _build_layout(self) -> W.Widget:
        raise NotImplementedError

    # -- display -----------------------------------------------------------------------------------------
    @property
    def widget(self) -> W.Widget:
        """The panel's root ipywidget (built on first use)."""
        if self._closed:
            raise RuntimeError(f"{type(self).__name__}: this panel was closed; make a new one to display it.")
        if self._widget is None:
            self._widget = self._build_layout()
        return self._widget

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        widget = self.widget
        ensure_bokehjs()  # its loader output goes out now, before the widget's bundle returned below
        return widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        state = "closed" if self._closed else self.status_text
        return (f"{type(self).__name__}({self.title!r}: controls {sorted(self.controls)}, "
                f"figures {sorted(self.figures)}; status: {state})")

    @staticmethod
    def bokeh_view(layout: Any) -> W.Widget:
        """Embed a bokeh figure or layout as an ipywidget (``jupyter_bokeh.BokehModel``)."""
        return _bokeh_model_class()(layout, combine_events=True)

    # -- export ------------------------------------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        """What the panel shows, as ``{"source/column": numpy array}`` (subclasses add parameters and results)."""
        from ._export import panel_data

        return panel_data(self)

    def code(self) -> str:
        """The Python that reproduces this view (runs in a fresh namespace)."""
        raise NotImplementedError(f"{type(self).__name__} does not export code.")

    def export(self, path: str) -> Any:
        """Write the panel's data (``.npz``, ``.json``) or figures (``.html``, ``.png``, ``.svg``) to ``path``.

        Returns the :class:`pathlib.Path` written.  PNG and SVG are drawn by a headless Chromium (Playwright);
        ``.html`` is a standalone interactive page that works offline.
        """
        from ._export import export_panel

        return export_panel(self, path)

    def export_bar(self, name: str | None = None, *, with_code: bool = True) -> W.Widget:
        """Export controls for the page: a format, a file name, an *export* button and *copy as code*.

        Adds ``controls['export_format']``, ``['export_name']``, ``['export']`` and (``with_code``, for a panel
        without a code view of its own) ``['copy_code']``; the file is
        written next to the notebook and linked in the status line; *copy as code* shows :meth:`code` in a text
        box and as a ``application/vnd.brainlab.code+json`` output (JupyterLab's brainlab extension offers
        *insert as a new cell*).
        """
        from ._export import FORMATS, _slug

        c = self.controls
        c["export_format"] = W.Dropdown(options=list(FORMATS), value=".npz", description="export",
                                        layout=W.Layout(width="11em"), style={"description_width": "3.5em"})
        c["export_name"] = W.Text(value=_slug(name or self.title.lower()), layout=W.Layout(width="12em"),
                                  tooltip="file name, without the suffix")
        c["export"] = W.Button(description="save", icon="download", layout=W.Layout(width="6em"),
                               tooltip="write the data or figures next to the notebook")
        self.code_output = W.Output()
        if with_code:
            c["copy_code"] = W.ToggleButton(value=False, description="copy as code", icon="code",
                                            tooltip="the Python that reproduces this view")

        def save() -> None:
            target = self.export(f"{c['export_name'].value or 'panel'}{c['export_format'].value}")
            self.set_status(f"saved {target}", "ok")

        def show_code(on: bool) -> None:
            outputs: tuple[dict[str, Any], ...] = ()
            if on:
                from .._mime import code_bundle

                bundle = code_bundle(self.code(), f"{type(self).__name__}: {self.title}")
                outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
            self.code_output.outputs = outputs  # what display() inside the Output would send, kernel or not

        self.on_click(c["export"], save, "export")
        if not with_code:
            return W.HBox([c["export_format"], c["export_name"], c["export"]])
        self.on_change(c["copy_code"], show_code, "copy as code")
        return W.VBox([W.HBox([c["export_format"], c["export_name"], c["export"], c["copy_code"]]),
                       self.code_output])

    # -- status and errors -------------------------------------------------------------------------------
    @property
    def status_text(self) -> str:
        """The status line as plain text."""
        return getattr(self, "_status_text", "")

    def set_status(self, text: str, level: str = "info") -> None:
        """Show ``text`` in the status line (``level``: ``'info'``, ``'busy'``, ``'ok'`` or ``'error'``)."""
        self._status_text = text
        colour = _COLOURS.get(level, _COLOURS["info"])
        self.status.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def show_error(self, exc: BaseException, where: str = "") -> None:
        """Keep ``exc`` in ``errors`` and show its message (with ``where`` it happened) in the status line."""
        self.errors.append(exc)
        prefix = f"{where}: " if where else ""
        self.set_status(f"{prefix}{type(exc).__name__}: {exc}", "error")
        self._last_traceback = "".join(traceback.format_exception(exc))

    def guarded(self, fn: Callable[..., Any], where: str) -> Callable[..., Any]:
        """``fn`` wrapped so that an exception is shown in the status line instead of being lost."""

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                self.show_error(exc, where)
                return None

        return call

    def on_change(self, control: W.Widget, handler: Callable[[Any], Any], where: str = "") -> None:
        """Call ``handler(new_value)`` when ``control``'s value changes (errors go to the status line)."""
        wrapped = self.guarded(handler, where or getattr(control, "description", "") or type(control).__name__)
        control.observe(lambda change: wrapped(change["new"]), names="value")

    def on_click(self, button: W.Button, handler: Callable[[], Any], where: str = "") -> None:
        """Call ``handler()`` when ``button`` is clicked (errors go to the status line)."""
        wrapped = self.guarded(handler, where or button.description)
        button.on_click(lambda _b: wrapped())

    def schedule(self, work: Callable[[], Any], where: str, delay: float = 0.01) -> LatestWins:
        """A coalescing job for ``work`` (see :class:`~brainlab.widgets._schedule.LatestWins`)."""
        job = LatestWins(work, on_error=lambda exc: self.show_error(exc, where), delay=delay)
        self._jobs.append(job)
        return job

    def settle(self) -> None:
        """Run every pending recomputation now, so that ``sources`` show the current control values."""
        for job in self._jobs:
            job.flush()

    # -- closing -----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop pending work and close every widget of the panel (it can no longer be displayed)."""
        if self._closed:
            return
        for job in self._jobs:
            job.cancel()
        self._close_extra()
        for w in list(self.controls.values()) + [self.status]:
            w.close()
        if self._widget is not None:
            _close_tree(self._widget)
        self._closed = True

    def _close_extra(self) -> None:
        """Subclass hook: stop what the panel runs (a live simulation) before its widgets close."""

    def __enter__(self) -> "AbstractPanel":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


_BOKEHJS_SENT: list[bool] = []


def ensure_bokehjs() -> None:
    """Send BokehJS to the notebook page once per kernel, unless it was sent already (a no-op outside a kernel).

    ``jupyter_bokeh``'s view draws with the page's ``window.Bokeh``, which only bokeh's ``output_notebook`` puts
    there; :func:`brainlab.plotting.setup_notebook` sends the installed copy inline.  Bokeh's ``curstate()``
    records a notebook set up by the learner (``setup_notebook`` or ``output_notebook``): then nothing is sent.
    """
    from bokeh.io.state import curstate

    from ..plotting.notebook import _in_jupyter_kernel, setup_notebook

    if _BOKEHJS_SENT or not _in_jupyter_kernel():
        return
    if not curstate().notebook:
        setup_notebook()
    _BOKEHJS_SENT.append(True)


_BOKEH_MODEL: list[type] = []

# Events by which the page would change a source's data.  The page sends them back for every stream or patch the
# kernel sends it (see _bokeh_model_class); the panels' sources are written by the kernel only.
_DATA_EVENTS = ("ColumnsStreamed", "ColumnsPatched", "ColumnDataChanged")


def _bokeh_model_class() -> type:
    """``jupyter_bokeh.BokehModel`` with two repairs.

    - Data changes from the page are ignored.  The view applies each patch the kernel sends (a ``stream``) with
      its own change events blocked, then sends the blocked events to the kernel anyway; ``BokehModel`` applies
      them, so every streamed row was streamed a second time into the kernel's source (twice the page's rows, out
      of time order), and a stale echo of ``source.data = ...`` could overwrite newer data.  The panels' sources
      are written by the kernel only, so ``ColumnsStreamed``, ``ColumnsPatched`` and ``ColumnDataChanged``
      events from the page, and ``ModelChanged`` of a ``ColumnDataSource``'s ``data``, are dropped.  Other
      ``ModelChanged`` events (ranges, selections) and ``MessageSent`` (UI events) are applied as before.
      Each echo of a stream is an acknowledgement: the page has applied it.  ``view.on_stream_echo(callback)``
      has ``callback(source_id, newest_t)`` called for each one (``newest_t``: the last value of the streamed
      ``t`` column), which a :class:`~brainlab.widgets.LiveRun` uses to push frames only as fast as the page
      draws them (:mod:`brainlab.widgets._live_gate`).
    - ``close()`` may run twice: ``BokehModel``'s own raises ``KeyError`` the second time, which ipywidgets'
      ``__del__`` does after a panel has closed it.
    """
    if not _BOKEH_MODEL:
        from jupyter_bokeh import BokehModel

        class BokehView(BokehModel):
            def _sync_model(self, _model: Any, content: dict[str, Any], buffers: list[Any]) -> None:
                if content.get("event", "") == "jsevent" and _is_data_event(content, self._document):
                    echo = _stream_echo(content) if self.__dict__.get("_echo_callbacks") else None
                    if echo is not None:
                        for callback in self._echo_callbacks:
                            callback(*echo)
                    return
                super()._sync_model(_model, content, buffers)

            def on_stream_echo(self, callback: Callable[[str, float], Any]) -> None:
                """Call ``callback(source_id, newest_t)`` for each stream the page echoes (has applied)."""
                self.__dict__.setdefault("_echo_callbacks", []).append(callback)

            def close(self) -> None:
                if getattr(self, "_closed_once", False):
                    return
                self._closed_once = True
                super().close()

        _BOKEH_MODEL.append(BokehView)
    return _BOKEH_MODEL[0]


def _is_data_event(content: dict[str, Any], document: Any) -> bool:
    """Whether a serialized page event (before deserialization) changes a ColumnDataSource's data."""
    kind = content.get("kind", "")
    if kind in _DATA_EVENTS:
        return True
    if kind == "ModelChanged" and content.get("attr") == "data" and document is not None:
        from bokeh.models import ColumnDataSource

        ref = content.get("model")
        model = document.get_model_by_id(ref.get("id")) if isinstance(ref, dict) else None
        return isinstance(model, ColumnDataSource)
    return False


def _stream_echo(content: dict[str, Any]) -> tuple[str, float] | None:
    """``(source id, last value of the column 't')`` of a page's ``ColumnsStreamed`` message, else ``None``."""
    if content.get("kind") != "ColumnsStreamed":
        return None
    try:
        import numpy as np
        from bokeh.core.serialization import Deserializer, Serialized

        ref, data = content.get("model"), content.get("data")
        entries = data.get("entries", ()) if isinstance(data, dict) and data.get("type") == "map" else \
            list(data.items()) if isinstance(data, dict) else ()
        column = next((v for k, v in entries if k == "t"), None)
        if column is None or not isinstance(ref, dict):
            return None
        t = np.asarray(Deserializer([]).deserialize(Serialized(content=column, buffers=[])), dtype=np.float64)
        return (str(ref["id"]), float(t[-1])) if t.size else None
    except Exception:  # a message this reading does not understand is no acknowledgement
        return None


def _close_tree(widget: W.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
