"""Every built-in neuron enters the analysis as a system: continuation in I_ext from its resting state.

For each model of ``brainlab.neurons`` the test continues the equilibria in ``I_ext`` *without* a start (the
branch begins at the resting state that Newton's method finds from the model's default initial state) and checks
the branch and its folds and Hopf points against an independent reference written here in NumPy, with no brainlab
code:

- along an equilibrium branch every variable but the first is at its steady state, so the equilibrium current is an
  explicit function ``I(V)`` of the first variable (for Wilson-Cowan, of ``rE``, with ``rI`` from a scalar root
  find); the branch points must lie on that curve;
- folds are the roots (scipy ``brentq``) of ``dI/dV`` (central differences); Hopf points are the roots of the real
  part of the leading complex pair of eigenvalues of a central-difference Jacobian of a separate NumPy vector field.

Spiking models with a reset (LIF, ExpIF, AdEx, QIF, Izhikevich) are analysed through their *subthreshold* vector
field; the branch message says where the branch lies above the threshold.  Published values for HH (Rinzel &
Miller 1980) and Morris-Lecar (Rinzel & Ermentrout 1998) are checked in ``test_continuation_models.py`` and
``test_analysis_cycles.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import numpy as np
import pytest
from scipy.optimize import brentq

import brainlab as bl
from brainlab.analysis import Continuation, as_system


# ------------------------------------------------------------------------------------------------ NumPy references
def _exprel(u):
    """u / (1 - exp(-u)), with its limit 1 + u/2 next to the removable singularity at u = 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.abs(u) < 1e-9, 1.0 + 0.5 * u, u / -np.expm1(-u))


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def hh_gates(V):
    a = {"m": _exprel((V + 40) / 10), "h": 0.07 * np.exp(-(V + 65) / 20), "n": 0.1 * _exprel((V + 55) / 10)}
    b = {"m": 4 * np.exp(-(V + 65) / 18), "h": 1 / (1 + np.exp(-(V + 35) / 10)), "n": 0.125 * np.exp(-(V + 65) / 80)}
    return a, b


def hh_field(x, I, gNa=120.0, gK=36.0, gL=0.3, ENa=50.0, EK=-77.0, EL=-54.387, C=1.0):
    V, m, h, n = x
    a, b = hh_gates(V)
    ion = gNa * m**3 * h * (V - ENa) + gK * n**4 * (V - EK) + gL * (V - EL)
    return np.array([(I - ion) / C] + [a[k] * (1 - g) - b[k] * g for k, g in zip("mhn", (m, h, n))])


def hh_curve(V):
    a, b = hh_gates(V)
    m, h, n = (a[k] / (a[k] + b[k]) for k in "mhn")
    x = np.array([V, m, h, n])
    return -hh_field(x, 0.0)[0], x  # C = 1


def wb_field(x, I, gNa=35.0, gK=9.0, gL=0.1, ENa=55.0, EK=-90.0, EL=-65.0, C=1.0, phi=5.0):
    V, h, n = x
    am, bm = _exprel((V + 35) / 10), 4 * np.exp(-(V + 60) / 18)
    ah, bh = 0.07 * np.exp(-(V + 58) / 20), 1 / (1 + np.exp(-(V + 28) / 10))
    an, bn = 0.1 * _exprel((V + 34) / 10), 0.125 * np.exp(-(V + 44) / 80)
    minf = am / (am + bm)
    ion = gNa * minf**3 * h * (V - ENa) + gK * n**4 * (V - EK) + gL * (V - EL)
    return np.array([(I - ion) / C, phi * (ah * (1 - h) - bh * h), phi * (an * (1 - n) - bn * n)])


def wb_curve(V):
    ah, bh = 0.07 * np.exp(-(V + 58) / 20), 1 / (1 + np.exp(-(V + 28) / 10))
    an, bn = 0.1 * _exprel((V + 34) / 10), 0.125 * np.exp(-(V + 44) / 80)
    x = np.array([V, ah / (ah + bh), an / (an + bn)])
    return -wb_field(x, 0.0)[0], x


