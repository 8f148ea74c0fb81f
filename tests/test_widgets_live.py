"""LiveRun: a network streamed into bounded windows while it runs, against headless Runner runs of the same seed."""

import asyncio

import numpy as np
import pytest

import brainlab as bl
from brainlab import NonFiniteError
from brainlab.widgets import LiveRaster, LiveRun, LiveVoltage

N = 400
WATCH = [0, 3]


def headless(duration, changes=(), n=N):
    """The reference: a fresh network, plain Runner.run calls, the same changes at the same times."""
    net = bl.networks.coba(n, seed=0)
    return LiveRun.replay(net, changes, duration, monitors={"E.V": ("E.V", WATCH)})


def plain_run(duration, n=N):
    net = bl.networks.coba(n, seed=0)
    return bl.Runner(net, monitors={"E.V": ("E.V", WATCH)}, progress=False).run(duration)


def same_spikes(a, b):
    for pop in ("E", "I"):
        ta, ia = a.spikes.populations[pop]
        tb, ib = b.spikes.populations[pop]
        np.testing.assert_array_equal(ta, tb)
        np.testing.assert_array_equal(ia, ib)


def make(**kwargs):
    kwargs.setdefault("traces", ("E.V", WATCH))
    kwargs.setdefault("every", 20.0)  # many chunk boundaries in short runs
    return LiveRun(bl.networks.coba(N, seed=0), **kwargs)


def run_to_end(live):
    async def go():
        live.start()
        await live.wait()

    asyncio.run(go())


def test_streamed_data_equals_a_headless_run():
    live = make(duration=300.0, controls=["E.I_ext"])
    run_to_end(live)
    ref = plain_run(300.0)
    res = live.result()
    assert live.state == "finished" and res.stopped is None and live.t == pytest.approx(300.0)
    same_spikes(res, ref)
    np.testing.assert_array_equal(res["E.V"], ref["E.V"])
    # the windows hold what the headless run recorded (300 ms fit in every window's rollover here)
    src = live.sources["raster"].data
    for k, pop in enumerate(("E", "I")):
        t, i = ref.spikes.populations[pop]
        mine = src["k"] == k
        np.testing.assert_array_equal(src["t"][mine], t)
        np.testing.assert_array_equal(src["i"][mine], i + live.view.offset[pop])
    assert np.all(np.diff(src["t"]) >= 0)  # in time order
    tr = live.sources["traces"].data
    np.testing.assert_array_equal(tr["t"], ref.ts)
    np.testing.assert_array_equal(tr["y0"], ref["E.V"][:, 0])
    np.testing.assert_array_equal(tr["y1"], ref["E.V"][:, 1])
    # population rate: spikes per (N bin) in 5 ms bins (a, a + 5], from numpy
    rates = live.sources["rates"].data
    edges = np.arange(0.0, 300.0 + 1e-9, 5.0)
    for pop, n in (("E", 320), ("I", 80)):
        t = ref.spikes.populations[pop][0]
        counts = np.array([np.sum((t > a + 1e-6) & (t <= b + 1e-6)) for a, b in zip(edges[:-1], edges[1:])])
        np.testing.assert_allclose(rates[pop], counts / (n * 5e-3))
    np.testing.assert_allclose(rates["t"], edges[:-1] + 2.5)
    assert live.frames_pushed >= 1 and live.changes == []
    live.close()


def test_pause_resume_stop_keep_all_data():
    live = make(duration=400.0)

    async def go():
        live.start()
        for _ in range(3):
            await asyncio.sleep(0)
        live.pause()
        await asyncio.sleep(0)
        t_paused = live.t
        for _ in range(5):  # paused: time stands still while the loop turns
            await asyncio.sleep(0.01)
        assert live.t == t_paused and live.state == "paused" and live.running
        live.resume()
        for _ in range(4):
            await asyncio.sleep(0)
        return t_paused, live.stop()

    t_paused, res = asyncio.run(go())
    assert 0 < t_paused <= live.t < 400.0
    assert live.state == "stopped" and not live.running
    assert "stopped at t" in res.stopped
    ref = plain_run(live.t)
    assert len(res.ts) == len(ref.ts)
    same_spikes(res, ref)
    np.testing.assert_array_equal(res["E.V"], ref["E.V"])
    # start again: a new run from where it stopped; the record runs on
    t_stop = live.t
    run_to_end(live)
    assert live.t == pytest.approx(t_stop + 400.0)
    full = live.result()
    same_spikes(full, plain_run(live.t))
    live.close()


