r"""``LiveRun``: watch a network while it runs, and change its parameters mid-run.

The run goes through :meth:`Runner.chunks <brainlab.Runner.chunks>`: one compiled chunk of ``every`` ms at a
time, from an asyncio task on the kernel's event loop that yields to the loop between chunks, so button clicks
and slider moves are handled while the simulation goes on (a blocking loop in a cell would never see them).
A slider writes into the network's State at once; as nothing runs ahead, the change acts from the next chunk on
and is logged as ``(t, path, value)`` in :attr:`LiveRun.changes`, so the run can be replayed in code
(:meth:`LiveRun.replay`, :meth:`LiveRun.replay_code`).

Chunks and frames are decoupled: chunk data is gathered and streamed to the figures' sources at most ``fps``
times per second (bounded windows, ``ColumnDataSource.stream(..., rollover=)``); the full record is kept, and
:meth:`LiveRun.result` returns it as one :class:`~brainlab.RunResult`.  Frames also go no faster than the page
draws them: once the page has acknowledged a frame, at most ``max_unacked`` frames wait for its echo, and the
data meanwhile goes into the next frame (:mod:`brainlab.widgets._live_gate`); the simulation never waits for
the page.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from typing import Any

import ipywidgets as W
import numpy as np

from .._results import RunResult
from ._controls import parameter_slider
from ._live_args import control_spec, plain_slider, populations, positive, running_loop, trace_spec
from ._live_gate import FrameGate
from ._live_paths import ControlTarget, concat_results, replay, resolve_control
from ._live_view import LiveView
from ._panel import AbstractPanel

__all__ = ["LiveRun", "LiveRaster", "LiveVoltage"]

_BUTTONS = ("start", "pause", "resume", "stop", "step", "reset")
_ICONS = {"start": "play", "pause": "pause", "resume": "play", "stop": "stop", "step": "step-forward",
          "reset": "undo"}


class LiveRun(AbstractPanel):
    r"""A network that streams its raster, population rates and traces while it runs, with sliders that act
    on it mid-run.

    Main arguments:
        runner_or_net: a :class:`~brainlab.Network` (a Runner is made for it, recording ``traces``) or a
            :class:`~brainlab.Runner`.
        raster: draw the spikes of every spiking population (``True``), of some (``['E']``), or none.
        traces: recorded values of chosen neurons: a State path (``'E.V'``: its first three neurons), a pair
            ``('E.V', [0, 5, 9])``, or a dict ``{'E.V': [0, 1], 'I.V': [0]}``; with a Runner, the names of its
            monitors.
        rates: draw the population rate of every spiking population (``True``), of some, or none.
        controls: State paths to make sliders for: ``['E.I_ext', 'IE.weight']``, or a dict giving bounds
            ``{'E.I_ext': None, 'EE.weight': (0, 2)}``.  A declared model parameter gets the slider of its
            declaration (unit, admissible range); an undeclared one (a projection's weight) needs bounds.
        duration: simulated ms per run (``None``: open-ended, until stop).

    Other arguments:
        inputs: Runner inputs (``{'E': 20.}``), as for ``Runner.run``.
        every: simulated ms per chunk: sliders and buttons act at chunk boundaries.  Default: 100 ms (the
            headless Runner's chunk; shorter chunks cost more per simulated ms), or, with ``speed``, the
            simulated time of one frame, ``speed / fps`` (at most 100 ms), so that a speed-limited run moves
            smoothly.
        window: the time shown (ms); the windows keep at most this much.
        raster_neurons: the raster shows at most this many neurons (in proportion: the first of each).
        rate_bin: the population rate's bin (ms).
        fps: at most this many frames per second (pushes of new data to the figures).
        speed: at most this many simulated ms per second of wall time (``1000.``: real time; ``None``: as
            fast as the machine goes).
        max_unacked: at most this many frames pushed to a page that has not yet echoed them (applied them);
            more data waits for the next frame, so a slow page shows the newest window instead of a growing
            queue of old frames.  Without a page (scripts, tests) or after 2 s without an echo, frames go anyway.

    Driving it (as the buttons do): :meth:`start`, :meth:`pause`, :meth:`resume`, :meth:`stop`, :meth:`step`
    (one chunk), :meth:`reset`; ``await live.wait()`` until the run ends; :meth:`run_for` runs synchronously
    (scripts, no event loop).  :attr:`t` is the simulated time, :meth:`result` the whole record since the last
    reset, :attr:`changes` the slider log.  A NaN stops the run with the Runner's message in the status line;
    the data up to the bad step is kept.  :attr:`frames_pushed` and :attr:`frames_acked` count the frames sent
    to the figures and those the page has said it applied.

    Example:
        >>> import asyncio, brainlab as bl
        >>> live = bl.widgets.LiveRun(bl.networks.coba(200, seed=0), traces=('E.V', [0]),
        ...                           controls={'E.I_ext': None, 'EE.weight': (0., 2.)}, duration=200.)
        >>> async def session():
        ...     live.start()
        ...     await asyncio.sleep(0.2)             # the run goes on while the loop handles events
        ...     live.controls['E.I_ext'].value = 25.  # acts from the next chunk on, logged
        ...     await live.wait()
        >>> asyncio.run(session())
        >>> live.state, round(live.t, 6), live.result()['E.V'].shape
        ('finished', 200.0, (2000, 1))
        >>> [name for _, name, _ in live.changes]
        ['E.I_ext']
        >>> live.close()
    """

    def __init__(self, runner_or_net: Any, *, raster: bool | list[str] = True, traces: Any = None,
                 rates: bool | list[str] = True, controls: Any = (), duration: float | None = 1000.0,
                 inputs: Mapping[Any, Any] | None = None, every: float | None = None, window: float = 500.0,
                 raster_neurons: int | None = 1000, rate_bin: float = 5.0, fps: float = 30.0,
                 speed: float | None = None, max_unacked: int = 2, title: str | None = None):
        from .._network import Network
        from .._runner import Runner

        super().__init__(title or "live run")
        self.duration = None if duration is None else positive("duration", duration)
        self.window = positive("window", window)
        self.fps = positive("fps", fps, "frames/s")
        self.speed = None if speed is None else positive("speed", speed, "simulated ms per s")
        if every is None:
            every = 100.0 if self.speed is None else min(100.0, self.speed / self.fps)
        self.every = positive("every", every)
        self.inputs = inputs
        spec = trace_spec(traces)
        if isinstance(runner_or_net, Runner):
            self.runner = runner_or_net
            monitors = dict(self.runner.monitors)
            for name, idx in spec:
                if idx is not None or name not in monitors:
                    raise ValueError(f"LiveRun: with a Runner, traces name its monitors ({sorted(monitors)}); got "
                                     f"{name!r}{'' if idx is None else ' with indices'}. Record it in the Runner "
                                     "(monitors={'V': ('E.V', [0, 1])}) or pass the network instead.")
            traces_view = [(name, name, min(8, int(np.size(monitors[name]())))) for name, _ in spec]
        elif isinstance(runner_or_net, Network) or hasattr(runner_or_net, "states"):
            states = runner_or_net.states()
            mons: dict[str, Any] = {}
            traces_view = []
            for path, idx in spec:
                if path not in states:
                    raise KeyError(f"LiveRun: traces name {path!r}, which is no State of the network; e.g. 'E.V'.")
                n = int(np.prod(states[path].shape)) if states[path].shape else 1
                idx = np.arange(min(3, n)) if idx is None else np.atleast_1d(np.asarray(idx))
                mons[path] = (path, idx)
                traces_view.append((path, path, min(8, int(idx.size))))
            self.runner = Runner(runner_or_net, monitors=mons, progress=False)
        else:
            raise TypeError(f"LiveRun: runner_or_net must be a bl.Network (e.g. bl.networks.coba(1000)) or a "
                            f"bl.Runner, got {type(runner_or_net).__name__}.")
        self.net = self.runner.net
        self._description, self._no_description = _describe(self.net, self.runner.t)
        sizes = self.runner._spike_sizes()
        raster_pops = populations("raster", raster, sizes)
        rate_pops = populations("rates", rates, sizes)
        if not (raster_pops or rate_pops or traces_view):
            raise ValueError("LiveRun: nothing to draw; pass raster=True, rates=True or traces='E.V'.")
        self.view = LiveView(self.runner.dt, sizes, raster=raster_pops, raster_neurons=raster_neurons,
                             rates=rate_pops, rate_bin=positive("rate_bin", rate_bin), traces=traces_view,
                             window=self.window, t0=self.runner.t)
        self.figures.update(self.view.figures)
        self.sources.update(self.view.sources)

        # buttons, readout, sliders
        for name in _BUTTONS:
            b = W.Button(description=name, icon=_ICONS[name], layout=W.Layout(width="90px"))
            self.controls[name] = b
            self.on_click(b, getattr(self, name), name)
        self.readout = W.HTML(layout=W.Layout(min_width="220px"))
        self.targets: dict[str, ControlTarget] = {}
        for path, bounds in control_spec(controls).items():
            target = resolve_control(self.net, path)
            if target.parameter is None and bounds is None:
                raise ValueError(f"LiveRun: {path!r} is not a declared model parameter, so its slider needs bounds: "
                                 f"controls={{{path!r}: (lo, hi)}} (it is {target.value:g} now).")
            if target.parameter is not None:
                slider = parameter_slider(target.parameter, target.value, bounds=bounds)
                slider.description = f"{path} ({target.parameter.unit})" if target.parameter.unit else path
            else:
                slider = plain_slider(path, target.value, bounds)
            self.targets[path] = target
            self.controls[path] = slider
            self.on_change(slider, lambda v, p=path: self._change(p, v), path)

        self.changes: list[tuple[float, str, float]] = []
        if isinstance(max_unacked, bool) or not isinstance(max_unacked, (int, np.integer)) or max_unacked < 1:
            raise ValueError(f"LiveRun: max_unacked must be a whole number >= 1 (frames the page may be behind), "
                             f"got {max_unacked!r}; e.g. max_unacked=2.")
        self.gate = FrameGate(max_unacked=int(max_unacked))
        self._parts: list[RunResult] = []  # results of the finished runs since the last reset
        self._it: Any = None  # the RunChunks of the current run
        self._task: asyncio.Task | None = None
        self._paused = False
        self._wake: asyncio.Event | None = None
        self._next_frame = 0.0  # perf_counter time at which the next frame is due
        self._shown_t = self.runner.t  # the end of the data given to the view
        self._state = "idle"
        self._update()

    # -- state ---------------------------------------------------------------------------------------------
    @property
    def state(self) -> str:
        """``'idle'``, ``'running'``, ``'paused'``, ``'finished'``, ``'stopped'`` or ``'error'``."""
        return self._state

    @property
    def t(self) -> float:
        """The simulated time (ms)."""
        return float(self.runner.t)

    @property
    def frames_pushed(self) -> int:
        """Frames streamed to the figures' sources so far."""
        return self.gate.frames_pushed

    @property
    def frames_acked(self) -> int:
        """The newest frame the page has echoed (applied): it holds every frame up to this one."""
        return self.gate.frames_acked

    @property
    def running(self) -> bool:
        """Whether the run's task is alive (running or paused)."""
        return self._task is not None and not self._task.done()

    # -- the buttons -----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start a run of ``duration`` ms on the kernel's event loop (after a finished run: the next one, from
        the current time); while paused, resume."""
        if self.running:
            if self._paused:
                self.resume()
            return
        loop = running_loop()
        if loop is None:
            raise RuntimeError("LiveRun.start: no running asyncio event loop (a plain script); use "
                               "live.run_for(ms), or call start() inside a coroutine run by asyncio.run().")
        self._ensure_iterator()
        self._paused = False
        self._wake = asyncio.Event()
        self._task = loop.create_task(self._loop())
        self._set_state("running")

    def pause(self) -> None:
        """Pause at the end of the current chunk (the data so far is shown)."""
        if self.running and not self._paused:
            self._paused = True
            self._set_state("paused")

    def resume(self) -> None:
        """Go on after :meth:`pause` (or after :meth:`step`)."""
        if self.running:
            if self._paused:
                self._paused = False
                if self._wake is not None:
                    self._wake.set()
                self._set_state("running")
        elif self._it is not None and not self._it.done:
            self.start()

    def stop(self) -> RunResult | None:
        """End the run (the data is kept; :meth:`start` begins a new run from the current time)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        self._paused = False
        if self._it is not None:
            self._finish_run("stopped")
        return self.result() if self._parts else None

    def step(self) -> RunResult | None:
        """Run one chunk now (pausing a running task first) and show it; returns the chunk's data."""
        if self.running and not self._paused:
            self.pause()
        self._ensure_iterator()
        chunk = self._one_chunk()
        self._push()
        if self._it is not None and not self.running:
            self._set_state("paused")
        return chunk

    def reset(self) -> None:
        """Stop, set the network back to its initial state (parameters keep their slider values) and t to 0;
        forget the record, the windows and the change log."""
        self.stop()
        self.runner.reset()
        self._parts.clear()
        self.changes.clear()
        self.view.clear(self.runner.t)
        self.gate.forget()
        self._shown_t = self.runner.t
        self._set_state("idle")

    # -- scripts and tests ----------------------------------------------------------------------------------
    async def wait(self) -> None:
        """Wait until the run's task ends (finished, stopped or failed); while paused, this waits too."""
        task = self._task
        if task is not None:
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if not task.cancelled():
                    raise

    def run_for(self, ms: float) -> RunResult:
        """Run about ``ms`` simulated ms now, synchronously (whole chunks), and return the whole record.

        For scripts without an event loop; the figures get the data at the end (and every ``1/fps`` s; in a
        notebook whose page has echoed frames, every 2 s: the kernel cannot read the page's echoes while this
        runs, see ``max_unacked``)."""
        ms = positive("ms", ms)
        if self.running:
            raise RuntimeError("LiveRun.run_for: a run is going on in the event loop; pause() or stop() it first.")
        target = self.t + ms - self.runner.dt / 2
        self._set_state("running")
        while self.t < target:
            self._ensure_iterator()
            if self._one_chunk() is None and self._it is None and self._state == "error":
                break
            if time.perf_counter() >= self._next_frame:
                self._push(gated=True)
        self._push()
        if self._state == "running":
            self._set_state("paused" if self._it is not None else "finished")
        return self.result()

    def result(self) -> RunResult:
        """Everything recorded since the last :meth:`reset`, as one :class:`~brainlab.RunResult` (also after
        a stop or an error; ``stopped`` says why a run ended early)."""
        parts = list(self._parts)
        if self._it is not None and self._it.steps_done:
            parts.append(self._it.result())
        if not parts:
            raise RuntimeError("LiveRun.result: nothing has run yet; call start(), step() or run_for(ms).")
        return concat_results(parts)

    # -- replay -----------------------------------------------------------------------------------------------
    replay = staticmethod(replay)

    def replay_code(self, net: str = "net") -> str:
        """Python code that replays this run's changes with a plain Runner (given a network ``net`` built like
        this one, same seed)."""
        changes = ",\n    ".join(f"({t!r}, {p!r}, {v!r})" for t, p, v in self.changes)
        lines = ["import brainlab as bl", "",
                 f"# {net}: a fresh network built like the live one (same builder, same seed)",
                 f"changes = [\n    {changes},\n]" if self.changes else "changes = []",
                 f"res = bl.widgets.LiveRun.replay({net}, changes, duration={self.t!r}"
                 + (", inputs=inputs)  # the live run's inputs" if self.inputs is not None else ")")]
        return "\n".join(lines) + "\n"

    def code(self) -> str:
        """Python that builds this network as it was when the panel was made (:meth:`bl.Network.to_dict`) and
        replays the run so far with its logged changes: executed in a fresh namespace, ``res`` holds the same
        spikes as :meth:`result`.  The code starts the network from its initial values (t = 0), as a panel on a
        fresh network does.

        Raises:
            ValueError: the network cannot be described (a module of your own), the panel started from a network
                that had already run, or the run has ``inputs=`` (write those yourself: :meth:`replay_code`).
        """
        if self._description is None:
            raise ValueError(f"LiveRun.code: {self._no_description}; use replay_code() with a network built like "
                             "this one.")
        if self.inputs is not None:
            raise ValueError("LiveRun.code: this run has inputs=, which code cannot restate; use replay_code() and "
                             "pass the same inputs.")
        from .._network_code import network_code

        default_dt = self.net.default_dt()
        target = "net"
        lines = [network_code(self._description).rstrip("\n"), ""]
        if not math.isclose(self.runner.dt, default_dt, rel_tol=1e-12):
            lines.append(f"runner = bl.Runner(net, dt={self.runner.dt!r}, progress=False)  # the live run's step (ms)")
            target = "runner"
        rows = ",\n    ".join(f"({t!r}, {p!r}, {v!r})" for t, p, v in self.changes)
        lines += ["# the parameter changes of the live run, replayed at their times: (t in ms, State path, value)",
                  f"changes = [\n    {rows},\n]" if self.changes else "changes = []",
                  f"res = bl.widgets.LiveRun.replay({target}, changes, duration={float(self.t)!r})"]
        return "\n".join(lines) + "\n"

    # -- internals ------------------------------------------------------------------------------------------
    def _change(self, path: str, value: float) -> None:
        """A slider moved: write the value now (between two chunks: nothing runs ahead) and log it."""
        self.targets[path].set(value)
        t = round(self.t, 9)
        if self.changes and self.changes[-1][0] == t and self.changes[-1][1] == path:
            self.changes[-1] = (t, path, float(value))  # a drag between two chunks: the last value acts
        else:
            self.changes.append((t, path, float(value)))

    def _ensure_iterator(self) -> None:
        if self._it is None or self._it.done:
            if self._it is not None:
                self._finish_run(None)
            self._it = self.runner.chunks(self.duration, self.inputs, every=self.every)

    def _one_chunk(self) -> RunResult | None:
        """Run one chunk: its data goes to the view; ``None`` at the end of the run or on an error."""
        from .._runner import NonFiniteError

        it = self._it
        if it is None:
            return None
        try:
            chunk = next(it)
        except StopIteration:
            self._finish_run("finished")
            return None
        except NonFiniteError as exc:
            self.view.add(_tail(exc.result, self._shown_t))
            self._parts.append(exc.result)
            self._it = None
            self._push()
            self.show_error(exc)
            self._set_state("error")
            return None
        self.view.add(chunk)
        self._shown_t = self.t
        if it.done:
            self._finish_run("finished")
        return chunk

    def _finish_run(self, state: str | None) -> None:
        it, self._it = self._it, None
        if it is None:
            return
        res = it.stop()
        if it.steps_done:
            self._parts.append(res)
        self._push()
        if state is not None:
            self._set_state(state)

    async def _loop(self) -> None:
        wall0, t0 = time.perf_counter(), self.t
        try:
            while self._it is not None:
                if self._paused:
                    self._push()
                    self._wake.clear()
                    await self._wake.wait()
                    wall0, t0 = time.perf_counter(), self.t
                    continue
                if self._one_chunk() is None:
                    break
                now = time.perf_counter()
                if now >= self._next_frame:
                    self._push(gated=True)
                if self.speed is not None:
                    ahead = (self.t - t0) / self.speed - (time.perf_counter() - wall0)
                    await asyncio.sleep(max(0.0, ahead))
                else:
                    await asyncio.sleep(0)  # let the kernel handle clicks and slider moves
        except asyncio.CancelledError:
            if self._it is not None:
                self._finish_run("stopped")
            raise
        except Exception as exc:  # never lost: shown in the status line
            self.show_error(exc, "run")
            if self._it is not None:
                self._finish_run(None)
            self._set_state("error")
        finally:
            self._push()

    def _push(self, gated: bool = False) -> None:
        """Stream the gathered data (a frame).  ``gated``: a periodic frame, which waits while the page is
        behind (the data goes in a later frame); the others (pause, stop, step, the end) always go."""
        if gated and not self.gate.open():
            return
        # frames are due every 1/fps s; a frame late by less than that (it waits for a chunk to end) moves the
        # next deadline less, so that frames come fps times per second on average while chunks are short
        now, period = time.perf_counter(), 1.0 / self.fps
        late = now - self._next_frame
        self._next_frame = (self._next_frame if 0.0 <= late < period else now) + period
        if self.view.push():
            self.gate.pushed_frame(self.view.streamed)
        self._update()

    def _page_echo(self, source_id: str, newest_t: float) -> None:
        """The page applied a stream: count it, and push the data that waited for it if a frame is due."""
        self.gate.acknowledge(source_id, newest_t)
        if self.view.pending and time.perf_counter() >= self._next_frame:
            self._push(gated=True)

    def _set_state(self, state: str) -> None:
        self._state = state
        if state != "error":
            level = {"running": "busy", "finished": "ok"}.get(state, "info")
            text = {"idle": "ready", "running": "running"}.get(state, f"{state} at t = {self.t:.6g} ms")
            self.set_status(text, level)
        self._update()

    def _update(self) -> None:
        """The time readout and which buttons can be pressed."""
        total = "" if self.duration is None else f" / {self._run_end():.6g} ms"
        self.readout.value = f"<b>t = {self.t:.6g} ms</b>{total}"
        state = self._state
        enabled = {"start": state not in ("running", "paused"), "pause": state == "running",
                   "resume": state == "paused", "stop": state in ("running", "paused"),
                   "step": state != "running", "reset": True}
        for name, on in enabled.items():
            if name in self.controls:
                self.controls[name].disabled = not on

    def _run_end(self) -> float:
        if self._it is not None and self._it.duration is not None:
            return self._it._t0 + self._it.duration
        return self.t + (self.duration or 0.0) if self._state in ("idle", "finished", "stopped") else self.t

    def _build_layout(self) -> W.Widget:
        from bokeh.layouts import column

        buttons = W.HBox([self.controls[n] for n in _BUTTONS] + [self.readout])
        sliders = [self.controls[p] for p in self.targets]
        figs = [self.view.figures[k] for k in ("raster", "rates", "traces") if k in self.view.figures]
        parts: list[W.Widget] = [buttons]
        if sliders:
            parts.append(W.HBox([W.VBox(sliders[i::2]) for i in range(min(2, len(sliders)))]))
        self._bokeh = self.bokeh_view(column(*figs))
        self._bokeh.on_stream_echo(self.guarded(self._page_echo, "page"))
        parts.append(self._bokeh)
        parts.append(self.export_bar())  # the windows' data, the figures, and code() that replays the run
        parts.append(self.status)
        return W.VBox(parts)

    def _close_extra(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        if self._it is not None:
            it, self._it = self._it, None
            res = it.stop()
            if it.steps_done:
                self._parts.append(res)
        self.readout.close()
        view = getattr(self, "_bokeh", None)
        if view is not None:  # jupyter_bokeh's close() fails when called twice (here, then at garbage
            view.close()      # collection) unless the figures have left their document
            doc = view._model.document
            if doc is not None:
                doc.remove_root(view._model)


def _tail(res: RunResult, after: float) -> RunResult:
    """The part of ``res`` after time ``after`` (what the view has not been given yet)."""
    from .._results import SpikeRecord

    keep = res.ts > after + res.dt / 2
    pops = {p: (t[t > after + res.dt / 2], i[t > after + res.dt / 2]) for p, (t, i) in res.spikes.populations.items()}
    return RunResult(res.ts[keep], {k: v[keep] for k, v in res.data.items()}, SpikeRecord(pops, res.spikes.sizes),
                     res.dt, res.stopped)


def LiveRaster(runner_or_net: Any, *, rates: bool | list[str] = True, **kwargs: Any) -> LiveRun:
    r"""A :class:`LiveRun` showing the spike raster (a colour per population) and the population rates.

    Example:
        >>> import brainlab as bl
        >>> live = bl.widgets.LiveRaster(bl.networks.coba(200, seed=0), controls=['E.I_ext'], duration=40.)
        >>> res = live.run_for(40.)                      # in a notebook: display `live`, click start
        >>> sorted(live.figures), len(res.spikes) > 0
        (['raster', 'rates'], True)
        >>> live.close()
    """
    kwargs.setdefault("title", "live raster")
    return LiveRun(runner_or_net, raster=True, rates=rates, **kwargs)


def LiveVoltage(runner_or_net: Any, path: str = "E.V", neurons: Any = (0, 1, 2), **kwargs: Any) -> LiveRun:
    r"""A :class:`LiveRun` showing the membrane potential (mV) of a few neurons (``path``: the State; with a
    Runner, the name of its monitor and ``neurons=None``).

    Example:
        >>> import brainlab as bl
        >>> live = bl.widgets.LiveVoltage(bl.networks.coba(200, seed=0), 'E.V', [0, 7], duration=20.)
        >>> live.run_for(20.)['E.V'].shape
        (200, 2)
        >>> live.close()
    """
    kwargs.setdefault("title", "live voltage")
    kwargs.setdefault("raster", False)
    kwargs.setdefault("rates", False)
    return LiveRun(runner_or_net, traces=(path, neurons) if neurons is not None else path, **kwargs)


def _describe(net: Any, t: float) -> tuple[dict[str, Any] | None, str]:
    """The network's description for :meth:`LiveRun.code` (taken before any slider moves it), or why not."""
    if t != 0.0:
        return None, f"the network had already run to t = {t:g} ms when the panel was made"
    to_dict = getattr(net, "to_dict", None)
    if to_dict is None:
        return None, f"a {type(net).__name__} has no to_dict() description"
    try:
        return to_dict(), ""
    except Exception as exc:  # noqa: BLE001 - a panel must open on any network; only code() needs the description
        return None, f"the network cannot be described ({type(exc).__name__}: {exc})"
