"""Runner: chunked compiled runs, continuation, inputs, monitors, NaN stops, interrupts, saving."""

import math
import signal

import jax.numpy as jnp
import numpy as np
import pytest

import brainlab as bl
import brainlab.engine as be
from brainlab._network import Network
from brainlab._results import RunResult
from brainlab._runner import NonFiniteError, Runner


def lif_rate(I, R=0.1, tau=10.0, V_rest=-65.0, V_reset=-65.0, V_th=-50.0, t_ref=2.0):
    """Analytic LIF rate (Hz) for constant current I (pA): T = t_ref + tau ln((RI + V_rest - V_reset)/(RI + V_rest - V_th))."""
    drive = R * I
    if drive <= V_th - V_rest:
        return 0.0
    T = t_ref + tau * math.log((drive + V_rest - V_reset) / (drive + V_rest - V_th))
    return 1000.0 / T


def test_lif_rate_matches_analytic_formula():
    currents = np.array([160.0, 200.0, 300.0, 500.0])
    lif = bl.neurons.LIF(len(currents))
    runner = Runner(lif, dt=0.01, progress=False)
    res = runner.run(1000.0, inputs={lif: currents})
    counts = np.bincount(res.spikes.indices, minlength=len(currents))
    expected = np.array([lif_rate(I) for I in currents])
    # rates are counts over 1 s; the discretisation error is about one step per interval
    for c, e in zip(counts, expected):
        period = 1000.0 / e
        assert abs(c - e) <= 1 + e * 0.01 / period * 2, (counts, expected)


def test_continuation_equals_one_long_run_and_chunking_is_invisible():
    def make():
        be.random.seed(3)
        lif = bl.neurons.LIF(50)
        return lif

    drive = np.linspace(150.0, 400.0, 50)
    lif = make()
    r = Runner(lif, monitors={"V": "LIF.V"}, progress=False, chunk_ms=7.3)
    a = r.run(30.0, inputs={lif: drive})
    b = r.run(20.0, inputs={lif: drive})
    assert r.t == pytest.approx(50.0)
    np.testing.assert_allclose(b.ts[0], 30.1)

    lif2 = make()
    r2 = Runner(lif2, monitors={"V": "LIF.V"}, progress=False, chunk_ms=50.0)
    c = r2.run(50.0, inputs={lif2: drive})
    np.testing.assert_array_equal(np.concatenate([a["V"], b["V"]]), c["V"])
    np.testing.assert_array_equal(np.concatenate([a.spikes.times, b.spikes.times]), c.spikes.times)
    np.testing.assert_array_equal(np.concatenate([a.spikes.indices, b.spikes.indices]), c.spikes.indices)


def test_input_forms_time_series_function_and_monitor_selection():
    lif = bl.neurons.LIF(4)
    r = Runner(lif, monitors={"V01": ("LIF.V", [0, 1]), "mean": lambda: lif.V.value.mean()}, progress=False)
    n = 100
    series = np.zeros(n)
    series[50:] = 1000.0
    res = r.run(10.0, inputs={"LIF": series})
    assert res["V01"].shape == (n, 2) and res["mean"].shape == (n,)
    assert np.all(res["V01"][:50] == res["V01"][0])  # no drive, stays at rest
    assert res["V01"][60, 0] > res["V01"][0, 0]
    r.reset()
    res2 = r.run(10.0, inputs={lif: lambda t: jnp.where(t >= 5.0, 1000.0, 0.0)})
    np.testing.assert_allclose(res2["V01"], res["V01"], atol=1e-5)


def test_nan_stops_with_variable_population_time_and_keeps_data():
    lif = bl.neurons.LIF(3)
    r = Runner(lif, monitors={"V": "LIF.V"}, progress=False, chunk_ms=5.0)
    series = np.zeros(100, dtype=np.float32)
    series[73] = np.nan
    with pytest.raises(NonFiniteError, match=r"'V' of population 'LIF' became NaN or infinite at t = 7\.4 ms") as info:
        r.run(10.0, inputs={lif: series})
    res = info.value.result
    assert isinstance(res, RunResult) and len(res.ts) == 74
    assert np.isnan(res["V"][-1]).all() and np.isfinite(res["V"][:-1]).all()
    assert "non-finite" in res.stopped


