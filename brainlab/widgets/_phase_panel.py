r"""``PhasePlanePanel``: an interactive phase plane (vector field, nullclines, fixed points, trajectories).

The API other panels code against (:class:`~brainlab.widgets.BifurcationPanel`, :func:`~brainlab.widgets.link`):

- ``pp.system``: the :class:`~brainlab.analysis.System` analysed;
- ``pp.params -> dict[str, float]``: the current values of the slider parameters;
- ``pp.set_params(**values)``: moves the sliders (any parameter of the system; those without a slider are set
  too) and redraws once, coalesced like a user change;
- ``pp.on_params_change(callback)``: ``callback(params_dict)`` after each change, by the user or by code;
  ``pp.remove_params_callback(callback)`` stops it;
- ``pp.show_cycle(points)``: draw a closed orbit ``(k, 2)`` given from outside (``None`` removes it);
- ``pp.show_marker(x, y)``: mark one point of the plane (``None`` removes it).
"""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np

from ..analysis import PhasePlane, as_system
from ..plotting.phase_plane import fixed_point_columns
from ._controls import parameter_slider, place
from ._panel import AbstractPanel
from ._phase_panel_draw import (arrow_segments, declared, declared_units, held_slider, nan_join, plain_slider,
                                streamlines)
from ._phase_panel_view import _current_bounds, _describe, _describe_cycle, build_figures, panel_code

__all__ = ["PhasePlanePanel"]

_OWN = ("field", "direction", "duration", "separatrices", "limit_cycle", "clear")
_MAX_TRAJECTORIES = 12


