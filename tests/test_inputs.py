"""Inputs: time-series arrays against closed forms, Poisson sources and summed Poisson input against their
Bernoulli/binomial laws, the Ornstein-Uhlenbeck current's stationary statistics, prescribed spike times, and
input errors."""

import math

import numpy as np
import pytest
from scipy import signal, stats

import brainlab as bl
import brainlab.engine as be
from brainlab._runner import Runner
from brainlab.inputs import OUNoise, PoissonInput, PoissonSpikes, SpikeTimes

# ---------------------------------------------------------------------------------------------------------------
# time series
# ---------------------------------------------------------------------------------------------------------------


def test_constant_and_section():
    np.testing.assert_array_equal(bl.inputs.constant(2.5, 1.0, 0.1), np.full(10, 2.5))
    per_neuron = bl.inputs.constant([1.0, 2.0], 0.3, 0.1)
    assert per_neuron.shape == (3, 2) and np.all(per_neuron[:, 1] == 2.0)
    s = bl.inputs.section([0.0, 5.0, -1.0], [10.0, 20.0, 5.0], dt=0.1)
    assert s.shape == (350,)
    np.testing.assert_array_equal(s[:100], 0.0)
    np.testing.assert_array_equal(s[100:300], 5.0)
    np.testing.assert_array_equal(s[300:], -1.0)
    # sections that are not whole steps keep the cumulative boundaries on the grid
    assert bl.inputs.section([1.0, 2.0], [0.16, 0.16], dt=0.1).tolist() == [1.0, 1.0, 2.0]


def test_ramp_sinusoid_square_and_pulses_against_closed_forms():
    dt = 0.1
    t = np.arange(1000) * dt
    r = bl.inputs.ramp(10.0, 30.0, 100.0, dt, t_start=20.0, t_end=70.0)
    inside = (t >= 20.0 - 1e-9) & (t < 70.0 - 1e-9)
    np.testing.assert_allclose(r, np.where(inside, 10.0 + 20.0 * (t - 20.0) / 50.0, 0.0), atol=1e-12)
    np.testing.assert_allclose(bl.inputs.ramp(0.0, 1.0, 100.0, dt), t / 100.0)

    s = bl.inputs.sinusoid(3.0, 40.0, 100.0, dt, bias=1.0, phase=0.3)
    np.testing.assert_allclose(s, 1.0 + 3.0 * np.sin(2 * np.pi * 40.0 * t / 1000.0 + 0.3), atol=1e-12)

    for duty in (0.5, 0.2):
        sq = bl.inputs.square(2.0, 25.0, 100.0, dt, duty=duty, bias=0.5)
        np.testing.assert_allclose(sq, 0.5 + 2.0 * signal.square(2 * np.pi * 25.0 * (t + 1e-9) / 1000.0, duty))

    p = bl.inputs.step_pulses([1.0, 2.0], [10.0, 50.0], 5.0, 100.0, dt, baseline=-1.0)
    ref = -1.0 + 1.0 * ((t >= 10.0 - 1e-9) & (t < 15.0 - 1e-9)) + 2.0 * ((t >= 50.0 - 1e-9) & (t < 55.0 - 1e-9))
    np.testing.assert_allclose(p, ref)
    assert (p == 0.0).sum() == 50 and (p == 1.0).sum() == 50


def test_time_series_drive_a_runner_with_the_same_step_count():
    lif = bl.neurons.LIF(2)
    I = bl.inputs.step_pulses(400.0, [5.0], 10.0, 30.0, 0.1)   # supra-threshold only during the pulse
    res = Runner(lif, dt=0.1, progress=False).run(30.0, inputs={lif: I})
    assert len(res.ts) == len(I) == bl.inputs.n_steps(30.0, 0.1)
    assert len(res.spikes.times) > 0 and res.spikes.times.min() > 5.0 and res.spikes.times.max() <= 15.0 + 0.1


