"""Widget latency, kernel side: from a control change to new data in the panel's bokeh sources.

Each measurement is one function returning a row ``{'name', 'what', 'n', 'median_ms', 'p95_ms', ...}``;
``main()`` runs them all, prints one table and writes ``benchmarks/WIDGETS.md`` and ``benchmarks/widgets.json``.

NeuronExplorer (HH, 200 ms at dt = 0.01 ms, 20000 steps): 50 changes of the gNa slider, each timed from the
assignment ``slider.value = x`` until it returns; with no event loop running the panel recomputes at once, so that
is the time until the new trace is in ``sources`` (and, the panel being built, serialised for the page by
jupyter_bokeh).  The browser's drawing is not included.

Peers, timed the same way in the same process: the Neuromatch-style notebook pattern, an ``ipywidgets.interactive``
function that re-runs the simulation and redraws a new full bokeh figure with every sample (serialised as
``show`` does in a notebook), once with the same compiled brainlab Runner and once with a numpy forward-Euler
loop (how course notebooks usually write HH).

LiveRaster (COBA-4k, ``bl.networks.coba(4000, seed=0)``): 10 s of simulated time streamed into the panel's
sources (built, so every frame is serialised by jupyter_bokeh), from ``start()`` until ``await live.wait()``
returns, against a headless ``Runner.run(10 s)`` of the same network in the same process, alternated over 7
repeats (best of each; the streamed spikes are checked equal to the headless ones).  Reported: frames per
second delivered to the sources (target >= 25; the panel paces frames at <= 30 per second), the interval between
frames, and the slowdown of the simulation in wall time and in process CPU time (target <= 15 %).  On a
shared machine the CPU-time ratio is the steadier of the two.

LiveRaster in the browser (COBA-4k, open-ended run): a notebook in JupyterLab shows the panel in headless
Chromium (the browser tests' server and page helpers, ``tests/browser/conftest.py``), its start button is
clicked, and after a warm-up, over 10 s of wall time, a page-side counter (listening to the raster
ColumnDataSource in ``window.Bokeh.documents``) timestamps every frame that BokehJS applies while the kernel logs
every frame it pushes (the newest spike time of each pairs them up; both clocks are the machine's wall clock).
Reported: frames per second that reach the page against those the kernel pushed in the same window, the interval
between frames in the page (the table's row), and the delay from the kernel's push to the page.  Skipped, with a
line saying why, where Chromium, Playwright or JupyterLab is missing.

PhasePlanePanel (FHN; Morris-Lecar type I at I = 30 µA/cm²), kernel side (``benchmarks/_bench_phase.py``): a
parameter change until the vector field, nullclines and fixed points are in the sources (target <= 50 ms), and a
click until the 200 ms Morris-Lecar trajectory is (target <= 100 ms).  In Chromium: from a key press on the
panel's I_ext slider in the page to the animation frame after BokehJS applied the recomputed nullcline (the press
travels to the kernel as a widget message, the kernel recomputes, the page applies and paints; target <= 250 ms),
one press at a time, 15 presses after 2 warm-ups.

BifurcationPanel (``benchmarks/_bench_bifurcation.py``): the HH diagram (equilibria over I_ext in [0, 200]
µA/cm² with the cycles from the first Hopf point) built after compilation (target <= 5 s), and a click on it,
alone and with a linked PhasePlanePanel redrawn at the clicked value (target <= 100 ms).

Run: ``.venv/bin/python benchmarks/widgets.py`` (about a minute); one measurement alone:
``.venv/bin/python benchmarks/widgets.py live_coba4k`` (its row replaces the old one in the results); the
browser one: ``.venv/bin/python benchmarks/widgets.py browser_live_coba4k``.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).parent
N_CHANGES = 50
TARGET_MS = 50.0


def _stats(times_s: list[float]) -> dict[str, float]:
    ms = np.array(times_s) * 1000.0
    return {"n": len(ms), "median_ms": float(np.median(ms)), "p95_ms": float(np.percentile(ms, 95)),
            "min_ms": float(ms.min())}


def _slider_values(n: int) -> list[float]:
    return [100.0 + 40.0 * ((k * 7) % n) / n for k in range(n)]  # distinct gNa values (mS/cm²), unsorted


# -- NeuronExplorer --------------------------------------------------------------------------------------------
def explorer_hh_slider() -> dict[str, Any]:
    """NeuronExplorer(HH), 200 ms at 0.01 ms: gNa slider change -> new V trace in sources."""
    import brainlab as bl

    ex = bl.widgets.NeuronExplorer(bl.neurons.HH, duration=200.0)
    ex.widget  # the layout with its jupyter_bokeh BokehModel: source changes are serialised as in a notebook
    slider, source = ex.controls["gNa"], ex.sources["V"]
    for v in (110.0, 115.0, 120.0):  # warm-up
        slider.value = v
    compiles = ex.compile_count
    load = [os.getloadavg()[0]]
    times, cpu = [], []
    for v in _slider_values(N_CHANGES):
        before = source.data["y"]
        t0, c0 = time.perf_counter(), time.process_time()
        slider.value = v
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        assert source.data["y"] is not before, "the slider change did not reach the sources"
    load.append(os.getloadavg()[0])
    assert not ex.errors and ex.compile_count == compiles, "a slider change recompiled or failed"
    row = {"name": "NeuronExplorer (HH)", "what": "gNa slider -> sources", **_stats(times),
           "cpu_median_ms": 1000 * statistics.median(cpu), "cpu_p95_ms": 1000 * float(np.percentile(cpu, 95)),
           "points_sent": len(source.data["t"]), "points_simulated": len(ex.result.ts),
           "compiles_during": ex.compile_count - compiles,
           "load": f"{load[0]:.1f} -> {load[1]:.1f} on {os.cpu_count()} CPUs"}
    ex.close()
    return row


# -- peers -----------------------------------------------------------------------------------------------------
def _full_figure_redraw(t: np.ndarray, V: np.ndarray) -> None:
    """A new bokeh figure with every sample, serialised as ``bokeh.io.show`` does in a notebook."""
    from bokeh.embed.notebook import notebook_content
    from bokeh.plotting import figure

    p = figure(width=700, height=250, x_axis_label="t (ms)", y_axis_label="V (mV)")
    p.line(t, V)
    notebook_content(p)


def _interactive_peer(simulate: Callable[[float], tuple[np.ndarray, np.ndarray]], name: str,
                      what: str) -> dict[str, Any]:
    import ipywidgets as W

    def f(gNa: float = 120.0) -> None:
        _full_figure_redraw(*simulate(gNa))

    ui = W.interactive(f, gNa=W.FloatSlider(value=120.0, min=0.0, max=200.0))
    slider = ui.children[0]
    times = []
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):  # (clear_output)
        for v in (110.0, 115.0, 120.0):
            slider.value = v
        for v in _slider_values(N_CHANGES):
            t0 = time.perf_counter()
            slider.value = v
            times.append(time.perf_counter() - t0)
    ui.close()
    return {"name": name, "what": what, **_stats(times)}


def peer_interact_runner() -> dict[str, Any]:
    """ipywidgets.interactive + the same compiled bl.Runner + a new full bokeh figure per change."""
    import brainlab as bl

    hh = bl.neurons.HH(1)
    runner = bl.Runner(hh, monitors={"V": "HH.V"}, dt=0.01, progress=False)
    current = bl.inputs.constant(10.0, 200.0, 0.01)

    def simulate(gNa: float) -> tuple[np.ndarray, np.ndarray]:
        hh.gNa = gNa
        runner.reset()
        res = runner.run(200.0, inputs={hh: current})
        return res.ts, res["V"][:, 0]

    return _interactive_peer(simulate, "peer: interact + bl.Runner", "re-run + full figure redraw")


def _hh_numpy(gNa: float, I: float = 10.0, T: float = 200.0, dt: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Forward-Euler HH in a Python loop over numpy scalars, as course notebooks usually write it."""
    gK, gL, ENa, EK, EL = 36.0, 0.3, 50.0, -77.0, -54.387
    V, m, h, n = -65.0, 0.05, 0.6, 0.32
    steps = int(round(T / dt))
    out = np.empty(steps)
    for k in range(steps):
        am = 0.1 * (V + 40.0) / (1.0 - np.exp(-(V + 40.0) / 10.0))
        bm = 4.0 * np.exp(-(V + 65.0) / 18.0)
        ah = 0.07 * np.exp(-(V + 65.0) / 20.0)
        bh = 1.0 / (1.0 + np.exp(-(V + 35.0) / 10.0))
        an = 0.01 * (V + 55.0) / (1.0 - np.exp(-(V + 55.0) / 10.0))
        bn = 0.125 * np.exp(-(V + 65.0) / 80.0)
        dV = I - gNa * m**3 * h * (V - ENa) - gK * n**4 * (V - EK) - gL * (V - EL)
        m += dt * (am * (1 - m) - bm * m)
        h += dt * (ah * (1 - h) - bh * h)
        n += dt * (an * (1 - n) - bn * n)
        V += dt * dV
        out[k] = V
    return (np.arange(steps) + 1) * dt, out