class PhasePlanePanel(AbstractPanel):
    r"""An interactive phase plane of :math:`\dot x = F(x, p)` in one or two displayed variables.

    Built on :class:`~brainlab.analysis.PhasePlane`, so it accepts what ``bl.analysis`` accepts: a plain function
    ``f(v, w, I=0.5, ...)`` (positional arguments: variables; keyword arguments: parameters), a brainlab model
    (``bl.neurons.FHN(1)``, ``MorrisLecar``, ``HH`` ...) or a :class:`~brainlab.analysis.System`.  A model with
    more than two variables is shown as a 2D slice: the other variables are held at values set by sliders
    (``HH``: :math:`V` and :math:`n` with :math:`m`, :math:`h` held).

    What a learner sees and does:

    - sliders for the chosen parameters (a declared parameter's slider carries its unit and admissible range;
      a plain function's keyword gets a slider from its default: ``(0, 3v)`` for ``v > 0``);
    - the vector field as arrows or short streamlines (``field``), the nullclines :math:`\dot x_i = 0` (each
      branch separate), the fixed points coloured by stability (green stable, red unstable, orange saddle;
      hovering shows the kind and the eigenvalues in 1/ms); every parameter change recomputes them, coalesced;
    - a click on the plane integrates a trajectory from that point (``direction``: forward, backward or both,
      for ``duration`` ms) and shows its time course; trajectories are re-integrated when a parameter changes;
    - *separatrices* (stable and unstable manifolds of the saddles), *limit cycle* (found by simulation),
      *clear*;
    - for integrate-and-fire models (LIF, ExpIF, AdEx, QIF, Izhikevich) the threshold and the reset value
      as lines: the plane is the subthreshold vector field, and what crosses the threshold line spikes and
      restarts on the reset line.

    Args:
        system: a function, model or System (see above).
        variables: ``{name: (low, high)}`` for one or two variables: the window.
        params: the parameters that get sliders (default: ``I_ext`` or ``I`` if the system has it, else all).
        values: starting values of any parameters (``{'I_ext': 30.0}``).
        fixed: starting values of the variables not displayed (default: the model's initial state).
        bounds: ``{name: (lo, hi)}`` slider bounds for parameters or held variables.
        duration: how long a clicked trajectory runs (ms, default 200).
        field: ``'arrows'`` or ``'streamlines'``.
        density: arrows per axis; resolution: nullcline grid points per axis.

    Attributes: ``plane`` (the :class:`~brainlab.analysis.PhasePlane`), ``fixed_points`` (the last
    :class:`~brainlab.analysis.FixedPoints`), ``trajectories`` (the :class:`~brainlab.analysis.Trajectory` of each
    click, re-integrated at the current parameters), ``separatrices``, ``cycle`` (the last
    :class:`~brainlab.analysis.LimitCycle`), ``sources`` (``arrows``, ``streamlines``, ``nullcline_<name>``,
    ``fixed_points``, ``trajectories``, ``trajectory`` (the last one against ``t``), ``starts``, ``stable_manifolds``,
    ``unstable_manifolds``, ``limit_cycle``, ``shown_cycle``, ``marker``; 1D: ``field``).

    Example:
        >>> import brainlab as bl
        >>> pp = bl.widgets.PhasePlanePanel(bl.neurons.FHN(1), {'v': (-2.5, 2.5), 'w': (-1, 2.5)})
        >>> pp.fixed_points[0].kind
        'stable focus'
        >>> pp.set_params(I_ext=0.5); pp.fixed_points[0].kind
        'unstable focus'
        >>> tr = pp.click(1.0, 0.0); round(float(tr.t[-1]), 6)
        200.0
    """

    def __init__(self, system: Any, variables: Mapping[str, tuple[float, float]],
                 params: Sequence[str] | None = None, *, values: Mapping[str, float] | None = None,
                 fixed: Mapping[str, float] | None = None, bounds: Mapping[str, tuple[float, float]] | None = None,
                 duration: float = 200.0, field: str = "arrows", density: int = 21, resolution: int = 161,
                 title: str | None = None):
        from .._model import AbstractModel

        if isinstance(system, type) and issubclass(system, AbstractModel):
            system = system(1)  # a model class, as NeuronExplorer takes it: one neuron with the defaults
        self._source = system
        try:
            sys_ = as_system(system)
        except TypeError as exc:
            raise TypeError(str(exc).replace("as_system:", "PhasePlanePanel: system", 1)) from None
        super().__init__(title or f"{sys_.name} phase plane")
        self.system = sys_
        if values is not None and not isinstance(values, Mapping):
            raise TypeError(f"PhasePlanePanel: values must be a dict {{parameter: value}}, e.g. "
                            f"values={{{(sys_.param_names or ('I',))[0]!r}: 1.0}}; got {type(values).__name__}.")
        for key in values or {}:
            sys_.param_index(key, who="PhasePlanePanel", arg="in values")
        try:
            self.plane = PhasePlane(sys_, variables, params=values, fixed=fixed, resolution=resolution)
        except ValueError as exc:  # the analysis names its own class; the learner called the panel
            raise ValueError(str(exc).replace("PhasePlane:", "PhasePlanePanel:", 1)) from None
        self.names: tuple[str, ...] = self.plane.names
        self.dim = self.plane.dim
        self._window = self.plane.bounds
        self._resolution, self._density = int(resolution), int(density)
        if field not in ("arrows", "streamlines"):
            raise ValueError(f"PhasePlanePanel: field must be 'arrows' or 'streamlines', got {field!r}.")
        if not (np.isfinite(duration) and duration > 0):
            raise ValueError(f"PhasePlanePanel: duration must be a positive number of ms, got {duration!r}.")
        self._param_names = self._chosen(params)
        self._held_names = tuple(v for v in sys_.variable_names if v not in self.names)
        bounds = dict(bounds or {})
        for key in bounds:
            if key not in self._param_names and key not in self._held_names:
                raise ValueError(
                    f"PhasePlanePanel: bounds names {key!r}, which has no slider; bounds takes the slider "
                    f"parameters ({', '.join(self._param_names) or 'none'}) and the held variables "
                    f"({', '.join(self._held_names) or 'none'}); add {key!r} to params=[...] for a slider.")
        clash = set(self._param_names + self._held_names) & set(_OWN)
        if clash:
            raise ValueError(f"PhasePlanePanel: {sys_.name} has parameters or variables named {sorted(clash)}, "
                             "which the panel uses for its own controls; leave them out of params=[...].")
        self._fixed_points: Any = None
        self.trajectories: list[Any] = []
        self._starts: list[tuple[np.ndarray, str]] = []
        self.separatrices: Any = None
        self.cycle: Any = None
        self._callbacks: list[Callable[[dict[str, float]], Any]] = []
        self._held = 0
        self._dirty = False
        self._notifying = False
        self.last_update_ms = float("nan")
        self._build_controls(bounds, duration, field)
        self._build_figures()
        self._job = self.schedule(self._redraw, "phase plane")
        for name in self._param_names:
            self.on_change(self.controls[name], lambda _v: self._changed(), name)
        for name in self._held_names:
            self.on_change(self.controls[name], lambda _v: self._held_changed(), name)
        self.on_change(self.controls["field"], lambda _v: self._request(), "field")
        self.on_change(self.controls["duration"], lambda _v: self._reintegrate(), "duration")
        self.on_click(self.controls["clear"], self.clear, "clear")
        self.on_change(self.controls["separatrices"], lambda _v: self._request(), "separatrices")
        self.on_change(self.controls["limit_cycle"], lambda _v: self._request(), "limit cycle")
        self._redraw()

    # -- construction --------------------------------------------------------------------------------------
    def _chosen(self, params: Sequence[str] | None) -> tuple[str, ...]:
        names = self.system.param_names
        if params is None:
            for cand in ("I_ext", "I"):
                if cand in names:
                    return (cand,)
            return tuple(names)
        if isinstance(params, str):
            params = [params]
        for p in params:
            self.system.param_index(p, who="PhasePlanePanel", arg=f"in params=[..., {p!r}]")
        return tuple(dict.fromkeys(params))

    def _build_controls(self, bounds: Mapping[str, Any], duration: float, field: str) -> None:
        c = self.controls
        decl = declared(self._source)
        now = self.plane.params
        for name in self._param_names:
            p, b = decl.get(name), bounds.get(name)
            if p is not None:
                if b is None and name == "I_ext":
                    b = _current_bounds(type(self._source), p, now[name])
                c[name] = parameter_slider(p, now[name], bounds=b)
            else:
                c[name] = plain_slider(name, now[name], b)
        units = declared_units(self._source)
        full = self.system.state_dict(self.plane._x_full)
        for name in self._held_names:
            c[name] = held_slider(name, full[name], units.get(name), bounds.get(name))
        style = {"description_width": "110px"}
        c["field"] = W.ToggleButtons(options=["arrows", "streamlines"], value=field, description="field",
                                     style={"description_width": "60px", "button_width": "90px"})
        c["direction"] = W.ToggleButtons(options=["forward", "backward", "both"], value="forward",
                                         description="click", style={"description_width": "60px",
                                                                     "button_width": "75px"},
                                         tooltip="integrate a clicked point forward, backward, or both")
        c["duration"] = W.BoundedFloatText(value=float(duration), min=1e-3, max=1e6, description="duration (ms)",
                                           style=style, layout=W.Layout(width="220px"))
        c["separatrices"] = W.ToggleButton(value=False, description="separatrices",
                                           tooltip="stable (dashed) and unstable manifolds of every saddle")
        c["limit_cycle"] = W.ToggleButton(value=False, description="limit cycle",
                                          tooltip="a periodic orbit, found by simulating from an unstable point")
        c["clear"] = W.Button(description="clear", tooltip="remove the clicked trajectories")
        if self.dim == 1:
            for k in ("field", "separatrices", "limit_cycle"):
                c[k].disabled = True
        self.readout = W.HTML()

    def _build_figures(self) -> None:
        build_figures(self)

    def _build_layout(self) -> W.Widget:
        from bokeh.layouts import column, row

        c = self.controls
        head = W.HTML(f"<b>{html.escape(self.title)}</b>"
                      + (f"<br><i>{html.escape(self.system.note)}</i>" if self.system.note else ""))
        sliders = W.VBox([c[n] for n in self._param_names + self._held_names])
        options = W.VBox([c["field"], c["direction"], c["duration"],
                          W.HBox([c["separatrices"], c["limit_cycle"], c["clear"]])])
        plots = self.bokeh_view(row(self.figures["plane"],
                                    column(*[self.figures[f"series_{n}"] for n in self.names])))
        parts = [head, W.HBox([sliders, options]), plots, self.readout, self.status]
        if hasattr(self, "export_bar"):
            parts.append(self.export_bar())
        return W.VBox(parts)

    # -- the API other panels use ----------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, float]:
        """The current values of the slider parameters ``{name: value}``."""
        return {n: float(self.controls[n].value) for n in self._param_names}

    def set_params(self, **values: float) -> None:
        """Set parameters by name: sliders move (widened if needed); others are set on the plane.  One redraw
        (coalesced like a slider move; at once without an event loop), then the ``on_params_change`` callbacks."""
        for name, value in values.items():
            self.system.param_index(name, who="PhasePlanePanel.set_params", arg=f"in set_params({name}=...)")
            v = float(value)
            if not np.isfinite(v):
                raise ValueError(f"PhasePlanePanel.set_params: {name}={value!r} must be a finite number.")
        with self._holding():
            for name, value in values.items():
                if name in self._param_names:
                    place(self.controls[name], float(value))
                else:
                    self.plane.set_params(**{name: float(value)})
                    self._dirty = True

    def on_params_change(self, callback: Callable[[dict[str, float]], Any]) -> Callable[[dict[str, float]], Any]:
        """Call ``callback(params)`` (the :attr:`params` dict) after each parameter change, by the user or code;
        returns ``callback`` (pass it to :meth:`remove_params_callback` to stop)."""
        if not callable(callback):
            raise TypeError(f"PhasePlanePanel.on_params_change: callback must be callable, got "
                            f"{type(callback).__name__}.")
        self._callbacks.append(callback)
        return callback

    def remove_params_callback(self, callback: Callable[[dict[str, float]], Any]) -> None:
        """Stop calling ``callback`` (no error if it was not registered).  A bound method matches any other
        access to the same method of the same object (``obj.method == obj.method``)."""
        self._callbacks = [c for c in self._callbacks if c != callback]

    def show_cycle(self, points: np.ndarray | None) -> None:
        """Draw a closed orbit ``points`` (shape ``(k, 2)``, displayed variables) given from outside, e.g. an
        unstable cycle from continuation; ``None`` removes it."""
        if points is None:
            self.sources["shown_cycle"].data = {"x": np.zeros(0), "y": np.zeros(0)}
            return
        pts = np.asarray(points, np.float64)
        if pts.ndim != 2 or pts.shape[1] != 2 or self.dim != 2:
            raise ValueError(f"PhasePlanePanel.show_cycle: points must have shape (k, 2) in a 2D plane "
                             f"({', '.join(self.names)}); got shape {pts.shape}.")
        pts = np.concatenate([pts, pts[:1]])
        self.sources["shown_cycle"].data = {"x": pts[:, 0], "y": pts[:, 1]}

    def show_marker(self, x: float | None, y: float | None = None) -> None:
        """Mark the point ``(x, y)`` of the plane (``y`` ignored in 1D); ``None`` removes the mark."""
        if x is None:
            self.sources["marker"].data = {"x": np.zeros(0), "y": np.zeros(0)}
            return
        yy = 0.0 if self.dim == 1 or y is None else float(y)
        self.sources["marker"].data = {"x": np.array([float(x)]), "y": np.array([yy])}

    @property
    def fixed_points(self) -> Any:
        """The fixed points at the current parameters (:class:`~brainlab.analysis.FixedPoints`)."""
        return self._fixed_points

    # -- changes -----------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _holding(self) -> Iterator[None]:
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._dirty:
                self._dirty = False
                self._job.request()
                self._notify()

    def _request(self) -> None:
        if self._held:
            self._dirty = True
        else:
            self._job.request()

    def _changed(self) -> None:
        self._request()
        if not self._held:
            self._notify()

    def _notify(self) -> None:
        if self._notifying:
            return
        self._notifying = True
        try:
            params = self.params
            for cb in list(self._callbacks):
                try:
                    cb(dict(params))
                except Exception as exc:  # a linked panel's error is shown here, never lost
                    self.show_error(exc, "on_params_change callback")
        finally:
            self._notifying = False

    def _held_changed(self) -> None:
        held = {n: float(self.controls[n].value) for n in self._held_names}
        old = self.plane
        self.plane = PhasePlane(self.system, self._window, params=old.params, fixed=held,
                                resolution=self._resolution)
        self._request()

    def clear(self) -> None:
        """Remove the clicked trajectories."""
        self.trajectories, self._starts = [], []
        self._draw_trajectories()

    # -- clicks ------------------------------------------------------------------------------------------
    def _on_tap(self, event: Any) -> None:
        if event.x is None or (self.dim == 2 and event.y is None):
            return
        self.guarded(self.click, "click")(float(event.x), None if self.dim == 1 else float(event.y))

    def click(self, x: float, y: float | None = None, direction: str | None = None) -> Any:
        """Integrate a trajectory from ``(x, y)`` (``x`` alone in 1D) as a click on the plane does; returns the
        :class:`~brainlab.analysis.Trajectory` (``direction``: default the ``direction`` control)."""
        t0 = time.perf_counter()
        start = np.array([float(x)] if self.dim == 1 else [float(x), float(y)])  # type: ignore[arg-type]
        if not np.all(np.isfinite(start)):
            raise ValueError(f"PhasePlanePanel.click: the start {start.tolist()} must be finite.")
        direction = direction or self.controls["direction"].value
        if direction not in ("forward", "backward", "both"):
            raise ValueError(f"PhasePlanePanel.click: direction must be 'forward', 'backward' or 'both', got "
                             f"{direction!r}.")
        self._starts.append((start, direction))
        self.trajectories.append(self._integrate(start, direction))
        if len(self._starts) > _MAX_TRAJECTORIES:
            self._starts, self.trajectories = self._starts[1:], self.trajectories[1:]
        self._draw_trajectories()
        tr = self.trajectories[-1]
        self.set_status(f"trajectory from ({', '.join(f'{v:.4g}' for v in start)}), {direction}, "
                        f"{len(tr.t)} points: {1000 * (time.perf_counter() - t0):.0f} ms", "ok")
        return tr

    def _integrate(self, start: np.ndarray, direction: str) -> Any:
        from ..analysis import Trajectory

        duration = float(self.controls["duration"].value)
        n = 2001
        if direction == "forward":
            return self.plane.trajectory(start, duration, n_points=n)
        back = self.plane.trajectory(start, duration, backward=True, n_points=n)
        if direction == "backward":
            return back
        fwd = self.plane.trajectory(start, duration, n_points=n)
        t = np.concatenate([back.t[::-1], fwd.t[1:]])
        states = np.concatenate([back.states[::-1], fwd.states[1:]])
        return Trajectory(self.names, t, states, f"backward: {back.message}; forward: {fwd.message}")

    def _reintegrate(self) -> None:
        """The clicked trajectories again, from their starts, at the current parameters and duration."""
        self.trajectories = [self._integrate(p, d) for p, d in self._starts]
        self._draw_trajectories()

    def _draw_trajectories(self) -> None:
        s = self.sources
        if self.dim == 2:
            x, y = nan_join([tr.states for tr in self.trajectories])
        else:
            pts = [np.stack([tr.states[:, 0], self._slope(tr.states[:, 0])], axis=-1) for tr in self.trajectories]
            x, y = nan_join(pts)
        s["trajectories"].data = {"x": x, "y": y}
        st = np.array([p for p, _ in self._starts]).reshape(-1, self.dim)
        s["starts"].data = {"x": st[:, 0], "y": st[:, 1] if self.dim == 2 else self._slope(st[:, 0])}
        if self.trajectories:
            tr = self.trajectories[-1]
            s["trajectory"].data = {"t": tr.t, **{n: tr.states[:, i] for i, n in enumerate(self.names)}}
        else:
            s["trajectory"].data = {"t": np.zeros(0), **{n: np.zeros(0) for n in self.names}}

    def _slope(self, xs: np.ndarray) -> np.ndarray:
        """dx/dt at points of the phase line (1D)."""
        if len(xs) == 0:
            return np.zeros(0)
        return self.plane._field(np.asarray(xs, np.float64)[:, None])[:, 0]

    # -- the recomputation ---------------------------------------------------------------------------------
    def _redraw(self) -> None:
        t0 = time.perf_counter()
        plane, s = self.plane, self.sources
        plane.set_params(**self.params)
        lo = np.array([self._window[n][0] for n in self.names])
        hi = np.array([self._window[n][1] for n in self.names])
        span = hi - lo
        if self.dim == 2:
            if self.controls["field"].value == "arrows":
                vf = plane.vector_field(self._density)
                X, Y = np.meshgrid(vf.x, vf.y)
                d = self._density - 1
                s["arrows"].data = arrow_segments(X, Y, vf.u, vf.v, 0.8 * span[0] / d, 0.8 * span[1] / d)
                s["streamlines"].data = {"x": np.zeros(0), "y": np.zeros(0)}
            else:
                vf = plane.vector_field(41)
                x, y = streamlines(vf, lo, hi)
                s["streamlines"].data = {"x": x, "y": y}
                s["arrows"].data = {"x0": [], "y0": [], "x1": [], "y1": [], "color": []}
            nc = plane.nullclines(self._resolution)
            for name in self.names:
                x, y = nan_join(nc.lines[name])
                s[f"nullcline_{name}"].data = {"x": x, "y": y}
            self.nullclines = nc
        else:
            xs = np.linspace(lo[0], hi[0], 401)
            f = self._slope(xs)
            s["field"].data = {"x": xs, "y": f}
            xa = np.linspace(lo[0], hi[0], self._density)
            fa = self._slope(xa)
            s["arrows"].data = arrow_segments(xa, np.zeros_like(xa), np.sign(fa), np.zeros_like(xa),
                                              0.5 * span[0] / self._density, 1.0, speed=np.abs(fa))
            self.nullclines = None
        fps = plane.fixed_points()
        self._fixed_points = fps
        s["fixed_points"].data = fixed_point_columns(fps)
        self._draw_spans()
        if self._starts:
            self._reintegrate()
        self._draw_separatrices()
        self._draw_cycle()
        self.last_update_ms = 1000 * (time.perf_counter() - t0)
        self.readout.value = _describe(fps, self.names) + _describe_cycle(self.cycle, self._cycle_message)
        self.set_status(", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
                        + f": redrawn in {self.last_update_ms:.0f} ms", "ok")

    def _draw_spans(self) -> None:
        if self.threshold_span is None:
            return
        _var, thr, _value = self.system.reset
        p = self.plane.params
        self.threshold_span.location = float(p[thr])
        reset = p.get("V_reset", p.get("c") if self.system.name == "Izhikevich" else None)
        self.reset_span.location = float(reset) if reset is not None else float("nan")

    def _draw_separatrices(self) -> None:
        s = self.sources
        on = self.dim == 2 and bool(self.controls["separatrices"].value)
        # the manifolds get their own duration, from the saddles' eigenvalues (the click duration suits trajectories)
        self.separatrices = self.plane.separatrices() if on else None
        for kind in ("stable", "unstable"):
            curves = [c.states for c in (self.separatrices or ()) if c.kind == kind]
            x, y = nan_join(curves)
            s[f"{kind}_manifolds"].data = {"x": x, "y": y}

    def _draw_cycle(self) -> None:
        s = self.sources
        on = self.dim == 2 and bool(self.controls["limit_cycle"].value)
        self.cycle = None
        self._cycle_message = ""
        if on:
            try:
                self.cycle = self.plane.limit_cycle()
            except ValueError as exc:  # no unstable fixed point to start from: said in the readout
                self._cycle_message = str(exc)
        if self.cycle is not None and self.cycle.found:
            pts = np.concatenate([self.cycle.states, self.cycle.states[:1]])
            s["limit_cycle"].data = {"x": pts[:, 0], "y": pts[:, 1]}
        else:
            s["limit_cycle"].data = {"x": np.zeros(0), "y": np.zeros(0)}

    # -- export ------------------------------------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        """Every source column as ``"source/column"``, plus ``params/<name>`` for the current parameters."""
        out = dict(super().data()) if hasattr(AbstractPanel, "data") else {}
        out.update({f"params/{k}": float(v) for k, v in self.plane.params.items()})
        return out

    def code(self) -> str:
        """The Python that recomputes this view with ``bl.analysis.PhasePlane`` and its plotting functions;
        ``fixed_points`` holds the fixed points shown, ``fig`` the figure."""
        return panel_code(self)

