"""NeuronExplorer: what it draws equals a direct Runner run, its F-I curve equals independent truth, slider moves
never recompile, bursts coalesce, errors stay in the status line, and its code reproduces its trace."""

import asyncio

import numpy as np
import pytest

import brainlab as bl
from brainlab.widgets import NeuronExplorer
from brainlab.widgets._explorer_inputs import decimate, steady_rates


def _direct(cls, params, current, duration, dt, monitors=("V",)):
    """The same model and input, run by hand."""
    cell = cls(1, **params)
    runner = bl.Runner(cell, monitors={m: f"{cls.__name__}.{m}" for m in monitors}, dt=dt, progress=False)
    return runner.run(duration, inputs={cell: current})


def _check_source(ex, var, full_t, full_y):
    """Every point drawn is a sample of the full trace, at its time."""
    src = ex.sources[var].data
    idx = np.searchsorted(full_t, src["t"])
    assert np.array_equal(full_t[idx], src["t"])
    assert np.array_equal(full_y[idx], src["y"])
    assert full_y.max() in src["y"] and full_y.min() in src["y"]  # peaks survive decimation


@pytest.fixture(scope="module")
def hh():
    ex = NeuronExplorer(bl.neurons.HH, duration=50.0)
    ex.widget  # built, as in a notebook: changes go through the embedded bokeh view too
    yield ex
    ex.close()


def test_sources_equal_a_direct_runner_run_with_the_same_settings(hh):
    hh.controls["gNa"].value = 100.0
    hh.controls["amplitude"].value = 15.0
    hh.controls["show"].value = ("m", "h")
    res = _direct(bl.neurons.HH, {"gNa": 100.0}, bl.inputs.constant(15.0, 50.0, 0.01), 50.0, 0.01,
                  monitors=("V", "m", "h"))
    assert np.array_equal(hh.result["V"], res["V"]) and np.array_equal(hh.result.ts, res.ts)
    for var in ("V", "m", "h"):
        _check_source(hh, var, res.ts, res[var][:, 0])
    assert len(hh.sources["V"].data["t"]) <= hh.max_points + 2 < len(res.ts)
    assert hh.spike_count == len(res.spikes.times) > 1
    assert np.array_equal(hh.sources["spikes"].data["t"], res.spikes.times)
    assert f"<b>{hh.spike_count}</b> spikes in 50 ms" in hh.readout.value
    # a step input through the chooser
    hh.set(input="step", amplitude=12.0, baseline=1.0, onset=10.0, width=20.0)
    res = _direct(bl.neurons.HH, {"gNa": 100.0}, bl.inputs.step_pulses(12.0, [10.0], 20.0, 50.0, 0.01, baseline=1.0),
                  50.0, 0.01)
    _check_source(hh, "V", res.ts, res["V"][:, 0])
    assert np.array_equal(hh.input_current, bl.inputs.step_pulses(12.0, [10.0], 20.0, 50.0, 0.01, baseline=1.0))
    hh.reset()


def test_reset_restores_the_starting_parameters_and_input(hh):
    first = NeuronExplorer(bl.neurons.HH, duration=50.0)
    hh.set(gNa=90.0, gK=30.0, amplitude=3.0, input="ramp")
    hh.controls["reset"].click()
    assert hh.controls["gNa"].value == 120.0 and hh.controls["input"].value == "constant"
    assert np.array_equal(hh.result["V"], first.result["V"])
    first.close()


def test_slider_moves_rerun_without_recompiling(hh):
    hh.set(gNa=110.0)
    before = hh.compile_count
    assert before >= 1
    values = np.linspace(80.0, 160.0, 20)
    for k, v in enumerate(values):
        hh.controls["gNa"].value = float(v)
        hh.controls[("gK", "gL", "amplitude", "duration")[k % 4]].value = (30.0, 0.25, 9.0, 40.0 + k)[k % 4]
        hh.controls["input"].value = ("constant", "step", "ramp", "sinusoid")[k % 4]
    assert hh.compile_count == before
    assert hh.result["V"].shape[0] == round((40.0 + 19) / 0.01)  # the last duration, same program
    hh.reset()