def peer_interact_numpy() -> dict[str, Any]:
    """ipywidgets.interactive + a numpy forward-Euler HH loop + a new full bokeh figure per change."""
    return _interactive_peer(_hh_numpy, "peer: interact + numpy loop", "re-run + full figure redraw")


# -- LiveRun ---------------------------------------------------------------------------------------------------
LIVE_MS = 10_000.0  # simulated per streamed run
LIVE_REPEATS = 7
LIVE_OPTIONS: dict[str, Any] = {}  # LiveRaster's defaults
LIVE_FPS_TARGET = 25.0
LIVE_SLOWDOWN_TARGET = 0.15


def live_coba4k() -> dict[str, Any]:
    """LiveRaster(COBA-4k) streaming 10 s: frames delivered to the sources, slowdown against headless Runner.run."""
    import asyncio
    import os

    import brainlab as bl

    load = [os.getloadavg()[0]]
    live = bl.widgets.LiveRaster(bl.networks.coba(4000, seed=0), duration=LIVE_MS, **LIVE_OPTIONS)
    live.widget  # the layout with its jupyter_bokeh BokehModel: every frame is serialised as in a notebook
    live.step()  # compiles the chunk program
    frames: list[float] = []
    panel_cpu = [0.0]  # CPU time in the panel's own work: taking chunks in, pushing frames
    push, add = live.view.push, live.view.add

    def timed_push() -> bool:
        c0 = time.process_time()
        pushed = push()
        panel_cpu[0] += time.process_time() - c0
        if pushed:
            frames.append(time.perf_counter())
        return pushed

    def timed_add(chunk: Any) -> None:
        c0 = time.process_time()
        add(chunk)
        panel_cpu[0] += time.process_time() - c0

    live.view.push, live.view.add = timed_push, timed_add

    async def whole_run() -> None:
        live.start()
        await live.wait()

    runner = bl.Runner(bl.networks.coba(4000, seed=0), progress=False)
    runner.run(100.0)  # compiles
    headless, streamed, fps, intervals = [], [], [], []
    headless_cpu, streamed_cpu, panel = [], [], []
    for _ in range(LIVE_REPEATS):  # alternated, so that a busy moment of the machine hits both
        runner.reset()
        t0, c0 = time.perf_counter(), time.process_time()
        ref = runner.run(LIVE_MS)
        headless.append(time.perf_counter() - t0)
        headless_cpu.append(time.process_time() - c0)
        live.reset()
        frames.clear()
        panel_cpu[0] = 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        asyncio.run(whole_run())
        wall = time.perf_counter() - t0
        streamed_cpu.append(time.process_time() - c0)
        panel.append(panel_cpu[0])
        streamed.append(wall)
        fps.append(len(frames) / wall)
        intervals.extend(np.diff([t0, *frames]))
        res = live.result()
        assert live.state == "finished" and not live.errors, live.status_text
        assert np.array_equal(res.spikes.times, ref.spikes.times), "the streamed run differs from the headless one"
    load.append(os.getloadavg()[0])
    windows = {k: len(s.data["t"]) for k, s in live.sources.items()}
    row = {"name": "LiveRaster (COBA-4k)", "what": f"{LIVE_MS / 1000:g} s streamed: frame interval",
           **_stats(intervals), "fps": float(np.median(fps)), "fps_min": float(min(fps)),
           "headless_s": min(headless), "live_s": min(streamed), "slowdown": min(streamed) / min(headless) - 1.0,
           "headless_cpu_s": min(headless_cpu), "live_cpu_s": min(streamed_cpu),
           "slowdown_cpu": min(streamed_cpu) / min(headless_cpu) - 1.0, "panel_cpu_s": float(np.median(panel)),
           "every_ms": live.every, "spikes": len(res.spikes), "window_points": windows, "repeats": LIVE_REPEATS,
           "load": f"{load[0]:.1f} -> {load[1]:.1f} on {os.cpu_count()} CPUs"}
    live.close()
    return row


