"""The Traub-Miles neuron (COBAHH benchmark) against independent truth: scipy integrations of the same equations
written out by hand (spike times, subthreshold relaxation), the hand-written vector field at random points, the
steady state of the gates, Brian2's spike times at the benchmark's step, and the spike-detection dead time."""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import brainlab as bl
import brainlab.engine as be
from brainlab import neurons as nr

DEFAULTS = dict(gNa=20000.0, gKd=6000.0, gL=10.0, ENa=50.0, EK=-90.0, EL=-60.0, VT=-63.0, C=200.0)


def rates(V, VT=-63.0):
    """The Traub-Miles rates (1/ms) as published (Traub & Miles 1991; Brette et al. 2007), in numpy."""
    u = V - VT
    return dict(
        am=0.32 * (13 - u) / (np.exp((13 - u) / 4) - 1), bm=0.28 * (u - 40) / (np.exp((u - 40) / 5) - 1),
        ah=0.128 * np.exp((17 - u) / 18), bh=4 / (1 + np.exp((40 - u) / 5)),
        an=0.032 * (15 - u) / (np.exp((15 - u) / 5) - 1), bn=0.5 * np.exp((10 - u) / 40),
    )


def rhs(p, I):
    def f(t, y):
        V, m, h, n = y
        r = rates(V, p["VT"])
        i_ion = p["gNa"] * m**3 * h * (V - p["ENa"]) + p["gKd"] * n**4 * (V - p["EK"]) + p["gL"] * (V - p["EL"])
        return [(I - i_ion) / p["C"], r["am"] * (1 - m) - r["bm"] * m, r["ah"] * (1 - h) - r["bh"] * h,
                r["an"] * (1 - n) - r["bn"] * n]

    return f


def steady(V, VT=-63.0):
    r = rates(V, VT)
    return [r["am"] / (r["am"] + r["bm"]), r["ah"] / (r["ah"] + r["bh"]), r["an"] / (r["an"] + r["bn"])]


def simulate(model, T, dt, record="V"):
    """Spike raster [steps, n] and a recorded variable [steps, n] of a standalone model."""
    def step(t):
        return model.update(t, dt), model.__dict__[record].value

    s, v = be.for_loop(step, be.arange(0.0, T, dt))
    return np.asarray(s), np.asarray(v)


def crossing(t, y):
    return y[0] + 20.0


crossing.direction = 1


def test_spike_times_match_a_scipy_reference():
    # 0 pA: the default cell fires on its own (~13 Hz); 200 pA: ~43 Hz.  Reference: DOP853 at rtol 1e-10 of the
    # published rate functions, spikes = upward crossings of -20 mV; brainlab dates a crossing at its step's end.
    currents = np.array([0.0, 200.0])
    tm = nr.TraubMiles(2, I_ext=currents, method="rk4")
    dt, T = 0.01, 160.0
    raster, _ = simulate(tm, T, dt)
    y0 = [-60.0, *steady(-60.0)]
    for k, I in enumerate(currents):
        ref = solve_ivp(rhs(DEFAULTS, I), (0.0, T), y0, method="DOP853", rtol=1e-10, atol=1e-12,
                        events=crossing).t_events[0]
        got = (np.nonzero(raster[:, k])[0] + 1) * dt
        assert len(got) == len(ref) >= 3, (I, got, ref)
        assert np.all(got - ref > -0.02) and np.all(got - ref < dt + 0.02), (I, got - ref)


def test_subthreshold_relaxation_matches_scipy_in_float64():
    # a hyperpolarising current: no spike, V and the gates relax to a new rest; rk4 at 0.01 ms is near-exact
    with be.precision("float64"):
        tm = nr.TraubMiles(1, I_ext=-150.0, method="rk4")
        raster, V = simulate(tm, 50.0, 0.01)
    assert raster.sum() == 0
    ts = np.arange(1, V.shape[0] + 1) * 0.01
    sol = solve_ivp(rhs(DEFAULTS, -150.0), (0.0, 50.0), [-60.0, *steady(-60.0)], method="DOP853", rtol=1e-11,
                    atol=1e-12, t_eval=ts)
    np.testing.assert_allclose(V[:, 0], sol.y[0], atol=1e-6)
    assert V[-1, 0] < -70.0                                   # -150 pA through ~10 nS: about -15 mV


def test_vector_field_matches_the_published_formulas_at_random_points():
    rng = np.random.default_rng(7)
    model = nr.TraubMiles(1)
    for trial in range(3):
        params = {k: v * rng.uniform(0.8, 1.2) if v != 0 else 0.0 for k, v in model.param_values().items()}
        params["V_th"], params["t_ref"] = -20.0, 0.0
        n = 200
        state = {"V": rng.uniform(-100.0, 50.0, n), "m": rng.uniform(0, 1, n), "h": rng.uniform(0, 1, n),
                 "n": rng.uniform(0, 1, n)}
        I = rng.uniform(-500.0, 500.0, n)
        with jax.enable_x64(True):
            got = model.vector_field({k: jnp.asarray(v) for k, v in state.items()}, params, jnp.asarray(I))
            got = {k: np.asarray(v) for k, v in got.items()}
        p = dict(params, I_ext=params["I_ext"])
        want = rhs(p, p["I_ext"] + I)(0.0, [state[k] for k in ("V", "m", "h", "n")])
        for k, w in zip(("V", "m", "h", "n"), want):
            np.testing.assert_allclose(got[k], w, rtol=1e-9, atol=1e-10, err_msg=k)


