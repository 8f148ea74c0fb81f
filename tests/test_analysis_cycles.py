"""Limit cycles from the continuation API: ``Continuation.limit_cycles(hopf)`` / ``Branch.limit_cycles()``.

Independent truth (NumPy/SciPy only, the reference fields of ``test_analysis_models.py``):
- every computed cycle is a periodic orbit: ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-11) started on it returns
  to the start after one computed period;
- a fold of cycles is bracketed by simulation: just above it a trajectory started on the fold cycle keeps firing
  (the stable cycle exists), just below it the trajectory falls to rest (no cycle is left there);
- at the Hopf point the first cycle has the period 2 pi / omega of the critical eigenvalues.

Published values: the Hodgkin-Huxley (1952) equations at 6.3 degC have a subcritical Hopf bifurcation at
I = 9.78 µA/cm² whose branch of unstable cycles turns at a fold of cycles near I = 6.26 µA/cm², below which
repetitive firing ends, and a supercritical Hopf bifurcation at I = 154.5 µA/cm² where the stable cycles end
(Rinzel & Miller 1980, Math. Biosci. 49:27-59); compared at the 3 digits given.
"""

from __future__ import annotations

import numpy as np
import pytest
from bokeh.embed import file_html
from bokeh.resources import CDN
from scipy.integrate import solve_ivp
from test_analysis_models import ML_II, fhn_field, hh_field, ml_field

import brainlab as bl
from brainlab.analysis import Continuation, CycleBranch, CycleSpecialPoint


def _returns(field, x0, T, I, scale):
    sol = solve_ivp(lambda t, x: field(x, I), (0.0, T), x0, method="DOP853", rtol=1e-11, atol=1e-12)
    return np.max(np.abs(sol.y[:, -1] - x0) / scale)


def _fires_late(field, x0, I, t_end, V_spike, late=0.5):
    sol = solve_ivp(lambda t, x: field(x, I), (0.0, t_end), x0, method="LSODA", rtol=1e-8, atol=1e-10)
    return sol.y[0][sol.t > late * t_end].max() > V_spike


@pytest.fixture(scope="module")
def hh():
    cont = Continuation(bl.neurons.HH(1), param="I_ext", bounds=(0.0, 200.0))
    branch = cont.equilibria()
    return cont, branch, branch.limit_cycles()  # from the first Hopf point


def test_hh_cycles_from_the_subcritical_hopf_fold_and_end_at_the_second(hh):
    cont, branch, cycles = hh
    h1, h2 = branch.special("hopf")
    assert isinstance(cycles, CycleBranch) and cycles.param == "I_ext" and cycles.variable_names == ("V", "m", "h", "n")
    assert cycles.params[0] == pytest.approx(h1.params["I_ext"], abs=1e-6)
    assert cycles.periods[0] == pytest.approx(2 * np.pi / h1.omega, rel=1e-4)  # born with the Hopf period
    # the branch bends back (subcritical, l1 > 0), folds, and ends on the second Hopf point
    assert h1.l1 > 0 and cycles.params[1] < cycles.params[0]
    assert cycles.stop_reason == "equilibrium" and abs(cycles.params[-1] - h2.params["I_ext"]) < 0.1
    folds = [sp for sp in cycles.special("fold_cycle") if sp.param < 7.0]
    assert len(folds) == 1
    fold = folds[0]
    assert isinstance(fold, CycleSpecialPoint) and fold.label == "LPC"
    assert abs(fold.param - 6.26) < 0.005  # Rinzel & Miller (1980)
    assert abs(abs(fold.multipliers[1]) - 1) < 0.02  # a second multiplier at +1 at the fold
    fold_index = fold.index
    # stable (large) cycles between the fold and the second Hopf point, unstable ones next to the first
    upper = (cycles.params > 20.0) & (cycles.params < 150.0)
    assert cycles.stable[upper].all() and not cycles.stable[:5].any()
    assert np.all(cycles.trivial_error < 1e-2)
    # min/max of every variable; the spike overshoots 0 mV on the stable branch
    assert cycles.maxima.shape == cycles.minima.shape == (len(cycles), 4)
    spiking = (np.arange(len(cycles)) > fold_index) & (cycles.params < 50.0)  # (the peak sinks at high I)
    assert np.all(cycles.maxima >= cycles.minima) and cycles.maxima[spiking, 0].min() > 0.0


def test_hh_fold_of_cycles_is_a_periodic_orbit_bracketed_by_simulation(hh):
    _, _, cycles = hh
    fold = min(cycles.special("fold_cycle"), key=lambda sp: sp.param)
    x0 = fold.orbit[0]
    assert _returns(hh_field, x0, fold.period, fold.param, np.array([100.0, 1.0, 1.0, 1.0])) < 1e-5
    assert _fires_late(hh_field, x0, fold.param + 0.05, 600.0, 0.0)  # the stable cycle exists just above
    assert not _fires_late(hh_field, x0, fold.param - 0.05, 600.0, 0.0)  # and is gone just below: rest