# -- LiveRun in the browser ------------------------------------------------------------------------------------
PAGE_WINDOW_S = 10.0  # wall seconds of streaming measured
PAGE_WARMUP_S = 3.0   # after the first frame reaches the page (compilation, first layout)
PAGE_DRAIN_S = 60.0   # after the run stops, how long frames still on their way may take to arrive

# The notebook: the panel, and a log file written by the kernel of each frame pushed (wall-clock time, newest spike time in the
# raster source), the instrumentation of live_coba4k.
_PAGE_NOTEBOOK = ["import brainlab as bl\nbl.plotting.setup_notebook()", """\
import json, time
live = bl.widgets.LiveRaster(bl.networks.coba(4000, seed=0), duration=None{options})
live.step(); live.reset()  # compiles the chunk program, as in live_coba4k
log = open('bench_live_frames.txt', 'w')  # a file: read back even while the page's connection is down
_push = live.view.push
def _logged_push():  # each frame the kernel pushed: time.time(), newest spike time in the raster source
    done = _push()
    t = live.sources['raster'].data['t']
    if done and len(t):
        log.write(f"{time.time()!r} {float(t[-1])!r}\\n"); log.flush()
    return done
live.view.push = _logged_push
live"""]

# In the page: each message BokehJS applies to the raster source ``id`` (a ColumnsStreamed patch, or a whole new
# ``data``), with its wall-clock time (ms since the epoch, the clock of the kernel's time.time()) and the newest
# spike time then in the source; signals of one message come in the same JS task and count once.  ``painted``:
# the animation frames that had new data to draw.
_PAGE_COUNTER = """(id) => {
    for (const doc of (window.Bokeh && window.Bokeh.documents) || []) {
        const src = doc.get_model_by_id(id);
        if (src == null) continue;
        const c = window.__blFrames = {at: [], newest: [], rows: [], painted: [], seen: 0};
        const now = () => performance.timeOrigin + performance.now();
        let queued = false;
        const arrived = () => {
            if (queued) return;
            queued = true;
            queueMicrotask(() => {
                queued = false;
                const t = src.data instanceof Map ? src.data.get('t') : src.data.t;
                c.at.push(now());
                c.newest.push(t && t.length ? Number(t[t.length - 1]) : null);
                c.rows.push(t ? t.length : 0);
            });
        };
        src.streaming.connect(arrived);
        src.properties.data.change.connect(arrived);
        const tick = () => {
            if (c.at.length !== c.seen) { c.seen = c.at.length; c.painted.push(now()); }
            requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
        return true;
    }
    return false;
}"""