def test_time_series_errors():
    with pytest.raises(ValueError, match="duration must be a finite number > 0"):
        bl.inputs.constant(1.0, -5.0, 0.1)
    with pytest.raises(ValueError, match="same, non-zero length"):
        bl.inputs.section([1.0, 2.0], [10.0], 0.1)
    with pytest.raises(ValueError, match="need t_start < t_end"):
        bl.inputs.ramp(0.0, 1.0, 10.0, 0.1, t_start=5.0, t_end=2.0)
    with pytest.raises(ValueError, match="duty must lie in"):
        bl.inputs.square(1.0, 10.0, 10.0, 0.1, duty=1.5)
    with pytest.raises(ValueError, match="one value per onset"):
        bl.inputs.step_pulses([1.0, 2.0, 3.0], [1.0, 2.0], 1.0, 10.0, 0.1)


# ---------------------------------------------------------------------------------------------------------------
# Poisson sources
# ---------------------------------------------------------------------------------------------------------------


def test_poisson_spikes_rate_and_independence():
    rates = np.array([5.0, 50.0, 200.0, 0.0])
    src = PoissonSpikes(4 * 250, rate_hz=np.repeat(rates, 250), seed=3)
    dt, n = 0.1, 5000
    spikes = np.asarray(be.for_loop(lambda t: src.update(t, dt), np.arange(n) * dt))
    counts = spikes.reshape(n, 4, 250).sum(axis=(0, 2))
    p = rates * dt / 1000.0
    trials = n * 250
    for c, pk in zip(counts, p):            # binomial counts within 5 standard deviations
        assert abs(c - trials * pk) <= 5 * math.sqrt(trials * pk * (1 - pk)) + 1e-9
    # two different sources are uncorrelated
    a, b = spikes[:, 250:500].sum(axis=1), spikes[:, 500:750].sum(axis=1)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(n)


def test_poisson_input_counts_follow_the_binomial_law():
    post = bl.neurons.LIF(2000)
    n_inputs, rate, w, dt = 200, 40.0, 0.3, 0.1
    pi = PoissonInput(post, n_inputs, rate, w, seed=5)
    cur = np.asarray(be.for_loop(lambda t: pi.update(t, dt), np.arange(50) * dt))   # Delta + CUBA: w k / dt
    k = np.rint(cur * dt / w).astype(int).ravel()
    np.testing.assert_allclose(cur * dt / w, np.rint(cur * dt / w), atol=1e-3)
    p = rate * dt / 1000.0
    mean, var = n_inputs * p, n_inputs * p * (1 - p)
    m = k.size
    assert abs(k.mean() - mean) < 5 * math.sqrt(var / m)
    assert abs(k.var() - var) < 5 * var * math.sqrt(2.0 / m)
    # the whole distribution: chi-square against Binomial(n, p), cells with expected count >= 5
    values = np.arange(0, 8)
    expected = stats.binom.pmf(values, n_inputs, p) * m
    expected = np.append(expected, m - expected.sum())
    observed = np.append(np.bincount(k, minlength=8)[:8], (k >= 8).sum())
    keep = expected >= 5
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(obs, exp).pvalue > 1e-3


def test_poisson_input_with_expon_coba_drives_the_conductance_in_the_mean():
    post = bl.neurons.LIF(300)
    n_inputs, rate, w, tau, dt = 100, 20.0, 0.5, 5.0, 0.1
    pi = PoissonInput(post, n_inputs, rate, w, synapse=bl.synapses.Expon(tau=tau), output=bl.outputs.COBA(E=0.0),
                      seed=1)

    def step(t):
        current = pi.update(t, dt)
        return current, pi.syn.g.value

    cur, g = (np.asarray(a)[300:] for a in be.for_loop(step, np.arange(1000) * dt))   # drop 6 tau
    # Campbell's theorem for shot noise: <g> = w n nu tau, Var g = w^2 n nu tau / 2 (nu in 1/ms)
    nu = rate / 1000.0
    assert g.mean() == pytest.approx(w * n_inputs * nu * tau, rel=0.02)
    assert g.var() == pytest.approx(w**2 * n_inputs * nu * tau / 2, rel=0.1)
    np.testing.assert_array_less(0.0, cur[g > 0])            # E = 0 mV above V: the drive depolarises


