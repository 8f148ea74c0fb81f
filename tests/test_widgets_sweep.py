"""SweepPanel: its heat map equals independent Runner runs (and the analytic LIF rate), hover and click open the
right point (an explorer at those values, a network's raster equal to a direct run), progress reaches 100 % on a
running loop that stays responsive, the exported code reproduces the map, and bad input gets clear errors."""

import asyncio
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from bokeh.events import Tap
from bokeh.models import HoverTool

import brainlab as bl
from brainlab.widgets import SweepPanel

CURRENTS = [200.0, 300.0, 400.0, 500.0]  # pA: R I = 20 ... 50 mV, above the 15 mV from reset to threshold
TAUS = [5.0, 10.0, 20.0]  # ms
T = 200.0  # ms


def lif_rate(I, tau, R=0.1, t_ref=2.0, gap=15.0):
    """Analytic LIF rate (Hz): 1 / (t_ref + tau ln(R I / (R I - (V_th - V_reset))))."""
    return 1000.0 / (t_ref + tau * math.log(R * I / (R * I - gap)))


def build_ei(we, wi):
    """A small COBA E-I network with E weights we and I weights wi (nS)."""
    net = bl.networks.coba(100, seed=2)
    net.EE.weight = we
    net.EI.weight = we
    net.IE.weight = wi
    net.II.weight = wi
    return net


@pytest.fixture(scope="module")
def lif_panel():
    panel = SweepPanel(bl.neurons.LIF(1), x=("I_ext", CURRENTS), y=("tau", TAUS), duration=T)
    yield panel
    panel.close()


@pytest.fixture(scope="module")
def ei_panel():
    panel = SweepPanel(build_ei, x=("we", [0.3, 1.2]), y=("wi", [3.0, 9.0]), duration=100.0)
    yield panel
    panel.close()


def test_heat_map_equals_independent_runs_and_the_analytic_rate(lif_panel):
    assert lif_panel.values.shape == (len(TAUS), len(CURRENTS))
    for j, tau in enumerate(TAUS):
        for i, I in enumerate(CURRENTS):
            cell = bl.neurons.LIF(1, I_ext=I, tau=tau)
            res = bl.Runner(cell, progress=False).run(T)
            assert lif_panel.values[j, i] == res.spikes.rate(T)
            # whole spikes in 200 ms, and each interval rounded up to a 0.1 ms step: within one spike and 3 %
            assert abs(lif_panel.values[j, i] - lif_rate(I, tau)) <= 1000.0 / T + 0.03 * lif_rate(I, tau)
    assert np.all(np.diff(lif_panel.values, axis=1) > 0) and np.all(np.diff(lif_panel.values, axis=0) < 0)


def test_hover_data_and_colour_scale(lif_panel):
    data = lif_panel.sources["heatmap"].data
    xs, ys = np.meshgrid(CURRENTS, TAUS)
    assert np.array_equal(data["x"], xs.ravel()) and np.array_equal(data["y"], ys.ravel())
    assert np.array_equal(data["value"], lif_panel.values.ravel())
    assert np.all(data["left"] < data["x"]) and np.all(data["x"] < data["right"])
    hover = [t for t in lif_panel.figures["heatmap"].tools if isinstance(t, HoverTool)][0]
    labels = [label for label, _ in hover.tooltips]
    assert labels == ["I_ext", "tau", "firing rate (Hz)"]
    assert (lif_panel.mapper.low, lif_panel.mapper.high) == (lif_panel.values.min(), lif_panel.values.max())
    assert lif_panel.figures["heatmap"].xaxis[0].axis_label == "I_ext (pA)"


def test_a_click_opens_an_explorer_at_that_grid_point(lif_panel):
    heat = lif_panel.figures["heatmap"]
    for i, j in ((2, 1), (0, 2)):
        heat._trigger_event(Tap(model=heat, x=CURRENTS[i] + 20.0, y=TAUS[j] * 1.05))  # inside the cell
        ex = lif_panel.explorer
        assert lif_panel.selected == (i, j)
        assert ex.controls["I_ext"].value == CURRENTS[i] and ex.controls["tau"].value == TAUS[j]
        assert ex.controls["amplitude"].value == 0.0 and ex.controls["duration"].value == T
        assert ex.rate == lif_panel.values[j, i]  # the explorer's run is the clicked point's
    assert ex.compile_count == 1  # the second click moved the same explorer's sliders
    sel = lif_panel.sources["selected"].data
    assert sel["left"][0] < CURRENTS[0] < sel["right"][0] and sel["bottom"][0] < TAUS[2] < sel["top"][0]
    heat._trigger_event(Tap(model=heat, x=10_000.0, y=TAUS[0]))  # outside the map: nothing opens
    assert lif_panel.selected == (0, 2) and "inside the map" in lif_panel.status_text
    assert not lif_panel.errors


