"""Synapse models and outputs: single-event responses against closed forms, exact vs numerical integration,
receptor kinetics, the Jahr-Stevens magnesium block, Tsodyks-Markram steady states, declarations and errors."""

import json
import math

import jax
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import brainlab as bl
import brainlab.engine as be
from brainlab.synapses import AMPA, GABAa, NMDA, STD, STP, Alpha, Delta, DualExpon, Expon


def response(syn, n_steps, dt, events_at=(0,), amplitude=1.0):
    """Run a standalone synapse for n_steps (compiled loop); return (value delivered in each step, g after it)."""
    x = np.zeros(n_steps)
    x[list(events_at)] = amplitude
    t = np.arange(n_steps) * dt

    def step(t_i, x_i):
        out = syn.update(t_i, dt, x_i)
        return out[0], syn.g.value[0]

    delivered, after = be.for_loop(step, t, x)
    return np.asarray(delivered), np.asarray(after)


# ---------------------------------------------------------------------------------------------------------------
# linear kernels
# ---------------------------------------------------------------------------------------------------------------


def test_expon_single_event_is_the_exponential_kernel():
    dt, tau, w = 0.1, 5.0, 0.7
    out, after = response(Expon(1, tau=tau), 200, dt, amplitude=w)
    t = np.arange(200) * dt
    np.testing.assert_allclose(out, w * np.exp(-t / tau), rtol=1e-5)          # value delivered at t_n
    np.testing.assert_allclose(after, w * np.exp(-(t + dt) / tau), rtol=1e-5)  # state at the end of step n


def test_expon_superposition_of_two_events():
    dt, tau = 0.1, 3.0
    out, _ = response(Expon(1, tau=tau), 100, dt, events_at=(0, 30))
    t = np.arange(100) * dt
    ref = np.exp(-t / tau) + np.where(t >= 3.0 - 1e-9, np.exp(-(t - 3.0) / tau), 0.0)
    np.testing.assert_allclose(out, ref, rtol=1e-5)


def test_alpha_kernel_value_and_peak():
    dt, tau, w = 0.05, 2.0, 1.3
    out, _ = response(Alpha(1, tau=tau), 400, dt, amplitude=w)
    t = np.arange(400) * dt
    np.testing.assert_allclose(out, w * (t / tau) * np.exp(1 - t / tau), rtol=2e-5, atol=1e-7)
    k = int(np.argmax(out))
    assert t[k] == pytest.approx(tau)            # the peak time tau is on the grid
    assert out[k] == pytest.approx(w, rel=1e-5)  # and the peak value is the weight


def test_dual_exponential_kernel_peak_time_and_value_against_numerical_optimum():
    tr, td, w, dt = 0.5, 8.0, 2.0, 0.002
    kernel = lambda s: np.exp(-s / td) - np.exp(-s / tr)  # noqa: E731 - the unnormalised difference of exponentials
    opt = minimize_scalar(lambda s: -kernel(s), bounds=(0.0, 20.0), method="bounded", options={"xatol": 1e-10})
    t_peak, k_peak = opt.x, kernel(opt.x)
    n = int(6.0 / dt)
    out, _ = response(DualExpon(1, tau_rise=tr, tau_decay=td), n, dt, amplitude=w)
    t = np.arange(n) * dt
    np.testing.assert_allclose(out, w * kernel(t) / k_peak, rtol=1e-4, atol=1e-6)
    assert abs(t[np.argmax(out)] - t_peak) <= dt
    assert out.max() == pytest.approx(w, rel=1e-4)  # the sampled maximum, within dt of the peak
    assert float(bl.synapses.dual_exp_peak_time(tr, td)) == pytest.approx(t_peak, rel=1e-6)


def test_dual_exponential_with_close_time_constants_tends_to_alpha():
    dt = 0.1
    a, _ = response(Alpha(1, tau=2.0), 100, dt)
    # time constants 1e-6 apart: a naive evaluation in float32 would lose every digit to cancellation
    d, _ = response(DualExpon(1, tau_rise=2.0 * (1 - 1e-6), tau_decay=2.0 * (1 + 1e-6)), 100, dt)
    np.testing.assert_allclose(d, a, atol=2e-5)


def test_numerical_integrators_converge_to_the_exact_step_with_their_order():
    # Between events the models are linear ODEs, so rk4 must approach the exact solution with order 4.
    with jax.enable_x64(True):
        errors = []
        for dt in (0.4, 0.2, 0.1):
            n = int(round(8.0 / dt))
            exact, _ = response(DualExpon(1, tau_rise=1.0, tau_decay=4.0), n, dt)
            rk4, _ = response(DualExpon(1, tau_rise=1.0, tau_decay=4.0, method="rk4"), n, dt)
            errors.append(np.max(np.abs(rk4 - exact)))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 3.7), (errors, orders)