def test_a_burst_of_100_slider_changes_runs_at_most_3_times_the_last_with_the_last_value():
    ex = NeuronExplorer(bl.neurons.HH, duration=30.0)
    runs0 = ex._job.runs
    slider = ex.controls["gNa"]

    async def burst():
        for k in range(100):
            slider.value = 60.0 + k
            if k % 10 == 0:
                await asyncio.sleep(0)  # the kernel's loop turns between comm messages
        await ex._job.settled()

    asyncio.run(burst())
    assert 1 <= ex._job.runs - runs0 <= 3
    res = _direct(bl.neurons.HH, {"gNa": 159.0}, bl.inputs.constant(10.0, 30.0, 0.01), 30.0, 0.01)
    assert np.array_equal(ex.result["V"], res["V"])
    ex.close()


def test_errors_go_to_the_status_line_and_the_last_good_plot_stays():
    ex = NeuronExplorer(bl.neurons.HH, duration=20.0, bounds={"amplitude": (-1e4, 1e4)})
    good = dict(ex.sources["V"].data)
    ex.set(gNa=-5.0)  # outside the declared range: the model's message
    assert "gNa" in ex.status_text and "outside its admissible range [0, 1000]" in ex.status_text
    assert ex.controls["gNa"].value == 120.0
    ex.set(amplitude=-1e4)  # the run goes NaN: the Runner's message
    assert "NonFiniteError" in ex.status_text and "became NaN or infinite" in ex.status_text
    assert ex.sources["V"].data["y"] is good["y"]
    ex.set(amplitude=10.0, input="step", onset=500.0)  # onset beyond the run
    assert "onset 500 ms must lie within the run" in ex.status_text
    ex.set(onset=5.0)
    assert ex.status_text.startswith("step input")  # recovered
    ex.close()


@pytest.mark.parametrize("kind", ["constant", "step", "ramp", "sinusoid", "noise"])
def test_copied_code_reproduces_the_trace(hh, kind):
    hh.set(input=kind, gK=30.0, amplitude=9.0, baseline=2.0, onset=5.0, width=30.0, frequency=40.0, sigma=3.0,
           tau_noise=2.0, seed=7, show=("n",))
    code = hh.code()
    assert "gK=30.0" in code and "gNa" not in code  # only what differs from the defaults
    ns = {}
    exec(compile(code, "<copied>", "exec"), ns)
    assert np.array_equal(ns["V"], hh.result["V"][:, 0]), kind
    assert np.array_equal(ns["res"]["n"], hh.result["n"])
    hh.controls["show_code"].value = True
    assert hh.code_view.value == code and hh.code_view.layout.display is None
    hh.controls["show_code"].value = False
    hh.reset()