def tm_field(x, I, gNa=20000.0, gKd=6000.0, gL=10.0, ENa=50.0, EK=-90.0, EL=-60.0, VT=-63.0, C=200.0):
    """Traub & Miles (1991) as in the COBAHH benchmark (Brette et al. 2007), V in mV, currents in pA."""
    V, m, h, n = x
    u = V - VT
    a = {"m": 1.28 * _exprel((u - 13) / 4), "h": 0.128 * np.exp((17 - u) / 18), "n": 0.16 * _exprel((u - 15) / 5)}
    b = {"m": 1.4 * _exprel((40 - u) / 5), "h": 4 / (1 + np.exp((40 - u) / 5)), "n": 0.5 * np.exp((10 - u) / 40)}
    ion = gNa * m**3 * h * (V - ENa) + gKd * n**4 * (V - EK) + gL * (V - EL)
    return np.array([(I - ion) / C] + [a[k] * (1 - g) - b[k] * g for k, g in zip("mhn", (m, h, n))])


def tm_curve(V):
    gates = []
    for j in (1, 2, 3):  # the steady state of each gate: the root of its (linear) equation
        e = np.zeros(4)
        e[0] = V
        f0 = tm_field(e, 0.0)[j]
        e[j] = 1.0
        f1 = tm_field(e, 0.0)[j]
        gates.append(f0 / (f0 - f1))
    x = np.array([V, *gates])
    return -200.0 * tm_field(x, 0.0)[0], x


ML_I = dict(g_Ca=4.0, V3=12.0, V4=17.4, phi=1 / 15)  # Rinzel & Ermentrout (1998), saddle-node (type I) set
ML_II = dict(g_Ca=4.4, V3=2.0, V4=30.0, phi=0.04)  # Hopf (type II) set


def ml_field(x, I, g_Ca=4.4, V3=2.0, V4=30.0, phi=0.04, C=20.0, g_K=8.0, g_L=2.0, E_Ca=120.0, E_K=-84.0,
             E_L=-60.0, V1=-1.2, V2=18.0):
    V, w = x
    minf = 0.5 * (1 + np.tanh((V - V1) / V2))
    winf = 0.5 * (1 + np.tanh((V - V3) / V4))
    ion = g_Ca * minf * (V - E_Ca) + g_K * w * (V - E_K) + g_L * (V - E_L)
    return np.array([(I - ion) / C, phi * (winf - w) * np.cosh((V - V3) / (2 * V4))])


def ml_curve(V, **P):
    w = 0.5 * (1 + np.tanh((V - P["V3"]) / P["V4"]))
    x = np.array([V, w])
    return -20.0 * ml_field(x, 0.0, **P)[0], x


def adex_field(x, I, C=281.0, gL=30.0, EL=-70.6, VT=-50.4, DT=2.0, a=4.0, tw=144.0):
    V, w = x
    return np.array([(-gL * (V - EL) + gL * DT * np.exp((V - VT) / DT) - w + I) / C, (a * (V - EL) - w) / tw])


def adex_curve(V):
    x = np.array([V, 4.0 * (V + 70.6)])
    return -281.0 * adex_field(x, 0.0)[0], x


def izh_field(x, I, a=0.02, b=0.2):
    V, u = x
    return np.array([0.04 * V * V + 5 * V + 140 - u + I, a * (b * V - u)])


def izh_curve(V):
    x = np.array([V, 0.2 * V])
    return -izh_field(x, 0.0)[0], x


def fhn_field(x, I, a=0.7, b=0.8, tau=12.5):
    v, w = x
    return np.array([v - v**3 / 3 - w + I, (v + a - b * w) / tau])


def fhn_curve(v):
    x = np.array([v, (v + 0.7) / 0.8])
    return -fhn_field(x, 0.0)[0], x