def test_pause_resume_to_the_end_equals_the_headless_run():
    live = make(duration=300.0)

    async def go():
        live.start()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        live.pause()
        await asyncio.sleep(0.02)
        live.step()  # one chunk by hand while paused
        live.resume()
        await live.wait()

    asyncio.run(go())
    assert live.state == "finished"
    same_spikes(live.result(), plain_run(300.0))
    live.close()


def test_slider_changes_are_logged_and_replay_gives_the_same_spikes():
    live = make(duration=300.0, controls={"E.I_ext": None, "EE.weight": (0.0, 2.0)})

    async def go():
        live.start()
        for _ in range(4):
            await asyncio.sleep(0)
        for v in (22.0, 24.0, 26.0):  # a drag between two chunks: the last value acts
            live.controls["E.I_ext"].value = v
        for _ in range(3):
            await asyncio.sleep(0)
        live.controls["EE.weight"].value = 1.2
        await live.wait()

    asyncio.run(go())
    assert [(name, value) for _, name, value in live.changes] == [("E.I_ext", 26.0), ("EE.weight", 1.2)]
    t1, t2 = live.changes[0][0], live.changes[1][0]
    assert 0 < t1 < t2 < 300.0
    assert float(live.net.E.I_ext.value) == 26.0
    assert float(live.net.EE.weight.value) == pytest.approx(1.2)
    res = live.result()
    same_spikes(res, headless(300.0, live.changes))
    # the changes mattered: without them the spikes differ after t1
    plain = plain_run(300.0)
    assert not np.array_equal(res.spikes.times, plain.spikes.times)
    before = plain.spikes.times <= t1
    np.testing.assert_array_equal(res.spikes.times[res.spikes.times <= t1], plain.spikes.times[before])
    # the generated code replays it too
    code = live.replay_code()
    scope = {"net": bl.networks.coba(N, seed=0)}
    exec(code, scope)
    same_spikes(scope["res"], res)
    # and code() needs no network: it builds the one the panel started from (before the slider moves)
    full: dict = {}
    exec(live.code(), full)
    same_spikes(full["res"], res)
    assert float(full["net"].E.I_ext.value) == 26.0  # the replay applied the logged change
    live.close()


def test_code_refuses_what_it_cannot_restate():
    runner = bl.Runner(bl.networks.coba(N, seed=0), progress=False)
    runner.run(10.0)
    live = bl.widgets.LiveRun(runner, duration=20.0)
    with pytest.raises(ValueError, match=r"LiveRun.code: the network had already run to t = 10 ms.*replay_code"):
        live.code()
    live.close()
    live = make(duration=20.0, inputs={"E": 5.0})
    with pytest.raises(ValueError, match=r"inputs=.*replay_code"):
        live.code()
    live.close()


def test_changes_while_idle_apply_at_once_and_are_logged_at_that_time():
    live = make(duration=100.0, controls=["E.I_ext"])
    live.controls["E.I_ext"].value = 30.0
    assert live.changes == [(0.0, "E.I_ext", 30.0)] and float(live.net.E.I_ext.value) == 30.0
    res = live.run_for(100.0)
    same_spikes(res, headless(100.0, live.changes))
    live.close()


def test_windows_are_bounded_by_rollover_and_hold_the_newest_data():
    live = make(duration=400.0, window=50.0, raster_neurons=100)
    run_to_end(live)
    ref = plain_run(400.0)
    roll = live.view.rollover
    assert roll["traces"] == 501 and roll["rates"] == 11
    for key, src in live.sources.items():
        assert len(src.data["t"]) <= roll[key], key
    tr = live.sources["traces"].data
    assert len(tr["t"]) == 501
    np.testing.assert_array_equal(tr["t"], ref.ts[-501:])
    np.testing.assert_array_equal(tr["y0"], ref["E.V"][-501:, 0])
    # raster: 100 neurons shown (80 E, 20 I), stacked; the newest spikes of those, in time order
    assert live.view.shown == {"E": 80, "I": 20} and roll["raster"] == 400 + 100  # 100 Hz over 50 ms
    (tE, iE), (tI, iI) = ref.spikes.populations["E"], ref.spikes.populations["I"]
    keepE, keepI = iE < 80, iI < 20
    t = np.concatenate([tE[keepE], tI[keepI]])
    i = np.concatenate([iE[keepE], iI[keepI] + 80])
    k = np.concatenate([np.zeros(keepE.sum()), np.ones(keepI.sum())])
    order = np.argsort(t, kind="stable")[-500:]
    assert t.size > 500  # the window is full
    src = live.sources["raster"].data
    for col, want in (("t", t), ("i", i), ("k", k)):
        np.testing.assert_array_equal(src[col], want[order])
    assert len(live.sources["rates"].data["t"]) == 11
    # the full record is kept
    same_spikes(live.result(), ref)
    live.close()


