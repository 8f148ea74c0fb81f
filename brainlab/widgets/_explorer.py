r"""``NeuronExplorer``: one neuron model with a slider per declared parameter, an input chooser, its traces, a
spike readout, an F-I curve and the code that reproduces what is shown."""

from __future__ import annotations

import contextlib
import html
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import ipywidgets as W
import numpy as np

from .._model import AbstractModel
from ._controls import _nice_step, on_grid, parameter_slider, place
from ._explorer_inputs import INPUT_KINDS, USES, decimate, input_code, input_series, model_defaults, steady_rates
from ._panel import AbstractPanel

__all__ = ["NeuronExplorer"]

_INPUT_CONTROLS = ("input", "amplitude", "baseline", "onset", "width", "frequency", "sigma", "tau_noise", "seed",
                   "duration")
_OTHER_CONTROLS = ("show", "reset", "fi_from", "fi_to", "fi_points", "fi", "show_code", "export_format",
                   "export_name", "export")
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


class NeuronExplorer(AbstractPanel):
    r"""Explore one neuron model: sliders for its parameters, an input current, its traces and F-I curve.

    The model's declarations (``PARAMETERS``, ``VARIABLES``) build the panel, so every model of
    ``bl.catalog('neuron')``, and every model a user declares, gets an explorer.  What a learner sees:

    - a slider per declared parameter (name, unit, meaning as tooltip, bounds within the admissible range), and
      *reset to defaults*;
    - an input chooser, ``constant``, ``step``, ``ramp``, ``sinusoid`` (the currents of :mod:`brainlab.inputs`)
      or ``noise`` (an Ornstein-Uhlenbeck current, :class:`~brainlab.inputs.OUNoise`), with its own controls
      (amplitude, baseline, onset and width in ms, frequency in Hz, noise sigma, tau and seed), and the duration;
    - the first declared variable (the membrane potential :math:`V`, mV) against time with spike marks, and on
      request (``show``) the other variables (gates :math:`m, h, n` ...), a spike count and mean rate;
    - *F-I curve*: the steady firing rate against a constant current, all currents in one run of a population
      with one neuron per current (rate models: the mean of their first variable in the second half);
    - *copy as code*: the Python that reproduces the current setting (also :meth:`code`).

    Moving a slider re-runs the same compiled program: parameters are States, written in place, and one
    :class:`~brainlab.Runner` serves every run (the ``noise`` input has a second one).  Runs go through
    :meth:`~AbstractPanel.schedule`, so a dragged slider runs the model once per burst with the latest values;
    without a running event loop (a script, a test) a change runs at once.  In a notebook, code that changes
    ``controls[...]`` and reads the result in the same cell calls :meth:`~AbstractPanel.settle` first (or uses
    :meth:`set`, which runs before it returns).  A failed run (NaN, a bad value)
    shows the model's or the Runner's message in ``status`` and keeps the last good plot.

    Default input: for the library's spiking models, a constant current that makes the first view fire
    (HH 10 µA/cm², LIF 200 pA, AdEx 1000 pA, Izhikevich 10 mV/ms ...; see
    :func:`brainlab.widgets._explorer_inputs.model_defaults`, which scans currents once for other models).

    Args:
        model: a neuron class (``bl.neurons.HH``) or instance (its scalar parameter values and ``method`` are
            copied into the explorer's own one-neuron model; the instance itself is never changed).
        params: the parameters that get sliders (default: all declared).
        bounds: ``{name: (lo, hi)}`` slider bounds for parameters or input controls (``'amplitude'``,
            ``'duration'`` ...), e.g. ``bounds={'I_ext': (0, 20)}``.
        input: the initial input kind (default ``'constant'``).
        amplitude: the initial input amplitude in the model's current unit (default: see above).
        duration: simulated time per run (ms; default 200 ms, 1000 ms for slow models).
        dt: the time step (ms; default the model's ``DEFAULT_DT``).
        max_points: samples per trace sent to the plot (min/max decimation keeps every spike peak; the full
            data is in ``explorer.result``).
        run: run once at construction, before returning (default True).

    Attributes: ``controls``, ``figures``, ``sources`` (``sources[var]`` has columns ``t``, ``y``;
    ``sources['spikes']``; ``sources['fi']`` has ``I``, ``rate``, ``count``), ``status``, ``result`` (the last
    :class:`~brainlab.RunResult`, full resolution), ``input_current`` (the last input series; ``None`` for
    noise), ``spike_count``, ``rate`` (Hz), ``model`` (the explorer's neuron), ``compile_count``.

    Example:
        >>> import brainlab as bl
        >>> ex = bl.widgets.NeuronExplorer(bl.neurons.HH, duration=50.0)
        >>> ex.spike_count
        4
        >>> ex.controls['gNa'].value = 100.0          # runs again, same compiled program
        >>> ex.compile_count, 'gNa=100.0' in ex.code()
        (1, True)
    """

    def __init__(self, model: Any, *, params: Sequence[str] | None = None,
                 bounds: Mapping[str, tuple[float, float]] | None = None, input: str = "constant",
                 amplitude: float | None = None, duration: float | None = None, dt: float | None = None,
                 max_points: int = 2000, run: bool = True):
        cls, start, method = _model_class(model)
        super().__init__(f"{cls.__name__} explorer")
        from .. import Network, Runner

        self.model_class = cls
        self._start_params = start
        self._method = method
        self.name = cls.__name__
        self.model = cls(1, method=method, **start)
        self.dt = float(dt) if dt is not None else float(cls.DEFAULT_DT)
        self.variables = tuple(v.name for v in cls.VARIABLES)
        self.spiking = bool(getattr(cls, "SPIKING", False))
        self.max_points = int(max_points)
        if self.max_points < 10:
            raise ValueError(f"NeuronExplorer: max_points must be at least 10, got {max_points!r}.")
        bounds = dict(bounds or {})
        amp0, dur0 = model_defaults(cls)
        amp0 = float(amplitude) if amplitude is not None else amp0
        dur0 = float(duration) if duration is not None else dur0
        self._unit = cls._param_index["I_ext"].unit if "I_ext" in cls._param_index else ""
        self._monitors = {v: f"{self.name}.{v}" for v in self.variables}
        self._runner = Runner(Network(**{self.name: self.model}), monitors=self._monitors, dt=self.dt,
                              progress=False)
        self._noise_runner: Any = None
        self._fi: tuple[Any, Any] | None = None
        self.result: Any = None
        self.input_current: np.ndarray | None = None
        self.spike_count = 0
        self.rate = 0.0
        self._held = 0
        self._dirty = False
        self._stale: set[str] = set()
        self._written: dict[str, float] = dict(start)  # the parameter values last written into the model

        self._param_names = _chosen_params(cls, params)
        for key in bounds:
            if key not in cls._param_index and key not in _INPUT_CONTROLS + ("fi_from", "fi_to"):
                raise KeyError(f"NeuronExplorer: bounds names {key!r}, which is neither a parameter of "
                               f"{cls.__name__} ({', '.join(self._param_names)}) nor an input control "
                               f"({', '.join(_INPUT_CONTROLS[1:])}).")
        for name in self._param_names:
            p = cls._param_index[name]
            b = bounds.get(name)
            if b is None and name == "I_ext":
                lo, hi = max(p.range[0], -2 * abs(amp0)), min(p.range[1], 2 * abs(amp0))
                b = (lo, hi) if lo < hi and abs(amp0) > 0 else None
            self.controls[name] = parameter_slider(p, start[name], bounds=b)
        clash = set(self._param_names) & set(_INPUT_CONTROLS + _OTHER_CONTROLS)
        if clash:
            raise ValueError(f"NeuronExplorer: {cls.__name__} declares parameters named {sorted(clash)}, which the "
                             "explorer uses for its own controls; leave them out with params=[...].")
        self._build_input_controls(input, amp0, dur0, bounds)
        self._build_figures()
        self._job = self.schedule(self._run, "run")
        self._fi_job = self.schedule(self._run_fi, "F-I curve")
        for name in self._param_names + list(_INPUT_CONTROLS):
            self.on_change(self.controls[name], lambda _v: self._request(), name)
        self.on_change(self.controls["input"], self._show_input_controls, "input")
        self.on_change(self.controls["show"], lambda _v: self._update_visible(), "show")
        self.on_click(self.controls["reset"], self.reset, "reset")
        self.on_click(self.controls["fi"], self._fi_job.request, "F-I curve")
        self.on_change(self.controls["show_code"], lambda on: self._refresh_code(), "copy as code")
        self._show_input_controls(input)
        if run:  # at once, also in a notebook: the next cell reads the first result
            self._job.request()
            self._job.flush()

    # -- construction --------------------------------------------------------------------------------------
    def _build_input_controls(self, kind: str, amp: float, duration: float, bounds: Mapping[str, Any]) -> None:
        if kind not in INPUT_KINDS:
            raise ValueError(f"NeuronExplorer: input must be one of {', '.join(INPUT_KINDS)}; got {kind!r}.")
        c = self.controls
        scale = abs(amp) if amp else 1.0
        u = f" ({self._unit})" if self._unit else ""
        style = {"description_width": "110px"}
        lay = W.Layout(width="380px")

        def slider(name: str, value: float, lo: float, hi: float, label: str) -> W.FloatSlider:
            lo, hi = bounds.get(name, (lo, hi))
            value = min(max(value, lo), hi)
            lo, hi, step = on_grid(lo, hi, value, _nice_step(hi - lo))  # the page never snaps the value
            return W.FloatSlider(value=value, min=lo, max=hi, step=step,
                                 description=label, readout_format=".4g", style=style, layout=lay)

        dmax = max(5 * duration, 10 * self.dt)
        c["input"] = W.Dropdown(options=list(INPUT_KINDS), value=kind, description="input", style=style, layout=lay)
        c["amplitude"] = slider("amplitude", amp, -2 * scale, 3 * scale, f"I{u}")
        c["baseline"] = slider("baseline", 0.0, -2 * scale, 3 * scale, f"baseline{u}")
        c["onset"] = slider("onset", round(duration / 4, 6), 0.0, dmax, "onset (ms)")
        c["width"] = slider("width", round(duration / 2, 6), self.dt, dmax, "width (ms)")
        c["frequency"] = slider("frequency", 20.0, 0.0, 200.0, "frequency (Hz)")
        c["sigma"] = slider("sigma", scale / 4, 0.0, 2 * scale, f"sigma{u}")
        c["tau_noise"] = slider("tau_noise", 5.0, 0.1, 100.0, "tau (ms)")
        c["seed"] = W.BoundedIntText(value=0, min=0, max=2**31 - 1, description="seed", style=style, layout=lay)
        c["duration"] = slider("duration", duration, max(10 * self.dt, min(1.0, duration)), dmax, "duration (ms)")
        c["show"] = W.SelectMultiple(options=list(self.variables[1:]), value=(), description="also plot",
                                     rows=min(4, max(1, len(self.variables) - 1)), style=style, layout=lay)
        c["reset"] = W.Button(description="reset to defaults", tooltip="parameters and input as at the start")
        c["fi_from"] = slider("fi_from", 0.0, -2 * scale, 3 * scale, f"F-I from{u}")
        c["fi_to"] = slider("fi_to", 2 * scale, -2 * scale, 3 * scale, f"F-I to{u}")
        c["fi_points"] = W.IntSlider(value=41, min=5, max=201, description="F-I points", style=style, layout=lay)
        c["fi"] = W.Button(description="F-I curve", tooltip="one run of a population, one neuron per current")
        c["show_code"] = W.ToggleButton(value=False, description="copy as code", tooltip="the Python of this view")
        self.code_view = W.Textarea(layout=W.Layout(width="100%", height="14em", display="none"))
        self.readout = W.HTML()
        self._input_box = W.VBox()
        self._defaults = {k: c[k].value for k in self._param_names + list(_INPUT_CONTROLS)}

    def _build_figures(self) -> None:
        from bokeh.models import ColumnDataSource, Span
        from bokeh.plotting import figure

        units = {v.name: v.unit for v in self.model_class.VARIABLES}
        first = self.variables[0]
        for v in self.variables:
            self.sources[v] = ColumnDataSource({"t": np.zeros(0), "y": np.zeros(0)})
        self.sources["spikes"] = ColumnDataSource({"t": np.zeros(0), "y": np.zeros(0)})
        self.sources["fi"] = ColumnDataSource({"I": np.zeros(0), "rate": np.zeros(0), "count": np.zeros(0)})
        label = f"{first} ({units[first]})" if units[first] else first
        trace = figure(width=700, height=250, x_axis_label="t (ms)", y_axis_label=label,
                       title=f"{self.name}: {first}", tools="pan,box_zoom,wheel_zoom,reset,save")
        trace.line("t", "y", source=self.sources[first], color="black")
        if self.spiking:
            trace.scatter("t", "y", source=self.sources["spikes"], marker="inverted_triangle", size=7,
                          color="#d62728", legend_label="spikes")
            trace.legend.location = "top_right"
        states = figure(width=700, height=200, x_axis_label="t (ms)", x_range=trace.x_range,
                        title="other variables", tools="pan,box_zoom,wheel_zoom,reset,save", visible=False)
        self._state_lines = {}
        for k, v in enumerate(self.variables[1:]):
            name = f"{v} ({units[v]})" if units[v] else v
            self._state_lines[v] = states.line("t", "y", source=self.sources[v], color=_COLOURS[k % len(_COLOURS)],
                                               legend_label=name, visible=False)
        if self.variables[1:]:
            states.legend.location = "top_right"
        fi = figure(width=700, height=250, x_axis_label=f"I ({self._unit})" if self._unit else "I",
                    y_axis_label="rate (Hz)" if self.spiking else f"mean {first}", visible=False,
                    title="F-I curve: steady rate (second half of each run)" if self.spiking
                    else f"steady {first} against the input")
        fi.line("I", "rate", source=self.sources["fi"], color="#1f77b4")
        fi.scatter("I", "rate", source=self.sources["fi"], color="#1f77b4", size=5)
        self._amp_span = Span(location=self.controls["amplitude"].value, dimension="height", line_dash="dashed",
                              line_color="gray")
        fi.add_layout(self._amp_span)
        self.figures.update(trace=trace, states=states, fi=fi)

    def _build_layout(self) -> W.Widget:
        from bokeh.layouts import column

        c = self.controls
        title = W.HTML(f"<b>{html.escape(self.name)}</b>: {html.escape(_summary(self.model_class))}")
        params = W.VBox([c[n] for n in self._param_names] + [c["reset"]])
        inputs = W.VBox([c["input"], self._input_box, c["duration"]]
                        + ([c["show"]] if self.variables[1:] else []))
        plots = self.bokeh_view(column(self.figures["trace"], self.figures["states"], self.figures["fi"]))
        fi = W.HBox([W.VBox([c["fi_from"], c["fi_to"]]), W.VBox([c["fi_points"], c["fi"]])])
        # its own copy-as-code view follows every change; the bar adds the data and figure export
        return W.VBox([title, W.HBox([params, inputs]), self.readout, plots, fi,
                       W.HBox([c["show_code"], self.export_bar(with_code=False)]), self.code_view, self.status])

    # -- driving the panel from code ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _holding(self) -> Iterator[None]:
        """Changes inside run the model once, at the end."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._dirty:
                self._dirty = False
                self._job.request()

    def _request(self) -> None:
        if self._held:
            self._dirty = True
        else:
            self._job.request()

    def set(self, **values: Any) -> None:
        """Set controls by name, then run once, at once: ``ex.set(gNa=100., amplitude=5., input='step')``.

        In a notebook a change made through ``controls[...]`` runs when the cell has finished (the kernel's
        event loop runs it); ``set`` (and :meth:`reset`, :meth:`~AbstractPanel.settle`) run before returning, so
        the next line reads the new ``result``.

        A value outside a slider's bounds widens the slider (sliders clamp silently otherwise); a parameter value
        outside its declared range is refused with the model's message in the status line (the plot stays)."""
        with self._holding():
            for name, value in values.items():
                if name not in self.controls:
                    raise KeyError(f"NeuronExplorer.set: no control named {name!r}; controls: "
                                   f"{', '.join(self.controls)}.")
                if name in self._param_names:
                    p = self.model_class._param_index[name]
                    try:
                        value = float(self.model._checked_param(p, value))
                    except (TypeError, ValueError) as exc:
                        self.show_error(exc, f"set {name}")
                        continue
                if isinstance(self.controls[name], (W.FloatSlider, W.FloatLogSlider, W.IntSlider)):
                    place(self.controls[name], value)  # widened if needed, and on the slider's grid
                else:
                    self.controls[name].value = value
        self._job.flush()

    def reset(self) -> None:
        """Parameters and input controls back to the values the explorer started with, then run once."""
        with self._holding():
            for name, value in self._defaults.items():
                self.controls[name].value = value
        self._job.flush()

    @property
    def compile_count(self) -> int:
        """How many times the explorer's runners traced (compiled) a program; slider moves do not add to it."""
        runners = [r for r in (self._runner, self._noise_runner) if r is not None]
        if self._fi is not None:
            runners.append(self._fi[1])
        return sum(fn.trace_count for r in runners for fn in r._compiled.values())

    # -- what a run does ------------------------------------------------------------------------------------
    def _values(self) -> dict[str, Any]:
        return {k: self.controls[k].value for k in _INPUT_CONTROLS}

    def _params(self) -> dict[str, float]:
        out = dict(self._start_params)
        out.update({n: float(self.controls[n].value) for n in self._param_names})
        return out

    def _run(self) -> None:
        t0 = time.perf_counter()
        v = self._values()
        kind, duration = v["input"], float(v["duration"])
        for name in self._param_names:  # (only changed ones: each write is a transfer to the device)
            value = float(self.controls[name].value)
            if self._written.get(name) != value:
                setattr(self.model, name, value)
                self._written[name] = value
        if kind == "noise":
            runner = self._noise()
            noise = runner.net.noise
            noise.mean, noise.sigma, noise.tau = float(v["amplitude"]), float(v["sigma"]), float(v["tau_noise"])
            noise.rng.seed(int(v["seed"]))
            runner.reset()
            res = runner.run(duration)
            current = None
        else:
            current = input_series(kind, v, duration, self.dt)
            runner = self._runner
            runner.reset()
            res = runner.run(duration, inputs={self.model: current})
        self.result, self.input_current = res, current
        self._stale = set(self.variables)
        self._update_visible()
        times = np.asarray(res.spikes.times) if self.spiking else np.zeros(0)
        self.spike_count = int(times.size)
        self.rate = 1000.0 * self.spike_count / duration
        if self.spiking:
            top = float(np.nanmax(res[self.variables[0]])) if len(res.ts) else 0.0
            self.sources["spikes"].data = {"t": times, "y": np.full(times.size, top)}
            self.readout.value = (f"<b>{self.spike_count}</b> spike{'s' * (self.spike_count != 1)} in "
                                  f"{duration:g} ms: mean rate <b>{self.rate:.4g} Hz</b>")
        else:
            last = float(res[self.variables[0]][-1, 0])
            self.readout.value = f"rate model: {self.variables[0]} = <b>{last:.4g}</b> at the end of the run"
        self._amp_span.location = float(v["amplitude"])
        if self.controls["show_code"].value:
            self._refresh_code()
        self.set_status(f"{kind} input, {duration:g} ms: ran and drew in {1000 * (time.perf_counter() - t0):.0f} ms",
                        "ok")

    def _noise(self) -> Any:
        if self._noise_runner is None:
            from .. import Network, Runner, inputs

            v = self._values()
            noise = inputs.OUNoise(self.model, mean=float(v["amplitude"]), sigma=float(v["sigma"]),
                                   tau=float(v["tau_noise"]), seed=int(v["seed"]))
            self._noise_runner = Runner(Network(**{self.name: self.model, "noise": noise}), monitors=self._monitors,
                                        dt=self.dt, progress=False)
        return self._noise_runner

    def _update_visible(self) -> None:
        shown = set(self.controls["show"].value)
        for v, line in self._state_lines.items():
            line.visible = v in shown
        self.figures["states"].visible = bool(shown)
        if self.result is None:
            return
        for v in [self.variables[0], *shown]:
            if v in self._stale:
                y = np.asarray(self.result[v])[:, 0]
                idx = decimate(y, self.max_points)
                self.sources[v].data = {"t": np.asarray(self.result.ts)[idx], "y": y[idx]}
                self._stale.discard(v)

    def _show_input_controls(self, kind: str) -> None:
        uses = USES[kind]
        u = f" ({self._unit})" if self._unit else ""
        for name, label in uses.items():
            if name in ("amplitude", "baseline", "sigma"):
                label += u
            elif name in ("onset", "width", "tau_noise"):
                label += " (ms)"
            elif name == "frequency":
                label += " (Hz)"
            self.controls[name].description = label
        self._input_box.children = [self.controls[n] for n in uses]

    # -- F-I curve ------------------------------------------------------------------------------------------
    def fi_curve(self) -> dict[str, np.ndarray]:
        """Compute the F-I curve now (as the button does) and return ``{'I', 'rate', 'count'}``."""
        self._fi_job.request()
        self._fi_job.flush()
        return {k: np.asarray(v) for k, v in self.sources["fi"].data.items()}

    def _run_fi(self) -> None:
        from .. import Runner

        t0 = time.perf_counter()
        c = self.controls
        n = int(c["fi_points"].value)
        lo, hi = float(c["fi_from"].value), float(c["fi_to"].value)
        if not lo < hi:
            raise ValueError(f"F-I from ({lo:g}) must be below F-I to ({hi:g}).")
        currents = np.linspace(lo, hi, n)
        params = self._params()
        if self._fi is None or self._fi[0].num != n:
            pop = self.model_class(n, method=self._method, **params)
            monitors = None if self.spiking else {"x": f"{self.name}.{self.variables[0]}"}
            self._fi = (pop, Runner(pop, monitors=monitors, dt=self.dt, progress=False))
        pop, runner = self._fi
        for name, value in params.items():
            setattr(pop, name, value)
        runner.reset()
        duration = float(c["duration"].value)
        res = runner.run(duration, inputs={pop: currents})
        if self.spiking:
            times, idx = np.asarray(res.spikes.times), np.asarray(res.spikes.indices)
            rate = steady_rates(times, idx, n, duration)
            count = np.bincount(idx, minlength=n).astype(float)
        else:
            x = np.asarray(res["x"])
            rate = x[x.shape[0] // 2:].mean(axis=0)
            count = np.zeros(n)
        self.sources["fi"].data = {"I": currents, "rate": rate, "count": count}
        self.figures["fi"].visible = True
        self.set_status(f"F-I curve: {n} currents in one run of {duration:g} ms, "
                        f"{1000 * (time.perf_counter() - t0):.0f} ms", "ok")

    # -- copy as code ---------------------------------------------------------------------------------------
    def code(self) -> str:
        """The Python that reproduces the current view: model, input, run (``V`` holds the plotted trace)."""
        cls = self.model_class
        v = self._values()
        kind, duration = v["input"], float(v["duration"])
        changed = {k: x for k, x in self._params().items() if x != cls._param_index[k].default}
        args = ["1"] + ([f"method={self._method!r}"] if self._method != cls.METHOD else [])
        args += [f"{k}={x!r}" for k, x in changed.items()]
        shown = [self.variables[0], *[x for x in self.variables[1:] if x in self.controls["show"].value]]
        monitors = "{" + ", ".join(f"{x!r}: '{self.name}.{x}'" for x in shown) + "}"
        first = self.variables[0]
        unit = next(x.unit for x in cls.VARIABLES if x.name == first)
        lines = ["import brainlab as bl", ""]
        ref = _class_ref(cls)
        if ref is None:
            lines.append(f"# {cls.__name__} is a class of your own: define it (or import it) first")
            ref = cls.__name__
        lines.append(f"neuron = {ref}({', '.join(args)})")
        if kind == "noise":
            lines += [f"noise = bl.inputs.OUNoise(neuron, mean={float(v['amplitude'])!r}, sigma={float(v['sigma'])!r}, "
                      f"tau={float(v['tau_noise'])!r}, seed={int(v['seed'])})"
                      + (f"  # {self._unit}, ms" if self._unit else ""),
                      f"net = bl.Network({self.name}=neuron, noise=noise)",
                      f"runner = bl.Runner(net, monitors={monitors}, dt={self.dt!r}, progress=False)",
                      f"res = runner.run({duration!r})"]
        else:
            lines += [input_code(kind, v, duration, self.dt, self._unit),
                      f"runner = bl.Runner(neuron, monitors={monitors}, dt={self.dt!r}, progress=False)",
                      f"res = runner.run({duration!r}, inputs={{neuron: I}})"]
        lines.append(f"{first} = res[{first!r}][:, 0]" + (f"  # {unit}, at the times res.ts (ms)" if unit else ""))
        if self.spiking:
            lines.append(f"print(len(res.spikes.times), 'spikes in {duration:g} ms')")
        return "\n".join(lines) + "\n"

    def _refresh_code(self) -> None:
        on = bool(self.controls["show_code"].value)
        self.code_view.layout.display = None if on else "none"
        if on:
            self.code_view.value = self.code()


# -- helpers -------------------------------------------------------------------------------------------------
def _model_class(model: Any) -> tuple[type, dict[str, float], str]:
    """``(class, starting parameter values, method)`` from a neuron class or instance."""
    if isinstance(model, type) and issubclass(model, AbstractModel):
        cls = model
        if cls._abstract or getattr(cls, "KIND", None) != "neuron":
            raise TypeError(f"NeuronExplorer: model must be a concrete neuron class such as bl.neurons.HH, got "
                            f"{cls.__name__} (kind {getattr(cls, 'KIND', '?')!r}).")
        return cls, {p.name: p.default for p in cls.PARAMETERS}, cls.METHOD
    if isinstance(model, AbstractModel) and getattr(model, "KIND", None) == "neuron":
        try:
            values = model.param_values()
        except ValueError as exc:
            raise ValueError(f"NeuronExplorer: {exc} The explorer needs one value per parameter.") from None
        return type(model), values, model.method
    raise TypeError(f"NeuronExplorer: model must be a neuron class or instance (e.g. bl.neurons.HH or "
                    f"bl.neurons.HH(1)), got {type(model).__name__}.")


def _chosen_params(cls: type, params: Sequence[str] | None) -> list[str]:
    names = [p.name for p in cls.PARAMETERS]
    if params is None:
        return names
    if isinstance(params, str):
        params = [params]
    unknown = [p for p in params if p not in names]
    if unknown:
        raise KeyError(f"NeuronExplorer: params names {unknown}, not parameters of {cls.__name__}; choose among "
                       f"{', '.join(names)}.")
    return [n for n in names if n in params]


def _summary(cls: type) -> str:
    doc = (cls.__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""


def _class_ref(cls: type) -> str | None:
    """``'bl.neurons.HH'`` for a library class, else None."""
    import brainlab

    for pkg in ("neurons",):
        if getattr(getattr(brainlab, pkg), cls.__name__, None) is cls:
            return f"bl.{pkg}.{cls.__name__}"
    return None