_PAGE_EXECUTE = """(code) => {
    window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.requestExecute(
        {code, silent: true, store_history: false});
}"""


def browser_live_coba4k() -> dict[str, Any]:
    """LiveRaster(COBA-4k) streaming in JupyterLab + headless Chromium: frames that reach the page per second."""
    import _browser

    options = "".join(f", {k}={v!r}" for k, v in LIVE_OPTIONS.items())  # as live_coba4k, but open-ended
    cells = [_PAGE_NOTEBOOK[0], _PAGE_NOTEBOOK[1].replace("{options}", options)]
    load = [os.getloadavg()[0]]
    with _browser.lab_page() as lab:
        lab.open_notebook(lab.server.write_notebook("bench_live_coba4k.ipynb", cells))
        lab.run_all_cells()
        lab.wait_until_done()
        errors = lab.error_outputs()
        assert not errors, "the benchmark notebook raised:\n" + "\n".join(errors)
        source, every = json.loads(lab.kernel_eval("print(json.dumps([live.sources['raster'].id, live.every]))"))
        deadline = time.monotonic() + 60
        while not lab.page.evaluate(_PAGE_COUNTER, source):  # the panel is drawn: its source is in a document
            assert time.monotonic() < deadline, "the LiveRaster's raster source never reached the page"
            time.sleep(0.25)
        lab.page.locator("button", has_text="start").click()
        lab.page.wait_for_function("() => window.__blFrames.at.length > 0", timeout=60_000)
        time.sleep(PAGE_WARMUP_S)
        w0, loads = time.time(), []
        for _ in range(int(PAGE_WINDOW_S)):
            time.sleep(PAGE_WINDOW_S / int(PAGE_WINDOW_S))
            loads.append(os.getloadavg()[0])
        w1 = time.time()
        lab.page.locator("button", has_text="stop").click()
        drained, counts = time.monotonic(), lab.page.evaluate("() => window.__blFrames")
        while time.monotonic() - drained < PAGE_DRAIN_S:  # frames still on their way when the run stopped
            time.sleep(2.0)
            n, counts = len(counts["at"]), lab.page.evaluate("() => window.__blFrames")
            if len(counts["at"]) == n:
                break
        # Read back from the kernel's file: while the page lags, its kernel connection can drop (and messages,
        # a kernel_eval's reply among them, with it).
        out, last, since = lab.server.root / "bench_live_frames.txt", -1, time.monotonic()
        while time.monotonic() - since < 3.0 and time.monotonic() - drained < 2 * PAGE_DRAIN_S:
            time.sleep(0.5)
            if (size := out.stat().st_size) != last:
                last, since = size, time.monotonic()
        stopped = time.monotonic() - since >= 3.0  # the kernel pushed no frame for 3 s after the stop
        kernel = [tuple(map(float, line.split())) for line in out.read_text().splitlines() if line.strip()]
        reconnects = lab.server.log.read_text(errors="replace").count("Restoring connection")
        problems = list(lab.problems)
    load.append(os.getloadavg()[0])
    at, newest = np.array(counts["at"]) / 1000.0, counts["newest"]
    in_window = (at >= w0) & (at <= w1)
    assert in_window.sum() >= 2, f"{in_window.sum()} frames reached the page in {PAGE_WINDOW_S:g} s"
    k_at = np.array([a for a, _ in kernel])
    k_window = [(a, t) for a, t in kernel if w0 <= a <= w1]
    arrival = {}  # newest spike time -> when the page first had it
    for a, t in zip(at, newest):
        arrival.setdefault(t, a)
    latency = [arrival[t] - a for a, t in k_window if t in arrival]
    painted = np.array(counts["painted"]) / 1000.0
    rows = np.array(counts["rows"])[in_window]
    return {"name": "LiveRaster (COBA-4k), in Chromium", "what": f"{PAGE_WINDOW_S:g} s in the page: frame interval",
            **_stats(list(np.diff(at[in_window]))), "page_fps": int(in_window.sum()) / (w1 - w0),
            "kernel_fps": len(k_window) / (w1 - w0),
            "painted_fps": int(((painted >= w0) & (painted <= w1)).sum()) / (w1 - w0),
            "latency_median_ms": 1000 * float(np.median(latency)) if latency else math.nan,
            "latency_p95_ms": 1000 * float(np.percentile(latency, 95)) if latency else math.nan,
            "latency_first_last_ms": [1000 * latency[0], 1000 * latency[-1]] if latency else [],
            "arrived_of_pushed": [len(latency), len(k_window)], "kernel_frames_total": int(k_at.size),
            "page_rows_max": int(rows.max()), "browser_errors": problems, "every_ms": every,
            "kernel_stopped": stopped, "ws_reconnects": reconnects,
            "window_s": w1 - w0, "load": f"{load[0]:.1f} -> {load[1]:.1f} (during the window {min(loads):.1f}-"
                                          f"{max(loads):.1f}) on {os.cpu_count()} CPUs"}