def test_nan_shows_the_runners_message_and_keeps_the_data():
    live = make(duration=300.0)
    live.step()
    live.step()
    assert live.t == pytest.approx(40.0) and live.state == "paused"
    V = live.net.states()["E.I_ext"]
    V.value = np.float32(np.nan)  # poisons V at the next step

    async def go():
        live.resume()
        await live.wait()

    asyncio.run(go())
    assert live.state == "error" and not live.running
    assert isinstance(live.errors[-1], NonFiniteError)
    assert "NonFiniteError: Runner: the State 'V' of population 'E' became NaN or infinite at t = 40.1" \
        in live.status_text
    res = live.result()
    assert res.ts[-1] == pytest.approx(40.1) and "non-finite" in res.stopped
    ref = plain_run(40.0)
    np.testing.assert_array_equal(res["E.V"][:400], ref["E.V"])
    assert np.isnan(res["E.V"][-1]).all()
    for pop in ("E", "I"):  # the spikes before the NaN are those of the headless run
        np.testing.assert_array_equal(res.spikes.populations[pop][0][res.spikes.populations[pop][0] <= 40.0],
                                      ref.spikes.populations[pop][0])
    # the windows got the data up to the bad step
    assert live.sources["traces"].data["t"][-1] == pytest.approx(40.1)
    live.close()


def test_closing_the_panel_cancels_the_task():
    live = make(duration=None)  # open-ended: only stop or close ends it

    async def go():
        live.start()
        for _ in range(3):
            await asyncio.sleep(0)
        task = live._task
        live.close()
        t_closed = live.t
        for _ in range(5):
            await asyncio.sleep(0)
        return task, t_closed

    task, t_closed = asyncio.run(go())
    assert task.cancelled() and not live.running
    assert live.t == t_closed > 0
    assert live.result().duration == pytest.approx(t_closed)  # the data is kept
    assert "closed" in repr(live)


def test_run_for_presets_and_widget():
    raster = LiveRaster(bl.networks.coba(N, seed=0), duration=None, controls=["E.I_ext"], every=20.0)
    res = raster.run_for(60.0)
    assert sorted(raster.figures) == ["raster", "rates"] and res.duration == pytest.approx(60.0)
    same_spikes(res, plain_run(60.0))
    assert raster.run_for(30.0).duration == pytest.approx(100.0)  # whole chunks: 30 ms -> two chunks of 20
    assert raster.state == "paused"
    box = raster.widget
    assert "application/vnd.jupyter.widget-view+json" in raster._repr_mimebundle_()
    assert box.children[-1] is raster.status
    raster.close()
    volt = LiveVoltage(bl.networks.coba(N, seed=0), "I.V", [1, 2], duration=30.0)
    assert sorted(volt.figures) == ["traces"]
    assert volt.run_for(30.0)["I.V"].shape == (300, 2)
    assert volt.state == "finished"
    volt.close()
    # a Runner: traces name its monitors
    net = bl.networks.coba(N, seed=0)
    runner = bl.Runner(net, monitors={"v": ("E.V", [0])}, progress=False)
    live = LiveRun(runner, traces="v", raster=["I"], rates=False, duration=20.0)
    assert live.run_for(20.0)["v"].shape == (200, 1)
    live.close()


def test_bad_arguments_get_clear_errors():
    net = bl.networks.coba(100, seed=0)
    with pytest.raises(KeyError, match="'E.I_ex'.*Did you mean 'E.I_ext'"):
        LiveRun(net, controls=["E.I_ex"])
    with pytest.raises(ValueError, match=r"'EE.weight' is not a declared model parameter.*\(lo, hi\)"):
        LiveRun(net, controls=["EE.weight"])
    with pytest.raises(ValueError, match="admissible range"):
        LiveRun(net, controls={"E.tau": (-1.0, 5.0)})
    with pytest.raises(KeyError, match="not a spiking population.*'E', 'I'"):
        LiveRun(net, raster=["X"])
    with pytest.raises(TypeError, match="bl.Network"):
        LiveRun(42)
    with pytest.raises(ValueError, match="every must be a finite number > 0"):
        LiveRun(net, every=0.0)
    live = LiveRun(net, controls=["E.I_ext"])
    with pytest.raises(RuntimeError, match="no running asyncio event loop.*run_for"):
        live.start()
    with pytest.raises(RuntimeError, match="nothing has run yet"):
        live.result()
    # a value outside the model's range: the model's message in the status line, the run is unaffected
    live.controls["E.I_ext"].max = 2e6
    live.controls["E.I_ext"].value = 2e6
    assert "outside its admissible range" in live.status_text and live.changes == []
    live.close()