def test_rates_are_finite_and_continuous_at_their_removable_singularities():
    # alpha_m is 0/0 at V = VT + 13, beta_m at VT + 40, alpha_n at VT + 15 (mV)
    with jax.enable_x64(True):
        tm = nr.TraubMiles(1)
        params = tm.param_values()
        for V0, var in ((-50.0, "m"), (-23.0, "m"), (-48.0, "n")):
            V = jnp.asarray([V0 - 1e-6, V0, V0 + 1e-6])
            f = tm.vector_field({"V": V, "m": jnp.full(3, 0.3), "h": jnp.full(3, 0.5), "n": jnp.full(3, 0.4)}, params)
            vals = np.asarray(f[var])
            assert np.all(np.isfinite(vals)) and np.ptp(vals) < 1e-5, (V0, vals)
            g = jax.grad(lambda v: tm.vector_field({"V": v, "m": 0.3, "h": 0.5, "n": 0.4}, params)[var])(
                jnp.asarray(V0))
            assert np.isfinite(float(g))


def test_initial_state_is_the_steady_state_at_EL():
    tm = nr.TraubMiles(1)
    init = tm.initial_state()
    np.testing.assert_allclose([init[k] for k in "mhn"], steady(-60.0), rtol=1e-5)
    declared = {v.name: v.init for v in nr.TraubMiles.VARIABLES}
    np.testing.assert_allclose([declared[k] for k in "mhn"], steady(-60.0), rtol=1e-4)
    shifted = nr.TraubMiles(2, EL=np.array([-70.0, -65.0]), VT=-60.0)
    np.testing.assert_allclose(np.asarray(shifted.V.value), [-70.0, -65.0])
    np.testing.assert_allclose(np.asarray(shifted.h.value), [steady(-70.0, -60.0)[1], steady(-65.0, -60.0)[1]],
                               rtol=1e-5)


def test_benchmark_step_reproduces_brian2_spike_times():
    # Brian2 2.9.0 (numpy target, 2026-11-26): the equations of Brian2's examples/COBAHH.py without synapses,
    # three cells with I = 0, 200, 1000 pA, method='exponential_euler', dt = 0.1 ms, V0 = -60 mV, gates at their
    # steady state, threshold 'v > -20*mV', refractory 3 ms, 300 ms.  Brian2 dates a spike at the start of the step
    # whose update crossed the threshold, brainlab at its end: brainlab = Brian2 + 0.1 ms.
    brian2 = {
        0.0: [11.6, 86.3, 161.1, 235.8],
        200.0: [4.4, 27.8, 51.1, 74.4, 97.8, 121.1, 144.4, 167.8, 191.1, 214.5, 237.8, 261.1],
        1000.0: [1.9, 10.3, 18.7, 27.0, 35.4, 43.8, 52.2, 60.5, 68.9, 77.3, 85.7, 94.0],
    }
    currents = np.array(list(brian2))
    tm = nr.TraubMiles(3, I_ext=currents)                      # default method: exp_euler
    raster, _ = simulate(tm, 300.0, 0.1)
    for k, I in enumerate(currents):
        got = (np.nonzero(raster[:, k])[0] + 1) * 0.1
        want = np.array(brian2[I]) + 0.1
        got = got[: len(want)]
        assert len(got) == len(want), (I, got)
        np.testing.assert_allclose(got, want, atol=0.1 + 1e-6, err_msg=f"I = {I} pA")


def test_dead_time_drops_crossings_closer_than_t_ref():
    # at 1000 pA the cell crosses -20 mV every ~8.4 ms; with t_ref = 10 ms every other crossing is dropped
    free = nr.TraubMiles(1, I_ext=1000.0)
    dead = nr.TraubMiles(1, I_ext=1000.0, t_ref=10.0)
    r_free, V_free = simulate(free, 100.0, 0.1)
    r_dead, V_dead = simulate(dead, 100.0, 0.1)
    np.testing.assert_array_equal(V_free, V_dead)              # the dead time changes detection, not dynamics
    t_free = np.nonzero(r_free[:, 0])[0]
    np.testing.assert_array_equal(np.nonzero(r_dead[:, 0])[0], t_free[::2])
    isi = np.diff(t_free) * 0.1
    assert 8.0 < isi.mean() < 9.0


def test_catalog_entry_and_documentation():
    entry = next(e for e in bl.catalog("neuron") if e["name"] == "TraubMiles")
    assert entry["module"] == "brainlab.neurons" and entry["method"] == "exp_euler" and entry["spiking"]
    units = {p["name"]: p["unit"] for p in entry["parameters"]}
    assert units["C"] == "pF" and units["gNa"] == "nS" and units["I_ext"] == "pA" and units["VT"] == "mV"
    assert "Brette" in entry["reference"] and "Traub" in entry["reference"]
    with pytest.raises(ValueError, match="'gKd' = -1 nS is outside its admissible range"):
        nr.TraubMiles(1, gKd=-1.0)
    from brainlab.neurons import _traub_miles

    assert sum(len(t.examples) for t in doctest.DocTestFinder().find(_traub_miles)) > 0  # they run under --doctest-modules (pyproject.toml)