def test_the_page_exports_the_drawn_trace_and_the_figures(hh, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hh.set(input="constant", amplitude=10.0)
    assert "copy_code" not in hh.controls  # its own code view (show_code) follows every change instead
    hh.controls["export_format"].value = ".npz"
    hh.controls["export_name"].value = "hh_view"
    hh.controls["export"].click()
    saved = dict(np.load(tmp_path / "hh_view.npz"))
    np.testing.assert_array_equal(saved["V/y"], hh.sources["V"].data["y"])  # what is drawn, as drawn
    np.testing.assert_array_equal(saved["V/t"], hh.sources["V"].data["t"])
    assert hh.status_text == "saved hh_view.npz"
    text = hh.export(tmp_path / "hh_view.html").read_text()
    assert "cdn.bokeh.org" not in text and str(hh.figures["trace"].id) in text
    hh.reset()


def test_noise_input_compiles_once_and_follows_its_seed(hh):
    hh.set(input="noise", seed=1)
    v1 = hh.result["V"].copy()
    n = hh.compile_count
    hh.set(seed=2)
    assert not np.array_equal(v1, hh.result["V"])
    hh.set(seed=1, sigma=hh.controls["sigma"].value)
    assert np.array_equal(v1, hh.result["V"]) and hh.compile_count == n
    hh.reset()


def test_lif_fi_curve_matches_the_analytic_rate():
    ex = NeuronExplorer(bl.neurons.LIF, dt=0.01, duration=400.0)
    ex.set(fi_from=100.0, fi_to=500.0, fi_points=9)
    fi = ex.fi_curve()
    I = np.linspace(100.0, 500.0, 9)
    assert np.array_equal(fi["I"], I)
    # f = 1 / (t_ref + tau ln(R I / (R I - (V_th - V_rest)))), with V_reset = V_rest (brainlab/neurons/_lif.py)
    R, tau, t_ref, gap = 0.1, 10.0, 2.0, 15.0
    above = R * I > gap
    period = t_ref + tau * np.log(R * I[above] / (R * I[above] - gap))
    assert np.all(fi["rate"][~above] == 0.0)
    # spikes fall on the step grid: each period is rounded up by less than a step or two (dt = 0.01 ms)
    assert np.all(np.abs(1000.0 / fi["rate"][above] - period) <= 0.02)
    assert ex.figures["fi"].visible
    ex.close()


def test_hh_fi_counts_equal_single_neuron_runs_and_show_the_type_II_jump():
    ex = NeuronExplorer(bl.neurons.HH, duration=100.0)
    ex.set(fi_from=0.0, fi_to=15.0, fi_points=16)
    before = ex.compile_count
    fi = ex.fi_curve()
    assert ex.compile_count == before + 1  # one program for the whole curve
    for I, count in zip(fi["I"][::3], fi["count"][::3]):
        res = _direct(bl.neurons.HH, {}, bl.inputs.constant(I, 100.0, 0.01), 100.0, 0.01)
        assert count == len(res.spikes.times), I
    rate = fi["rate"]
    # type II (Hodgkin 1948 class 2; Rinzel & Miller 1980): no firing below ~6 µA/cm², then a jump to ~50 Hz
    onset = int(np.argmax(rate > 0))
    assert 6.0 <= fi["I"][onset] <= 10.0 and rate[onset] > 40.0 and np.all(rate[:onset] == 0)
    ex.close()


def test_every_catalog_neuron_model_gets_a_working_explorer():
    for entry in bl.catalog("neuron"):
        cls = getattr(bl.neurons, entry["name"])
        ex = NeuronExplorer(cls, duration=100.0)
        assert not ex.errors, (entry["name"], ex.status_text)
        assert set(p["name"] for p in entry["parameters"]) <= set(ex.controls)
        if entry["spiking"]:
            assert ex.spike_count >= 1, f"{entry['name']}: the default input should make it fire"
        else:
            assert "rate model" in ex.readout.value
        ex.close()


def test_rate_model_steady_curve_matches_its_fixed_point():
    ex = NeuronExplorer(bl.neurons.ThresholdLinear, duration=200.0)
    ex.set(fi_from=-10.0, fi_to=30.0, fi_points=5)
    fi = ex.fi_curve()
    # tau dr/dt = -r + gain [I - theta]_+ relaxes to gain [I - theta]_+ (tau = 10 ms: e^-10 after 100 ms)
    assert np.allclose(fi["rate"], np.maximum(fi["I"], 0.0), rtol=1e-3, atol=1e-3)
    ex.close()


def test_an_instance_is_copied_and_params_and_bounds_choose_the_sliders():
    lif = bl.neurons.LIF(5, tau=20.0)
    ex = NeuronExplorer(lif, params=["tau", "V_th"], bounds={"tau": (5.0, 50.0), "amplitude": (0.0, 800.0)})
    assert {"tau", "V_th"} <= set(ex.controls) and "R" not in ex.controls
    assert (ex.controls["tau"].min, ex.controls["tau"].max) == (5.0, 50.0)
    assert ex.controls["amplitude"].max == 800.0 and "pA" in ex.controls["amplitude"].description
    ex.controls["tau"].value = 30.0
    assert float(lif.tau.value) == 20.0  # the user's model is untouched
    assert "tau=30.0" in ex.code()
    ex.set(V_th=-40.0)  # admissible, beyond the slider's bounds: the slider widens
    assert ex.controls["V_th"].value == -40.0
    ex.close()


def test_bad_arguments_are_refused_with_the_fix():
    with pytest.raises(TypeError, match="neuron class or instance"):
        NeuronExplorer("HH")
    with pytest.raises(KeyError, match="not parameters of HH"):
        NeuronExplorer(bl.neurons.HH, params=["gna"], run=False)
    with pytest.raises(KeyError, match="neither a parameter"):
        NeuronExplorer(bl.neurons.HH, bounds={"gna": (0, 1)}, run=False)
    with pytest.raises(ValueError, match="input must be one of"):
        NeuronExplorer(bl.neurons.HH, input="pulse", run=False)
    with pytest.raises(ValueError, match="differs between neurons"):
        NeuronExplorer(bl.neurons.LIF(3, tau=np.array([5.0, 10.0, 20.0])))


def test_helpers_decimate_and_steady_rates():
    y = np.zeros(10000)
    y[1234] = 5.0  # one spike peak between buckets
    idx = decimate(y, 100)
    assert 1234 in idx and idx[0] == 0 and idx[-1] == 9999 and len(idx) <= 102
    rates = steady_rates(np.array([10.0, 120.0, 140.0, 160.0, 150.0]), np.array([0, 0, 0, 0, 1]), 3, 200.0)
    assert rates.tolist() == [50.0, 0.0, 0.0]


def test_set_runs_before_returning_inside_a_running_loop_and_only_once():
    ex = NeuronExplorer(bl.neurons.HH, duration=20.0)

    async def in_a_kernel():
        runs = ex._job.runs
        ex.set(gNa=80.0, amplitude=12.0)  # a notebook cell: the loop is running
        assert ex._job.runs == runs + 1
        first = ex.result["V"].copy()
        await ex._job.settled()
        return ex._job.runs - runs, first

    n, first = asyncio.run(in_a_kernel())
    assert n == 1
    res = _direct(bl.neurons.HH, {"gNa": 80.0}, bl.inputs.constant(12.0, 20.0, 0.01), 20.0, 0.01)
    assert np.array_equal(first, res["V"])
    ex.close()


def test_construction_inside_a_running_loop_has_the_first_result_at_once():
    async def in_a_kernel():
        ex = NeuronExplorer(bl.neurons.HH, duration=20.0)
        count = ex.spike_count
        await asyncio.sleep(0.05)
        return ex, count

    ex, count = asyncio.run(in_a_kernel())
    assert count == ex.spike_count > 0 and ex._job.runs == 1
    ex.close()


def test_a_model_of_your_own_gets_a_scanned_default_input_and_code_that_runs():
    from brainlab._model import Parameter, Variable
    from brainlab.neurons import AbstractNeuron
    from brainlab.neurons._base import reset_fire
    from brainlab.widgets._explorer_inputs import model_defaults

    class Leaky(AbstractNeuron, register=False):
        """A leaky integrator with a threshold (unit resistance: the input is in mV)."""

        PARAMETERS = (Parameter("V_rest", -65.0, "mV"), Parameter("V_reset", -65.0, "mV"),
                      Parameter("V_th", -50.0, "mV"), Parameter("tau", 10.0, "ms", (0.1, 100.0)),
                      Parameter("t_ref", 0.0, "ms", (0.0, 10.0)), Parameter("I_ext", 0.0, "mV"))
        VARIABLES = (Variable("V", -65.0, "mV"),)
        EQUATIONS = r"\tau \dot V = -(V - V_\text{rest}) + I"
        REFERENCE = "a test model"
        SPIKING = True

        def initial_values(self, params):
            return {"V": params["V_rest"]}

        def vector_field(self, state, params, I=0.0):  # noqa: E741
            return {"V": (-(state["V"] - params["V_rest"]) + params["I_ext"] + I) / params["tau"]}

        def _fire(self, x, x_new, params, t, dt):
            V, s, _ = reset_fire(self, x_new["V"], params, t, dt, threshold="V_th")
            return {"V": V}, s

    # rheobase 15 mV: the scan's first current with sustained firing is just above, doubled and rounded
    amplitude, duration = model_defaults(Leaky)
    assert amplitude in (30.0, 40.0) and duration == 200.0
    ex = NeuronExplorer(Leaky, duration=100.0)
    assert ex.spike_count > 0
    ex.set(tau=20.0)
    code = ex.code()
    assert "class of your own" in code and "Leaky(1, tau=20.0)" in code
    ns = {"Leaky": Leaky}
    exec(code, ns)
    assert np.array_equal(ns["V"], ex.result["V"][:, 0])
    ex.close()


def test_every_slider_of_every_catalog_explorer_has_min_max_and_value_on_its_step_grid():
    """Shown, a slider snaps an off-grid value and sends it back (an explorer at 100 ms re-ran at 101 ms)."""
    import ipywidgets as W

    from test_widgets_base import assert_on_grid

    for entry in bl.catalog("neuron"):
        ex = NeuronExplorer(getattr(bl.neurons, entry["name"]), run=False)
        for name, c in ex.controls.items():
            if isinstance(c, (W.FloatSlider, W.FloatLogSlider, W.IntSlider)):
                assert_on_grid(c, f"{entry['name']}: {name}")
        ex.close()
    ex = NeuronExplorer(bl.neurons.LIF, duration=100.0, run=False)
    assert ex.controls["duration"].value == 100.0
    ex.set(duration=123.4, tau=17.0)  # set() keeps the sliders on their grids too
    for name in ("duration", "tau"):
        assert_on_grid(ex.controls[name], name)
    assert (ex.controls["duration"].value, ex.controls["tau"].value) == (123.4, 17.0)
    ex.close()