def test_delta_delivers_the_weight_as_a_one_step_pulse():
    dt = 0.2
    out, after = response(Delta(1), 5, dt, events_at=(2,), amplitude=3.0)
    np.testing.assert_allclose(out, [0, 0, 3.0 / dt, 0, 0], rtol=1e-6)
    assert out.sum() * dt == pytest.approx(3.0)   # the integral (charge) is the weight
    np.testing.assert_allclose(after, out)


def test_synapses_are_vectorised_over_units_with_per_unit_parameters():
    syn = Expon(3, tau=np.array([1.0, 2.0, 4.0]))
    syn.update(0.0, 0.5, np.array([1.0, 2.0, 0.0]))
    np.testing.assert_allclose(syn.g.value, [np.exp(-0.5), 2 * np.exp(-0.25), 0.0], rtol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# receptor kinetics
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [AMPA, GABAa, NMDA])
def test_transmitter_kinetics_single_spike_closed_form(cls):
    dt = 0.1
    syn = cls(1)
    p = syn.param_values()
    alpha, beta, T, T_dur = p["alpha"], p["beta"], p["T_max"], p["T_dur"]
    n = 400
    out, after = response(syn, n, dt)
    t_end = (np.arange(n) + 1) * dt
    rate = alpha * T + beta
    g_inf = alpha * T / rate
    during = g_inf * (1 - np.exp(-rate * np.minimum(t_end, T_dur)))
    ref = np.where(t_end <= T_dur + 1e-9, during, during * np.exp(-beta * (t_end - T_dur)))
    np.testing.assert_allclose(after, ref, rtol=2e-5, atol=1e-7)
    assert out[0] == 0.0    # channels open after the transmitter arrives, not before


def test_transmitter_kinetics_saturate_and_match_rk4():
    dt = 0.05
    spikes = set(range(0, 4000, 40))        # 500 Hz: the open fraction saturates below 1
    exact = AMPA(1)
    rk4 = AMPA(1, method="rk4")
    a, _ = response(exact, 4000, dt, events_at=spikes)
    b, _ = response(rk4, 4000, dt, events_at=spikes)
    np.testing.assert_allclose(a, b, atol=1e-4)
    assert a.max() < 1.1 * 1.0 / (1.1 + 0.19) and a.max() > 0.5


def test_mg_block_matches_jahr_stevens_formula():
    V = np.linspace(-100.0, 40.0, 57)
    for mg_conc in (0.0, 1.0, 1.2, 2.0):
        out = bl.outputs.MgBlock(E=0.0, cc_Mg=mg_conc)
        # Jahr & Stevens (1990) J Neurosci 10:3178, as used by Brunel & Wang (2001): 1 / (1 + [Mg] e^{-0.062 V} / 3.57)
        ref = 1.0 / (1.0 + mg_conc * np.exp(-0.062 * V) / 3.57)
        np.testing.assert_allclose(out.block(V), ref, rtol=1e-5)
        np.testing.assert_allclose(out.current(2.0, V), 2.0 * ref * (0.0 - V), rtol=1e-5, atol=1e-5)
    mg = bl.outputs.MgBlock()
    assert float(mg.block(-80.0)) < 0.03 and float(mg.block(0.0)) > 0.7   # blocked at rest, open when depolarised


def test_cuba_and_coba_outputs():
    assert float(bl.outputs.CUBA().current(3.0, -50.0)) == 3.0
    coba = bl.outputs.COBA(E=-80.0)
    assert float(coba.current(2.0, -60.0)) == pytest.approx(-40.0)
    coba.E = -70.0                      # assignment writes into the ParamState
    assert isinstance(coba.E, be.ParamState) and float(coba.current(2.0, -60.0)) == pytest.approx(-20.0)


# ---------------------------------------------------------------------------------------------------------------
# short-term plasticity
# ---------------------------------------------------------------------------------------------------------------


def regular_train_release(model, period, n_spikes, dt):
    """The efficacy of each spike of a regular train of the given period (ms)."""
    every = int(round(period / dt))
    spikes = np.arange(every * n_spikes) % every == 0
    rel = be.for_loop(lambda t_i, s_i: model.update(t_i, dt, s_i)[0], np.arange(spikes.size) * dt, spikes)
    return np.asarray(rel)[spikes]


@pytest.mark.parametrize("U,tau_f,tau_d,period", [(0.15, 750.0, 50.0, 20.0), (0.5, 20.0, 300.0, 10.0),
                                                  (0.05, 1000.0, 100.0, 50.0)])
