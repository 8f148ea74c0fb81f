"""Continuation of neuron models: Hodgkin-Huxley (1952) and Morris-Lecar (Rinzel & Ermentrout 1998 sets).

Independent references, computed here with NumPy/SciPy and no brainlab code:
- along the rest branch every gating variable sits at its steady state, so the equilibrium current is an explicit
  function I(V); the Jacobian J(V) is written out by hand, and Hopf points are the roots (scipy brentq) of the
  largest real part of its eigenvalues (a trace for Morris-Lecar), folds the roots of dI/dV;
- first Lyapunov coefficients by Kuznetsov's projection formula with multilinear forms from central finite
  differences of a separate NumPy vector field (about 1e-6 relative accuracy), checking the autodiff path.

Published values: Rinzel & Miller (1980), "Numerical calculation of stable and unstable periodic solutions to the
Hodgkin-Huxley equations", Math. Biosci. 49:27-59, report the two Hopf bifurcations of the standard HH
equations (6.3 degC) at I = 9.78 and I = 154.5 µA/cm²; they give 3-4 significant digits, so we compare to that
precision and to the independently converged values at 1e-9.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

from brainlab.analysis._continuation import Continuation

# ------------------------------------------------------------------------------------------- Hodgkin-Huxley (JAX)
HH = dict(g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0, E_K=-77.0, E_L=-54.387, C=1.0)


def _vtrap(x, k):
    u = x / k
    small = jnp.abs(u) < 1e-6
    us = jnp.where(small, 1.0, u)
    return jnp.where(small, k * (1.0 + u / 2.0), x / (-jnp.expm1(-us)))


def hh(V, m, h, n, I_ext=0.0, g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0, E_K=-77.0, E_L=-54.387, C=1.0):
    am, bm = 0.1 * _vtrap(V + 40.0, 10.0), 4.0 * jnp.exp(-(V + 65.0) / 18.0)
    ah, bh = 0.07 * jnp.exp(-(V + 65.0) / 20.0), 1.0 / (1.0 + jnp.exp(-(V + 35.0) / 10.0))
    an, bn = 0.01 * _vtrap(V + 55.0, 10.0), 0.125 * jnp.exp(-(V + 65.0) / 80.0)
    I_ion = g_Na * m**3 * h * (V - E_Na) + g_K * n**4 * (V - E_K) + g_L * (V - E_L)
    return (I_ext - I_ion) / C, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n


# ------------------------------------------------------------------------------------------- Hodgkin-Huxley (NumPy)
def _np_rates(V):
    """(alpha, beta, alpha', beta') for m, h, n, written out by hand."""

    def g(x):  # x / (1 - exp(-x/10)) and its derivative
        e = np.exp(-x / 10)
        return x / (1 - e), ((1 - e) - x * e / 10) / (1 - e) ** 2

    gm, dgm = g(V + 40)
    gn, dgn = g(V + 55)
    bm = 4 * np.exp(-(V + 65) / 18)
    ah = 0.07 * np.exp(-(V + 65) / 20)
    bh = 1 / (1 + np.exp(-(V + 35) / 10))
    bn = 0.125 * np.exp(-(V + 65) / 80)
    return {
        "m": (0.1 * gm, bm, 0.1 * dgm, -bm / 18),
        "h": (ah, bh, -ah / 20, bh * (1 - bh) / 10),
        "n": (0.01 * gn, bn, 0.01 * dgn, -bn / 80),
    }


def _np_hh_rest(V):
    r = _np_rates(V)
    m, h, n = (r[k][0] / (r[k][0] + r[k][1]) for k in "mhn")
    I = HH["g_Na"] * m**3 * h * (V - HH["E_Na"]) + HH["g_K"] * n**4 * (V - HH["E_K"]) + HH["g_L"] * (V - HH["E_L"])
    J = np.zeros((4, 4))
    J[0, 0] = -(HH["g_Na"] * m**3 * h + HH["g_K"] * n**4 + HH["g_L"])
    J[0, 1] = -3 * HH["g_Na"] * m**2 * h * (V - HH["E_Na"])
    J[0, 2] = -HH["g_Na"] * m**3 * (V - HH["E_Na"])
    J[0, 3] = -4 * HH["g_K"] * n**3 * (V - HH["E_K"])
    for i, (k, x) in enumerate(zip("mhn", (m, h, n)), start=1):
        a, b, da, db = r[k]
        J[i, 0] = da * (1 - x) - db * x
        J[i, i] = -(a + b)
    return I, np.array([V, m, h, n]), J


def _np_hh_field(X, I):
    """The HH vector field in NumPy (for finite differences), X of shape (..., 4)."""
    V, m, h, n = np.moveaxis(X, -1, 0)
    r = _np_rates(V)
    I_ion = HH["g_Na"] * m**3 * h * (V - HH["E_Na"]) + HH["g_K"] * n**4 * (V - HH["E_K"]) + HH["g_L"] * (V - HH["E_L"])
    out = [I - I_ion] + [r[k][0] * (1 - x) - r[k][1] * x for k, x in zip("mhn", (m, h, n))]
    return np.stack(out, axis=-1)


def _fd_l1(field, x, J, omega, q, pv, h2=1e-3, h3=1e-2):
    """Kuznetsov's l1 with B and C from central differences (real forms extended by multilinearity)."""

    def Bre(u, v):
        pts = np.array([x + h2 * (su * u + sv * v) for su in (1, -1) for sv in (1, -1)])
        f = field(pts)
        return (f[0] - f[1] - f[2] + f[3]) / (4 * h2 * h2)

    def Cre(u, v, w):
        tot = 0.0
        for su in (1, -1):
            for sv in (1, -1):
                for sw in (1, -1):
                    tot = tot + su * sv * sw * field(x + h3 * (su * u + sv * v + sw * w))
        return tot / (8 * h3**3)

    def cx(form, *args):
        import itertools

        out = 0
        for picks in itertools.product((0, 1), repeat=len(args)):
            parts = [a.real if k == 0 else a.imag for a, k in zip(args, picks)]
            out = out + (1j ** sum(picks)) * form(*parts)
        return out

    qb = q.conj()
    h11 = np.linalg.solve(J, cx(Bre, q, qb))
    h20 = np.linalg.solve(2j * omega * np.eye(len(x)) - J, cx(Bre, q, q))
    c = np.vdot(pv, cx(Cre, q, q, qb)) - 2 * np.vdot(pv, cx(Bre, q, h11)) + np.vdot(pv, cx(Bre, qb, h20))
    return np.real(c) / (2 * omega)