def hr_field(x, I, a=1.0, b=3.0, c=1.0, d=5.0, r=0.001, s=4.0, xR=-1.6):
    u, y, z = x
    return np.array([y - a * u**3 + b * u**2 - z + I, c - d * u**2 - y, r * (s * (u - xR) - z)])


def hr_curve(u):
    x = np.array([u, 1.0 - 5.0 * u**2, 4.0 * (u + 1.6)])
    return -hr_field(x, 0.0)[0], x


WC = dict(tE=10.0, tI=10.0, wEE=16.0, wEI=12.0, wIE=15.0, wII=3.0, aE=1.3, thE=4.0, aI=2.0, thI=3.7)


def wc_S(x, a, th):
    return _sig(a * (x - th)) - _sig(-a * th)


def wc_field(x, I, Q=0.0):
    rE, rI = x
    P = WC
    kE, kI = _sig(P["aE"] * P["thE"]), _sig(P["aI"] * P["thI"])
    inE = P["wEE"] * rE - P["wEI"] * rI + I
    inI = P["wIE"] * rE - P["wII"] * rI + Q
    return np.array([(-rE + (kE - rE) * wc_S(inE, P["aE"], P["thE"])) / P["tE"],
                     (-rI + (kI - rI) * wc_S(inI, P["aI"], P["thI"])) / P["tI"]])


def wc_curve(rE):
    """rI from its own nullcline (a scalar root), then the E input that balances rE, then I."""
    P = WC
    kE, kI = _sig(P["aE"] * P["thE"]), _sig(P["aI"] * P["thI"])
    rI = brentq(lambda q: wc_field(np.array([rE, q]), 0.0)[1], -0.5, kI - 1e-12, xtol=1e-15)
    target = rE / (kE - rE) + _sig(-P["aE"] * P["thE"])  # sigmoid(aE (inE - thE)) at equilibrium
    inE = P["thE"] + np.log(target / (1 - target)) / P["aE"]
    return inE - P["wEE"] * rE + P["wEI"] * rI, np.array([rE, rI])


def ww_field(x, I, a=270.0, b=108.0, d=0.154, gamma=0.641e-3, tau_S=100.0, J11=0.2609, J12=0.0497,
             I0=0.3255, tau_AMPA=2.0):
    """Wong & Wang (2006), no stimulus, per ms: S1, S2 and the two noise currents (whose drift is a decay)."""
    S1, S2, n1, n2 = x

    def H(u):
        y = a * u - b
        return y / (1.0 - np.exp(-d * y))

    x1, x2 = J11 * S1 - J12 * S2 + I0 + I + n1, J11 * S2 - J12 * S1 + I0 + I + n2
    return np.array([-S1 / tau_S + (1 - S1) * gamma * H(x1), -S2 / tau_S + (1 - S2) * gamma * H(x2),
                     -n1 / tau_AMPA, -n2 / tau_AMPA])


def line_field(f):
    return lambda x, I: np.array([f(x[0], I)])


@dataclasses.dataclass
class Case:
    """One built-in neuron: how to build it, the I_ext bounds, and its NumPy reference."""

    name: str
    make: Callable
    bounds: tuple[float, float]
    field: Callable  # field(x, I) in NumPy
    curve: Callable | None  # V -> (I, x) along the equilibria (None: checked by residual only)
    grid: tuple[float, float]  # range of the curve parameter to search for references
    kinds: tuple[str, ...]  # the fold/Hopf sequence expected on the branch (in branch order, both directions)