def test_stp_steady_state_matches_tsodyks_markram(U, tau_f, tau_d, period):
    rel = regular_train_release(STP(1, U=U, tau_f=tau_f, tau_d=tau_d), period, 150, dt=0.5)
    assert rel[0] == pytest.approx(U, rel=1e-6)          # the first spike after rest releases U
    # Markram, Wang & Tsodyks (1998) PNAS 95:5323: steady-state u (after the jump) and x (before the spike)
    ef, ed = math.exp(-period / tau_f), math.exp(-period / tau_d)
    u_ss = U / (1 - (1 - U) * ef)
    x_ss = (1 - ed) / (1 - (1 - u_ss) * ed)
    assert rel[-1] == pytest.approx(u_ss * x_ss, rel=1e-4)
    assert bl.synapses.stp_steady_state(U, tau_f, tau_d, period) == pytest.approx((u_ss, x_ss), rel=1e-5)


def test_stp_first_spikes_follow_the_recursion():
    U, tau_f, tau_d, period = 0.2, 100.0, 200.0, 25.0
    rel = regular_train_release(STP(1, U=U, tau_f=tau_f, tau_d=tau_d), period, 5, dt=0.5)
    u, x, ref = 0.0, 1.0, []
    for _ in range(5):                   # spike: u += U(1-u); release u x; then relax over the interval
        u = u + U * (1 - u)
        ref.append(u * x)
        x -= u * x
        u *= math.exp(-period / tau_f)
        x = 1 - (1 - x) * math.exp(-period / tau_d)
    np.testing.assert_allclose(rel, ref, rtol=1e-5)


def test_std_steady_state():
    U, tau_d, period = 0.4, 500.0, 25.0
    rel = regular_train_release(STD(1, U=U, tau_d=tau_d), period, 200, dt=0.5)
    ed = math.exp(-period / tau_d)
    x_ss = (1 - ed) / (1 - (1 - U) * ed)
    assert rel[0] == pytest.approx(U) and rel[-1] == pytest.approx(U * x_ss, rel=1e-4)
    assert bl.synapses.std_steady_state(U, tau_d, period) == pytest.approx(x_ss, rel=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# declarations, compiled use, errors
# ---------------------------------------------------------------------------------------------------------------


def test_catalog_lists_every_synapse_as_strict_json():
    entries = {e["name"]: e for e in bl.catalog("synapse")}
    assert {"Delta", "Expon", "DualExpon", "Alpha", "AMPA", "GABAa", "NMDA", "STP", "STD"} <= set(entries)
    json.dumps(list(entries.values()), allow_nan=False)
    for e in entries.values():
        assert e["kind"] == "synapse" and e["method"] == "exact" and "\\" in e["equations"] and e["reference"]
    assert [p["name"] for p in entries["DualExpon"]["parameters"]] == ["tau_rise", "tau_decay"]


def test_unbound_synapse_binds_with_its_parameters():
    spec = Expon(tau=3.0)
    assert not spec.bound and "unbound" in repr(spec)
    syn = spec.bind((4,))
    assert syn.g.shape == (4,) and float(syn.tau.value) == 3.0
    assert "tau=3 ms" in syn.describe_short()


def test_synapse_update_compiles_once_and_params_change_without_retracing():
    syn = Expon(2, tau=5.0)
    step = be.jit(lambda x: syn.update(0.0, 0.1, x))
    step(be.ones(2))
    syn.tau = 1.0
    step(be.zeros(2))
    assert step.trace_count == 1
    np.testing.assert_allclose(syn.g.value, np.exp(-0.1 / 5.0) * np.exp(-0.1 / 1.0), rtol=1e-6)
    syn.reset()
    assert float(syn.g.value.sum()) == 0.0


def test_synapse_errors_name_the_problem():
    with pytest.raises(TypeError, match=r"Expon: unknown parameter 'taux' \(did you mean 'tau'"):
        Expon(taux=5.0)
    with pytest.raises(ValueError, match="parameter 'tau' = -1 ms is outside its admissible range"):
        Expon(tau=-1.0)
    with pytest.raises(ValueError, match="tau_rise must be shorter than tau_decay"):
        DualExpon(tau_rise=5.0, tau_decay=2.0)
    syn = DualExpon(1, tau_rise=1.0, tau_decay=3.0)
    with pytest.raises(ValueError, match="tau_rise must be shorter than tau_decay"):
        syn.tau_rise = 3.0
    assert float(syn.tau_rise.value) == 1.0                  # nothing was written
    with pytest.raises(RuntimeError, match="unbound"):
        Expon(tau=2.0).update(0.0, 0.1, 1.0)
    with pytest.raises(ValueError, match="has size"):
        Expon(3).bind((4,))
    with pytest.raises(ValueError, match="unknown method 'rk5'"):
        Expon(method="rk5")
    with pytest.raises(TypeError, match="COBA: unknown parameter"):
        bl.outputs.COBA(Erev=0.0)
    with pytest.raises(ValueError, match="cc_Mg"):
        bl.outputs.MgBlock(cc_Mg=-1.0)