@pytest.fixture(scope="module")
def hh_branch():
    cont = Continuation(hh, param="I_ext", bounds=(0.0, 200.0))
    return cont.equilibria(start={"V": -65.0, "m": 0.05, "h": 0.6, "n": 0.32}, params={"I_ext": 0.0})


def test_hh_rest_branch_and_hopf_points(hh_branch):
    br = hh_branch
    assert br.params[0] == 0.0 and br.params[-1] == 200.0
    assert abs(br.states[0, 0] - (-65.0)) < 0.01  # rest near -65 mV at I = 0
    # every point is on the independent closed-form rest curve I(V)
    for I, x in zip(br.params, br.states):
        I_ref, x_ref, _ = _np_hh_rest(x[0])
        assert abs(I - I_ref) < 1e-9 * max(1.0, I) and np.max(np.abs(x - x_ref)) < 1e-10
    kinds = [sp.kind for sp in br.special_points]
    assert kinds == ["hopf", "hopf"]  # no folds, branch points or neutral saddles on [0, 200]

    def growth(V):
        return np.max(np.linalg.eigvals(_np_hh_rest(V)[2]).real)

    refs = [_np_hh_rest(brentq(growth, a, b, xtol=1e-13))[0] for a, b in ((-62.0, -57.0), (-45.0, -41.0))]
    published = (9.78, 154.5)  # Rinzel & Miller (1980)
    for sp, ref, pub, digits in zip(br.special_points, refs, published, (0.005, 0.05)):
        I = sp.params["I_ext"]
        assert abs(I - ref) < 1e-9 * ref
        assert abs(I - pub) < digits  # agreement at the published precision
        _, x_ref, J = _np_hh_rest(sp.state["V"])
        lam = np.linalg.eigvals(J)
        k = np.argmin(np.abs(lam.real))
        assert abs(lam[k].real) < 1e-9 and abs(abs(lam[k].imag) - sp.omega) < 1e-9
    # stable below the first Hopf point and above the second, unstable between
    lo, hi = (sp.params["I_ext"] for sp in br.special_points)
    inner = (br.params > lo + 1e-6) & (br.params < hi - 1e-6)
    outer = (br.params < lo - 1e-6) | (br.params > hi + 1e-6)
    assert not br.stable[inner].any() and br.stable[outer].all()


def test_hh_lyapunov_coefficients_subcritical_then_supercritical(hh_branch):
    first, second = hh_branch.special_points
    assert first.criticality == "subcritical" and second.criticality == "supercritical"
    for sp in (first, second):
        I = sp.params["I_ext"]
        J = np.asarray(_np_hh_rest(sp.state["V"])[2])
        fd = _fd_l1(lambda X, I=I: _np_hh_field(X, I), sp.x, J, sp.omega, sp.eigenvector, sp.adjoint_eigenvector)
        assert abs(sp.l1 - fd) < 1e-5 * abs(sp.l1)  # finite differences: rounding limits them to ~1e-6