CASES = [
    Case("LIF", lambda: bl.neurons.LIF(1), (-100.0, 300.0),
         line_field(lambda V, I: (-(V + 65) + 0.1 * I) / 10), lambda V: ((V + 65) / 0.1, np.array([V])),
         (-80.0, -30.0), ()),
    Case("ExpIF", lambda: bl.neurons.ExpIF(1), (-100.0, 200.0),
         line_field(lambda V, I: (-(V + 65) + 2 * np.exp((V + 55) / 2) + 0.1 * I) / 10),
         lambda V: (((V + 65) - 2 * np.exp((V + 55) / 2)) / 0.1, np.array([V])), (-80.0, -40.0), ("fold",)),
    Case("QIF", lambda: bl.neurons.QIF(1), (-100.0, 100.0),
         line_field(lambda V, I: (0.07 * (V + 65) * (V + 50) + 0.1 * I) / 10),
         lambda V: (-0.07 * (V + 65) * (V + 50) / 0.1, np.array([V])), (-80.0, -40.0), ("fold",)),
    Case("AdEx", lambda: bl.neurons.AdEx(1), (0.0, 800.0), adex_field, adex_curve, (-75.0, -45.0),
         ("hopf", "fold")),
    Case("Izhikevich", lambda: bl.neurons.Izhikevich(1), (-5.0, 10.0), izh_field, izh_curve, (-75.0, -45.0),
         ("hopf", "fold")),
    Case("HH", lambda: bl.neurons.HH(1), (0.0, 200.0), hh_field, hh_curve, (-70.0, -30.0), ("hopf", "hopf")),
    Case("WangBuzsaki", lambda: bl.neurons.WangBuzsaki(1), (-2.0, 2.0), wb_field, wb_curve, (-70.0, -40.0),
         ("fold",)),
    Case("MorrisLecar type I", lambda: bl.neurons.MorrisLecar.from_preset("type_I", 1), (-20.0, 150.0),
         lambda x, I: ml_field(x, I, **ML_I), lambda V: ml_curve(V, **ML_I), (-70.0, 40.0), ("fold", "fold", "hopf")),
    Case("MorrisLecar type II", lambda: bl.neurons.MorrisLecar.from_preset("type_II", 1), (-20.0, 150.0),
         lambda x, I: ml_field(x, I, **ML_II), lambda V: ml_curve(V, **ML_II), (-70.0, 40.0), ("hopf",)),
    Case("FHN", lambda: bl.neurons.FHN(1), (0.0, 2.0), fhn_field, fhn_curve, (-2.5, 2.5), ("hopf", "hopf")),
    Case("HindmarshRose", lambda: bl.neurons.HindmarshRose(1), (-5.0, 30.0), hr_field, hr_curve, (-3.0, 3.0),
         ("hopf", "hopf", "hopf", "hopf")),  # two of them close together, at I = 5.399 and 6.203
    Case("WilsonCowan", lambda: bl.neurons.WilsonCowan(1), (-2.0, 6.0), wc_field, wc_curve, (-0.005, 0.45),
         ("fold", "fold", "hopf")),
    # Traub-Miles has no resting state at I_ext = 0 (it fires on its own): the model is built at -100 pA, where it rests
    Case("TraubMiles", lambda: bl.neurons.TraubMiles(1, I_ext=-100.0), (-300.0, 100.0), tm_field, tm_curve,
         (-100.0, -40.0), ("fold",)),
    Case("ThresholdLinear", lambda: bl.neurons.ThresholdLinear(1), (-100.0, 100.0),
         line_field(lambda r, I: (-r + max(I, 0.0)) / 10), None, (0.0, 0.0), ()),
    # the spontaneous (symmetric) state over a small input range (nA), where it neither folds nor loses stability
    Case("WongWang", lambda: bl.neurons.WongWang(1), (-0.05, 0.05), ww_field, None, (0.0, 0.0), ()),
]


def _jacobian(field, x, I):
    J = np.zeros((x.size, x.size))
    for j in range(x.size):
        h = 1e-6 * (1.0 + abs(x[j]))
        e = np.zeros(x.size)
        e[j] = h
        J[:, j] = (field(x + e, I) - field(x - e, I)) / (2 * h)
    return J