def test_reset_rewinds_and_a_rerun_is_the_same():
    live = make(duration=100.0, controls=["E.I_ext"])
    first = live.run_for(100.0)
    live.reset()
    assert live.t == 0.0 and live.changes == [] and live.state == "idle"
    assert all(len(src.data["t"]) == 0 for src in live.sources.values())
    with pytest.raises(RuntimeError, match="nothing has run yet"):
        live.result()
    same_spikes(live.run_for(100.0), first)
    live.close()


def test_default_chunks():
    net = bl.networks.coba(100, seed=0)
    assert LiveRun(net).every == 100.0  # the headless Runner's chunk
    assert LiveRun(net, speed=300.0, fps=30.0).every == pytest.approx(10.0)  # one frame's worth
    assert LiveRun(net, speed=1e5).every == 100.0


def test_the_x_range_follows_the_newest_data():
    """Every figure shares one x range, moved at each frame to (t - window, t): the raster does not freeze at
    its first window while the run goes on."""
    from bokeh.models import Range1d

    live = make(duration=1200.0, window=500.0, raster_neurons=50)
    rng = live.figures["raster"].x_range
    assert isinstance(rng, Range1d) and (rng.start, rng.end) == (0.0, 500.0)
    assert all(f.x_range is rng for f in live.figures.values())
    live.run_for(240.0)  # less than a window: the first window stays
    assert (rng.start, rng.end) == (0.0, 500.0)
    live.run_for(560.0)
    assert (rng.start, rng.end) == pytest.approx((300.0, 800.0), abs=1e-9)
    assert rng.start <= float(np.max(live.sources["raster"].data["t"])) <= rng.end
    run_to_end(live)
    assert live.t == pytest.approx(1200.0) and (rng.start, rng.end) == pytest.approx((700.0, 1200.0), abs=1e-9)
    live.reset()
    assert (rng.start, rng.end) == (0.0, 500.0)
    live.close()


# -- backpressure: frames go no faster than the page echoes (applies) them --------------------------------------

class FakePage:
    """What a page does with the kernel's streams: it gets them (the document's events, as jupyter_bokeh's view
    sends them) and, when told, echoes them as the page's messages into the view's ``_sync_model``."""

    def __init__(self, live):
        live.widget  # builds the view
        self.view = live._bokeh
        self.sent = []
        live.sources["raster"].document.on_change(self._got)

    def _got(self, event):
        from bokeh.document.events import ColumnsStreamedEvent

        if isinstance(event, ColumnsStreamedEvent):
            self.sent.append(event)

    def echo(self, n=None):
        """Apply (echo) the oldest ``n`` streams received (all by default)."""
        from bokeh.core.serialization import Serializer

        n = len(self.sent) if n is None else n
        for event in self.sent[:n]:
            content = Serializer(references=set(event.document.models), deferred=False).encode(event)
            content["event"] = "jsevent"
            self.view._sync_model(self.view, content, [])
        del self.sent[:n]


def test_without_a_page_every_frame_goes():
    live = make(duration=None, fps=1e6)  # a frame is due after every chunk
    live.widget
    live.run_for(100.0)  # 5 chunks: 5 frames, none acknowledged (no page answers)
    assert live.frames_pushed == 5 and live.frames_acked == 0 and not live.gate.alive
    live.close()


