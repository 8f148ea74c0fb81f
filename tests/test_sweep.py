"""Parameter sweeps: one compiled vmapped run equals separate runs; sharding over several devices."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import brainlab as bl
from brainlab._runner import Runner
from brainlab._sweep import param_grid, sweep, sweep_chunks, sweep_member


def separate_runs(taus, duration):
    out = []
    for tau in taus:
        lif = bl.neurons.LIF(3, tau=tau)
        out.append(Runner(lif, monitors={"V": "LIF.V"}, progress=False).run(duration, inputs={lif: 300.0}))
    return out


def test_sweep_equals_separate_runs():
    taus = [5.0, 10.0, 20.0]
    res = sweep(bl.neurons.LIF(3), {"tau": taus}, 100.0, inputs={"LIF": 300.0}, monitors={"V": "LIF.V"})
    ref = separate_runs(taus, 100.0)
    np.testing.assert_allclose(res.stack("V"), np.stack([r["V"] for r in ref]), atol=1e-5)
    np.testing.assert_allclose(res.rates(), [r.spikes.rate(100.0) for r in ref])
    assert res.rates()[0] > res.rates()[1] > res.rates()[2]  # faster membranes fire more


def test_sweep_with_build_function_and_grid():
    grid = param_grid(tau=[5.0, 20.0], t_ref=[1.0, 5.0])
    assert list(grid["tau"]) == [5.0, 5.0, 20.0, 20.0] and list(grid["t_ref"]) == [1.0, 5.0, 1.0, 5.0]
    res = sweep(lambda tau, t_ref: bl.neurons.LIF(1, tau=tau, t_ref=t_ref), grid, 100.0, inputs={"LIF": 400.0})
    rates = res.rates()
    assert rates[0] > rates[1] and rates[2] > rates[3] and rates[0] > rates[2]


def test_sweep_errors():
    with pytest.raises(ValueError, match="same number of values"):
        sweep(bl.neurons.LIF(1), {"tau": [1.0, 2.0], "t_ref": [1.0]}, 10.0)
    with pytest.raises(TypeError, match="non-empty dict"):
        sweep(bl.neurons.LIF(1), {}, 10.0)
    with pytest.raises(KeyError, match="no parameter 'taum'"):
        sweep(bl.neurons.LIF(1), {"taum": [1.0]}, 10.0)


def test_sweep_is_sharded_across_devices():
    code = textwrap.dedent(
        """
        import jax, numpy as np, brainlab as bl
        import brainlab._sweep
        from brainlab._sweep import sweep
        assert len(jax.devices()) == 4, jax.devices()
        res = sweep(bl.neurons.LIF(2), {'tau': [4., 8., 12., 16., 20., 24., 28., 32.]}, 50.,
                    inputs={'LIF': 300.}, monitors={'V': 'LIF.V'})
        assert res.devices == 4, res.devices  # the States stayed spread over the 4 devices
        run = bl._sweep.sweep_chunks(bl.neurons.LIF(2), {'tau': [4., 8., 12., 16., 20., 24., 28., 32.]}, 50.,
                                     every=20., inputs={'LIF': 300.})
        assert run.devices == 4 and len(list(run)) == 3 and run.result().devices == 4
        assert list(run.result().rates()) == list(res.rates())
        lif = bl.neurons.LIF(3)
        net = bl.Network(E=lif, noise=bl.inputs.OUNoise(lif, sigma=50., tau=2., seed=1))
        noisy = sweep(net, {'noise.tau': [2.] * 8}, 5., monitors={'I': 'noise.I'}, independent_noise=True)
        assert noisy.devices == 4
        print('RATES', list(res.rates()), 'NOISE', noisy.stack('I')[:, -1].tolist())
        """
    )
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    rates, noise = out.stdout.split("RATES", 1)[1].split("NOISE")
    single = sweep(bl.neurons.LIF(2), {"tau": [4.0, 8.0, 12.0, 16.0, 20.0, 24.0, 28.0, 32.0]}, 50.0,
                   inputs={"LIF": 300.0}).rates()
    np.testing.assert_allclose(eval(rates), single)
    lif = bl.neurons.LIF(3)  # the sharded sets drew the streams of the unsharded sweep
    net = bl.Network(E=lif, noise=bl.inputs.OUNoise(lif, sigma=50.0, tau=2.0, seed=1))
    one = sweep(net, {"noise.tau": [2.0] * 8}, 5.0, monitors={"I": "noise.I"}, independent_noise=True)
    np.testing.assert_allclose(eval(noise), one.stack("I")[:, -1], rtol=1e-5, atol=1e-4)
    assert len({tuple(row) for row in one.stack("I")[:, -1]}) == 8


# -- chunked sweeps ------------------------------------------------------------------------------------------


def test_chunks_equal_the_whole_sweep_bit_for_bit():
    params = {"tau": [5.0, 10.0, 20.0]}
    kw = dict(inputs={"LIF": 300.0}, monitors={"V": "LIF.V"})
    whole = sweep(bl.neurons.LIF(3), params, 100.0, **kw)
    run = sweep_chunks(bl.neurons.LIF(3), params, 100.0, every=30.0, **kw)
    assert (run.n_sets, run.n_steps, run.devices, run.done) == (3, 1000, 1, False)
    chunks, seen = [], []
    for chunk in run:  # 300 + 300 + 300 + 100 steps
        chunks.append(chunk)
        seen.append((run.steps_done, round(run.t, 6), run.fraction))
    assert seen == [(300, 30.0, 0.3), (600, 60.0, 0.6), (900, 90.0, 0.9), (1000, 100.0, 1.0)] and run.done
    for k in range(3):
        assert np.array_equal(np.concatenate([c[k]["V"] for c in chunks]), whole[k]["V"])
        assert np.array_equal(np.concatenate([c[k].spikes.times for c in chunks]), whole[k].spikes.times)
    res = run.result()
    assert np.array_equal(res.stack("V"), whole.stack("V")) and np.array_equal(res.rates(), whole.rates())
    assert all(r.stopped is None for r in res.runs)


def test_sweep_callback_sees_every_chunk():
    calls = []
    res = sweep(bl.neurons.LIF(1), {"tau": [5.0, 20.0]}, 100.0, inputs={"LIF": 300.0}, every=25.0,
                callback=lambda chunk, run: calls.append((len(chunk), len(chunk[0].ts), run.fraction)))
    assert calls == [(2, 250, 0.25), (2, 250, 0.5), (2, 250, 0.75), (2, 250, 1.0)]
    np.testing.assert_array_equal(res.rates(), sweep(bl.neurons.LIF(1), {"tau": [5.0, 20.0]}, 100.0,
                                                     inputs={"LIF": 300.0}).rates())


def test_stop_keeps_what_ran():
    run = sweep_chunks(bl.neurons.LIF(1), {"tau": [5.0, 20.0]}, 100.0, every=20.0, inputs={"LIF": 300.0})
    next(run)
    next(run)
    res = run.stop()
    assert run.done and res[0].duration == pytest.approx(40.0) and "stopped at t = 40 ms" in res[0].stopped
    assert run.run().runs[0].duration == pytest.approx(40.0)  # a stopped sweep does not go on
    whole = sweep(bl.neurons.LIF(1), {"tau": [5.0, 20.0]}, 40.0, inputs={"LIF": 300.0})
    assert [len(r.spikes) for r in res.runs] == [len(r.spikes) for r in whole.runs]


def test_monitors_function_of_the_stacked_network():
    res = sweep(bl.neurons.LIF(4), {"tau": [5.0, 20.0]}, 50.0, inputs={"LIF": 300.0},
                monitors=lambda net: {"V": "LIF.V", "Vmean": lambda s=net.states()["LIF.V"]: s.value.mean()})
    for r in res.runs:  # one mean per set and step, from inside the vmapped step
        assert r["Vmean"].shape == (500,)
        np.testing.assert_allclose(r["Vmean"], r["V"].mean(axis=1), rtol=1e-6)


def test_sweep_member_is_one_set_of_the_sweep():
    lif = bl.neurons.LIF(2)
    m = sweep_member(lif, {"tau": 20.0})
    assert float(m.tau.value) == 20.0 and float(lif.tau.value) == 10.0
    direct = Runner(m, monitors={"V": "LIF.V"}, progress=False).run(50.0, inputs={m: 300.0})
    res = sweep(lif, {"tau": [5.0, 20.0]}, 50.0, inputs={"LIF": 300.0}, monitors={"V": "LIF.V"})
    np.testing.assert_allclose(res[1]["V"], direct["V"], atol=1e-5)


def test_chunk_and_noise_errors():
    with pytest.raises(ValueError, match="every must be a finite number > 0"):
        sweep(bl.neurons.LIF(1), {"tau": [1.0]}, 10.0, every=0.0)
    with pytest.raises(TypeError, match="independent_noise must be True or False"):
        sweep(bl.neurons.LIF(1), {"tau": [1.0]}, 10.0, independent_noise="yes")
    with pytest.raises(TypeError, match="callback must be a function"):
        sweep(bl.neurons.LIF(1), {"tau": [1.0]}, 10.0, callback=3)
    with pytest.raises(ValueError, match="set_index must be a whole number >= 0"):
        sweep_member(bl.neurons.LIF(1), {"tau": 1.0}, set_index=-1)
    with pytest.raises(TypeError, match="model must be a population, a Network or a build function"):
        sweep_member(3, {"tau": 1.0})


# -- noise: common random numbers by default, independent streams on request ----------------------------------

SIGMA, TAU_OU = 50.0, 2.0  # pA, ms: the OU current's stationary standard deviation and correlation time


def ou_net():
    lif = bl.neurons.LIF(20)
    return bl.Network(E=lif, noise=bl.inputs.OUNoise(lif, mean=0.0, sigma=SIGMA, tau=TAU_OU, seed=1))


def final_currents(independent, n_sets=100):
    """The OU current of 20 neurons at t = 20 ms (10 correlation times: stationary), in n_sets sets of equal
    parameters: ``[n_sets, 20]`` (pA)."""
    res = sweep(ou_net(), {"noise.tau": [TAU_OU] * n_sets}, 20.0, monitors={"I": "noise.I"},
                independent_noise=independent)
    return res.stack("I")[:, -1, :]


def chi2_bounds(dof, p=1e-4):
    """Where a sample variance over its true value lies with probability 1 - p: chi2(dof) / dof quantiles."""
    from scipy.stats import chi2

    return chi2.ppf(p / 2, dof) / dof, chi2.ppf(1 - p / 2, dof) / dof


def test_common_noise_equal_parameters_give_identical_runs():
    x = final_currents(False, n_sets=8)
    assert np.all(x == x[0]) and np.std(x[0]) > 0.5 * SIGMA  # noisy, yet the same numbers in every set
    res = sweep(bl.inputs.PoissonSpikes(30, rate_hz=50.0, seed=4), {"rate_hz": [50.0] * 4}, 100.0)
    assert all(np.array_equal(r.spikes.times, res[0].spikes.times) for r in res.runs) and len(res[0].spikes) > 50


def test_independent_noise_across_sets_matches_within_run_variance():
    x = final_currents(True)  # [sets, neurons]
    n_sets, n = x.shape
    across = np.mean(np.var(x, axis=0, ddof=1))  # spread of one neuron over the sets, pooled over neurons
    within = np.mean(np.var(x, axis=1, ddof=1))  # spread over the (independent) neurons of one run, pooled
    lo, hi = chi2_bounds(n * (n_sets - 1))
    assert lo < across / SIGMA**2 < hi  # the OU stationary variance sigma^2
    lo, hi = chi2_bounds(n_sets * (n - 1))
    assert lo < within / SIGMA**2 < hi
    # independence: the mean over the sets of each neuron has variance sigma^2 / n_sets (common noise: sigma^2)
    lo, hi = chi2_bounds(n - 1)
    assert lo < np.var(x.mean(axis=0), ddof=1) / (SIGMA**2 / n_sets) < hi
    assert np.array_equal(final_currents(True), x)  # reproducible: fixed by the model's seed


def test_independent_poisson_counts_have_binomial_spread():
    n_sets, n, rate, T, dt = 60, 40, 50.0, 200.0, 0.1
    res = sweep(bl.inputs.PoissonSpikes(n, rate_hz=rate, seed=4), {"rate_hz": [rate] * n_sets}, T, dt=dt,
                independent_noise=True)
    counts = np.stack([np.bincount(r.spikes.indices, minlength=n) for r in res.runs])  # [sets, sources]
    steps, p = round(T / dt), rate * dt / 1000.0
    var_true = steps * p * (1 - p)  # one Bernoulli(p) draw per step: binomial counts, mean 10, variance 9.9
    assert abs(counts.mean() - steps * p) < 4 * np.sqrt(var_true / counts.size)
    lo, hi = chi2_bounds(n * (n_sets - 1))
    assert lo < np.mean(np.var(counts, axis=0, ddof=1)) / var_true < hi
    lo, hi = chi2_bounds(n_sets * (n - 1))
    assert lo < np.mean(np.var(counts, axis=1, ddof=1)) / var_true < hi


def test_one_set_of_an_independent_sweep_runs_again_alone():
    res = sweep(ou_net(), {"noise.sigma": [20.0, 50.0, 50.0]}, 10.0, monitors={"I": "noise.I"},
                independent_noise=True)
    assert not np.allclose(res[1]["I"], res[2]["I"])
    for i in (0, 2):
        m = sweep_member(ou_net(), {"noise.sigma": float(res.params["noise.sigma"][i])}, set_index=i)
        alone = Runner(m, monitors={"I": "noise.I"}, progress=False, fuse=False).run(10.0)
        np.testing.assert_allclose(alone["I"], res[i]["I"], rtol=1e-5, atol=1e-4)