def _references(case: Case, V0: float) -> list[tuple[str, float]]:
    """Folds and Hopf points on the connected part of the equilibrium curve through V0 with I inside the bounds."""
    lo, hi = case.bounds
    grid = np.linspace(*case.grid, 3987)  # (a count that puts no grid point on a fold or a 0/0 of a rate)
    Is = np.array([case.curve(V)[0] for V in grid])
    k0 = int(np.argmin(np.abs(grid - V0)))
    inside = (Is >= lo) & (Is <= hi)
    a = k0
    while a > 0 and inside[a - 1]:
        a -= 1
    b = k0
    while b < len(grid) - 1 and inside[b + 1]:
        b += 1
    grid, Is = grid[a:b + 1], Is[a:b + 1]

    def dI(V):
        h = 1e-5 * (1 + abs(V))
        return (case.curve(V + h)[0] - case.curve(V - h)[0]) / (2 * h)

    def growth(V):  # real part of the leading complex pair (NaN without one)
        I, x = case.curve(V)
        lam = np.linalg.eigvals(_jacobian(case.field, x, I))
        cplx = lam[np.abs(lam.imag) > 1e-9 * (1 + np.abs(lam).max())]
        return float(cplx.real.max()) if cplx.size else np.nan

    refs = []
    d = np.array([dI(V) for V in grid])
    for k in np.nonzero(d[:-1] * d[1:] < 0)[0]:
        refs.append((float(grid[k]), "fold", case.curve(brentq(dI, grid[k], grid[k + 1], xtol=1e-14))[0]))
    g = np.array([growth(V) for V in grid]) if grid[0] != grid[-1] and case.field(case.curve(grid[0])[1],
                                                                                   0.0).size > 1 else None
    if g is not None:
        for k in np.nonzero(g[:-1] * g[1:] < 0)[0]:
            V = brentq(growth, grid[k], grid[k + 1], xtol=1e-14)
            refs.append((float(grid[k]), "hopf", case.curve(V)[0]))
    return [(kind, I) for _, kind, I in sorted(refs)]


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def case_and_branch(request):
    case = request.param
    model = case.make()
    cont = Continuation(model, param="I_ext", bounds=case.bounds)
    return case, model, cont.equilibria()  # no start: from the model's resting state


def test_every_builtin_neuron_is_in_the_table():
    listed = {c.name.split()[0] for c in CASES}
    builtin = {n for n in bl.neurons.__all__ if isinstance(getattr(bl.neurons, n), type)
               and issubclass(getattr(bl.neurons, n), bl.neurons.AbstractNeuron) and n != "AbstractNeuron"}
    assert builtin <= listed, f"add {sorted(builtin - listed)} to CASES"


def test_system_has_the_models_variables_and_parameters(case_and_branch):
    case, model, branch = case_and_branch
    sys_ = as_system(model)
    assert sys_.variable_names == model.variable_names
    assert sys_.param_names == model.parameter_names and "I_ext" in sys_.param_names
    assert branch.system is sys_ and branch.param == "I_ext"
    spiking_with_reset = case.name in ("LIF", "ExpIF", "AdEx", "QIF", "Izhikevich")
    assert (sys_.reset is not None) == spiking_with_reset
    if spiking_with_reset:
        assert "subthreshold" in sys_.note


def test_branch_starts_at_the_resting_state(case_and_branch):
    case, model, branch = case_and_branch
    I0 = model.param_values()["I_ext"]
    k = int(np.argmin(np.abs(branch.params - I0)))
    assert branch.params[k] == I0  # the start point is on the branch, at the model's own I_ext
    x = branch.states[k]
    assert np.max(np.abs(case.field(x, I0))) < 1e-9  # an equilibrium of the independent field
    init = np.array([model.initial_state()[n] for n in model.variable_names])
    assert abs(x[0] - init[0]) < 5.0 * (1 + abs(init[0])) / 10  # the rest state next to the initial state
    assert branch.stable[k], "the start of every built-in neuron is its (stable) resting state at its own I_ext"