def test_a_page_that_lags_gets_merged_frames_and_no_data_is_lost():
    live = make(duration=None, fps=1e6, max_unacked=2)
    live.widget
    page = FakePage(live)
    live.gate.ack_timeout = 1e9  # no fallback in this test (no wall-clock verdicts)
    live.run_for(20.0)
    assert live.frames_pushed == 1 and len(page.sent) == 3  # raster, rates, traces
    page.echo()
    assert live.frames_acked == 1 and live.gate.alive and live.gate.unacked == 0
    # the page now answers nothing: 2 frames may be in flight, then chunks go on and their data waits
    live.run_for(200.0)  # 10 chunks: frames after chunks 1 and 2, the rest merged into the final frame
    assert live.frames_pushed == 1 + 2 + 1 and live.frames_acked == 1
    assert live.t == pytest.approx(220.0)
    traces = [e for e in page.sent if e.model is live.sources["traces"]]
    assert [len(e.data["t"]) for e in traces] == [200, 200, 1600]  # 20 ms chunks at dt = 0.1 ms; 8 merged
    # nothing lost: the windows equal a headless run, the record too
    ref = plain_run(220.0)
    same_spikes(live.result(), ref)
    tr = live.sources["traces"].data
    np.testing.assert_array_equal(tr["t"], ref.ts)
    np.testing.assert_array_equal(tr["y1"], ref["E.V"][:, 1])
    src = live.sources["raster"].data
    t = np.concatenate([ref.spikes.populations[p][0] for p in ("E", "I")])
    np.testing.assert_array_equal(src["t"], np.sort(t))
    edges = np.arange(0.0, 220.0 + 1e-9, 5.0)
    np.testing.assert_allclose(live.sources["rates"].data["t"], edges[:-1] + 2.5)
    # echoes of the older frames free the gate; an echo of the newest acknowledges all before it
    page.echo(3)
    assert live.frames_acked == 2 and live.gate.unacked == 2
    page.echo()
    assert live.frames_acked == 4 and live.gate.unacked == 0
    live.close()


def test_an_echo_pushes_the_data_that_waited_for_it():
    live = make(duration=None, fps=1e6, max_unacked=1)
    live.widget
    page = FakePage(live)
    live.gate.ack_timeout = 1e9
    live.run_for(20.0)
    page.echo()
    # one frame in flight, the next chunk's data waits (as between two chunks of a running task)
    assert live._one_chunk() is not None
    live._push(gated=True)
    assert live.frames_pushed == 2 and not live.view.pending
    assert live._one_chunk() is not None
    live._push(gated=True)
    assert live.frames_pushed == 2 and live.view.pending  # held back
    page.echo()  # the page applied frame 2: the waiting data goes at once
    assert live.frames_pushed == 3 and live.frames_acked == 2 and not live.view.pending
    live.close()


def test_a_page_that_stops_answering_gets_a_frame_every_timeout():
    clock = [0.0]
    live = make(duration=None, fps=1e6, max_unacked=1)
    live.widget
    page = FakePage(live)
    live.gate.clock = lambda: clock[0]
    live.run_for(20.0)
    clock[0] += 0.05
    page.echo()  # a page that echoed fast at first still gets the whole ack_timeout (2 s) later
    for _ in range(3):
        live._one_chunk()
        live._push(gated=True)
    assert live.frames_pushed == 2 and live.view.pending  # one in flight: the rest waits
    clock[0] += 1.9
    live._one_chunk()
    live._push(gated=True)
    assert live.frames_pushed == 2
    clock[0] += 0.2  # 2.1 s without an echo: the tab was closed or reloaded; one frame goes
    live._push(gated=True)
    assert live.frames_pushed == 3 and not live.view.pending
    live._one_chunk()
    live._push(gated=True)
    assert live.frames_pushed == 3  # and the next after another 2 s
    clock[0] += 1.5
    live._push(gated=True)
    assert live.frames_pushed == 3
    clock[0] += 1.0
    live._push(gated=True)
    assert live.frames_pushed == 4
    # a new page answers: gating by echoes again
    page.echo()
    assert live.frames_acked == 4 and live.gate.open()
    live.close()


def test_frame_gate_counts_and_reset_forgets():
    from brainlab.widgets._live_gate import FrameGate

    gate = FrameGate(max_unacked=2)
    gate.pushed_frame([("a", 1.0), ("b", 1.0)])
    gate.pushed_frame([])  # a frame that streamed nothing waits for no echo
    gate.pushed_frame([("a", 2.0)])
    assert gate.open() and gate.unacked == 2  # no page yet
    gate.acknowledge("b", 1.0)
    assert gate.frames_acked == 1 and gate.unacked == 1 and gate.open()
    gate.acknowledge("zzz", 5.0)  # an echo of nothing we know: alive, acknowledges nothing
    assert gate.frames_acked == 1 and gate.echoes == 2
    gate.forget()
    assert gate.unacked == 0 and gate.frames_acked == 3
    with pytest.raises(ValueError, match="max_unacked"):
        FrameGate(max_unacked=0)
    with pytest.raises(ValueError, match="max_unacked"):
        make(max_unacked=0)
