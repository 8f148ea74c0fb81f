r"""``SweepPanel``: a grid of parameter sets run in one batched call, shown as a heat map of a measure; a click
opens one point (a :class:`~brainlab.widgets.NeuronExplorer`, or a network's raster)."""

from __future__ import annotations

import asyncio
import html
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as W
import numpy as np

from .._runner_config import _number
from .._sweep import SweepRun
from ._live_args import running_loop
from ._panel import AbstractPanel
from ._sweep_panel_model import (MEASURES, OWNER, SweepTarget, axis, check_measure, edges, fmt, grid_run,
                                 is_geometric, measure_function, v_monitors)

__all__ = ["SweepPanel"]

_STYLE = {"description_width": "90px"}


class SweepPanel(AbstractPanel):
    r"""A heat map of a measure over a grid of two parameters, all sets run in one batched call.

    Every pair ``(x_i, y_j)`` is one parameter set; the grid is simulated as :func:`brainlab.sweep` does it (one
    copy of the model per set, stacked, one vmapped program) and each run is reduced to one number by the
    measure:

    - ``'rate'``: the mean firing rate of all neurons, :math:`\nu = N_\text{spikes} / (N\,T)` (Hz);
    - ``'cv'``: the coefficient of variation of the inter-spike intervals,
      :math:`\mathrm{CV} = \sigma_\text{ISI} / \mu_\text{ISI}`, averaged over the neurons with at least 3 spikes
      (:func:`brainlab.analysis.cv_isi`; NaN, drawn grey, where no neuron has enough);
    - ``'mean_V'``: the mean membrane potential over time and over every neuron of the populations with a
      State ``V`` (mV);
    - a function ``f(run_result) -> float`` of your own.

    Hovering a cell shows its parameter values and number; a click (a bokeh ``Tap``) opens that point: for a
    neuron model a :class:`~brainlab.widgets.NeuronExplorer` set to those values (``panel.explorer``), for a
    network its raster (that one set run alone, ``panel.point_result``), below the map.

    The run goes chunk by chunk (``every`` ms of simulated time for every set at once); with the kernel's event
    loop running (a notebook) it is an asyncio task, so the notebook stays responsive and the progress bar moves;
    ``await panel.wait()`` waits for it and :meth:`settle` finishes it at once.  Without a running loop (a
    script, a test) :meth:`run` runs it to the end before returning.

    Args:
        model: a neuron class or instance (``bl.neurons.LIF(1)``), a :class:`~brainlab.Network` (dotted names
            reach into it: ``'IE.weight'``), or a function ``build(**params)`` returning a network (called once
            per set; every argument it has without a default must be ``x``'s or ``y``'s name).
        x, y: ``(parameter name, values)``; the values are sorted.  Evenly log-spaced values over more than a
            decade get a log axis.
        measure: ``'rate'``, ``'cv'``, ``'mean_V'`` or a function of a :class:`~brainlab.RunResult`.
        duration: simulated ms per set.
        inputs: Runner inputs, by population name (``{'E': 20.}``; a neuron model's population is named after
            its class, ``{'LIF': 300.}``); a number drives a single-neuron model.
        dt: the time step (ms; default the model's).
        monitors: extra monitors (as for :class:`~brainlab.Runner`) for your measure function.
        every: simulated ms per chunk (default a tenth of ``duration``): the progress bar's step.
        raster_neurons: a network's raster shows at most this many neurons (the first of each population, in
            proportion).
        independent_noise: give each set its own random streams (``bl.sweep(..., independent_noise=True)``);
            by default a stochastic model draws the same numbers in every set (common random numbers: a smooth
            map whose differences are the parameters' effect; see :func:`brainlab.sweep`).
        run: run the grid at construction (default True).

    Attributes: ``values`` (the measure, shape ``[len(y), len(x)]``: rows are y), ``x_values``, ``y_values`` (the
    grid of the next run; :meth:`data` holds the shown one), ``results`` (one RunResult per set, x fastest),
    ``progress`` (an ``IntProgress``, percent), ``explorer``, ``point_result``, ``selected`` (``(i, j)``),
    ``devices`` (over how many devices the last sweep's sets were spread: all of ``jax.devices()`` when their
    number divides the set count, as for :func:`brainlab.sweep`).

    Example:
        >>> import brainlab as bl
        >>> panel = bl.widgets.SweepPanel(bl.neurons.LIF(1), x=('I_ext', [200.0, 300.0, 400.0]),
        ...                               y=('tau', [5.0, 10.0, 20.0]), duration=200.0)
        >>> panel.values           # Hz; a slower membrane (larger tau) fires slower, more current faster
        array([[110., 180., 225.],
               [ 60., 110., 145.],
               [ 30.,  60.,  85.]])
        >>> panel.progress.value, panel.open_point(1, 2).controls['tau'].value   # opens x=300 pA, tau=20 ms
        (100, 20.0)
        >>> panel.close()
    """

    def __init__(self, model: Any, x: Any, y: Any, measure: Any = "rate", *, duration: float = 200.0,
                 inputs: Any = None, dt: float | None = None, monitors: Mapping[str, Any] | None = None,
                 every: float | None = None, raster_neurons: int = 500, independent_noise: bool = False,
                 title: str | None = None, run: bool = True):
        self.target = SweepTarget(model)
        self.x_name, self.x_values = axis("x", x)
        self.y_name, self.y_values = axis("y", y)
        if self.x_name == self.y_name:
            raise ValueError(f"{OWNER}: x and y both name {self.x_name!r}; sweep two different parameters.")
        self.target.check_names({"x": self.x_name, "y": self.y_name})
        check_measure(measure)
        self.measure = measure
        duration = _number(OWNER, "duration", duration)
        self.every = None if every is None else _number(OWNER, "every", every)
        if self.target.kind == "neuron" and inputs is not None and not isinstance(inputs, Mapping):
            inputs = {self.target.name: inputs}
        if inputs is not None and not isinstance(inputs, Mapping):
            raise TypeError(f"{OWNER}: inputs must be a dict {{population name: current}} (e.g. {{'E': 20.0}}), got "
                            f"{type(inputs).__name__}.")
        self.inputs = dict(inputs) if inputs is not None else None
        self.dt = dt
        self.monitors = dict(monitors or {})
        if isinstance(raster_neurons, bool) or not isinstance(raster_neurons, (int, np.integer)) or raster_neurons < 1:
            raise ValueError(f"{OWNER}: raster_neurons must be a whole number >= 1, got {raster_neurons!r}.")
        self.raster_neurons = int(raster_neurons)
        if not isinstance(independent_noise, bool):
            raise TypeError(f"{OWNER}: independent_noise must be True or False, got {independent_noise!r}.")
        self.independent_noise = independent_noise
        super().__init__(title or f"sweep of {self.target.name} over {self.x_name} and {self.y_name}")

        self.results: list[Any] | None = None
        self.devices = 1
        self.values: np.ndarray | None = None
        self.explorer: Any = None
        self.point_result: Any = None
        self.selected: tuple[int, int] | None = None
        self._ran: dict[str, Any] | None = None  # the grid, duration and monitors of the shown results
        self._plan: SweepRun | None = None
        self._plan_spec: dict[str, Any] = {}
        self._job: dict[str, Any] = {}
        self._task: asyncio.Task | None = None
        self._log = (is_geometric(self.x_values), is_geometric(self.y_values))
        self._build_controls(duration)
        self._build_figures()
        self.detail = W.VBox()
        if run:
            self.run()

    # -- construction --------------------------------------------------------------------------------------
    def _build_controls(self, duration: float) -> None:
        c = self.controls
        lay = W.Layout(width="230px")
        for ax, name, v in (("x", self.x_name, self.x_values), ("y", self.y_name, self.y_values)):
            c[f"{ax}_from"] = W.FloatText(value=float(v[0]), description=f"{name} from", style=_STYLE, layout=lay)
            c[f"{ax}_to"] = W.FloatText(value=float(v[-1]), description="to", style=_STYLE, layout=lay)
            c[f"{ax}_points"] = W.BoundedIntText(value=int(v.size), min=1, max=200, description="points",
                                                 style=_STYLE, layout=lay)
            for k in ("from", "to", "points"):
                self.on_change(c[f"{ax}_{k}"], lambda _v, a=ax: self._regrid(a), f"{ax} {k}")
        c["duration"] = W.BoundedFloatText(value=duration, min=1e-6, max=1e9, description="duration (ms)",
                                           style=_STYLE, layout=lay)
        options = list(MEASURES) + ([self._custom_name()] if callable(self.measure) else [])
        c["measure"] = W.Dropdown(options=options, value=self._measure_key(), description="measure", style=_STYLE,
                                  layout=lay)
        c["run"] = W.Button(description="run", icon="play", tooltip="run every parameter set of the grid")
        c["stop"] = W.Button(description="stop", icon="stop", tooltip="stop the sweep (the map keeps the last one)")
        self.progress = W.IntProgress(value=0, min=0, max=100, description="0 %", style=_STYLE, layout=lay)
        self.on_change(c["measure"], self._measure_changed, "measure")
        self.on_click(c["run"], self.run, "run")
        self.on_click(c["stop"], self.stop, "stop")

    def _build_figures(self) -> None:
        from bokeh.events import Tap
        from bokeh.models import ColorBar, ColumnDataSource, HoverTool, LinearColorMapper
        from bokeh.palettes import Viridis256
        from bokeh.plotting import figure

        xs, ys = self.target.unit(self.x_name), self.target.unit(self.y_name)
        empty = {k: np.zeros(0) for k in ("x", "y", "left", "right", "bottom", "top", "value", "i", "j")}
        self.sources["heatmap"] = ColumnDataSource(empty)
        self.sources["selected"] = ColumnDataSource({k: np.zeros(0) for k in ("left", "right", "bottom", "top")})
        self.sources["raster"] = ColumnDataSource({"t": np.zeros(0), "i": np.zeros(0)})
        self.mapper = LinearColorMapper(palette=Viridis256, low=0.0, high=1.0, nan_color="#cccccc")
        heat = figure(width=560, height=420, tools="tap,pan,box_zoom,wheel_zoom,reset,save",
                      x_axis_type="log" if self._log[0] else "linear", y_axis_type="log" if self._log[1] else "linear",
                      x_axis_label=f"{self.x_name} ({xs})" if xs else self.x_name,
                      y_axis_label=f"{self.y_name} ({ys})" if ys else self.y_name, title=self._title())
        heat.quad(left="left", right="right", bottom="bottom", top="top", source=self.sources["heatmap"],
                  fill_color={"field": "value", "transform": self.mapper}, line_color=None)
        heat.quad(left="left", right="right", bottom="bottom", top="top", source=self.sources["selected"],
                  fill_color=None, line_color="#d62728", line_width=3)
        self.hover = HoverTool(tooltips=[(self.x_name, "@x{0.[0000]}"), (self.y_name, "@y{0.[0000]}"),
                                         (self._label(), "@value{0.[000]}")])
        heat.add_tools(self.hover)
        self.colour_bar = ColorBar(color_mapper=self.mapper, title=self._label())
        heat.add_layout(self.colour_bar, "right")
        on_tap = self.guarded(self.tap, "click")
        heat.on_event(Tap, lambda event: on_tap(event))
        raster = figure(width=560, height=260, x_axis_label="t (ms)", y_axis_label="neuron", visible=False,
                        tools="pan,box_zoom,wheel_zoom,reset,save", title="raster")
        raster.scatter("t", "i", source=self.sources["raster"], size=2, color="black")
        self.figures.update(heatmap=heat, raster=raster)

    def _build_layout(self) -> W.Widget:
        from bokeh.layouts import column

        c = self.controls
        title = W.HTML(f"<b>{html.escape(self.title)}</b>: {self._label()}, a click opens a point")
        grid = W.HBox([W.VBox([c["x_from"], c["x_to"], c["x_points"]]),
                       W.VBox([c["y_from"], c["y_to"], c["y_points"]]),
                       W.VBox([c["duration"], c["measure"], W.HBox([c["run"], c["stop"]])])])
        plots = self.bokeh_view(column(self.figures["heatmap"], self.figures["raster"]))
        return W.VBox([title, grid, W.HBox([self.progress, self.status]), plots, self.detail, self.export_bar()])

    # -- labels ----------------------------------------------------------------------------------------------
    def _custom_name(self) -> str:
        name = getattr(self.measure, "__name__", "")
        return name if name.isidentifier() else "measure"

    def _measure_key(self) -> str:
        return self._custom_name() if callable(self.measure) else str(self.measure)

    def _label(self) -> str:
        return MEASURES[self.measure][0] if isinstance(self.measure, str) else self._custom_name()

    def _title(self) -> str:
        return f"{self._label()} over {self.x_name} and {self.y_name}"

    # -- running -------------------------------------------------------------------------------------------
    @property
    def duration(self) -> float:
        """The simulated ms per set of the next run (the ``duration`` control)."""
        return _number(OWNER, "duration", self.controls["duration"].value)

    @property
    def running(self) -> bool:
        """Whether a sweep is going on (a task on the event loop)."""
        return self._task is not None and not self._task.done()

    def run(self) -> None:
        """Run the grid (stopping a sweep in progress): at once without a running event loop, else as a task."""
        self.stop(quiet=True)
        job = {"x": self.x_values.copy(), "y": self.y_values.copy(), "duration": self.duration,
               "t0": time.perf_counter()}
        self.progress.value, self.progress.description = 0, "0 %"
        self.set_status(f"building {job['x'].size * job['y'].size} parameter sets ...", "busy")
        self._job = job
        loop = running_loop()
        if loop is None:
            plan = self._prepare(job)
            while not plan.done:
                self._chunk(plan)
            self._finish(plan, self._plan_spec)
        else:
            self._task = loop.create_task(self._run_task(job))

    def _prepare(self, job: dict[str, Any]) -> SweepRun:
        """Build the copies (or call the build function) for every set of ``job``'s grid, stacked, and the
        chunked run over them."""
        xs, ys = job["x"], job["y"]
        sets = [{self.y_name: float(b), self.x_name: float(a)} for b in ys for a in xs]  # x varies fastest
        first = self.target.member(sets[0])
        v_full, v_pops = v_monitors(first, self.target.name, self.target.kind)
        monitors = {**v_full, **self.monitors}
        code_monitors = {**v_full, **{f"V_{p}": f"{p}.V" for p in v_pops}, **self.monitors}
        plan = grid_run(self.target, sets, job["duration"], inputs=self.inputs, dt=self.dt, monitors=monitors,
                       every=self.every, v_means=[p for p in v_pops if f"Vmean_{p}" not in self.monitors],
                       independent_noise=self.independent_noise)
        self._plan = plan
        self._plan_spec = {**job, "monitors": code_monitors, "dt": plan.dt,
                           "independent_noise": self.independent_noise}
        return plan

    async def _run_task(self, job: dict[str, Any]) -> None:
        try:
            await asyncio.sleep(0)  # the cell returns (and the panel shows) before the sets are built
            plan = self._prepare(job)
            while not plan.done:
                await asyncio.sleep(0)  # button clicks and other cells are handled between chunks
                self._chunk(plan)
            self._finish(plan, self._plan_spec)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown, never lost
            self.show_error(exc, "sweep")
            self._plan = None

    def _chunk(self, plan: SweepRun) -> None:
        next(plan, None)
        pct = int(math.floor(100 * plan.fraction + 1e-9))
        self.progress.value, self.progress.description = pct, f"{pct} %"
        self.set_status(f"running {plan.n_sets} parameter sets in one batch: {pct} % of {plan.duration:g} ms",
                        "busy")

    def _finish(self, plan: SweepRun, spec: dict[str, Any]) -> None:
        if self._plan is not plan:
            return
        self._plan = None
        self.devices = plan.devices
        self.results = plan.result().runs
        self._ran = spec
        self._show_values()
        self.progress.value, self.progress.description = 100, "100 %"
        on = f" on {plan.devices} devices" if plan.devices > 1 else ""
        self.set_status(f"{plan.n_sets} parameter sets of {plan.duration:g} ms in one batch{on}: "
                        f"{time.perf_counter() - spec['t0']:.2f} s; a click on the map opens a point", "ok")

    def stop(self, quiet: bool = False) -> None:
        """Stop a sweep in progress; the map keeps the last finished one."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            if not quiet:
                self.set_status(f"stopped at {self.progress.value} %; the map shows the last finished sweep")
        self._task = None
        self._plan = None

    async def wait(self) -> None:
        """Wait until the sweep in progress has ended (and one started meanwhile, by *run*, too)."""
        while self._task is not None and not self._task.done():
            task = self._task
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.cancelled():
                    raise

    def settle(self) -> None:
        """Finish a sweep in progress now (from a cell that reads ``values`` next)."""
        super().settle()
        task = self._task
        if task is None or task.done():
            return
        task.cancel()
        self._task = None
        plan = self._plan if self._plan is not None else self._prepare(self._job)
        while not plan.done:
            self._chunk(plan)
        self._finish(plan, self._plan_spec)

    def _close_extra(self) -> None:
        self.stop(quiet=True)
        if self.explorer is not None:
            self.explorer.close()

    # -- the map -----------------------------------------------------------------------------------------------
    def _show_values(self) -> None:
        assert self.results is not None and self._ran is not None
        xs, ys = self._ran["x"], self._ran["y"]
        f = measure_function(self.measure, self._ran["duration"])
        flat = np.array([f(r) for r in self.results], dtype=float)
        self.values = flat.reshape(ys.size, xs.size)
        xl, xr = edges(xs, self._log[0])
        yb, yt = edges(ys, self._log[1])
        j, i = np.divmod(np.arange(flat.size), xs.size)
        self.sources["heatmap"].data = {"x": xs[i], "y": ys[j], "left": xl[i], "right": xr[i], "bottom": yb[j],
                                        "top": yt[j], "value": flat, "i": i, "j": j}
        finite = flat[np.isfinite(flat)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.mapper.low, self.mapper.high = lo, hi
        self.colour_bar.title = self._label()
        self.hover.tooltips = [(self.x_name, "@x{0.[0000]}"), (self.y_name, "@y{0.[0000]}"),
                               (self._label(), "@value{0.[000]}")]
        self.figures["heatmap"].title.text = self._title()
        if self.selected is not None and not (self.selected[0] < xs.size and self.selected[1] < ys.size):
            self.selected = None
            self.sources["selected"].data = {k: np.zeros(0) for k in ("left", "right", "bottom", "top")}

    def _measure_changed(self, key: str) -> None:
        self.measure = self.measure if callable(self.measure) and key == self._custom_name() else key
        if self.results is not None:
            self._show_values()
            self.set_status(f"measure: {self._label()} (the same runs)", "ok")

    def _regrid(self, ax: str) -> None:
        c = self.controls
        lo, hi, n = float(c[f"{ax}_from"].value), float(c[f"{ax}_to"].value), int(c[f"{ax}_points"].value)
        old = self.x_values if ax == "x" else self.y_values
        if (lo, hi, n) == (float(old[0]), float(old[-1]), old.size):
            return
        if n > 1 and not lo < hi:
            raise ValueError(f"the {ax} range needs from < to, got from {lo:g}, to {hi:g}.")
        log = self._log[0 if ax == "x" else 1] and lo > 0
        values = np.array([lo]) if n == 1 else (np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n))
        name = self.x_name if ax == "x" else self.y_name
        _, values = axis(ax, (name, values))
        if ax == "x":
            self.x_values = values
        else:
            self.y_values = values
        self.set_status(f"grid: {self.x_values.size} x {self.y_values.size} sets; press run")

    # -- opening a point -------------------------------------------------------------------------------------
    def cell_at(self, x: float, y: float) -> tuple[int, int] | None:
        """The ``(i, j)`` of the shown cell containing the point ``(x, y)`` (data coordinates), or ``None``."""
        if self._ran is None:
            return None
        found = []
        for v, val, log in ((self._ran["x"], x, self._log[0]), (self._ran["y"], y, self._log[1])):
            left, right = edges(v, log)
            k = int(np.searchsorted(right, val, side="right"))
            if val is None or not (k < v.size and left[k] <= val):
                return None
            found.append(k)
        return found[0], found[1]

    def tap(self, event: Any) -> Any:
        """The handler of a click on the map (a bokeh ``Tap`` event): opens the cell under it."""
        cell = self.cell_at(event.x, event.y)
        if cell is None:
            self.set_status("click inside the map to open a point")
            return None
        return self.open_point(*cell)

    def open_point(self, i: int, j: int) -> Any:
        """Open the grid point ``(x_values[i], y_values[j])`` of the shown map: a neuron model's explorer set to
        those values (returned), or a network's raster of that set run alone (its RunResult is returned)."""
        if self._ran is None:
            raise RuntimeError(f"{OWNER}.open_point: no sweep has finished yet; run() first.")
        xs, ys = self._ran["x"], self._ran["y"]
        if not (0 <= i < xs.size and 0 <= j < ys.size):
            raise IndexError(f"{OWNER}.open_point: the grid has {xs.size} x values and {ys.size} y values; got "
                             f"i={i}, j={j}.")
        params = {self.x_name: float(xs[i]), self.y_name: float(ys[j])}
        self.selected = (i, j)
        xl, xr = edges(xs, self._log[0])
        yb, yt = edges(ys, self._log[1])
        self.sources["selected"].data = {"left": [xl[i]], "right": [xr[i]], "bottom": [yb[j]], "top": [yt[j]]}
        value = float(self.values[j, i]) if self.values is not None else math.nan
        where = f"{self.x_name} = {fmt(xs[i])}, {self.y_name} = {fmt(ys[j])}: {self._label()} {fmt(value)}"
        if self.target.kind == "neuron":
            out = self._open_explorer(params)
        else:
            out = self._open_raster(params, where, j * xs.size + i)
        self.set_status(f"opened {where}", "ok")
        return out

    def _open_explorer(self, params: dict[str, float]) -> Any:
        from ._explorer import NeuronExplorer

        duration = float(self._ran["duration"])
        amp = self._constant_input()
        if self.explorer is None:
            cls = self.target.neuron_class
            start = dict(self.target.model.param_values())
            start.update(params)
            bounds = {}
            for name, v in ((self.x_name, self._ran["x"]), (self.y_name, self._ran["y"])):
                lo, hi = cls._param_index[name].range
                if v.size > 1 and lo <= v[0] < v[-1] <= hi:
                    bounds[name] = (float(v[0]), float(v[-1]))
            model = cls(1, method=self.target.model.method, **start)
            self.explorer = NeuronExplorer(model, bounds=bounds, amplitude=amp, duration=duration,
                                           dt=self._ran["dt"])
            self.detail.children = [self.explorer.widget]
        else:
            self.explorer.set(**params, amplitude=amp, duration=duration)
        return self.explorer

    def _constant_input(self) -> float:
        value = (self.inputs or {}).get(self.target.name, 0.0)
        arr = np.asarray(value, dtype=float) if not callable(value) else None
        if arr is None or arr.size != 1:
            return 0.0
        return float(arr.reshape(()))

    def _open_raster(self, params: dict[str, float], where: str, index: int) -> Any:
        from .._runner import Runner

        member = self.target.member(params, set_index=index if self._ran["independent_noise"] else None)
        runner = Runner(member, dt=self._ran["dt"], progress=False)
        res = runner.run(self._ran["duration"], inputs=self.inputs)
        self.point_result = res
        t, idx = _raster_points(res.spikes, self.raster_neurons)
        self.sources["raster"].data = {"t": t, "i": idx}
        fig = self.figures["raster"]
        fig.visible = True
        fig.title.text = f"raster at {where} (this set run alone: {res.spikes.rate(res.duration):.4g} Hz)"
        return res

    # -- export ------------------------------------------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        """The shown map: ``x``, ``y`` (the axes' values), ``values`` (``[len(y), len(x)]``) and their names."""
        if self._ran is None or self.values is None:
            raise RuntimeError(f"{OWNER}.data: no sweep has finished yet; run() first.")
        return {"x": self._ran["x"].copy(), "y": self._ran["y"].copy(), "values": self.values.copy(),
                "x_name": self.x_name, "y_name": self.y_name, "measure": self._label(),
                "duration": float(self._ran["duration"])}

    def code(self) -> str:
        """The :func:`brainlab.sweep` call that reproduces the shown map (``heatmap``: rows are y, columns x)."""
        if self._ran is None:
            raise RuntimeError(f"{OWNER}.code: no sweep has finished yet; run() first.")
        xs, ys, duration = self._ran["x"], self._ran["y"], float(self._ran["duration"])
        lines = ["import numpy as np", "import brainlab as bl", ""] + self.target.code() + [""]
        lines.append(f"x = np.array({[float(v) for v in xs]!r})  # {self.x_name}")
        lines.append(f"y = np.array({[float(v) for v in ys]!r})  # {self.y_name}")
        lines.append(f"grid = bl.param_grid(**{{{self.y_name!r}: y, {self.x_name!r}: x}})  # x varies fastest")
        args = [f"dt={self._ran['dt']!r}"]
        if self.inputs:
            args.insert(0, f"inputs={_literal(self.inputs)}")
        if self._ran["monitors"]:
            args.append(f"monitors={_literal(self._ran['monitors'])}")
        if self._ran["independent_noise"]:
            args.append("independent_noise=True")
        lines.append(f"res = bl.sweep(model, grid, {duration!r}, {', '.join(args)})")
        lines.append(f"duration = {duration!r}")
        if callable(self.measure):
            lines += _function_source(self.measure)
            expr = f"{self._custom_name()}(r)"
        else:
            expr = MEASURES[self.measure][1]
        lines.append(f"values = np.array([{expr} for r in res.runs], dtype=float)")
        lines.append(f"heatmap = values.reshape(len(y), len(x))  # {self._label()}: rows y, columns x")
        return "\n".join(lines) + "\n"