def test_hh_stable_cycle_period_against_simulation(hh):
    _, _, cycles = hh
    k = int(np.argmin(np.abs(cycles.params - 50.0)))
    t, orbit = cycles.orbit(k, num=50)
    assert t[0] == 0.0 and orbit.shape == (50, 4)
    assert _returns(hh_field, orbit[0], cycles.periods[k], cycles.params[k], np.array([100.0, 1, 1, 1])) < 1e-6


def test_morris_lecar_type_II_fold_of_cycles_and_bistability():
    ml = bl.neurons.MorrisLecar.from_preset("type_II", 1)
    cont = Continuation(ml, "I_ext", (0.0, 150.0))
    branch = cont.equilibria()
    (hopf,) = branch.special("hopf")
    assert hopf.criticality == "subcritical"
    cycles = cont.limit_cycles(hopf)
    (fold,) = cycles.special("fold_cycle")
    assert fold.param < hopf.params["I_ext"]  # bistability: rest and repetitive firing for fold < I < Hopf
    field = lambda x, I: ml_field(x, I, **ML_II)  # noqa: E731
    assert _returns(field, fold.orbit[0], fold.period, fold.param, np.array([100.0, 1.0])) < 1e-6
    assert _fires_late(field, fold.orbit[0], fold.param + 0.1, 3000.0, 0.0)
    assert not _fires_late(field, fold.orbit[0], fold.param - 0.1, 3000.0, 0.0)
    mid = 0.5 * (fold.param + hopf.params["I_ext"])
    rest = branch.states[np.argmin(np.abs(branch.params - mid))]
    assert not _fires_late(field, rest + [1.0, 0.0], mid, 1000.0, 0.0)  # rest is stable there too
    # planar system: the multipliers are 1 and exp(integral of the trace) (Liouville)
    assert np.allclose(cycles.multipliers[:, 0], 1.0)
    after = np.arange(len(cycles)) >= fold.index  # past the fold: the large, stable cycles
    assert cycles.stable[after].all() and not cycles.stable[: fold.index - 1].any()


def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


def test_fhn_function_from_the_issue_cycles_next_to_the_hopf_point():
    cont = Continuation(fhn, param="I", bounds=(0.0, 2.0))
    branch = cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.0})
    hopf = branch.special_points[0]
    cycles = cont.limit_cycles(hopf, max_steps=25)
    assert cycles.periods[0] == pytest.approx(2 * np.pi / hopf.omega, rel=1e-5)
    assert hopf.l1 > 0 and np.all(cycles.params <= hopf.params["I"] + 1e-9)  # subcritical: cycles below I_H
    assert not cycles.stable.any()  # the small cycles of a subcritical Hopf point are unstable
    for k in (5, 15, 24):
        t, orbit = cycles.orbit(k, num=10)
        assert _returns(fhn_field, orbit[0], cycles.periods[k], cycles.params[k], np.array([1.0, 1.0])) < 1e-7
    # a plain function keeps its own parameter name on the cycles
    assert cycles.param == "I" and cycles.variable_names == ("v", "w")


def test_bifurcation_diagram_overlays_equilibria_and_cycles(hh):
    _, branch, cycles = hh
    fig = branch.plot("V", cycles=cycles)
    labels = {item.label["value"] for item in fig.legend[0].items}
    assert {"stable equilibria", "unstable equilibria", "stable cycles (max/min)",
            "unstable cycles (max/min)"} <= labels
    assert "<html" in file_html(fig, CDN, "diagram").lower()
    assert "<html" in file_html(cycles.plot("V", quantity="period"), CDN, "period").lower()


def test_limit_cycle_errors_name_the_point_and_the_fix(hh):
    cont, branch, _ = hh
    with pytest.raises(ValueError, match=r"born at Hopf points; got a 'fold' point.*branch.special\('hopf'\)"):
        Continuation(bl.neurons.QIF(1), "I_ext", (-100.0, 100.0)).equilibria().limit_cycles(
            Continuation(bl.neurons.QIF(1), "I_ext", (-100.0, 100.0)).equilibria().special("fold")[0])
    with pytest.raises(ValueError, match=r"Branch.limit_cycles: this branch of LIF has no Hopf point"):
        Continuation(bl.neurons.LIF(1), "I_ext", (0.0, 100.0)).equilibria().limit_cycles()
    narrow = Continuation(bl.neurons.HH(1), "I_ext", (0.0, 5.0))
    with pytest.raises(ValueError, match=r"Hopf point lies at I_ext=9.775.*outside bounds=\(0.0, 5.0\); widen"):
        narrow.limit_cycles(branch.special("hopf")[0])
    with pytest.raises(ValueError, match=r"does not belong to MorrisLecar"):
        Continuation(bl.neurons.MorrisLecar(1), "I_ext", (0.0, 200.0)).limit_cycles(branch.special("hopf")[0])


def test_poorly_resolved_cycles_warn_with_the_fix():
    cont = Continuation(fhn, "I", (0.0, 0.6))
    hopf = cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.0}).special("hopf")[0]
    with pytest.warns(RuntimeWarning, match=r"poorly resolved.*ntst=16"):
        cont.limit_cycles(hopf, ntst=8, max_steps=60)