def test_measures_switch_without_rerunning(lif_panel):
    runs = lif_panel.results
    lif_panel.controls["measure"].value = "mean_V"
    assert lif_panel.results is runs
    direct = bl.Runner(bl.neurons.LIF(1, I_ext=CURRENTS[1], tau=TAUS[0]), monitors={"V": "LIF.V"},
                       progress=False).run(T)
    assert lif_panel.values[0, 1] == pytest.approx(float(np.mean(direct["V"])), rel=1e-6)
    lif_panel.controls["measure"].value = "cv"
    assert np.all(lif_panel.values < 1e-3)  # a constant current: a clock, CV = 0
    assert lif_panel.colour_bar.title == "CV of ISI"
    lif_panel.controls["measure"].value = "rate"


def test_code_reproduces_the_map_in_a_fresh_namespace(lif_panel):
    ns: dict = {}
    exec(lif_panel.code(), ns)
    assert np.array_equal(ns["heatmap"], lif_panel.values)
    d = lif_panel.data()
    assert np.array_equal(d["x"], CURRENTS) and np.array_equal(d["y"], TAUS)
    assert np.array_equal(d["values"], lif_panel.values) and d["measure"] == "firing rate (Hz)"


def test_custom_measure_and_its_code():
    def spike_count(r):
        return len(r.spikes.times)

    panel = SweepPanel(bl.neurons.LIF, x=("I_ext", [200.0, 400.0]), y=("t_ref", [1.0, 4.0]), measure=spike_count,
                       duration=100.0, every=25.0)
    counts = [[len(bl.Runner(bl.neurons.LIF(1, I_ext=I, t_ref=r), progress=False).run(100.0).spikes.times)
               for I in (200.0, 400.0)] for r in (1.0, 4.0)]
    assert np.array_equal(panel.values, counts)
    ns: dict = {}
    exec(panel.code(), ns)
    assert np.array_equal(ns["heatmap"], panel.values)
    assert panel.controls["measure"].value == "spike_count"
    panel.close()


def test_network_sweep_and_a_click_shows_the_raster_of_a_direct_run(ei_panel):
    for j, wi in enumerate([3.0, 9.0]):
        for i, we in enumerate([0.3, 1.2]):
            res = bl.Runner(build_ei(we, wi), progress=False).run(100.0)
            assert ei_panel.values[j, i] == pytest.approx(res.spikes.rate(100.0), rel=0.02)
    assert ei_panel.values[0, 1] > 2 * ei_panel.values[1, 0]  # strong E, weak I: runaway excitation
    heat = ei_panel.figures["heatmap"]
    heat._trigger_event(Tap(model=heat, x=1.2, y=3.0))
    direct = bl.Runner(build_ei(1.2, 3.0), progress=False).run(100.0)
    raster = ei_panel.sources["raster"].data
    assert np.array_equal(raster["t"], direct.spikes.times) and np.array_equal(raster["i"], direct.spikes.indices)
    assert ei_panel.figures["raster"].visible and ei_panel.point_result.spikes.rate(100.0) == direct.spikes.rate(100.0)
    ns: dict = {}
    exec(ei_panel.code(), ns)
    assert np.array_equal(ns["heatmap"], ei_panel.values)
    ei_panel.controls["measure"].value = "mean_V"  # population means per step, weighted by size
    ns = {}
    exec(ei_panel.code(), ns)  # the whole V States recorded
    assert np.allclose(ns["heatmap"], ei_panel.values, rtol=1e-5)
    ei_panel.controls["measure"].value = "rate"


def test_progress_reaches_100_and_the_loop_stays_responsive():
    panel = SweepPanel(bl.neurons.LIF(1), x=("I_ext", CURRENTS), y=("tau", TAUS), duration=T, every=20.0,
                       run=False)
    seen: list[int] = []
    panel.progress.observe(lambda ch: seen.append(ch["new"]), names="value")
    ticks = []

    async def session():
        panel.run()
        assert panel.running and panel.values is None  # a task: the cell returns at once

        async def ticker():
            while panel.running:
                ticks.append(panel.progress.value)
                await asyncio.sleep(0)

        await asyncio.gather(panel.wait(), ticker())

    asyncio.run(session())
    assert seen[-1] == 100 and seen == sorted(seen) and len(set(seen)) >= 10
    assert len(set(ticks)) >= 5  # other tasks ran between chunks, seeing the progress move
    assert panel.values.shape == (3, 4) and panel.progress.description == "100 %"
    panel.close()