# ------------------------------------------------------------------------------------------- Morris-Lecar
TYPE_II = dict(C=20.0, g_L=2.0, V_L=-60.0, g_Ca=4.4, V_Ca=120.0, g_K=8.0, V_K=-84.0, V1=-1.2, V2=18.0, V3=2.0,
               V4=30.0, phi=0.04)
TYPE_I = dict(TYPE_II, g_Ca=4.0, V3=12.0, V4=17.4, phi=1 / 15)


def ml(V, w, I=0.0, C=20.0, g_L=2.0, V_L=-60.0, g_Ca=4.4, V_Ca=120.0, g_K=8.0, V_K=-84.0,
       V1=-1.2, V2=18.0, V3=2.0, V4=30.0, phi=0.04):
    minf = 0.5 * (1 + jnp.tanh((V - V1) / V2))
    winf = 0.5 * (1 + jnp.tanh((V - V3) / V4))
    return (I - g_L * (V - V_L) - g_Ca * minf * (V - V_Ca) - g_K * w * (V - V_K)) / C, \
        phi * (winf - w) * jnp.cosh((V - V3) / (2 * V4))


def _np_ml_rest(V, P):
    """Equilibrium current I(V), its derivative, and the Jacobian on the rest curve (w = w_inf(V))."""
    minf = 0.5 * (1 + np.tanh((V - P["V1"]) / P["V2"]))
    dminf = 0.5 / P["V2"] / np.cosh((V - P["V1"]) / P["V2"]) ** 2
    winf = 0.5 * (1 + np.tanh((V - P["V3"]) / P["V4"]))
    dwinf = 0.5 / P["V4"] / np.cosh((V - P["V3"]) / P["V4"]) ** 2
    I = P["g_L"] * (V - P["V_L"]) + P["g_Ca"] * minf * (V - P["V_Ca"]) + P["g_K"] * winf * (V - P["V_K"])
    dI = P["g_L"] + P["g_Ca"] * (dminf * (V - P["V_Ca"]) + minf) + P["g_K"] * (dwinf * (V - P["V_K"]) + winf)
    rate = P["phi"] * np.cosh((V - P["V3"]) / (2 * P["V4"]))
    J = np.array([
        [-(P["g_L"] + P["g_Ca"] * (dminf * (V - P["V_Ca"]) + minf) + P["g_K"] * winf) / P["C"],
         -P["g_K"] * (V - P["V_K"]) / P["C"]],
        [rate * dwinf, -rate],
    ])
    return I, dI, J


@pytest.mark.parametrize("kind", ["type I", "type II"])
def test_morris_lecar_bifurcations(kind):
    P = TYPE_I if kind == "type I" else TYPE_II
    cont = Continuation(ml, param="I", bounds=(-50.0, 300.0))
    br = cont.equilibria(start={"V": -60.0, "w": 0.01}, params=dict(P, I=0.0))
    folds = sorted(sp.params["I"] for sp in br.special("fold"))
    hopfs = br.special("hopf")
    grid = np.linspace(-70, 60, 2601)
    dI = _np_ml_rest(grid, P)[1]
    fold_refs = []
    for k in np.nonzero(dI[:-1] * dI[1:] < 0)[0]:
        V = brentq(lambda u: _np_ml_rest(u, P)[1], grid[k], grid[k + 1], xtol=1e-13)
        fold_refs.append(_np_ml_rest(V, P)[0])
    fold_refs = sorted(I for I in fold_refs if -50 <= I <= 300)
    assert len(folds) == len(fold_refs)
    np.testing.assert_allclose(folds, fold_refs, rtol=1e-10, atol=1e-9)
    tr = np.array([np.trace(_np_ml_rest(V, P)[2]) for V in grid])
    hopf_refs = []
    for a, b, ta, tb in zip(grid[:-1], grid[1:], tr[:-1], tr[1:]):
        if ta * tb < 0:
            V = brentq(lambda u: np.trace(_np_ml_rest(u, P)[2]), a, b, xtol=1e-13)
            I, _, J = _np_ml_rest(V, P)
            if np.linalg.det(J) > 0 and -50 <= I <= 300:  # trace zero with det < 0 is a neutral saddle
                hopf_refs.append(I)
    np.testing.assert_allclose(sorted(sp.params["I"] for sp in hopfs), sorted(hopf_refs), rtol=1e-10)
    if kind == "type I":
        # Rinzel & Ermentrout (1998): with this set the rest state disappears in a saddle-node (on an invariant
        # circle): the upper fold of the S-shaped branch, near I = 40 µA/cm².
        assert len(folds) == 2 and 39.9 < folds[1] < 40.0
        assert all(sp.kind != "hopf" or sp.params["I"] > folds[1] for sp in br.special_points)
    else:
        # Rinzel & Ermentrout (1998): with this set the rest state loses stability in a subcritical Hopf
        # bifurcation (no folds).
        assert folds == [] and len(hopfs) >= 1 and hopfs[0].criticality == "subcritical"