def _raster_points(spikes: Any, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Spike times and row numbers of at most ``limit`` neurons, the first of each population in proportion."""
    total = max(1, spikes.n_neurons)
    frac = min(1.0, limit / total)
    ts, rows, offset = [], [], 0
    for name, (t, i) in spikes.populations.items():
        keep = max(1, int(math.ceil(spikes.sizes[name] * frac)))
        m = np.asarray(i) < keep
        ts.append(np.asarray(t)[m])
        rows.append(np.asarray(i)[m] + offset)
        offset += keep
    if not ts:
        return np.zeros(0), np.zeros(0)
    t, r = np.concatenate(ts), np.concatenate(rows)
    order = np.argsort(t, kind="stable")
    return t[order], r[order]


def _literal(value: Any) -> str:
    """Python source for a dict of inputs or monitors (numbers, strings, arrays as lists)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k!r}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r})"
    if isinstance(value, (list, str, int, float)) or value is None:
        return repr(value)
    if isinstance(value, np.generic):
        return repr(value.item())
    raise TypeError(f"{OWNER}.code: cannot write {type(value).__name__} {value!r} as code.")


def _function_source(fn: Callable[..., Any]) -> list[str]:
    import inspect
    import textwrap

    name = getattr(fn, "__name__", "")
    if name.isidentifier():
        try:
            return ["", textwrap.dedent(inspect.getsource(fn)).rstrip(), ""]
        except (OSError, TypeError):
            pass
    return ["# measure(r): the measure function given to the panel (a lambda or callable object); define it first"]