def test_settle_finishes_a_sweep_in_progress_and_stop_keeps_the_last_map():
    panel = SweepPanel(bl.neurons.LIF(1), x=("I_ext", CURRENTS), y=("tau", TAUS), duration=T, every=50.0,
                       run=False)

    async def session():
        panel.run()
        panel.settle()
        assert not panel.running
        first = panel.values.copy()
        panel.controls["x_points"].value = 2  # a new grid, from the range controls
        panel.run()
        panel.stop()
        return first

    first = asyncio.run(session())
    assert first.shape == (3, 4) and np.array_equal(panel.values, first)  # the stopped sweep left the map alone
    assert np.array_equal(panel.x_values, [200.0, 500.0])
    panel.controls["run"].click()  # no loop: runs at once
    assert panel.values.shape == (3, 2) and np.array_equal(panel.values[:, 1], first[:, 3])
    panel.close()


def test_layout_has_the_export_bar(lif_panel):
    lif_panel.widget
    assert {"export", "export_format", "copy_code", "run", "stop", "duration", "measure"} <= set(lif_panel.controls)


def test_errors_are_clear():
    lif = bl.neurons.LIF(1)
    with pytest.raises(ValueError, match=r"x=\('taum', \.\.\.\) is not a parameter of the neuron model LIF; its "
                                         r"parameters: V_rest, .*tau"):
        SweepPanel(lif, x=("taum", [1.0]), y=("I_ext", [1.0]))
    with pytest.raises(ValueError, match=r"y=\('IE.wieght', \.\.\.\) is not a parameter of the Network.*IE.weight"):
        SweepPanel(bl.networks.coba(50), x=("EE.weight", [1.0]), y=("IE.wieght", [1.0]), run=False)
    with pytest.raises(ValueError, match=r"is not a parameter of the build function build_ei\(\); its parameters: "
                                         r"we, wi"):
        SweepPanel(build_ei, x=("we", [1.0]), y=("w_i", [1.0]))
    with pytest.raises(ValueError, match=r"x=\('tau', \.\.\.\) has no values"):
        SweepPanel(lif, x=("tau", []), y=("I_ext", [1.0]))
    with pytest.raises(TypeError, match="must be a pair"):
        SweepPanel(lif, x="tau", y=("I_ext", [1.0]))
    with pytest.raises(ValueError, match="repeat"):
        SweepPanel(lif, x=("tau", [1.0, 1.0]), y=("I_ext", [1.0]))
    with pytest.raises(ValueError, match="both name 'tau'"):
        SweepPanel(lif, x=("tau", [1.0]), y=("tau", [2.0]))
    with pytest.raises(ValueError, match=r"measure must be one of 'rate', 'cv', 'mean_V' or a function"):
        SweepPanel(lif, x=("tau", [1.0]), y=("I_ext", [1.0]), measure="frequency")
    with pytest.raises(ValueError, match="measure must be one of"):
        SweepPanel(lif, x=("tau", [1.0]), y=("I_ext", [1.0]), measure=3)
    with pytest.raises(ValueError, match=r"also needs 'seed'.*give it a default"):
        SweepPanel(lambda we, wi, seed: build_ei(we, wi), x=("we", [1.0]), y=("wi", [1.0]))
    with pytest.raises(TypeError, match="model must be a neuron class or instance"):
        SweepPanel(42, x=("we", [1.0]), y=("wi", [1.0]))
    with pytest.raises(TypeError, match="duration must be a number"):
        SweepPanel(lif, x=("tau", [1.0]), y=("I_ext", [1.0]), duration="100")
    panel = SweepPanel(lif, x=("tau", [5.0]), y=("I_ext", [1.0]), run=False)
    with pytest.raises(RuntimeError, match="no sweep has finished yet"):
        panel.code()
    panel.controls["x_from"].value = 50.0  # one point: the grid is [50]
    panel.controls["x_points"].value = 3  # from > to: shown in the status line, the grid is kept
    assert "needs from < to" in panel.status_text and np.array_equal(panel.x_values, [50.0])
    panel.close()


