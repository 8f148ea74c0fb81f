"""The neuron library against independent truth: analytic rates, scipy references, published signatures,
hand-written vector fields."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

import brainlab.engine as be
from brainlab import neurons as nr


def simulate(model, T, dt, record=None, I=None):
    """Run ``model`` for T ms; return (spike raster [steps, n] or None, recorded variable [steps, n] or None)."""
    ts = be.arange(0.0, T, dt)

    def step(t):
        s = model.update(t, dt) if I is None else model.update(t, dt, I(t))
        return s, (model.__dict__[record].value if record else jnp.zeros(()))

    s, v = be.for_loop(step, ts)
    return (None if s is None else np.asarray(s).reshape(len(ts), -1)), np.asarray(v).reshape(len(ts), -1)


def spike_times(raster, dt, i=0):
    """Spike times (ms): a spike detected in the step [t, t + dt] is dated t + dt."""
    return (np.nonzero(raster[:, i])[0] + 1) * dt


# ---------------------------------------------------------------------------------------------------------------
# Integrate-and-fire models: periods against closed forms and quadrature
# ---------------------------------------------------------------------------------------------------------------


def test_lif_rate_matches_the_analytic_formula_and_refractory_clamp():
    # tau dV/dt = -(V - V_rest) + R I from V_reset reaches V_th after T_c = tau ln((RI + V_rest - V_reset) /
    # (RI + V_rest - V_th)); the period is t_ref + T_c.  exp_euler integrates the linear ODE exactly, so the
    # only error is the detection at the first step end after the crossing: 0 <= ISI - T < dt.
    currents = np.array([100.0, 160.0, 200.0, 300.0, 500.0])  # pA; R I = 10 mV is below the 15 mV rheobase
    dt, tau, R, t_ref = 0.1, 10.0, 0.1, 2.0
    lif = nr.LIF(len(currents), I_ext=currents)
    raster, V = simulate(lif, 500.0, dt, record="V")
    assert raster[:, 0].sum() == 0
    np.testing.assert_allclose(V[-1, 0], -65.0 + R * currents[0], atol=1e-3)  # rests at V_rest + R I
    for i, current in enumerate(currents[1:], 1):
        drive = R * current
        period = t_ref + tau * math.log(drive / (drive - 15.0))
        isi = np.diff(spike_times(raster, dt, i))
        assert len(isi) >= 10
        assert np.all(isi >= period - 1e-3) and np.all(isi < period + dt + 1e-3), (current, isi[:3], period)
        # V is held at V_reset for t_ref (20 steps) after each spike, then rises
        k = np.nonzero(raster[:, i])[0][1]
        np.testing.assert_array_equal(V[k: k + 21, i], -65.0)
        assert V[k + 21, i] > -65.0


def test_qif_period_matches_the_closed_form():
    # tau dV/dt = a0 (V - V_r)(V - V_c) + RI; with u = V - (V_r + V_c)/2, D = (V_c - V_r)/2, c = RI - a0 D^2 > 0:
    # T = tau / sqrt(a0 c) [atan(u sqrt(a0/c))] from u_reset to u_peak.
    dt, tau, a0, R = 0.01, 10.0, 0.07, 0.1
    currents = np.array([60.0, 100.0, 200.0])
    qif = nr.QIF(len(currents), I_ext=currents, method="rk4")
    raster, _ = simulate(qif, 300.0, dt)
    mid, half = (-65.0 - 50.0) / 2, 7.5
    for i, current in enumerate(currents):
        c = R * current - a0 * half**2
        k = math.sqrt(a0 / c)
        period = tau / math.sqrt(a0 * c) * (math.atan((30.0 - mid) * k) - math.atan((-68.0 - mid) * k))
        isi = np.diff(spike_times(raster, dt, i))
        assert len(isi) >= 2
        assert np.all(np.abs(isi - period) < dt + 2e-3), (current, isi, period)


def test_expif_period_matches_quadrature():
    # the period is t_ref + tau * integral_{V_reset}^{V_peak} dV / F(V), F the right-hand side times tau
    dt, tau, R = 0.01, 10.0, 0.1
    currents = np.array([90.0, 150.0, 300.0])
    model = nr.ExpIF(len(currents), I_ext=currents, method="rk4")
    raster, _ = simulate(model, 300.0, dt)
    for i, current in enumerate(currents):
        F = lambda V: -(V + 65.0) + 2.0 * math.exp((V + 55.0) / 2.0) + R * current  # noqa: E731
        period = 2.0 + tau * quad(lambda V: 1.0 / F(V), -68.0, 0.0, epsabs=1e-12, epsrel=1e-12, limit=200)[0]
        isi = np.diff(spike_times(raster, dt, i))
        assert len(isi) >= 2
        assert np.all(np.abs(isi - period) < dt + 2e-3), (current, isi, period)
    # rheobase: F has its minimum at V_T, so firing needs R I > V_T - V_rest - Delta_T = 8 mV (80 pA)
    below = nr.ExpIF(1, I_ext=78.0)
    assert simulate(below, 300.0, 0.1)[0].sum() == 0


def test_adex_spike_times_and_adaptation_match_a_scipy_reference():
    C, gL, EL, VT, DT, a, b, tw, I = 281.0, 30.0, -70.6, -50.4, 2.0, 4.0, 80.5, 144.0, 800.0

    def rhs(t, y):
        V, w = y
        return [(-gL * (V - EL) + gL * DT * math.exp((V - VT) / DT) - w + I) / C, (a * (V - EL) - w) / tw]

    def upswing(t, y):  # from -20 mV the divergence to V_peak = 20 mV takes ~1e-6 ms
        return y[0] + 20.0

    upswing.terminal, upswing.direction = True, 1
    t, y, ref = 0.0, [EL, 0.0], []
    while t < 200.0:
        sol = solve_ivp(rhs, (t, 200.0), y, method="LSODA", rtol=1e-10, atol=1e-10, events=upswing)
        if not sol.t_events[0].size:
            break
        t = float(sol.t_events[0][0])
        ref.append(t)
        y = [EL, float(sol.y_events[0][0][1]) + b]  # reset V, w += b
    dt = 0.01
    adex = nr.AdEx(1, I_ext=I, method="rk4")
    raster, _ = simulate(adex, 200.0, dt)
    got = spike_times(raster, dt)
    assert len(got) == len(ref) >= 4
    np.testing.assert_allclose(got, ref, atol=0.05)
    isi = np.diff(got)
    assert np.all(np.diff(isi) > 0)  # spike-frequency adaptation: every interval longer than the last


# ---------------------------------------------------------------------------------------------------------------
# Conductance-based models against high-accuracy scipy solutions of the same equations
# ---------------------------------------------------------------------------------------------------------------


def _hh_reference(I, T, y0=None):
    def rates(V):
        return (
            0.1 * (V + 40) / (1 - np.exp(-(V + 40) / 10)), 4 * np.exp(-(V + 65) / 18),
            0.07 * np.exp(-(V + 65) / 20), 1 / (1 + np.exp(-(V + 35) / 10)),
            0.01 * (V + 55) / (1 - np.exp(-(V + 55) / 10)), 0.125 * np.exp(-(V + 65) / 80),
        )

    def rhs(t, y):
        V, m, h, n = y
        am, bm, ah, bh, an, bn = rates(V)
        i_ion = 120 * m**3 * h * (V - 50) + 36 * n**4 * (V + 77) + 0.3 * (V + 54.387)
        return [I - i_ion, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]

    am, bm, ah, bh, an, bn = rates(-65.0)
    y0 = [-65.0, am / (am + bm), ah / (ah + bh), an / (an + bn)] if y0 is None else y0

    def crossing(t, y):
        return y[0]

    crossing.direction = 1
    return solve_ivp(rhs, (0.0, T), y0, method="DOP853", rtol=1e-10, atol=1e-12, events=crossing)


def test_hh_spike_times_match_a_scipy_reference():
    # Hodgkin & Huxley (1952), modern convention; reference: DOP853 at rtol 1e-10, spikes = upward 0 mV crossings
    ref = _hh_reference(10.0, 100.0).t_events[0]
    dt = 0.01
    hh = nr.HH(1, I_ext=10.0, method="rk4")
    got = spike_times(simulate(hh, 100.0, dt)[0], dt)
    assert len(got) == len(ref) == 7  # tonic firing near 68 Hz
    # detection dates a crossing at the end of its step: 0 <= got - ref < dt, up to integration error
    assert np.all(got - ref > -0.02) and np.all(got - ref < dt + 0.02), got - ref
    np.testing.assert_allclose(got, ref, atol=0.05)


def test_hh_rests_near_minus_65_mv():
    # the resting state: the root of the steady-state current (gates at their steady state), found by scipy
    from scipy.optimize import brentq

    def i_ss(V):
        am, bm = 0.1 * (V + 40) / (1 - np.exp(-(V + 40) / 10)), 4 * np.exp(-(V + 65) / 18)
        ah, bh = 0.07 * np.exp(-(V + 65) / 20), 1 / (1 + np.exp(-(V + 35) / 10))
        an, bn = 0.01 * (V + 55) / (1 - np.exp(-(V + 55) / 10)), 0.125 * np.exp(-(V + 65) / 80)
        m, h, n = am / (am + bm), ah / (ah + bh), an / (an + bn)
        return 120 * m**3 * h * (V - 50) + 36 * n**4 * (V + 77) + 0.3 * (V + 54.387)

    v_rest = brentq(i_ss, -70.0, -60.0, xtol=1e-12)
    assert abs(v_rest + 65.0) < 0.01
    hh = nr.HH(1)
    raster, V = simulate(hh, 50.0, 0.05, record="V")
    assert raster.sum() == 0
    assert abs(V[-1, 0] - v_rest) < 2e-3


def test_wang_buzsaki_spike_times_match_a_scipy_reference():
    I, phi = 1.0, 5.0

    def rhs(t, y):
        V, h, n = y
        am, bm = 0.1 * (V + 35) / (1 - np.exp(-(V + 35) / 10)), 4 * np.exp(-(V + 60) / 18)
        ah, bh = 0.07 * np.exp(-(V + 58) / 20), 1 / (1 + np.exp(-0.1 * (V + 28)))
        an, bn = 0.01 * (V + 34) / (1 - np.exp(-0.1 * (V + 34))), 0.125 * np.exp(-(V + 44) / 80)
        m = am / (am + bm)
        i_ion = 35 * m**3 * h * (V - 55) + 9 * n**4 * (V + 90) + 0.1 * (V + 65)
        return [I - i_ion, phi * (ah * (1 - h) - bh * h), phi * (an * (1 - n) - bn * n)]

    wb = nr.WangBuzsaki(1, I_ext=I, method="rk4")
    y0 = [wb.initial_state()[k] for k in ("V", "h", "n")]

    def crossing(t, y):
        return y[0] + 20.0

    crossing.direction = 1
    ref = solve_ivp(rhs, (0.0, 60.0), y0, method="DOP853", rtol=1e-10, atol=1e-12, events=crossing).t_events[0]
    dt = 0.01
    got = spike_times(simulate(wb, 60.0, dt)[0], dt)
    assert len(got) == len(ref) >= 3
    np.testing.assert_allclose(got, ref, atol=0.05)


def test_morris_lecar_type_I_and_type_II_onsets():
    # Rinzel & Ermentrout (1998): the type I set (saddle-node on invariant circle) starts firing at arbitrarily
    # low rates; the type II set (subcritical Hopf) jumps from rest to a finite rate (about 9-10 Hz).
    I1 = [40.2, 41.0, 43.0, 46.0, 50.0]
    I2 = [85.0, 88.0, 90.0, 95.0, 100.0]
    t1, t2 = nr.MorrisLecar.PRESETS["type_I"], nr.MorrisLecar.PRESETS["type_II"]
    per = {k: np.array([t1[k]] * len(I1) + [t2[k]] * len(I2)) for k in t1}
    ml = nr.MorrisLecar(len(I1) + len(I2), I_ext=np.array(I1 + I2), **per)
    dt, T = 0.1, 3000.0
    raster, _ = simulate(ml, T, dt)
    rates = []
    for i in range(len(I1) + len(I2)):
        st = spike_times(raster, dt, i)
        st = st[st > 1000.0]
        rates.append(0.0 if len(st) < 3 else 1000.0 / np.mean(np.diff(st)))
    r1, r2 = np.array(rates[: len(I1)]), np.array(rates[len(I1):])
    assert np.all(r1 > 0) and r1[0] < 4.0 and np.all(np.diff(r1) > 0), r1
    assert r2[0] == 0.0 and r2[1] == 0.0 and np.all(r2[2:] > 8.0), r2


# ---------------------------------------------------------------------------------------------------------------
# Published qualitative signatures
# ---------------------------------------------------------------------------------------------------------------


def test_izhikevich_rs_adapts_and_fs_does_not():
    # Izhikevich (2003), Fig. 2: RS cells fire a few fast spikes and then slow down (spike-frequency adaptation);
    # FS cells fire high-frequency trains practically without adaptation.  Protocol: rest (-70 mV, u = b V),
    # step current at 10 ms.
    currents = np.array([10.0, 20.0], dtype=np.float32)
    counts = {}
    for pattern in ("RS", "FS"):
        izh = nr.Izhikevich.from_preset(pattern, 2)
        izh.V = -70.0
        izh.u = float(izh.b.value) * -70.0
        raster, _ = simulate(izh, 500.0, 0.1, I=lambda t: jnp.where(t >= 10.0, currents, 0.0))
        for i in range(2):
            st = spike_times(raster, 0.1, i)
            counts[pattern, i] = (((st >= 10) & (st < 110)).sum(), ((st >= 400) & (st < 500)).sum())
    for i in range(2):
        (rs_early, rs_late), (fs_early, fs_late) = counts["RS", i], counts["FS", i]
        assert rs_late / rs_early <= 0.8, counts  # RS: fewer spikes late than early
        assert fs_late / fs_early >= 0.9, counts  # FS: the same count
        assert fs_late > 5 * rs_late  # and FS fires far faster


def test_fhn_hopf_point_from_the_jacobian_and_oscillation():
    # Fixed point v*: I = w* - v* + v*^3/3 with w* = (v* + a)/b; Hopf where the trace 1 - v*^2 - b/tau = 0.
    a, b, tau = 0.7, 0.8, 12.5
    v = -math.sqrt(1 - b / tau)
    w = (v + a) / b
    I_h = w - v + v**3 / 3
    fhn = nr.FHN(1)
    params = dict(fhn.param_values(), I_ext=I_h)
    with jax.enable_x64(True):
        f = lambda x: jnp.stack(list(fhn.vector_field({"v": x[0], "w": x[1]}, params).values()))  # noqa: E731
        x0 = jnp.array([v, w])
        assert float(jnp.abs(f(x0)).max()) < 1e-12
        J = np.asarray(jax.jacfwd(f)(x0))
    assert abs(np.trace(J)) < 1e-12 and np.linalg.det(J) > 0  # purely imaginary eigenvalues
    assert I_h == pytest.approx(0.3312, abs=1e-4)
    pop = nr.FHN(2, I_ext=np.array([0.2, 0.5]))
    raster, _ = simulate(pop, 1000.0, 0.1)
    late = raster[5000:]
    assert late[:, 0].sum() == 0 and late[:, 1].sum() >= 8


def test_hindmarsh_rose_bursts_at_intermediate_drive_and_fires_tonically_at_high_drive():
    hr = nr.HindmarshRose(2, I_ext=np.array([2.0, 4.0]))
    dt = 0.05
    raster, _ = simulate(hr, 5000.0, dt)
    for i, bursting in ((0, True), (1, False)):
        st = spike_times(raster, dt, i)
        isi = np.diff(st[st > 2000.0])
        ratio = isi.max() / isi.min()
        assert (ratio > 5.0) if bursting else (ratio < 1.1), (i, ratio)


def test_wilson_cowan_limit_cycle_and_quiescent_state():
    wc = nr.WilsonCowan(2, I_ext=np.array([0.0, 1.25]))  # P = 1.25: the limit cycle of Wilson & Cowan (1972)
    assert wc.update(0.0, 0.1) is None
    _, rE = simulate(wc, 500.0, 0.1, record="rE")
    assert np.abs(rE[-1000:, 0]).max() < 1e-6  # (0, 0) is a stable fixed point without drive
    amplitude = rE[-2000:, 1].max() - rE[-2000:, 1].min()
    assert amplitude > 0.1  # sustained oscillation


def test_threshold_linear_relaxes_exactly():
    tl = nr.ThresholdLinear(3, gain=0.5, theta=10.0, I_ext=np.array([50.0, 5.0, 30.0]))
    _, r = simulate(tl, 30.0, 0.1, record="r")
    t = np.arange(1, 301) * 0.1
    expected = np.array([20.0, 0.0, 10.0]) * (1 - np.exp(-t / 10.0))[:, None]
    np.testing.assert_allclose(r, expected, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------------------------
# Vector fields against hand-written formulas at random points
# ---------------------------------------------------------------------------------------------------------------


def _hh(s, p, I):
    V, m, h, n = s["V"], s["m"], s["h"], s["n"]
    am, bm = 0.1 * (V + 40) / (1 - np.exp(-(V + 40) / 10)), 4 * np.exp(-(V + 65) / 18)
    ah, bh = 0.07 * np.exp(-(V + 65) / 20), 1 / (1 + np.exp(-(V + 35) / 10))
    an, bn = 0.01 * (V + 55) / (1 - np.exp(-(V + 55) / 10)), 0.125 * np.exp(-(V + 65) / 80)
    i_ion = p["gNa"] * m**3 * h * (V - p["ENa"]) + p["gK"] * n**4 * (V - p["EK"]) + p["gL"] * (V - p["EL"])
    return {"V": (p["I_ext"] + I - i_ion) / p["C"], "m": am * (1 - m) - bm * m, "h": ah * (1 - h) - bh * h,
            "n": an * (1 - n) - bn * n}


def _wb(s, p, I):
    V, h, n = s["V"], s["h"], s["n"]
    am, bm = 0.1 * (V + 35) / (1 - np.exp(-(V + 35) / 10)), 4 * np.exp(-(V + 60) / 18)
    ah, bh = 0.07 * np.exp(-(V + 58) / 20), 1 / (np.exp(-0.1 * (V + 28)) + 1)
    an, bn = 0.01 * (V + 34) / (1 - np.exp(-0.1 * (V + 34))), 0.125 * np.exp(-(V + 44) / 80)
    m = am / (am + bm)
    i_ion = p["gNa"] * m**3 * h * (V - p["ENa"]) + p["gK"] * n**4 * (V - p["EK"]) + p["gL"] * (V - p["EL"])
    return {"V": (p["I_ext"] + I - i_ion) / p["C"], "h": p["phi"] * (ah * (1 - h) - bh * h),
            "n": p["phi"] * (an * (1 - n) - bn * n)}


def _ml(s, p, I):
    V, w = s["V"], s["w"]
    minf = 0.5 * (1 + np.tanh((V - p["V1"]) / p["V2"]))
    winf = 0.5 * (1 + np.tanh((V - p["V3"]) / p["V4"]))
    lam = p["phi"] * np.cosh((V - p["V3"]) / (2 * p["V4"]))
    i_ion = p["g_Ca"] * minf * (V - p["E_Ca"]) + p["g_K"] * w * (V - p["E_K"]) + p["g_L"] * (V - p["E_L"])
    return {"V": (p["I_ext"] + I - i_ion) / p["C"], "w": lam * (winf - w)}


def _wc(s, p, I):
    def S(x, a, th):
        return 1 / (1 + np.exp(-a * (x - th))) - 1 / (1 + np.exp(a * th))

    kE, kI = 1 - 1 / (1 + np.exp(p["a_E"] * p["theta_E"])), 1 - 1 / (1 + np.exp(p["a_I"] * p["theta_I"]))
    E, In = s["rE"], s["rI"]
    xE = p["w_EE"] * E - p["w_EI"] * In + p["I_ext"] + I
    xI = p["w_IE"] * E - p["w_II"] * In + p["I_ext_I"]
    return {"rE": (-E + (kE - E) * S(xE, p["a_E"], p["theta_E"])) / p["tau_E"],
            "rI": (-In + (kI - In) * S(xI, p["a_I"], p["theta_I"])) / p["tau_I"]}


HAND = {
    "LIF": (lambda s, p, I: {"V": (-(s["V"] - p["V_rest"]) + p["R"] * (p["I_ext"] + I)) / p["tau"]},
            {"V": (-90, -40)}),
    "ExpIF": (lambda s, p, I: {"V": (-(s["V"] - p["V_rest"]) + p["delta_T"] * np.exp((s["V"] - p["V_T"]) / p["delta_T"])
                                     + p["R"] * (p["I_ext"] + I)) / p["tau"]}, {"V": (-90, -40)}),
    "AdEx": (lambda s, p, I: {
        "V": (-p["g_L"] * (s["V"] - p["E_L"]) + p["g_L"] * p["delta_T"] * np.exp((s["V"] - p["V_T"]) / p["delta_T"])
              - s["w"] + p["I_ext"] + I) / p["C"],
        "w": (p["a"] * (s["V"] - p["E_L"]) - s["w"]) / p["tau_w"]}, {"V": (-90, -45), "w": (-100, 300)}),
    "QIF": (lambda s, p, I: {"V": (p["a_0"] * (s["V"] - p["V_rest"]) * (s["V"] - p["V_c"])
                                   + p["R"] * (p["I_ext"] + I)) / p["tau"]}, {"V": (-90, 20)}),
    "Izhikevich": (lambda s, p, I: {"V": 0.04 * s["V"] ** 2 + 5 * s["V"] + 140 - s["u"] + p["I_ext"] + I,
                                    "u": p["a"] * (p["b"] * s["V"] - s["u"])}, {"V": (-90, 25), "u": (-20, 10)}),
    "HH": (_hh, {"V": (-90, 40), "m": (0, 1), "h": (0, 1), "n": (0, 1)}),
    "WangBuzsaki": (_wb, {"V": (-90, 40), "h": (0, 1), "n": (0, 1)}),
    "MorrisLecar": (_ml, {"V": (-80, 40), "w": (0, 1)}),
    "FHN": (lambda s, p, I: {"v": s["v"] - s["v"] ** 3 / 3 - s["w"] + p["I_ext"] + I,
                             "w": (s["v"] + p["a"] - p["b"] * s["w"]) / p["tau"]}, {"v": (-2.5, 2.5), "w": (-1, 2)}),
    "HindmarshRose": (lambda s, p, I: {"x": s["y"] - p["a"] * s["x"] ** 3 + p["b"] * s["x"] ** 2 - s["z"] + p["I_ext"] + I,
                                       "y": p["c"] - p["d"] * s["x"] ** 2 - s["y"],
                                       "z": p["r"] * (p["s"] * (s["x"] - p["x_R"]) - s["z"])},
                      {"x": (-2, 2.5), "y": (-15, 2), "z": (-1, 4)}),
    "WilsonCowan": (_wc, {"rE": (0, 0.5), "rI": (0, 0.5)}),
    "ThresholdLinear": (lambda s, p, I: {"r": (-s["r"] + p["gain"] * np.maximum(p["I_ext"] + I - p["theta"], 0))
                                         / p["tau"]}, {"r": (0, 50)}),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_vector_field_matches_hand_written_formula(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    formula, box = HAND[name]
    model = getattr(nr, name)(1)
    base = model.param_values()
    n = 64
    for trial in range(2):
        # random parameters around the defaults (threshold-like cut-offs kept), random states and inputs
        params = {k: (v * rng.uniform(0.8, 1.2) if v != 0 else rng.uniform(-1.0, 1.0)) for k, v in base.items()}
        for keep in ("V_peak", "V_th", "v_th", "x_th", "t_ref"):
            if keep in params:
                params[keep] = base[keep]
        state = {k: rng.uniform(lo, hi, n) for k, (lo, hi) in box.items()}
        I = rng.uniform(-5.0, 5.0, n)
        with jax.enable_x64(True):
            got = model.vector_field({k: jnp.asarray(v) for k, v in state.items()}, params, jnp.asarray(I))
            got = {k: np.asarray(v) for k, v in got.items()}
        want = formula(state, params, I)
        assert set(got) == set(want) == set(model.variable_names)
        for k in want:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-9, atol=1e-10, err_msg=f"{name}.{k}")