# A PhasePlanePanel in the page: from a key press on its I_ext slider to the animation frame after BokehJS has
# applied the recomputed nullcline (the press reaches the kernel as a widget message, the kernel recomputes and
# sends the new sources, the page applies them and paints).
PHASE_PRESSES = 15
PHASE_PAGE_TARGET_MS = 250.0
_PHASE_SYSTEMS = {
    "FHN": ("bl.neurons.FHN(1)", "{'v': (-2.5, 2.5), 'w': (-1.0, 2.5)}", "{}"),
    "Morris-Lecar": ("bl.neurons.MorrisLecar.from_preset('type_I', 1)", "{'V': (-70.0, 50.0), 'w': (-0.05, 0.6)}",
                     "{'I_ext': 30.0}"),
}
_PHASE_WATCH = """(id) => {
    for (const doc of (window.Bokeh && window.Bokeh.documents) || []) {
        const src = doc.get_model_by_id(id);
        if (src == null) continue;
        const w = window.__blPaint = {painted: []};
        src.properties.data.change.connect(() => requestAnimationFrame(() =>
            w.painted.push(performance.timeOrigin + performance.now())));
        return true;
    }
    return false;
}"""


def browser_phase_plane() -> list[dict[str, Any]]:
    """PhasePlanePanel (FHN, Morris-Lecar) in JupyterLab + Chromium: slider key press -> nullcline drawn."""
    import _browser

    rows = []
    for name, (system, window, values) in _PHASE_SYSTEMS.items():
        load = os.getloadavg()[0]
        cells = ["import json\nimport brainlab as bl\nbl.plotting.setup_notebook()",
                 f"pp = bl.widgets.PhasePlanePanel({system}, {window}, values={values})\npp"]
        with _browser.lab_page() as lab:
            lab.open_notebook(lab.server.write_notebook("bench_phase.ipynb", cells))
            lab.run_all_cells()
            lab.wait_until_done()
            errors = lab.error_outputs()
            assert not errors, "the benchmark notebook raised:\n" + "\n".join(errors)
            source = json.loads(lab.kernel_eval("print(json.dumps(pp.sources[f'nullcline_{pp.names[0]}'].id))"))
            deadline = time.monotonic() + 60
            while not lab.page.evaluate(_PHASE_WATCH, source):
                assert time.monotonic() < deadline, "the phase plane's nullcline source never reached the page"
                time.sleep(0.25)
            slider = lab.page.locator(".widget-hslider", has=lab.page.locator(".widget-label", has_text="I_ext"))
            slider.locator(".noUi-handle").focus()
            latencies = []
            for k in range(PHASE_PRESSES + 2):  # the first two warm the page's and the kernel's paths
                n = lab.page.evaluate("() => window.__blPaint.painted.length")
                t0 = lab.page.evaluate("() => performance.timeOrigin + performance.now()")
                lab.page.keyboard.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")
                lab.page.wait_for_function(f"() => window.__blPaint.painted.length > {n}", timeout=30_000)
                time.sleep(0.3)  # one change at a time: the measured path is not a coalesced burst
                painted = lab.page.evaluate("() => window.__blPaint.painted")
                if k >= 2:
                    latencies.append((painted[n] - t0) / 1000.0)
            problems = list(lab.problems)
        assert not problems, f"browser errors: {problems}"
        rows.append({"name": f"PhasePlanePanel ({name}), in Chromium", "what": "I_ext key press -> nullcline drawn",
                     **_stats(latencies), "target_ms": PHASE_PAGE_TARGET_MS,
                     "load": f"{load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"})
    return rows