def test_branch_lies_on_the_independent_equilibrium_curve(case_and_branch):
    case, model, branch = case_and_branch
    lo, hi = case.bounds
    assert branch.params.min() >= lo - 1e-9 and branch.params.max() <= hi + 1e-9
    scale = np.abs(branch.states).max(axis=0) + 1.0
    for I, x in zip(branch.params, branch.states):
        assert np.max(np.abs(case.field(x, I)) / scale) < 1e-9, (I, x)
        if case.curve is not None:
            I_ref, x_ref = case.curve(x[0])
            assert abs(I - I_ref) <= 1e-8 * (1 + abs(I)) and np.allclose(x, x_ref, rtol=1e-9, atol=1e-12)
    if case.name == "ThresholdLinear":  # r = [I - theta]_+ exactly, kink included
        np.testing.assert_allclose(branch.states[:, 0], np.maximum(branch.params, 0.0), atol=1e-10)


def test_folds_and_hopf_points_match_the_reference(case_and_branch):
    case, model, branch = case_and_branch
    found = [(sp.kind, sp.params["I_ext"]) for sp in branch.special_points if sp.kind in ("fold", "hopf")]
    if case.curve is None:
        assert found == []
        return
    V0 = branch.states[int(np.argmin(np.abs(branch.params - model.param_values()["I_ext"]))), 0]
    refs = _references(case, V0)
    assert sorted(k for k, _ in found) == sorted(case.kinds), found
    assert sorted(k for k, _ in refs) == sorted(case.kinds), refs
    for kind in ("fold", "hopf"):
        got = sorted(I for k, I in found if k == kind)
        ref = sorted(I for k, I in refs if k == kind)
        np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9, err_msg=f"{case.name}: {kind}")
    for sp in branch.special("hopf"):
        assert sp.omega > 0 and np.isfinite(sp.l1)


def test_branches_above_the_threshold_of_reset_models_say_so():
    branch = Continuation(bl.neurons.LIF(1), "I_ext", (-100.0, 300.0)).equilibria()
    assert "V >= V_th = -50" in branch.message and "never reached" in branch.message
    below = Continuation(bl.neurons.LIF(1), "I_ext", (-100.0, 100.0)).equilibria()
    assert "never reached" not in below.message
    hh = Continuation(bl.neurons.HH(1), "I_ext", (0.0, 20.0))
    assert as_system(hh.system).reset is None


@pytest.mark.parametrize("make, param", [
    (lambda: bl.neurons.LIF(1), "V_th"),
    (lambda: bl.neurons.LIF(1), "t_ref"),
    (lambda: bl.neurons.Izhikevich(1), "d"),
    (lambda: bl.neurons.HH(1), "V_th"),
])
def test_parameters_outside_the_vector_field_are_refused(make, param):
    model = make()
    value = model.param_values()[param]
    cont = Continuation(model, param, (value - 1.0, value + 1.0))
    with pytest.raises(ValueError, match=rf"parameter '{param}' does not enter the vector field.*'I_ext'"):
        cont.equilibria()


def test_models_follow_parameter_changes_without_recompiling_and_keep_float64():
    ml = bl.neurons.MorrisLecar(1)
    br0 = Continuation(ml, "I_ext", (0.0, 150.0)).equilibria()
    traces = as_system(ml).trace_count
    ml.g_Ca = 4.0  # new defaults for the analysis; the compiled code is shared
    sys1 = as_system(ml)
    br1 = Continuation(ml, "I_ext", (0.0, 150.0)).equilibria()
    assert sys1.trace_count == 0 and as_system(br0.system) is not sys1
    assert br0.system.trace_count == traces  # no retrace on the old System either
    assert br0.fixed_params["g_Ca"] == 4.4 and br1.fixed_params["g_Ca"] == 4.0
    for I, x in zip(br1.params, br1.states):
        assert np.max(np.abs(ml_field(x, I, g_Ca=4.0))) < 1e-9
    assert br1.states.dtype == np.float64
    assert not jax.config.jax_enable_x64  # float64 inside the analysis, without the user flipping the global flag
