"""Phase-plane analysis: contours, fixed points, trajectories, limit cycles and separatrices.

Independent truth: closed-form nullclines and equilibria (FitzHugh-Nagumo's cubic via numpy.roots), exact
solutions of linear and logistic-type flows (scipy.linalg.expm, closed forms), the Hopf normal form's cycle
(radius sqrt(-mu/a), period 2 pi / omega), a cycle period from scipy's DOP853 with event location, and an
invariant manifold known in closed form (y = x^2 / 3 for x' = x, y' = -y + x^2).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from brainlab.analysis._classify import classify_equilibrium
from brainlab.analysis._contour import zero_contours
from brainlab.analysis._phase_plane import PhasePlane, _separatrix_duration


def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


def radial(x, y, mu=1.0, c=-1.0, d=0.0, omega=2.0):
    # r' = mu r + c r^3 - d r^5, theta' = omega.  d = 0: the Hopf normal form (cycle r^2 = -mu/c);
    # c = d = 1, mu < 0: a repelling cycle at r^2 = (1 - sqrt(1 + 4 mu))/2 inside an attracting one (+ sign).
    r2 = x * x + y * y
    g = mu + c * r2 - d * r2 * r2
    return g * x - omega * y, omega * x + g * y


def linear(x, y, a11=-0.1, a12=-2.0, a21=2.0, a22=-0.3, q=0.0):
    return a11 * x + a12 * y, a21 * x + a22 * y + q * x * x


@pytest.fixture(scope="module")
def _fhn_pp_shared():
    return PhasePlane(fhn, variables={"v": (-3, 3), "w": (-2, 3)}, params={"I": 0.5})  # compiled once per module


@pytest.fixture
def fhn_pp(_fhn_pp_shared):
    """The shared FitzHugh-Nagumo plane, set back to fhn's defaults before every test, so that no test's verdict
    depends on which tests ran before it (or whether one of them failed before restoring what it changed)."""
    return _fhn_pp_shared.set_params(I=0.5, a=0.7, b=0.8, tau=12.5)


# --------------------------------------------------------------------------------------------- contours


def test_contour_accuracy_is_second_order():
    errors = []
    for n in (51, 101, 201):
        xs = ys = np.linspace(-2, 2, n)
        X, Y = np.meshgrid(xs, ys)
        (line,) = zero_contours(xs, ys, X**2 + Y**2 - 1)
        assert np.allclose(line[0], line[-1])  # one closed polyline
        errors.append(np.max(np.abs(np.hypot(line[:, 0], line[:, 1]) - 1)))
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(rates > 1.8), rates


def test_contour_keeps_branches_separate_and_handles_flat_pieces():
    xs = ys = np.linspace(-2, 2, 81)
    X, Y = np.meshgrid(xs, ys)
    assert len(zero_contours(xs, ys, X**2 - Y**2 - 0.5)) == 2  # two branches of a hyperbola
    # a zero set lying exactly on a grid line is drawn on it, once
    (flat,) = zero_contours(xs, ys, Y.copy())
    assert np.all(flat[:, 1] == 0.0) and np.ptp(flat[:, 0]) == pytest.approx(4.0)
    # a region where f vanishes identically is drawn as its outline (both sides)
    Z = np.where(np.abs(X) <= 0.5 + 1e-12, 0.0, X)
    lines = zero_contours(xs, ys, Z)
    assert sorted(round(float(ln[0, 0]), 12) for ln in lines) == [-0.5, 0.5]
    assert all(np.ptp(ln[:, 0]) == 0 for ln in lines)
    # non-finite values split the curve instead of corrupting it
    Z = X.copy()
    Z[40, :] = np.nan
    assert len(zero_contours(xs, ys, Z)) == 2


def test_fhn_nullclines(fhn_pp):
    nc = fhn_pp.nullclines()
    (vline,) = nc["v"]
    (wline,) = nc["w"]
    h = 6 / (nc.resolution - 1)
    # v' = 0: w = v - v^3/3 + I (curved: O(h^2) error); w' = 0: w = (v + a)/b (linear: exact)
    assert np.max(np.abs(vline[:, 1] - (vline[:, 0] - vline[:, 0] ** 3 / 3 + 0.5))) < 0.5 * h**2 * 2
    assert np.max(np.abs(wline[:, 1] - (wline[:, 0] + 0.7) / 0.8)) < 1e-12
    # a window that cuts the cubic three times gives three separate branches
    pp = PhasePlane(fhn, variables={"v": (-3, 3), "w": (-0.5, 0.5)}, params={"I": 0.0})
    assert len(pp.nullclines()["v"]) == 3


# --------------------------------------------------------------------------------------------- fixed points


@pytest.mark.parametrize(
    "eig, kind",
    [
        ([-1, -2], "stable node"),
        ([1, 2], "unstable node"),
        ([-1 + 2j, -1 - 2j], "stable focus"),
        ([0.1 + 1j, 0.1 - 1j], "unstable focus"),
        ([-1, 2], "saddle"),
        ([1e-12 + 1j, 1e-12 - 1j], "centre"),
        ([0, -1], "non-hyperbolic"),
        ([-1 + 1e-9j, -1 - 1e-9j], "stable node"),  # a defective double eigenvalue split by rounding
        ([-1 + 1j, -1 - 1j, -0.1], "stable node"),  # the leading (slowest) eigenvalue is real
        ([-1, -2, 3], "saddle"),
    ],
)
def test_classification(eig, kind):
    assert classify_equilibrium(np.array(eig)) == kind


@pytest.mark.parametrize("I", [0.0, 0.33, 0.5, 1.0, 1.5])
def test_fhn_fixed_points_against_the_cubic(fhn_pp, I):
    fps = fhn_pp.set_params(I=I).fixed_points()
    roots = np.roots([1 / 3, 0.0, 1 / 0.8 - 1, 0.7 / 0.8 - I])
    v = roots[np.argmin(np.abs(roots.imag))].real
    (fp,) = fps
    assert abs(fp.state["v"] - v) < 1e-12 and abs(fp.state["w"] - (v + 0.7) / 0.8) < 1e-12
    J = np.array([[1 - v**2, -1.0], [1 / 12.5, -0.8 / 12.5]])
    tr, det = np.trace(J), np.linalg.det(J)
    expected = ("stable " if tr < 0 else "unstable ") + ("focus" if tr * tr < 4 * det else "node")
    assert fp.kind == expected and fp.stable == (tr < 0)
    np.testing.assert_allclose(fp.jacobian, J, atol=1e-14)


def test_three_fixed_points_and_one_dimensional_systems():
    pp = PhasePlane(fhn, variables={"v": (-3, 3), "w": (-2, 3)}, params={"I": 0.35, "b": 2.0})
    fps = pp.fixed_points()
    roots = np.sort(np.roots([1 / 3, 0.0, 1 / 2.0 - 1, 0.7 / 2.0 - 0.35]).real)
    np.testing.assert_allclose([fp.state["v"] for fp in fps], roots, atol=1e-12)
    assert fps[1].kind == "saddle"

    def cubic(x, r=1.0):
        return r * x - x**3

    pp1 = PhasePlane(cubic, variables={"x": (-2, 2)})
    fps = pp1.fixed_points()
    assert [(round(fp.state["x"], 12), fp.kind) for fp in fps] == [
        (-1.0, "stable node"), (0.0, "unstable node"), (1.0, "stable node")]
    np.testing.assert_allclose([fp.eigenvalues[0].real for fp in fps], [-2, 1, -2], atol=1e-12)
    vf = pp1.vector_field(9)
    np.testing.assert_allclose(vf.u, vf.x - vf.x**3, atol=1e-14)
    # x' = x - x^3 has the exact solution x(t) = x0 e^t / sqrt(1 + x0^2 (e^{2t} - 1))
    tr = pp1.trajectory({"x": 0.1}, duration=8.0, n_points=81)
    exact = 0.1 * np.exp(tr.t) / np.sqrt(1 + 0.01 * (np.exp(2 * tr.t) - 1))
    np.testing.assert_allclose(tr["x"], exact, atol=1e-9)
    with pytest.raises(ValueError, match=r"nullclines need two displayed variables"):
        pp1.nullclines()
    with pytest.raises(ValueError, match=r"one-dimensional flow has no periodic orbits"):
        pp1.limit_cycle()


class FakeNeuron:
    """A tiny model following the brainlab model protocol: FitzHugh-Nagumo driven by a third variable c."""

    variable_names = ("V", "w", "c")

    def vector_field(self, state, params):
        V, w, c = state["V"], state["w"], state["c"]
        return {"V": V - V**3 / 3 - w + params["I_ext"] + c, "w": (V + 0.7 - 0.8 * w) / params["tau"], "c": -c}

    def param_values(self):
        return {"I_ext": 0.0, "tau": 12.5}

    def initial_state(self):
        return {"V": -1.2, "w": -0.6, "c": 0.0}


def test_models_and_slices_of_higher_dimensional_systems():
    # c is not displayed: by default it keeps its initial value 0, so (V, w) is FitzHugh-Nagumo at I = I_ext
    pp = PhasePlane(FakeNeuron(), variables={"V": (-3, 3), "w": (-2, 3)})
    assert pp.params == {"I_ext": 0.0, "tau": 12.5}
    for c, I in ((0.0, 0.0), (0.3, 0.3)):
        if c:  # a slice at c = 0.3: the reduced system is FitzHugh-Nagumo at I = I_ext + c
            pp = PhasePlane(FakeNeuron(), variables={"V": (-3, 3), "w": (-2, 3)}, fixed={"c": c})
        (fp,) = pp.fixed_points()
        roots = np.roots([1 / 3, 0.0, 1 / 0.8 - 1, 0.7 / 0.8 - I])
        v = roots[np.argmin(np.abs(roots.imag))].real
        assert abs(fp.state["V"] - v) < 1e-12 and fp.kind == "stable focus"
        np.testing.assert_allclose(fp.jacobian, [[1 - v * v, -1], [1 / 12.5, -0.8 / 12.5]], atol=1e-14)

    def three(x, y, z, k=1.0):
        return -x + z, -2 * y + x * z, k - z

    with pytest.raises(ValueError, match=r"pass fixed=\{'z': \.\.\.\}"):
        PhasePlane(three, variables={"x": (-1, 1), "y": (-1, 1)})
    with pytest.raises(ValueError, match=r"fixed takes the variables not displayed: 'z'"):
        PhasePlane(three, variables={"x": (-1, 1), "y": (-1, 1)}, fixed={"x": 0.0})


# --------------------------------------------------------------------------------------------- trajectories


def test_trajectories_match_the_exact_linear_flow():
    A = np.array([[-0.1, -2.0], [2.0, -0.3]])
    pp = PhasePlane(linear, variables={"x": (-2, 2), "y": (-2, 2)})
    x0 = np.array([1.0, 0.5])
    fwd = pp.trajectory(x0, duration=10.0, n_points=101)
    exact = np.array([expm(A * t) @ x0 for t in fwd.t])
    np.testing.assert_allclose(fwd.states, exact, atol=1e-9)
    bwd = pp.trajectory(x0, duration=3.0, n_points=31, backward=True)
    assert bwd.t[-1] == -3.0
    np.testing.assert_allclose(bwd.states, np.array([expm(A * t) @ x0 for t in bwd.t]), atol=1e-9)
    # a trajectory that leaves the window (enlarged by its size on each side) stops there
    grow = PhasePlane(linear, variables={"x": (-1, 1), "y": (-1, 1)}, params=dict(a11=1.0, a12=0.0, a21=0.0,
                                                                                 a22=-1.0))
    tr = grow.trajectory({"x": 0.5, "y": 0.5}, duration=20.0)
    assert "left the window" in tr.message and tr.t[-1] < 20 and np.all(np.abs(tr["x"]) <= 3.0 + 1e-6)
    assert abs(tr.t[-1] - np.log(3.0 / 0.5)) < 0.02  # x = 0.5 e^t reaches 3 at t = ln 6


def test_limit_cycle_of_the_hopf_normal_form():
    pp = PhasePlane(radial, variables={"x": (-2, 2), "y": (-2, 2)})
    lc = pp.limit_cycle(transient=100.0, duration=100.0)  # starts next to the unstable focus at the origin
    assert lc.found and lc.stable and lc.message == "periodic orbit found"
    assert abs(lc.period - np.pi) < 1e-8  # 2 pi / omega
    assert np.max(np.abs(np.hypot(lc.states[:, 0], lc.states[:, 1]) - 1.0)) < 1e-8  # radius sqrt(-mu/c)
    assert lc.amplitude["x"] == pytest.approx(2.0, abs=1e-5)


def test_repelling_cycle_found_backward():
    pp = PhasePlane(radial, variables={"x": (-1.5, 1.5), "y": (-1.5, 1.5)},
                    params=dict(mu=-0.2, c=1.0, d=1.0, omega=1.5))
    r_u, r_s = np.sqrt((1 - np.sqrt(0.2)) / 2), np.sqrt((1 + np.sqrt(0.2)) / 2)
    unstable = pp.limit_cycle(backward=True, transient=100.0, duration=100.0)  # from next to the stable focus
    assert unstable.found and not unstable.stable
    assert np.max(np.abs(np.hypot(*unstable.states.T) - r_u)) < 1e-8
    assert abs(unstable.period - 2 * np.pi / 1.5) < 1e-8
    stable = pp.limit_cycle(start={"x": 0.9, "y": 0.0}, transient=100.0, duration=100.0)
    assert stable.found and np.max(np.abs(np.hypot(*stable.states.T) - r_s)) < 1e-8
    none = pp.limit_cycle(start={"x": 0.3, "y": 0.0}, transient=100.0, duration=100.0)  # decays to the focus
    assert not none.found and "equilibrium" in none.message


def test_fhn_cycle_period_against_scipy(fhn_pp):
    lc = fhn_pp.set_params(I=0.5).limit_cycle(transient=300.0, duration=300.0)
    assert lc.found and lc.stable

    def rhs(t, s):
        return list(fhn(*s))

    def section(t, s):
        return s[0]

    section.direction = 1
    sol = solve_ivp(rhs, (0, 600), [-1.0, 0.0], method="DOP853", rtol=1e-12, atol=1e-12, events=section)
    crossings = sol.t_events[0]
    assert abs(lc.period - (crossings[-1] - crossings[-2])) < 1e-7 * lc.period


def test_separatrices_follow_the_invariant_manifolds():
    # x' = x, y' = -y + x^2: the unstable manifold of the saddle at 0 is y = x^2/3, the stable one the y axis
    pp = PhasePlane(linear, variables={"x": (-1, 1), "y": (-1, 1)}, params=dict(a11=1.0, a12=0.0, a21=0.0,
                                                                               a22=-1.0, q=1.0))
    seps = pp.separatrices(duration=20.0)
    kinds = sorted((c.kind, c.side) for c in seps)
    assert kinds == [("stable", -1), ("stable", 1), ("unstable", -1), ("unstable", 1)]
    for c in seps:
        x, y = c.states[:, 0], c.states[:, 1]
        if c.kind == "unstable":  # O(delta^2) from the linear start, then the integrator's accuracy
            assert np.max(np.abs(y - x * x / 3)) < 1e-9 and np.max(np.abs(x)) > 0.9
        else:
            assert np.max(np.abs(x)) < 1e-12 and np.max(np.abs(y)) > 0.9


def test_separatrices_of_a_slow_saddle_get_a_duration_from_its_eigenvalues():
    # the system above slowed down 500 times (x' = eps x, y' = -eps y + eps x^2, eps = 0.002/ms): the same
    # manifolds, y = x^2/3 and the y axis, now traced over seconds.  200 ms would grow the start by e^0.4.
    eps = 0.002
    pp = PhasePlane(linear, variables={"x": (-1, 1), "y": (-1, 1)},
                    params=dict(a11=eps, a12=0.0, a21=0.0, a22=-eps, q=eps))
    seps = pp.separatrices()
    assert len(seps) == 4
    for c in seps:
        x, y = c.states[:, 0], c.states[:, 1]
        if c.kind == "unstable":
            assert np.max(np.abs(y - x * x / 3)) < 1e-8 and np.max(np.abs(x)) > 0.9
        else:
            assert np.max(np.abs(x)) < 1e-12 and np.max(np.abs(y)) > 0.9
    # the automatic duration ln(1e2 / offset) / |lambda| (offset 1e-6), or the one given
    assert _separatrix_duration(eps, 1e-6) == pytest.approx(np.log(1e8) / eps)
    assert _separatrix_duration(5.0, 1e-6) == 200.0 and _separatrix_duration(1e-9, 1e-6) == 1e5
    short = pp.portrait(separatrices=True, separatrix_duration=200.0).separatrices
    for c in short:
        assert np.max(np.abs(c.states)) < 1e-4  # 200 ms: still at the saddle
        assert np.array_equal(c.states, next(d.states for d in pp.separatrices(200.0)
                                             if (d.kind, d.side) == (c.kind, c.side)))
    with pytest.raises(ValueError, match=r"PhasePlane.separatrices: duration must be a positive number of ms"):
        pp.separatrices(-5.0)


# --------------------------------------------------------------------------------------------- API behaviour


def test_parameter_changes_do_not_recompile(fhn_pp):
    # Speed is measured by benchmarks/analysis.py (the 50 ms target), not asserted here: a wall-clock limit in a
    # unit test gives a different verdict on a busy machine.  What makes updates fast is that nothing retraces.
    fhn_pp.update(I=0.4)
    fhn_pp.trajectory({"v": 0.0, "w": 0.0}, 10.0)
    before = fhn_pp.system.trace_count
    for I in np.linspace(0.0, 1.5, 6):
        port = fhn_pp.update(I=float(I), tau=12.0 + I)
        assert len(port.fixed_points) == 1
    fhn_pp.trajectory({"v": 0.0, "w": 0.0}, 10.0)
    assert fhn_pp.system.trace_count == before


def test_plots(fhn_pp):
    from bokeh.embed import file_html
    from bokeh.resources import CDN

    fhn_pp.set_params(I=0.5)
    port = fhn_pp.portrait(separatrices=True, limit_cycle=True, trajectories=[{"v": -2.0, "w": 1.0}])
    assert len(port.limit_cycles) == 1 and port.limit_cycles[0].found
    fig = port.plot()
    assert len(fig.renderers) >= 5 and fig.xaxis[0].axis_label == "v" and fig.yaxis[0].axis_label == "w"
    assert "<html" in file_html(fig, CDN, "pp").lower()
    for piece in (port.vector_field, port.nullclines, port.fixed_points, port.trajectories[0], port.limit_cycles[0]):
        assert piece.plot() is not None
    pp1 = PhasePlane(lambda x, r=1.0: r * x - x**3, variables={"x": (-2, 2)})
    assert "<html" in file_html(pp1.plot(), CDN, "1d").lower()


def test_clear_errors():
    with pytest.raises(ValueError, match=r"no state variable 'u'.*Valid variables: 'v', 'w'"):
        PhasePlane(fhn, variables={"u": (-1, 1), "w": (-1, 1)})
    with pytest.raises(ValueError, match=r"has no parameter 'J'.*Valid parameters: 'I', 'a', 'b', 'tau'"):
        PhasePlane(fhn, variables={"v": (-1, 1), "w": (-1, 1)}, params={"J": 1.0})
    pp = PhasePlane(fhn, variables={"v": (-1, 1), "w": (-1, 1)})
    with pytest.raises(ValueError, match=r"has no parameter 'K'"):
        pp.set_params(K=1.0)
    with pytest.raises(ValueError, match=r"I=nan must be a finite number"):
        pp.set_params(I=float("nan"))
    with pytest.raises(ValueError, match=r"window of 'v' in variables must be \(low, high\).*'v': \(-1, 1\)"):
        PhasePlane(fhn, variables={"v": (1, -1), "w": (-1, 1)})
    with pytest.raises(ValueError, match=r"variables must be a dict of one or two"):
        PhasePlane(fhn, variables={})
    with pytest.raises(ValueError, match=r"start is missing 'w'.*e.g. start=\{'v': 0.0, 'w': ...\}"):
        pp.trajectory({"v": 0.0})
    with pytest.raises(ValueError, match=r"duration must be a positive number of ms"):
        pp.trajectory({"v": 0.0, "w": 0.0}, duration=-1.0)
    with pytest.raises(TypeError, match=r"takes \*args"):
        PhasePlane(lambda *args: args, variables={"v": (-1, 1)})