def test_export_writes_the_map(lif_panel, tmp_path):
    path = lif_panel.export(str(tmp_path / "lif_map.npz"))
    with np.load(path) as f:
        assert np.array_equal(f["values"], lif_panel.values) and np.array_equal(f["x"], CURRENTS)
        assert str(f["y_name"]) == "tau"


def test_a_constant_input_and_a_log_axis():
    taus = [2.0, 20.0, 200.0]  # evenly spaced on a log scale over two decades: a log axis
    panel = SweepPanel(bl.neurons.LIF(1), x=("tau", taus), y=("t_ref", [1.0, 3.0]), inputs=300.0, duration=100.0)
    assert type(panel.figures["heatmap"].x_scale).__name__ == "LogScale"
    for j, t_ref in enumerate([1.0, 3.0]):
        for i, tau in enumerate(taus):
            cell = bl.neurons.LIF(1, tau=tau, t_ref=t_ref)
            res = bl.Runner(cell, progress=False).run(100.0, inputs={cell: 300.0})
            assert panel.values[j, i] == res.spikes.rate(100.0)
    heat = panel.figures["heatmap"]
    heat._trigger_event(Tap(model=heat, x=30.0, y=3.2))  # between 20 and the geometric midpoint 63 of 20 and 200
    ex = panel.explorer
    assert panel.selected == (1, 1) and ex.controls["tau"].value == 20.0 and ex.controls["t_ref"].value == 3.0
    assert ex.controls["amplitude"].value == 300.0 and ex.rate == panel.values[1, 1]
    assert "inputs={'LIF': 300.0}" in panel.code()
    panel.close()


def test_the_sets_are_spread_over_several_devices():
    code = textwrap.dedent(
        """
        import jax, numpy as np, brainlab as bl
        assert len(jax.devices()) == 4, jax.devices()
        panel = bl.widgets.SweepPanel(bl.neurons.LIF(1), x=('I_ext', [200., 300., 400., 500.]),
                                      y=('tau', [5., 10., 20.]), duration=100.)
        print('DEVICES', panel.devices, 'VALUES', panel.values.tolist())
        """
    )
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    devices, values = out.stdout.split("DEVICES", 1)[1].split("VALUES")
    assert int(devices) == 4
    single = bl.sweep(bl.neurons.LIF(1), bl.param_grid(tau=[5.0, 10.0, 20.0], I_ext=[200.0, 300.0, 400.0, 500.0]),
                      100.0).rates()
    np.testing.assert_array_equal(np.array(eval(values)).ravel(), single)


def noisy_lif(sigma, tau):
    """20 LIF neurons driven by an OU current of mean 250 pA and standard deviation sigma (pA)."""
    lif = bl.neurons.LIF(20, tau=tau)
    return bl.Network(E=lif, noise=bl.inputs.OUNoise(lif, mean=250.0, sigma=sigma, tau=2.0, seed=1))


def test_independent_noise_map_its_code_and_a_clicked_point():
    from brainlab._sweep import sweep_member

    panel = SweepPanel(noisy_lif, x=("sigma", [50.0, 100.0]), y=("tau", [10.0, 20.0]), duration=100.0,
                       independent_noise=True)
    grid = bl.param_grid(tau=[10.0, 20.0], sigma=[50.0, 100.0])
    ref = bl.sweep(noisy_lif, grid, 100.0, independent_noise=True).rates().reshape(2, 2)
    common = bl.sweep(noisy_lif, grid, 100.0).rates().reshape(2, 2)
    assert np.array_equal(panel.values, ref) and not np.array_equal(ref, common)  # each set its own streams
    code = panel.code()
    assert "independent_noise=True" in code
    ns: dict = {}
    exec(code, ns)
    assert np.array_equal(ns["heatmap"], panel.values)
    res = panel.open_point(1, 1)  # sigma 100 pA, tau 20 ms: set 3 of the sweep, run alone with its own keys
    alone = bl.Runner(sweep_member(noisy_lif, {"sigma": 100.0, "tau": 20.0}, set_index=3), progress=False).run(100.0)
    assert np.array_equal(res.spikes.times, alone.spikes.times)
    assert res.spikes.rate(100.0) == pytest.approx(panel.values[1, 1], rel=0.05)
    with pytest.raises(TypeError, match="independent_noise must be True or False"):
        SweepPanel(noisy_lif, x=("sigma", [50.0]), y=("tau", [10.0]), independent_noise=1, run=False)
    panel.close()