def test_ou_noise_stationary_moments_and_correlation_time():
    post = bl.neurons.LIF(2000)
    mean, sigma, tau, dt = 100.0, 25.0, 4.0, 0.1
    ou = OUNoise(post, mean=mean, sigma=sigma, tau=tau, seed=7)
    trace = np.asarray(be.for_loop(lambda t: ou.update(t, dt), np.arange(1200) * dt))[400:]   # drop 10 tau
    x = trace - mean
    n_eff = x.size * dt / (2 * tau)          # effective independent samples of a correlated series
    assert abs(trace.mean() - mean) < 5 * sigma / math.sqrt(n_eff)
    assert trace.var() == pytest.approx(sigma**2, rel=0.03)
    lags = np.array([5, 10, 20, 40])
    acf = np.array([np.mean(x[:-k] * x[k:]) for k in lags]) / x.var()
    np.testing.assert_allclose(acf, np.exp(-lags * dt / tau), atol=0.02)
    tau_fit = -np.polyfit(lags * dt, np.log(acf), 1)[0] ** -1
    assert tau_fit == pytest.approx(tau, rel=0.05)


def test_ou_noise_in_a_network_and_reset():
    lif = bl.neurons.LIF(100)
    ou = OUNoise(lif, mean=150.0, sigma=30.0, tau=5.0, seed=0)
    res = Runner(bl.Network(E=lif, noise=ou), monitors={"I": "noise.I", "V": "E.V"}, dt=0.1,
                 progress=False).run(20.0)
    assert res["I"].shape == (200, 100) and np.std(res["V"][-1]) > 0.1   # neurons receive different noise
    ou.mean = 50.0
    ou.reset_state()
    np.testing.assert_allclose(ou.I.value, 50.0)


def test_spike_times_emit_at_the_given_times_and_feed_a_projection():
    src = SpikeTimes(3, times=[0.5, 1.0, 1.0, 2.3], indices=[0, 1, 2, 0])
    post = bl.neurons.LIF(1)
    proj = bl.Projection(src, post, bl.conn.AllToAll(), bl.synapses.Delta(), bl.outputs.CUBA(), weight=1.0)
    net = bl.Network(src=src, post=post, proj=proj)
    res = Runner(net, monitors={"I": lambda: proj.syn.g.value}, dt=0.1, progress=False).run(3.0)
    rec = res.spikes["src"]
    np.testing.assert_allclose(np.sort(rec.times), [0.5, 1.0, 1.0, 2.3], atol=1e-6)
    # a spike emitted by the step ending at t_k is delivered in the step starting at t_k
    pulses = res["I"][:, 0]
    np.testing.assert_allclose(np.nonzero(pulses)[0], [5, 10, 23])
    np.testing.assert_allclose(pulses[10], 2.0 / 0.1, rtol=1e-6)


def test_input_module_errors():
    lif = bl.neurons.LIF(10)
    with pytest.raises(ValueError, match="rate_hz = -5 Hz is outside its admissible range"):
        PoissonSpikes(10, rate_hz=-5.0)
    with pytest.raises(ValueError, match=r"rate_hz has shape \(3,\); pass a number or one value per neuron"):
        PoissonSpikes(10, rate_hz=np.ones(3))
    src = PoissonSpikes(10, rate_hz=20000.0, seed=0)
    with pytest.raises(ValueError, match="exceeds 1000"):
        src.update(0.0, 0.1)
    with pytest.raises(TypeError, match="cannot receive a current"):
        PoissonSpikes(10, 5.0).update(0.0, 0.1, np.ones(10))
    with pytest.raises(ValueError, match="n_inputs must be an int >= 0"):
        PoissonInput(lif, -3, 10.0, 1.0)
    with pytest.raises(TypeError, match="state lives per postsynaptic neuron"):
        PoissonInput(lif, 10, 10.0, 1.0, synapse=bl.synapses.AMPA())
    with pytest.raises(TypeError, match="post must be a population"):
        OUNoise(np.zeros(3))
    with pytest.raises(ValueError, match="sigma = -1 is outside its admissible range"):
        OUNoise(lif, sigma=-1.0)
    with pytest.raises(ValueError, match="times must be finite and > 0 ms"):
        SpikeTimes(2, times=[0.0, 1.0], indices=[0, 1])
    with pytest.raises(ValueError, match="indices is required"):
        SpikeTimes(2, times=[1.0])
    with pytest.raises(ValueError, match="spike times must be >= dt"):
        SpikeTimes(1, times=[0.01]).update(0.0, 0.1)
