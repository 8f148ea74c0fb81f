r"""``BifurcationPanel``: a bifurcation diagram with a cursor at the current parameter value.

The diagram is computed once, at construction, with :class:`brainlab.analysis.Continuation`; a click or a slider
move only moves the cursor (and tells the callbacks, e.g. a linked phase plane), it never recomputes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as W
import numpy as np

from ..plotting.bifurcation import (POINT_COLORS, branch_columns, codim2_columns, cycle_columns,
                                    special_point_columns)
from ._bifurcation_panel_compute import compute_diagram, cycle_at, diagram_code, equilibria_at
from ._controls import _nice_step, on_grid
from ._panel import AbstractPanel

__all__ = ["BifurcationPanel"]

_TOOLS = "pan,wheel_zoom,box_zoom,reset,save"
_CURSOR = "#d62728"
_CYCLE = "#ff7f0e"


class BifurcationPanel(AbstractPanel):
    r"""A bifurcation diagram of ``system`` in ``param``, with a cursor that a click or a slider moves.

    One parameter (default): the equilibria of :math:`\dot x = F(x, p)` against :math:`p` = ``param``, drawn as
    ``variable`` (stable solid, unstable dashed), their special points labelled (fold ``LP``, Hopf ``H`` with
    ``sub``/``super`` from the sign of the first Lyapunov coefficient :math:`l_1`, branch point ``BP``), and the
    limit cycles born at the Hopf points as the largest and smallest ``variable`` over each cycle (orange; stable
    solid, unstable dashed from the Floquet multipliers; folds of cycles ``LPC``).  A vertical cursor marks the
    current value; the equilibria there are marked on the branch.

    Two parameters (``param2=``, ``bounds2=``): the fold (red) and Hopf (blue) curves through the fold and Hopf
    points of the one-parameter branch, in the (``param``, ``param2``) plane, with their codimension-two points
    (cusp ``CP``, Bogdanov-Takens ``BT``, generalized Hopf ``GH``, zero-Hopf ``ZH``); the cursor is a cross-hair.

    A click on the figure (a bokeh ``Tap`` event) sets the parameter(s) to the clicked point, as does the slider;
    values sit on the slider's grid (``panel.step``, about 2000 positions over ``bounds``).  Nothing is recomputed:
    :meth:`set_value` moves the cursor and calls the callbacks of :meth:`on_value_change`;
    :func:`brainlab.widgets.link` ties it to a :class:`~brainlab.widgets.PhasePlanePanel`.

    Args:
        system: a model instance (``bl.neurons.HH(1)``) or class, a function ``f(v, w, I=0.5, ...)``, or a
            :class:`~brainlab.analysis.System` (see :class:`~brainlab.analysis.Continuation`).
        param: the continued parameter (e.g. ``'I_ext'``, µA/cm² for HH).
        bounds: ``(lo, hi)`` of ``param``: the continuation and the cursor stay inside.
        variable: the variable drawn (default the first, e.g. ``V`` in mV).
        value: the cursor's first value (default: where the branch starts, clipped to ``bounds``); two
            parameters: a pair.  The branch starts at the model's own value of ``param``, or at the nearer bound
            when that lies outside ``bounds`` (or where ``params`` says).
        start, params: passed to :meth:`Continuation.equilibria` (an approximate equilibrium, and fixed parameter
            values; ``params[param]`` is where the branch starts).
        cycles: continue the limit cycles from the Hopf points (one-parameter mode).
        cycle_options: options of :meth:`Continuation.limit_cycles` (``max_steps``, ``ntst`` ...).
        param2, bounds2: the second parameter and its interval: a two-parameter diagram.
        max_step: the largest continuation step (default 1/50 of the range).

    Attributes: ``diagram`` (the :class:`~brainlab.widgets._bifurcation_panel_compute.Diagram`: ``branch``,
    ``cycles``, ``curves``), ``value``, ``controls`` (``'value'``, and ``'value2'`` in two parameters),
    ``figures['diagram']``, ``sources``: ``'equilibria'`` (``x``, ``y``, ``y_stable``, ``y_unstable``,
    ``stable``), ``'special'`` (``x``, ``y``, ``kind``, ``label``, ``text``, ``info``), ``'cycles'`` (``x``,
    ``ymax``, ``ymin`` and their stable/unstable splits, ``period``, ``branch``), ``'cycle_special'``,
    ``'current'`` (the equilibria at the cursor: ``x``, ``y``, ``stable``); in two parameters ``'fold'``,
    ``'hopf'``, ``'codim2'`` and ``'current'`` (the cursor point).

    Example:
        >>> import brainlab as bl
        >>> def fhn(v, w, I=0.0, a=0.7, b=0.8, tau=12.5):
        ...     return v - v**3 / 3 - w + I, (v + a - b * w) / tau
        >>> bif = bl.widgets.BifurcationPanel(fhn, param='I', bounds=(0.0, 2.0), start={'v': -1.2, 'w': -0.62},
        ...                                   cycle_options={'max_steps': 40})
        >>> [(k, round(x, 4)) for k, x in zip(bif.sources['special'].data['text'], bif.sources['special'].data['x'])]
        [('H (sub)', 0.3313), ('H (sub)', 1.4187)]
        >>> bif.set_value(1.0); bif.value
        1.0
    """

    def __init__(self, system: Any, *, param: str, bounds: tuple[float, float], variable: str | None = None,
                 value: Any = None, start: Any = None, params: Mapping[str, float] | None = None,
                 cycles: bool = True, cycle_options: Mapping[str, Any] | None = None, param2: str | None = None,
                 bounds2: tuple[float, float] | None = None, max_step: float | None = None):
        from ..analysis import as_system

        if isinstance(system, type):  # a model class: one neuron of it
            system = system(1)
        self._system_in = system
        sys_ = as_system(system)
        super().__init__(f"{sys_.name} bifurcation diagram")
        who = "BifurcationPanel"
        self.param = _check_param(sys_, param, "param", who)
        self.bounds = _check_bounds(bounds, "bounds", param, who)
        self.param2 = None if param2 is None else _check_param(sys_, param2, "param2", who)
        if self.param2 is not None:
            if self.param2 == self.param:
                raise ValueError(f"{who}: param2={param2!r} must differ from param={param!r}; pick another "
                                 f"parameter of {sys_.name}: {sys_.param_names}.")
            if bounds2 is None:
                raise ValueError(f"{who}: param2={param2!r} needs bounds2=(lo, hi), the interval of {param2!r}.")
        elif bounds2 is not None:
            raise ValueError(f"{who}: bounds2 is given without param2; pass param2='name' for a two-parameter "
                             "diagram, or drop bounds2.")
        self.bounds2 = None if bounds2 is None else _check_bounds(bounds2, "bounds2", param2, who)
        names = tuple(sys_.variable_names)
        self.variable = names[0] if variable is None else variable
        if self.variable not in names:
            raise ValueError(f"{who}: variable={variable!r} is not a state variable of {sys_.name}; choose one of "
                             f"{names}.")
        if params is not None and self.param2 is not None and self.param2 in params:
            v2 = float(params[self.param2])
            if not self.bounds2[0] <= v2 <= self.bounds2[1]:
                raise ValueError(f"{who}: params[{self.param2!r}]={v2:g} lies outside bounds2={self.bounds2}.")
        self.system = sys_
        self._start, self._params = start, (None if params is None else dict(params))
        self._cycle_options = dict(cycle_options or {})
        self._max_step = max_step
        self._callbacks: list[Callable[[Any], Any]] = []
        self.set_status("computing the diagram ...", "busy")
        self.diagram = compute_diagram(sys_, self.param, self.bounds, start=start, params=params, cycles=cycles,
                                       cycle_options=self._cycle_options, param2=self.param2,
                                       bounds2=self.bounds2, max_step=max_step)
        fixed = self.diagram.branch.fixed_params
        self.step = _nice_step((self.bounds[1] - self.bounds[0]) / 10)
        self.step2 = None if self.bounds2 is None else _nice_step((self.bounds2[1] - self.bounds2[0]) / 10)
        if value is None:
            v0: Any = _clip(fixed[self.param], self.bounds)
            if self.param2 is not None:
                v0 = (v0, _clip(fixed[self.param2], self.bounds2))
        else:
            v0 = self._checked(value, "value")
        self._value: Any = None
        self._syncing = False
        self._build_controls(v0)
        self._build_figure()
        self._value = self._snapped(v0)
        self._move_cursor()
        problems = self.diagram.problems
        if problems:
            self.set_status("; ".join(problems), "error")
        else:
            notes = "".join(f"; note: {n}" for n in self.diagram.notes)
            self.set_status(self._summary() + notes, "ok")

    # -- public API ------------------------------------------------------------------------------------------
    @property
    def value(self) -> Any:
        """The cursor: the value of ``param`` (a float), or ``(param, param2)`` in two parameters."""
        return self._value

    @property
    def params(self) -> dict[str, float]:
        """The cursor as ``{param: value}`` (and ``param2``)."""
        if self.param2 is None:
            return {self.param: self._value}
        return {self.param: self._value[0], self.param2: self._value[1]}

    def set_value(self, value: Any) -> None:
        """Move the cursor to ``value`` (a number in ``bounds``; two parameters: a pair), placed on the slider's
        grid; the slider follows and the callbacks of :meth:`on_value_change` run.  Nothing is recomputed."""
        self._set(self._checked(value, "value"))

    def on_value_change(self, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Call ``callback(value)`` after every change of :attr:`value` (errors go to the status line); returns
        ``callback`` (pass it to :meth:`remove_value_callback` to stop)."""
        if not callable(callback):
            raise TypeError(f"BifurcationPanel.on_value_change: callback must be callable, got "
                            f"{type(callback).__name__}.")
        self._callbacks.append(callback)
        return callback

    def remove_value_callback(self, callback: Callable[[Any], Any]) -> None:
        """Stop calling ``callback`` (no error if it was not registered)."""
        self._callbacks = [c for c in self._callbacks if c != callback]  # == : a bound method is a new object each time

    def tap(self, event: Any) -> None:
        """Handle a bokeh ``Tap`` event on the diagram: the cursor goes to the clicked ``x`` (two parameters:
        ``(x, y)``), clipped to the bounds.  This is what a click on the figure calls."""
        x = getattr(event, "x", None)
        if x is None or not math.isfinite(float(x)):
            return
        v: Any = _clip(float(x), self.bounds)
        if self.param2 is not None:
            y = getattr(event, "y", None)
            if y is None or not math.isfinite(float(y)):
                return
            v = (v, _clip(float(y), self.bounds2))
        self._set(v)

    def cycle(self, value: float | None = None, num: int = 200) -> np.ndarray | None:
        """The computed limit cycle at parameter ``value`` (default the cursor; one-parameter mode) as an orbit
        ``(num, n)`` over one period (all variables, ``system.variable_names`` order), or ``None`` where no
        cycle branch reaches it.  Stable cycles are preferred, then the largest."""
        if self.param2 is not None:
            return None
        v = self._value if value is None else float(value)
        hit = cycle_at(self.diagram.cycles, v)
        if hit is None:
            return None
        return self.diagram.cycles[hit[0]].orbit(hit[1], num)[1]

    def equilibria(self, value: float | None = None) -> list[tuple[dict[str, float], bool]]:
        """The equilibria on the branch at ``value`` (default the cursor): ``[(state dict, stable), ...]``
        (interpolated between computed points)."""
        v = (self._value if self.param2 is None else self._value[0]) if value is None else float(value)
        names = self.system.variable_names
        return [(dict(zip(names, map(float, x))), s) for x, s in equilibria_at(self.diagram.branch, v)]

    def code(self) -> str:
        """Python that recomputes this diagram with ``bl.analysis`` (and draws it with ``branch.plot``)."""
        return diagram_code(self._system_in, self.diagram, param=self.param, bounds=self.bounds,
                            variable=self.variable, start=self._start, params=self._params,
                            cycle_options=self._cycle_options, param2=self.param2, bounds2=self.bounds2,
                            max_step=self._max_step, value=self._value)

    def data(self) -> dict[str, Any]:
        """The sources' columns (``"source/column"``) with the cursor (``"value/<param>"``)."""
        out = super().data() if hasattr(AbstractPanel, "data") else {}
        for k, v in self.params.items():
            out[f"value/{k}"] = float(v)
        return out

    # -- internals -------------------------------------------------------------------------------------------
    def _checked(self, value: Any, arg: str) -> Any:
        who = "BifurcationPanel.set_value" if arg == "value" else "BifurcationPanel"
        if self.param2 is None:
            v = _number(value, f"{who}: {arg}", f"a number in bounds={self.bounds} of {self.param!r}")
            _inside(v, self.bounds, f"{who}: {arg}={v:g} of {self.param!r}")
            return v
        try:
            a, b = value
        except (TypeError, ValueError):
            raise TypeError(f"{who}: a two-parameter diagram takes {arg}=({self.param}, {self.param2}), a pair; got "
                            f"{value!r}.") from None
        a = _number(a, f"{who}: {arg}[0]", f"a number in bounds={self.bounds}")
        b = _number(b, f"{who}: {arg}[1]", f"a number in bounds2={self.bounds2}")
        _inside(a, self.bounds, f"{who}: {arg}[0]={a:g} of {self.param!r}")
        _inside(b, self.bounds2, f"{who}: {arg}[1]={b:g} of {self.param2!r}", "bounds2")
        return (a, b)

    def _snapped(self, v: Any) -> Any:
        s = self.controls["value"]
        if self.param2 is None:
            return _snap(v, s)
        return (_snap(v[0], s), _snap(v[1], self.controls["value2"]))

    def _set(self, v: Any) -> None:
        v = self._snapped(v)
        if v == self._value:
            return
        self._value = v
        self._move_cursor()
        for cb in list(self._callbacks):
            self.guarded(cb, "value callback")(v)

    def _move_cursor(self) -> None:
        v = self._value
        one = self.param2 is None
        x = v if one else v[0]
        self._syncing = True
        try:
            self.controls["value"].value = x
            if not one:
                self.controls["value2"].value = v[1]
        finally:
            self._syncing = False
        self._span_x.location = x
        if one:
            eq = equilibria_at(self.diagram.branch, x)
            j = self.system.variable_names.index(self.variable)
            self.sources["current"].data = {"x": [x] * len(eq), "y": [float(s[j]) for s, _ in eq],
                                            "stable": [int(st) for _, st in eq]}
        else:
            self._span_y.location = v[1]
            self.sources["current"].data = {"x": [v[0]], "y": [v[1]]}

    def _on_slider(self, which: int, new: float) -> None:
        if self._syncing:
            return
        if self.param2 is None:
            self._set(float(new))
        else:
            cur = list(self._value)
            cur[which] = float(new)
            self._set(tuple(cur))

    def _build_controls(self, v0: Any) -> None:
        one = self.param2 is None
        self.controls["value"] = _slider(self.param, self.bounds, self.step, v0 if one else v0[0], self.system)
        self.on_change(self.controls["value"], lambda new: self._on_slider(0, new), self.param)
        if not one:
            self.controls["value2"] = _slider(self.param2, self.bounds2, self.step2, v0[1], self.system)
            self.on_change(self.controls["value2"], lambda new: self._on_slider(1, new), self.param2)

    def _build_figure(self) -> None:
        from bokeh import events
        from bokeh.models import ColumnDataSource, HoverTool, LabelSet, Range1d, Span
        from bokeh.plotting import figure

        one = self.param2 is None
        lo, hi = self.bounds
        pad = 0.02 * (hi - lo)
        title = (f"{self.system.name}: equilibria and cycles in {self.param}" if one else
                 f"{self.system.name}: fold and Hopf curves in ({self.param}, {self.param2})")
        fig = figure(width=700, height=400, title=title, tools=_TOOLS, x_range=Range1d(lo - pad, hi + pad))
        fig.xaxis.axis_label = self.param
        fig.yaxis.axis_label = self.variable if one else self.param2
        src = self.sources
        if one:
            br = self.diagram.branch
            src["equilibria"] = ColumnDataSource(branch_columns(br, self.variable))
            src["special"] = ColumnDataSource(special_point_columns(br, self.variable))
            src["cycles"] = ColumnDataSource(cycle_columns(self.diagram.cycles, self.variable))
            src["cycle_special"] = ColumnDataSource(self._cycle_special())
            src["current"] = ColumnDataSource({"x": [], "y": [], "stable": []})
            fig.line("x", "y_stable", source=src["equilibria"], line_color="black", line_width=2,
                     legend_label="stable equilibria")
            fig.line("x", "y_unstable", source=src["equilibria"], line_color="black", line_width=2,
                     line_dash="dashed", legend_label="unstable equilibria")
            for col in ("ymax", "ymin"):
                fig.line("x", f"{col}_stable", source=src["cycles"], line_color=_CYCLE, line_width=2,
                         legend_label="stable cycles (max/min)")
                fig.line("x", f"{col}_unstable", source=src["cycles"], line_color=_CYCLE, line_width=2,
                         line_dash="dashed", legend_label="unstable cycles (max/min)")
            points = [(src["special"], "text"), (src["cycle_special"], "label")]
            fig.scatter("x", "y", source=src["current"], size=11, marker="circle", fill_color=_CURSOR,
                        fill_alpha=0.6, line_color=_CURSOR, legend_label="equilibria at the cursor")
        else:
            cols = codim2_columns(self.diagram.curves)
            src["fold"] = ColumnDataSource(cols["fold"])
            src["hopf"] = ColumnDataSource(cols["hopf"])
            src["codim2"] = ColumnDataSource(cols["points"] | {"text": list(cols["points"]["label"])})
            src["current"] = ColumnDataSource({"x": [], "y": []})
            fig.y_range = Range1d(self.bounds2[0] - 0.02 * (self.bounds2[1] - self.bounds2[0]),
                                  self.bounds2[1] + 0.02 * (self.bounds2[1] - self.bounds2[0]))
            fig.line("x", "y", source=src["fold"], line_color=POINT_COLORS["LP"], line_width=2, legend_label="fold")
            fig.line("x", "y_hopf", source=src["hopf"], line_color=POINT_COLORS["H"], line_width=2,
                     legend_label="Hopf")
            fig.line("x", "y_neutral", source=src["hopf"], line_color="#7f7f7f", line_width=1.5,
                     line_dash="dotted", legend_label="neutral saddle")
            points = [(src["codim2"], "text")]
            fig.scatter("x", "y", source=src["current"], size=10, marker="cross", line_color=_CURSOR,
                        line_width=2)
            self._span_y = Span(location=0.0, dimension="width", line_color=_CURSOR, line_width=1.5)
            fig.add_layout(self._span_y)
        for s, text in points:
            r = fig.scatter("x", "y", source=s, size=9, fill_color="color", line_color="black")
            fig.add_layout(LabelSet(x="x", y="y", text=text, source=s, x_offset=5, y_offset=5,
                                    text_font_size="9pt"))
            fig.add_tools(HoverTool(renderers=[r], tooltips=[("", "@label"), ("", "@info")]))
        self._span_x = Span(location=lo, dimension="height", line_color=_CURSOR, line_width=1.5)
        fig.add_layout(self._span_x)
        fig.legend.click_policy = "hide"
        fig.legend.label_text_font_size = "9pt"
        fig.add_layout(fig.legend[0], "right")  # beside the plot: inside, it hid branches and labels
        tap = self.guarded(self.tap, "click")

        def on_tap(event: Any) -> None:  # bokeh checks the signature: one argument
            tap(event)

        fig.on_event(events.Tap, on_tap)
        self.figures["diagram"] = fig

    def _cycle_special(self) -> dict[str, list]:
        rows: dict[str, list] = {k: [] for k in ("x", "y", "label", "color", "info")}
        j = self.system.variable_names.index(self.variable)
        for cb in self.diagram.cycles:
            for sp in cb.special_points:
                rows["x"].append(float(sp.param))
                rows["y"].append(float(sp.maxima[j]))
                rows["label"].append(sp.label)
                rows["color"].append(POINT_COLORS.get("LP", "black") if sp.label == "LPC" else "#9467bd")
                rows["info"].append(f"{self.param} = {sp.param:.8g}, period = {sp.period:.6g} ms")
        return rows

    def _summary(self) -> str:
        d = self.diagram
        sps = ", ".join(f"{sp.label} {self.param}={sp.params[self.param]:.4g}" for sp in d.branch.special_points)
        more = (f"; {len(d.cycles)} cycle branch(es)" if self.param2 is None else f"; {len(d.curves)} curve(s)")
        return (f"equilibrium branch of {len(d.branch)} points" + (f" ({sps})" if sps else "") + more
                + "; click to set the parameter")

    def _build_layout(self) -> W.Widget:
        sliders = [self.controls["value"]] + ([self.controls["value2"]] if "value2" in self.controls else [])
        parts = [self.bokeh_view(self.figures["diagram"]), W.HBox(sliders), self.status]
        if hasattr(self, "export_bar"):
            parts.append(self.export_bar("bifurcation"))
        return W.VBox(parts)


