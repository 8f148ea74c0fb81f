"""Two-parameter continuation of fold and Hopf curves: cusp, Bogdanov-Takens and generalized Hopf points.

Truth comes from normal forms with known codimension-two points at the origin of parameter space, and from
closed forms for FitzHugh-Nagumo (cusp at (I, b) = (a, 1); Bogdanov-Takens at b = sqrt(tau)); the generalized
Hopf point of FitzHugh-Nagumo is checked against the root of the planar Lyapunov formula of Guckenheimer &
Holmes (1983, eq. 3.4.11), found by scipy's brentq.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from brainlab.analysis._continuation import Continuation


def cusp_nf(x, b1=-1.0, b2=1.0):
    return b1 + b2 * x - x**3


def bt_nf(x, y, b1=-1.0, b2=1.0, s=1.0):
    return y, b1 + b2 * x + x**2 + s * x * y


def bautin_nf(x, y, b1=-0.5, b2=-0.5):
    r2 = x * x + y * y
    return b1 * x - y + b2 * x * r2 - x * r2 * r2, x + b1 * y + b2 * y * r2 - y * r2 * r2


def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


def test_cusp_normal_form():
    cont = Continuation(cusp_nf, "b1", (-1.0, 1.0))
    br = cont.equilibria(start={"x": -1.3247}, params={"b1": 1.0 - 2.0, "b2": 1.0})
    folds = br.special("fold")
    assert sorted(round(sp.params["b1"], 12) for sp in folds) == sorted(
        round(v, 12) for v in (-2 / (3 * np.sqrt(3)), 2 / (3 * np.sqrt(3)))
    )
    curve = cont.fold_curve(folds[0], "b2", (-1.0, 2.0))
    # on the fold curve b2 = 3 x^2 and b1 = -2 x^3
    x = curve.states[:, 0]
    np.testing.assert_allclose(curve["b2"], 3 * x**2, atol=1e-10)
    np.testing.assert_allclose(curve["b1"], -2 * x**3, atol=1e-10)
    (cp,) = curve.special("cusp")
    assert abs(cp.params["b1"]) < 1e-10 and abs(cp.params["b2"]) < 1e-10 and abs(cp.state["x"]) < 1e-10
    assert curve.special("bogdanov_takens") == ()


@pytest.mark.parametrize("s", [1.0, -1.0])
def test_bogdanov_takens_normal_form_on_fold_and_hopf_curves(s):
    cont = Continuation(bt_nf, "b1", (-1.0, 1.0))
    # fold branch at b2 = 1: equilibria y = 0, b1 + x + x^2 = 0; fold at x = -1/2, b1 = 1/4
    br = cont.equilibria(start={"x": (-1 - np.sqrt(5)) / 2, "y": 0.0}, params={"b1": -1.0, "b2": 1.0, "s": s})
    (fold,) = br.special("fold")
    assert abs(fold.params["b1"] - 0.25) < 1e-12
    fc = cont.fold_curve(fold, "b2", (-1.0, 2.0))
    np.testing.assert_allclose(fc["b1"], fc["b2"] ** 2 / 4, atol=1e-10)  # the fold curve b1 = b2^2 / 4
    (bt,) = fc.special("bogdanov_takens")
    assert max(abs(bt.params["b1"]), abs(bt.params["b2"]), abs(bt.state["x"]), abs(bt.state["y"])) < 1e-10
    assert np.max(np.abs(bt.eigenvalues)) < 1e-6  # a double zero eigenvalue (sqrt of the location error)

    # Hopf at b2 = -1: equilibrium x = 0 at b1 = 0, trace s*x = 0, det = -(b2 + 2x) = 1
    br = cont.equilibria(start={"x": (1 - np.sqrt(5)) / 2, "y": 0.0}, params={"b1": -1.0, "b2": -1.0, "s": s})
    (hopf,) = br.special("hopf")
    assert abs(hopf.params["b1"]) < 1e-12 and abs(hopf.omega - 1.0) < 1e-12
    hc = cont.hopf_curve(hopf, "b2", (-2.0, 1.0))
    np.testing.assert_allclose(hc["b1"], 0.0, atol=1e-10)  # the Hopf curve is b1 = 0 ...
    np.testing.assert_allclose(hc.kappa, -hc["b2"], atol=1e-10)  # ... with omega^2 = -b2
    (bt2,) = hc.special("bogdanov_takens")
    assert abs(bt2.params["b1"]) < 1e-10 and abs(bt2.params["b2"]) < 1e-10
    assert np.all(hc.kappa[hc["b2"] > 1e-9] < 0)  # past BT: a neutral-saddle curve


def test_bautin_normal_form_generalized_hopf():
    # z' = (b1 + i) z + b2 z|z|^2 - z|z|^4: Hopf on b1 = 0 with l1 = 2 b2 / omega (omega = 1), GH at b2 = 0
    cont = Continuation(bautin_nf, "b1", (-1.0, 1.0))
    br = cont.equilibria(start={"x": 0.0, "y": 0.0}, params={"b1": -0.5, "b2": -0.5})
    (hopf,) = br.special("hopf")
    assert abs(hopf.l1 + 1.0) < 1e-12
    hc = cont.hopf_curve(hopf, "b2", (-1.0, 1.0))
    on_hopf = np.isfinite(hc.l1)
    assert on_hopf.sum() > len(hc) - 2  # NaN only at the located special points without l1
    np.testing.assert_allclose(hc.l1[on_hopf], 2 * hc["b2"][on_hopf], atol=1e-10)
    (gh,) = hc.special("generalized_hopf")
    assert abs(gh.params["b2"]) < 1e-10 and abs(gh.params["b1"]) < 1e-12 and abs(gh.l1) < 1e-10


def fold_hopf_nf(xi, y, z, b1=-1.0, b2=-0.5):
    # Kuznetsov (2004) sec. 8.5 with theta = 1, vartheta = 0, omega = 1, s = 1, in Cartesian zeta = y + i z
    r2 = y * y + z * z
    return b1 + xi * xi + r2, (b2 + xi + xi * xi) * y - z, y + (b2 + xi + xi * xi) * z


def test_zero_hopf_on_the_fold_hopf_normal_form():
    # equilibria zeta = 0, xi = +-sqrt(-b1); the zeta-pair has real part b2 + xi + xi^2: Hopf curve
    # b2 = -(xi + xi^2), b1 = -xi^2; the xi-eigenvalue 2 xi vanishes on it at xi = 0: zero-Hopf at b = (0, 0)
    cont = Continuation(fold_hopf_nf, "b1", (-1.0, 0.0))
    br = cont.equilibria(start={"xi": 1.0, "y": 0.0, "z": 0.0}, params={"b1": -1.0, "b2": -0.75})
    (hopf,) = br.special("hopf")
    assert abs(hopf.state["xi"] - 0.5) < 1e-12 and abs(hopf.params["b1"] + 0.25) < 1e-12
    hc = cont.hopf_curve(hopf, "b2", (-1.0, 0.5))
    xi = hc["xi"]
    np.testing.assert_allclose(hc["b1"], -(xi**2), atol=1e-10)
    np.testing.assert_allclose(hc["b2"], -(xi + xi**2), atol=1e-10)
    (zh,) = hc.special("zero_hopf")
    assert max(abs(zh.params["b1"]), abs(zh.params["b2"]), abs(zh.state["xi"])) < 1e-10
    assert abs(zh.omega - 1.0) < 1e-10


@pytest.fixture(scope="module")
def fhn_cont():
    return Continuation(fhn, "I", (-1.0, 3.0))


def test_fhn_fold_curve_cusp_and_bogdanov_takens(fhn_cont):
    a, tau = 0.7, 12.5
    br = fhn_cont.equilibria(start={"v": -1.5, "w": -0.4}, params={"I": 0.0, "b": 2.0})
    fold = br.special("fold")[0]
    fc = fhn_cont.fold_curve(fold, "b", (0.5, 5.0))
    # fold curve: v^2 = 1 - 1/b, I = v^3/3 + (1/b - 1) v + a/b
    v, b = fc["v"], fc["b"]
    np.testing.assert_allclose(v**2, 1 - 1 / b, atol=1e-10)
    np.testing.assert_allclose(fc["I"], v**3 / 3 + (1 / b - 1) * v + a / b, atol=1e-10)
    (cp,) = fc.special("cusp")  # v = 0 at b = 1, I = a
    assert abs(cp.params["b"] - 1) < 1e-10 and abs(cp.params["I"] - a) < 1e-10 and abs(cp.state["v"]) < 1e-10
    bts = fc.special("bogdanov_takens")
    assert len(bts) == 2  # trace 1 - v^2 - b/tau = 1/b - b/tau = 0  =>  b = sqrt(tau), on both fold branches
    for bt in bts:
        bb = np.sqrt(tau)
        vv = np.sign(bt.state["v"]) * np.sqrt(1 - 1 / bb)
        assert abs(bt.params["b"] - bb) < 1e-10 and abs(bt.state["v"] - vv) < 1e-10
        assert abs(bt.params["I"] - (vv**3 / 3 + (1 / bb - 1) * vv + a / bb)) < 1e-10


def _fhn_l1(v, b, tau):
    """l1 of FitzHugh-Nagumo at a Hopf point, from the planar formula in eigen-coordinates (independent)."""
    J = np.array([[1 - v**2, -1.0], [1 / tau, -b / tau]])
    w, V = np.linalg.eig(J)
    k = int(np.argmax(w.imag))
    om, q = w[k].imag, V[:, k] / np.linalg.norm(V[:, k])
    P = np.sqrt(2) * np.column_stack([q.real, -q.imag])
    ax, ay = P[0]
    c1, c2 = np.linalg.solve(P, [1.0, 0.0])
    n2, n3 = -2 * v, -2.0
    f = [c1 * n2 * ax * ax, c1 * n2 * ax * ay, c1 * n2 * ay * ay, c1 * n3 * ax**3, c1 * n3 * ax * ay * ay]
    g = [c2 * n2 * ax * ax, c2 * n2 * ax * ay, c2 * n2 * ay * ay, c2 * n3 * ax * ax * ay, c2 * n3 * ay**3]
    a_gh = (f[3] + f[4] + g[3] + g[4]) / 16 + (f[1] * (f[0] + f[2]) - g[1] * (g[0] + g[2]) - f[0] * g[0]
                                                + f[2] * g[2]) / (16 * om)
    return 2 * a_gh / om


def test_fhn_hopf_curve_bogdanov_takens_and_generalized_hopf(fhn_cont):
    a, tau = 0.7, 12.5
    br = fhn_cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.0})
    hopf = br.special("hopf")[0]
    hc = fhn_cont.hopf_curve(hopf, "b", (0.1, 5.0))
    # Hopf curve: 1 - v^2 = b/tau, omega^2 = det J = (1 - b^2/tau)/tau; BT where omega -> 0: b = sqrt(tau)
    on_hopf = hc.kappa > 0
    np.testing.assert_allclose(hc["v"][on_hopf] ** 2, 1 - hc["b"][on_hopf] / tau, atol=1e-10)
    np.testing.assert_allclose(hc.kappa[on_hopf], (1 - hc["b"][on_hopf] ** 2 / tau) / tau, atol=1e-10)
    (bt,) = hc.special("bogdanov_takens")
    assert abs(bt.params["b"] - np.sqrt(tau)) < 1e-10
    # l1 along the curve agrees with the independent planar formula ...
    for k in np.nonzero(on_hopf)[0][::7]:
        assert abs(hc.l1[k] - _fhn_l1(hc["v"][k], hc["b"][k], tau)) < 1e-9 * max(1.0, abs(hc.l1[k]))
    # ... and the generalized Hopf point is its root (v < 0 branch, found by brentq in b)
    (gh,) = hc.special("generalized_hopf")
    b_gh = brentq(lambda bb: _fhn_l1(-np.sqrt(1 - bb / tau), bb, tau), 0.2, 0.8, xtol=1e-14)
    assert abs(gh.params["b"] - b_gh) < 1e-9
    v_gh = -np.sqrt(1 - b_gh / tau)
    assert abs(gh.params["I"] - (v_gh**3 / 3 + (1 / b_gh - 1) * v_gh + a / b_gh)) < 1e-9
    assert abs(gh.l1) < 1e-9


def test_codim2_plots_and_errors(fhn_cont):
    br = fhn_cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.0})
    hopf = br.special("hopf")[0]
    hc = fhn_cont.hopf_curve(hopf, "b", (0.5, 1.0))
    fig = hc.plot()
    assert fig.xaxis[0].axis_label == "I" and fig.yaxis[0].axis_label == "b"
    with pytest.raises(ValueError, match=r"point must be a special point of kind 'fold'"):
        fhn_cont.fold_curve(hopf, "b", (0.5, 1.0))
    with pytest.raises(ValueError, match=r"has no parameter 'bb'.*Valid parameters"):
        fhn_cont.hopf_curve(hopf, "bb", (0.5, 1.0))
    with pytest.raises(ValueError, match=r"must differ from the continued parameter 'I'"):
        fhn_cont.hopf_curve(hopf, "I", (0.5, 1.0))
    with pytest.raises(ValueError, match=r"b=0.8 at the starting point must lie within bounds2"):
        fhn_cont.hopf_curve(hopf, "b", (1.0, 2.0))