def phase_plane_kernel() -> list[dict[str, Any]]:
    """PhasePlanePanel kernel-side latencies (benchmarks/_bench_phase.py)."""
    import _bench_phase

    return _bench_phase.cases()


def bifurcation_kernel() -> list[dict[str, Any]]:
    """BifurcationPanel / DynamicsExplorer latencies (benchmarks/_bench_bifurcation.py)."""
    import _bench_bifurcation

    return _bench_bifurcation.cases()


MEASUREMENTS: list[Callable[[], Any]] = [explorer_hh_slider, peer_interact_runner, peer_interact_numpy,
                                         live_coba4k, browser_live_coba4k, phase_plane_kernel,
                                         browser_phase_plane, bifurcation_kernel]


# -- report ----------------------------------------------------------------------------------------------------
def _table(rows: list[dict[str, Any]]) -> str:
    head = ("| panel | change | n | median (ms) | p95 (ms) | min (ms) | target (ms) |\n"
            "|---|---|---|---|---|---|---|\n")
    return head + "".join(f"| {r['name']} | {r['what']} | {r['n']} | {r['median_ms']:.1f} | {r['p95_ms']:.1f} | "
                          f"{r['min_ms']:.1f} | {'<= %g' % r['target_ms'] if r.get('target_ms') else '-'} |\n"
                          for r in rows)


