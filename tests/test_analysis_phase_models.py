"""Every built-in neuron enters PhasePlane: 1D models directly, planar models in their own plane, larger ones as
2D slices with the other variables fixed.

Independent truth (NumPy/SciPy, the reference fields of ``test_analysis_models.py``): the fixed points are the roots
(``brentq`` on a fine grid) of the equilibrium current ``I(V) = I_ext`` (for slices: of the sliced field), their
stability comes from the eigenvalues of a central-difference Jacobian, nullclines are checked against the closed
form of the Morris-Lecar V-nullcline, and a trajectory against ``scipy.integrate.solve_ivp`` (DOP853).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from test_analysis_models import (
    ML_I,
    ML_II,
    _jacobian,
    adex_curve,
    adex_field,
    fhn_curve,
    fhn_field,
    hh_curve,
    hh_field,
    hr_field,
    izh_curve,
    izh_field,
    line_field,
    ml_curve,
    ml_field,
    tm_curve,
    tm_field,
    wb_curve,
    wb_field,
    wc_curve,
    wc_field,
)

import brainlab as bl
from brainlab.analysis import FixedPoints, PhasePlane, as_system


@dataclasses.dataclass
class Plane:
    """A built-in model in a phase plane and how to find its fixed points independently."""

    name: str
    make: Callable
    variables: dict
    I: float
    roots: Callable  # () -> list of reference fixed points (displayed coordinates)
    field: Callable  # z (displayed) -> field of the displayed variables (NumPy)
    fixed: dict | None = None


def _roots_of_current(curve, I0, lo, hi, n=3987):
    """Points of the equilibrium curve with I(V) = I0, V in [lo, hi]."""
    grid = np.linspace(lo, hi, n)
    g = np.array([curve(V)[0] for V in grid]) - I0
    out = []
    for k in np.nonzero(g[:-1] * g[1:] < 0)[0]:
        V = brentq(lambda u: curve(u)[0] - I0, grid[k], grid[k + 1], xtol=1e-14)
        out.append(curve(V)[1])
    return out


def _planar(curve, field, I0, lo, hi):
    return (lambda: [x for x in _roots_of_current(curve, I0, lo, hi)]), (lambda z: field(np.asarray(z), I0))


HH_REST = hh_curve(brentq(lambda V: hh_curve(V)[0], -70.0, -60.0, xtol=1e-14))[1]  # V, m, h, n at I = 0
WB_REST = wb_curve(brentq(lambda V: wb_curve(V)[0], -70.0, -60.0, xtol=1e-14))[1]
TM_REST = tm_curve(brentq(lambda V: tm_curve(V)[0] + 100.0, -75.0, -65.0, xtol=1e-14))[1]  # at I = -100 pA


def _slice_roots(field2, box):
    """Fixed points of a planar NumPy field by scipy.optimize.root from a 25 x 25 grid of seeds in ``box``."""
    from scipy.optimize import root

    (a, b), (c, d) = box
    found = []
    for u in np.linspace(a, b, 25):
        for v in np.linspace(c, d, 25):
            sol = root(field2, [u, v], tol=1e-14)
            z = sol.x
            if sol.success and a <= z[0] <= b and c <= z[1] <= d and np.max(np.abs(field2(z))) < 1e-10:
                if all(np.max(np.abs(z - f) / (np.array([b - a, d - c]))) > 1e-6 for f in found):
                    found.append(z)
    return found


def _hh_slice(z):
    V, n = z
    return hh_field(np.array([V, HH_REST[1], HH_REST[2], n]), 0.0)[[0, 3]]


def _wb_slice(z):
    V, n = z
    return wb_field(np.array([V, WB_REST[1], n]), 0.0)[[0, 2]]


def _tm_slice(z):
    V, n = z
    return tm_field(np.array([V, TM_REST[1], TM_REST[2], n]), -100.0)[[0, 3]]


def _hr_slice(z):
    return hr_field(np.array([z[0], z[1], 0.0]), 2.0)[:2]


PLANES = [
    Plane("LIF", lambda: bl.neurons.LIF(1), {"V": (-80.0, -40.0)}, 100.0, lambda: [np.array([-55.0])],
          lambda z: line_field(lambda V, I: (-(V + 65) + 0.1 * I) / 10)(z, 100.0)),
    Plane("ExpIF", lambda: bl.neurons.ExpIF(1), {"V": (-80.0, -45.0)}, 50.0,
          lambda: [np.array([V]) for V in (brentq(lambda V: (V + 65) - 2 * np.exp((V + 55) / 2) - 5.0, a, b)
                                           for a, b in ((-70.0, -55.0), (-55.0, -45.0)))],
          lambda z: line_field(lambda V, I: (-(V + 65) + 2 * np.exp((V + 55) / 2) + 0.1 * I) / 10)(z, 50.0)),
    Plane("QIF", lambda: bl.neurons.QIF(1), {"V": (-80.0, -40.0)}, 20.0,
          lambda: [np.array([r]) for r in sorted(np.roots([0.07, 0.07 * 115, 0.07 * 65 * 50 + 2.0]).real)],
          lambda z: line_field(lambda V, I: (0.07 * (V + 65) * (V + 50) + 0.1 * I) / 10)(z, 20.0)),
    Plane("ThresholdLinear", lambda: bl.neurons.ThresholdLinear(1), {"r": (-10.0, 100.0)}, 30.0,
          lambda: [np.array([30.0])], lambda z: line_field(lambda r, I: (-r + max(I, 0.0)) / 10)(z, 30.0)),
    Plane("AdEx", lambda: bl.neurons.AdEx(1), {"V": (-80.0, -40.0), "w": (-50.0, 500.0)}, 300.0,
          *_planar(adex_curve, adex_field, 300.0, -80.0, -40.0)),
    Plane("Izhikevich", lambda: bl.neurons.Izhikevich(1), {"V": (-80.0, -40.0), "u": (-20.0, 0.0)}, 0.0,
          *_planar(izh_curve, izh_field, 0.0, -80.0, -40.0)),
    Plane("FHN", lambda: bl.neurons.FHN(1), {"v": (-3.0, 3.0), "w": (-2.0, 3.0)}, 0.5,
          *_planar(fhn_curve, fhn_field, 0.5, -3.0, 3.0)),
    Plane("MorrisLecar type I", lambda: bl.neurons.MorrisLecar.from_preset("type_I", 1),
          {"V": (-80.0, 60.0), "w": (-0.1, 0.8)}, 30.0,
          *_planar(lambda V: ml_curve(V, **ML_I), lambda x, I: ml_field(x, I, **ML_I), 30.0, -80.0, 60.0)),
    Plane("MorrisLecar type II", lambda: bl.neurons.MorrisLecar.from_preset("type_II", 1),
          {"V": (-80.0, 60.0), "w": (-0.1, 0.8)}, 0.0,
          *_planar(lambda V: ml_curve(V, **ML_II), lambda x, I: ml_field(x, I, **ML_II), 0.0, -80.0, 60.0)),
    Plane("WilsonCowan", lambda: bl.neurons.WilsonCowan(1), {"rE": (-0.05, 0.5), "rI": (-0.05, 0.5)}, 1.0,
          *_planar(wc_curve, wc_field, 1.0, -0.005, 0.45)),
    Plane("HH slice (V, n)", lambda: bl.neurons.HH(1), {"V": (-80.0, 40.0), "n": (0.0, 1.0)}, 0.0,
          lambda: _slice_roots(_hh_slice, ((-80.0, 40.0), (0.0, 1.0))), _hh_slice,
          fixed={"m": float(HH_REST[1]), "h": float(HH_REST[2])}),
    Plane("WangBuzsaki slice (V, n)", lambda: bl.neurons.WangBuzsaki(1), {"V": (-80.0, 40.0), "n": (0.0, 1.0)}, 0.0,
          lambda: _slice_roots(_wb_slice, ((-80.0, 40.0), (0.0, 1.0))), _wb_slice, fixed={"h": float(WB_REST[1])}),
    Plane("TraubMiles slice (V, n)", lambda: bl.neurons.TraubMiles(1), {"V": (-80.0, 40.0), "n": (0.0, 1.0)}, -100.0,
          lambda: _slice_roots(_tm_slice, ((-80.0, 40.0), (0.0, 1.0))), _tm_slice,
          fixed={"m": float(TM_REST[1]), "h": float(TM_REST[2])}),
    Plane("HindmarshRose slice (x, y)", lambda: bl.neurons.HindmarshRose(1), {"x": (-3.0, 3.0), "y": (-20.0, 5.0)},
          2.0, lambda: [np.array([r.real, 1 - 5 * r.real**2]) for r in np.roots([-1.0, -2.0, 0.0, 3.0])
                        if abs(r.imag) < 1e-12], _hr_slice, fixed={"z": 0.0}),
]


@pytest.mark.parametrize("plane", PLANES, ids=[p.name for p in PLANES])
def test_fixed_points_of_every_builtin_neuron(plane):
    model = plane.make()
    pp = PhasePlane(model, variables=plane.variables, params={"I_ext": plane.I}, fixed=plane.fixed)
    fps = pp.fixed_points()
    assert isinstance(fps, FixedPoints)
    refs = sorted(plane.roots(), key=lambda z: tuple(np.atleast_1d(z)))
    got = sorted((fp.x for fp in fps), key=tuple)
    assert len(got) == len(refs), (plane.name, got, refs)
    for z, ref, fp in zip(got, refs, sorted(fps, key=lambda f: tuple(f.x))):
        span = np.array([b - a for a, b in plane.variables.values()])
        assert np.max(np.abs(z - np.asarray(ref)[: z.size]) / span) < 1e-9, (plane.name, z, ref)
        lam = np.linalg.eigvals(_jacobian(lambda y, _: np.asarray(plane.field(y)), np.asarray(z, float), None))
        assert fp.stable == bool(np.all(lam.real < 0)), (plane.name, fp, lam)
        assert (fp.kind == "saddle") == bool(np.any(lam.real > 0) and np.any(lam.real < 0))


def test_slices_name_the_missing_values_and_default_to_the_initial_state():
    hh = bl.neurons.HH(1)
    pp = PhasePlane(hh, variables={"V": (-80.0, 40.0), "n": (0.0, 1.0)})  # m, h from the initial state
    init = hh.initial_state()
    np.testing.assert_allclose(pp._x_full, [0.0, init["m"], init["h"], 0.0])
    with pytest.raises(ValueError, match=r"fixed=\{'V': 1.0\} names 'V', which is displayed"):
        PhasePlane(hh, variables={"V": (-80.0, 40.0), "n": (0.0, 1.0)}, fixed={"V": 1.0})


def test_morris_lecar_nullclines_and_trajectory_against_closed_forms():
    ml = bl.neurons.MorrisLecar.from_preset("type_II", 1)
    pp = PhasePlane(ml, variables={"V": (-80.0, 60.0), "w": (-0.1, 0.8)}, params={"I_ext": 0.0}, resolution=301)
    nc = pp.nullclines()
    P = dict(ML_II, C=20.0, g_K=8.0, g_L=2.0, E_Ca=120.0, E_K=-84.0, E_L=-60.0, V1=-1.2, V2=18.0)
    for line in nc["V"]:
        V, w = line[:, 0], line[:, 1]
        minf = 0.5 * (1 + np.tanh((V - P["V1"]) / P["V2"]))
        w_ref = -(P["g_Ca"] * minf * (V - P["E_Ca"]) + P["g_L"] * (V - P["E_L"])) / (P["g_K"] * (V - P["E_K"]))
        assert np.max(np.abs(w - w_ref)) < 2e-3  # marching squares: O(h^2) with h = 0.47 mV, 0.003
    for line in nc["w"]:
        np.testing.assert_allclose(line[:, 1], 0.5 * (1 + np.tanh((line[:, 0] - 2.0) / 30.0)), atol=1e-4)
    start = {"V": -10.0, "w": 0.015}  # above threshold: one action potential, then back to rest
    tr = pp.trajectory(start, duration=200.0, n_points=401)
    ref = solve_ivp(lambda t, x: ml_field(x, 0.0, **ML_II), (0.0, 200.0), [-10.0, 0.015], method="DOP853",
                    rtol=1e-12, atol=1e-12, t_eval=tr.t)
    assert np.max(np.abs(tr.states - ref.y.T) / np.array([140.0, 0.9])) < 1e-7
    assert tr["V"].max() > 20.0 and abs(tr["V"][-1] - pp.fixed_points()[0].x[0]) < 1.0


def test_phase_plane_of_a_model_recompiles_nothing_after_a_parameter_change():
    ml = bl.neurons.MorrisLecar(1)
    pp = PhasePlane(ml, variables={"V": (-80.0, 60.0), "w": (-0.1, 0.8)})
    pp.update(I_ext=0.0)
    traces = as_system(ml).trace_count
    for I in (20.0, 60.0, 100.0):
        portrait = pp.update(I_ext=I)
        assert len(portrait.fixed_points) >= 1
    ml.I_ext = 50.0  # a change on the model: a new System for new analyses, sharing the compiled code
    PhasePlane(ml, variables={"V": (-80.0, 60.0), "w": (-0.1, 0.8)}).update(I_ext=10.0)
    assert as_system(ml).trace_count == 0 and pp.system.trace_count == traces