# ---------------------------------------------------------------------------------------------- helpers
def _check_param(sys_: Any, name: Any, arg: str, who: str) -> str:
    if not isinstance(name, str) or name not in sys_.param_names:
        raise ValueError(f"{who}: {arg}={name!r} is not a parameter of {sys_.name}; choose one of "
                         f"{sys_.param_names}.")
    return name


def _check_bounds(bounds: Any, arg: str, param: Any, who: str) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: {arg} must be a pair (lo, hi) of numbers for {param!r}, got {bounds!r}; "
                         f"e.g. {arg}=(0.0, 10.0).") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{who}: {arg}=({lo:g}, {hi:g}) for {param!r} must be finite with lo < hi.")
    return lo, hi


def _number(v: Any, what: str, hint: str) -> float:
    if isinstance(v, bool):
        raise TypeError(f"{what} must be {hint}, got {v!r}.")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be {hint}, got {v!r}.") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite ({hint}), got {v!r}.")
    return x


def _inside(v: float, bounds: tuple[float, float], what: str, arg: str = "bounds") -> None:
    if not bounds[0] <= v <= bounds[1]:
        raise ValueError(f"{what} lies outside {arg}={bounds}; pick a value inside (the diagram was computed "
                         "there), or make a new panel with wider bounds.")


def _clip(v: float, bounds: tuple[float, float]) -> float:
    return min(max(float(v), bounds[0]), bounds[1])


def _slider(name: str, bounds: tuple[float, float], step: float, value: float, system: Any) -> W.FloatSlider:
    lo, hi = bounds
    v = _clip(round(value / step) * step, bounds)
    a, b, st = on_grid(lo, hi, float(f"{v:.12g}"), step)
    return W.FloatSlider(min=a, max=b, step=st, value=_clip(float(f"{v:.12g}"), (a, b)), description=name,
                         continuous_update=True, readout_format=".4g", style={"description_width": "80px"},
                         layout=W.Layout(width="420px"),
                         tooltip=f"{name} of {system.name}: click the diagram or drag")


def _snap(v: float, slider: W.FloatSlider) -> float:
    """``v`` on the slider's grid ``min + k step``, within ``[min, max]``."""
    k = round((float(v) - slider.min) / slider.step)
    return float(f"{_clip(slider.min + k * slider.step, (slider.min, slider.max)):.12g}")