def main(names: list[str] | None = None) -> list[dict[str, Any]]:
    import jax

    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from _browser import BrowserMissing

    chosen = [m for m in MEASUREMENTS if not names or m.__name__ in names]
    rows = []
    for m in chosen:
        t0 = time.perf_counter()
        try:
            got = m()
        except BrowserMissing as exc:  # its rows, if any, are kept from the last run
            print(f"{m.__name__}: skipped, no browser here: {exc}", flush=True)
            continue
        for row in got if isinstance(got, list) else [got]:
            row["function"] = m.__name__
            rows.append(row)
            print(f"{m.__name__}: {row['name']}, {row['what']}: median {row['median_ms']:.1f} ms, p95 "
                  f"{row['p95_ms']:.1f} ms ({time.perf_counter() - t0:.0f} s)", flush=True)
    if names:  # one measurement rerun: the other rows are kept from the last full run
        try:
            old = json.loads((HERE / "widgets.json").read_text())["rows"]
        except (OSError, ValueError, KeyError):
            old = []
        ran = {r["function"] for r in rows}
        order = [m.__name__ for m in MEASUREMENTS]
        rows = sorted([r for r in old if r.get("function") not in ran] + rows,
                      key=lambda r: order.index(r["function"]) if r.get("function") in order else len(order))
    table = _table(rows)
    print("\n" + table)
    machine = {"python": sys.version.split()[0], "platform": platform.platform(), "cpu": platform.processor(),
               "jax": jax.__version__, "backend": jax.default_backend(),
               "date": time.strftime("%Y-%m-%d %H:%M")}
    (HERE / "widgets.json").write_text(json.dumps({"machine": machine, "rows": rows}, indent=1) + "\n")
    notes = [f"- {r['name']}: {r['points_simulated']} samples simulated per trace, {r['points_sent']} sent to the "
             f"plot (min/max decimation; full data in `explorer.result`); {r['compiles_during']} compilations "
             f"during the {r['n']} changes (target: median and p95 <= {TARGET_MS:.0f} ms); process CPU time per "
             f"change: median {r.get('cpu_median_ms', math.nan):.1f} ms, p95 {r.get('cpu_p95_ms', math.nan):.1f} ms; "
             f"load average {r.get('load', '?')}."
             for r in rows if "points_sent" in r]
    notes += [f"- {r['name']}: {r['fps']:.1f} frames/s delivered to the sources (slowest repeat {r['fps_min']:.1f}; "
              f"target >= {LIVE_FPS_TARGET:.0f}); simulation slowdown against headless Runner.run: wall "
              f"{r['slowdown']:+.1%} ({r['live_s']:.3f} s vs {r['headless_s']:.3f} s), CPU time "
              f"{r['slowdown_cpu']:+.1%} ({r['live_cpu_s']:.3f} s vs {r['headless_cpu_s']:.3f} s) (target <= "
              f"{LIVE_SLOWDOWN_TARGET:.0%}), of which the panel's own work (taking chunks in, pushing frames) "
              f"{r['panel_cpu_s']:.3f} s and the rest the chunk-by-chunk run (Runner.chunks, not pipelined); chunks of {r['every_ms']:g} ms; {r['spikes']} spikes, identical to the "
              f"headless run; points in the windows at the end: {r['window_points']}; load average "
              f"{r.get('load', '?')}." for r in rows if "fps" in r]
    notes += [f"- {r['name']}: {r['page_fps']:.1f} frames/s reached the page (applied by BokehJS to the raster "
              f"source) while the kernel pushed {r['kernel_fps']:.1f} frames/s, over the same {r['window_s']:.1f} s "
              f"of wall time; frame interval in the page median {r['median_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms; "
              f"animation frames with new data to draw {r['painted_fps']:.1f}/s; from the kernel's push to the page: "
              f"median {r['latency_median_ms']:.0f} ms, p95 {r['latency_p95_ms']:.0f} ms (first and last frame of "
              f"the window: {', '.join(f'{x:.0f}' for x in r['latency_first_last_ms'])} ms); "
              f"{r['arrived_of_pushed'][0]} of the {r['arrived_of_pushed'][1]} frames pushed in the window reached "
              f"the page by {PAGE_DRAIN_S:.0f} s after the stop (the page's kernel connection was restored "
              f"{r['ws_reconnects']} times; the stop button {'stopped' if r['kernel_stopped'] else 'did not stop'} "
              f"the kernel); chunks of {r['every_ms']:g} ms, at most "
              f"{r['page_rows_max']} raster rows in the page; {len(r['browser_errors'])} browser console errors; "
              f"JupyterLab, the kernel and Chromium on this machine, load average {r.get('load', '?')}."
              for r in rows if "page_fps" in r]
    (HERE / "WIDGETS.md").write_text(
        "# Widget latency (kernel side, and frames in the browser)\n\n" + (__doc__ or "").split("\n\n", 1)[1].rsplit("\n\nRun:", 1)[0]
        + f"\n\nCommand: `.venv/bin/python benchmarks/widgets.py`; {machine['date']}, {machine['platform']}, "
        f"jax {machine['jax']} ({machine['backend']}), Python {machine['python']}.\n\n" + table
        + ("\n" + "\n".join(notes) + "\n" if notes else ""))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:] or None)