def test_interrupt_keeps_data_and_runner_continues():
    lif = bl.neurons.LIF(2)
    r = Runner(lif, monitors={"V": "LIF.V"}, progress=False)
    calls = []

    def interrupt(chunk, runner):
        calls.append(runner.t)
        if len(calls) == 2:
            signal.raise_signal(signal.SIGINT)

    res = r.run(50.0, inputs={lif: 300.0}, every=10.0, callback=interrupt)
    assert res.stopped and "interrupted" in res.stopped
    assert len(res.ts) == 200 or len(res.ts) == 300  # the chunk in flight when the interrupt came completes
    t_stop = r.t
    more = r.run(10.0, inputs={lif: 300.0})
    assert more.ts[0] == pytest.approx(t_stop + 0.1)


def test_save_and_load_results_and_state(tmp_path):
    lif = bl.neurons.LIF(5)
    r = Runner(lif, monitors={"V": "LIF.V"}, progress=False)
    res = r.run(20.0, inputs={lif: 400.0})
    path = res.save(tmp_path / "run.npz")
    back = RunResult.load(path)
    np.testing.assert_array_equal(back["V"], res["V"])
    np.testing.assert_array_equal(back.spikes.times, res.spikes.times)
    d = res.to_dict()
    assert "ts" in d and "data/V" in d

    state_file = r.save_state(tmp_path / "state.npz")
    after = r.run(5.0, inputs={lif: 400.0})
    r.load_state(state_file)
    assert r.t == pytest.approx(20.0)
    again = r.run(5.0, inputs={lif: 400.0})
    np.testing.assert_array_equal(after["V"], again["V"])


def test_parameter_change_between_runs_takes_effect_without_recompiling():
    lif = bl.neurons.LIF(1)
    r = Runner(lif, progress=False)
    a = r.run(200.0, inputs={lif: 300.0})
    fn = next(iter(r._compiled.values()))
    r.reset()
    lif.t_ref = 10.0
    b = r.run(200.0, inputs={lif: 300.0})
    assert len(b.spikes) < len(a.spikes)
    assert fn.trace_count == 1 and len(r._compiled) == 1


BAD_CALLS = [
    (lambda lif: Runner(lif, dt=0.0), ValueError, "dt must be a finite number > 0"),
    (lambda lif: Runner(lif, dt=-0.1), ValueError, "dt must be a finite number > 0"),
    (lambda lif: Runner(lif, dt="fast"), TypeError, "dt must be a number"),
    (lambda lif: Runner(lif, dt=float("nan")), ValueError, "dt must be a finite number"),
    (lambda lif: Runner(object()), TypeError, "net must be a bl.Network or a population"),
    (lambda lif: Runner(lif, monitors={"V": "LIF.Vm"}), KeyError, "Did you mean 'LIF.V'"),
    (lambda lif: Runner(lif, monitors={"V": 3}), TypeError, "must be a State path like 'E.V'"),
    (lambda lif: Runner(lif, monitors="LIF.V"), TypeError, "monitors must be a dict"),
    (lambda lif: Runner(lif, monitors={"V": ("LIF.V", [7])}), IndexError, r"indices must lie in \[0, 4\)"),
    (lambda lif: Runner(lif, monitors={"V": ("LIF.V", [0.5])}), TypeError, "indices must be integers"),
    (lambda lif: Runner(lif, chunk_ms=0), ValueError, "chunk_ms must be a finite number > 0"),
    (lambda lif: Runner(lif, progress=False).run(-1.0), ValueError, "duration must be a finite number > 0"),
    (lambda lif: Runner(lif, progress=False).run(0.01), ValueError, "shorter than one step"),
    (lambda lif: Runner(lif, progress=False).run(1.0, inputs={"E": 1.0}), KeyError, "population 'E'"),
    (lambda lif: Runner(lif, progress=False).run(1.0, inputs={bl.neurons.LIF(2): 1.0}), KeyError,
     "not a population of this network"),
    (lambda lif: Runner(lif, progress=False).run(1.0, inputs={lif: np.ones(3)}), ValueError,
     r"shape \(3,\), which fits neither"),
    (lambda lif: Runner(lif, progress=False).run(1.0, inputs={lif: np.ones((10, 3))}), ValueError,
     r"time series for 'LIF' has shape \(10, 3\)"),
    (lambda lif: Runner(lif, progress=False).run(1.0, inputs=[1.0]), TypeError, "inputs must be a dict"),
    (lambda lif: Runner(lif, progress=False).run(1.0, every=0), ValueError, "every must be a finite number > 0"),
    (lambda lif: Runner(lif, progress=False).run(1.0, callback=3), TypeError, "callback must be a function"),
    # float() takes '100' and True: the Runner's numbers refuse them like any other non-number
    (lambda lif: Runner(lif, progress=False).run("100"), TypeError, r"Runner.run: duration must be a number \(ms\), "
     r"got str '100'"),
    (lambda lif: Runner(lif, progress=False).run(True), TypeError, "Runner.run: duration must be a number"),
    (lambda lif: Runner(lif, progress=False).run(np.bool_(True)), TypeError, "duration must be a number"),
    (lambda lif: Runner(lif, progress=False).run(np.ones(2)), TypeError, "duration must be a number"),
    (lambda lif: Runner(lif, progress=False).run(1.0, every="0.5"), TypeError, "every must be a number"),
    (lambda lif: Runner(lif, progress=False).run(1.0, every=True), TypeError, "every must be a number"),
    (lambda lif: Runner(lif, dt="0.1"), TypeError, "Runner: dt must be a number"),
    (lambda lif: Runner(lif, dt=True), TypeError, "Runner: dt must be a number"),
    (lambda lif: Runner(lif, chunk_ms="5"), TypeError, "chunk_ms must be a number"),
    (lambda lif: Runner(lif, chunk_ms=False), TypeError, "chunk_ms must be a number"),
    (lambda lif: Runner(lif, progress="no"), TypeError, "Runner: progress must be True or False"),
    (lambda lif: Runner(lif, record_spikes=0), TypeError, "record_spikes must be True or False"),
    (lambda lif: Runner(lif, progress=False).run(1.0, progress="yes"), TypeError,
     "Runner.run: progress must be True, False or None"),
    (lambda lif: Runner(lif, progress=False).run(1.0, inputs={lif: np.ones((4, 1))}), ValueError,
     r"shape \(4, 1\), which fits neither"),
    (lambda lif: bl.neurons.LIF(-3), ValueError, "size"),
    (lambda lif: bl.neurons.LIF(4, taum=3.0), (TypeError, ValueError), "taum"),
    (lambda lif: bl.neurons.LIF(4, tau=-3.0), ValueError, "tau"),
    (lambda lif: Network(E=lif).add("E", lif), ValueError, "already has a child named 'E'"),
    (lambda lif: Network(E=3), TypeError, "expected a population"),
]


@pytest.mark.parametrize("call, error, message", BAD_CALLS, ids=[f"bad{i}" for i in range(len(BAD_CALLS))])
def test_bad_input_gives_a_clear_error(call, error, message):
    lif = bl.neurons.LIF(4)
    with pytest.raises(error, match=message):
        call(lif)


def test_numbers_of_every_numeric_kind_are_accepted_and_mean_the_same():
    """Ints, NumPy and JAX scalars and 0-d arrays are numbers; only their value matters."""
    lif = bl.neurons.LIF(2, I_ext=300.0)
    ref = Runner(lif, monitors={"V": "LIF.V"}, progress=False).run(10.0)["V"]
    for duration in (10, np.float32(10.0), np.int64(10), np.asarray(10.0), jnp.asarray(10.0)):
        lif = bl.neurons.LIF(2, I_ext=300.0)
        r = Runner(lif, monitors={"V": "LIF.V"}, dt=np.float64(0.1), chunk_ms=np.int32(3), progress=False)
        np.testing.assert_array_equal(r.run(duration, every=jnp.asarray(2.0))["V"], ref)
