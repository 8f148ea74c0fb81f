"""Continuation of equilibria: closed forms, normal forms and published values (MatCont manual).

Independent truth used here:
- FitzHugh-Nagumo: the equilibrium solves a cubic; Hopf where the trace 1 - v*^2 - b/tau vanishes; folds where
  the cubic has a double root (zero discriminant).
- Normal forms of the fold, pitchfork, Hopf and neutral saddle, with known bifurcation values.
- The first Lyapunov coefficient against the classical planar formula of Guckenheimer & Holmes (1983),
  eq. (3.4.11), for a random planar polynomial system and for FitzHugh-Nagumo in eigen-coordinates.
- The MLfast example printed in the MatCont manual (Dhooge, Govaerts, Kuznetsov, Meijer, Sautois, "New features
  of the software MatCont", and the CL_MatCont manual, section "the fast Morris-Lecar equations").
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from brainlab.analysis._continuation import Continuation
from brainlab.analysis._system import System, as_system

# --------------------------------------------------------------------------------------------- systems


def fhn(v, w, I=0.5, a=0.7, b=0.8, tau=12.5):
    return v - v**3 / 3 - w + I, (v + a - b * w) / tau


def fold_nf(x, mu=-1.0):
    return mu - x**2


def pitchfork(x, mu=-1.0):
    return mu * x - x**3


def hopf_nf(x, y, mu=-1.0, omega=2.0, a=-1.0):
    r2 = x * x + y * y
    return mu * x - omega * y + a * x * r2, omega * x + mu * y + a * y * r2


def neutral_saddle(x, y, mu=-1.0):
    # J = [[0, 1], [1, mu]]: eigenvalues (mu +- sqrt(mu^2 + 4)) / 2, real of opposite signs, summing to mu.
    return y, x + mu * y


def circle(x, mu=0.0):
    # equilibria on the closed curve x^2 + mu^2 = 1: folds at mu = -1 and +1
    return 1.0 - x**2 - mu**2


def mlfast(v, w, y=0.110472, z=0.1):
    minf = (1 + jnp.tanh((v + 0.01) / 0.15)) / 2
    winf = (1 + jnp.tanh((v - z) / 0.145)) / 2
    tau = jnp.cosh((v - 0.1) / 0.29)
    return y - 0.5 * (v + 0.5) - 2 * w * (v + 0.7) - minf * (v - 1), 1.15 * (winf - w) * tau


@pytest.fixture(scope="module")
def fhn_cont():
    return Continuation(fhn, param="I", bounds=(0.0, 2.0))


@pytest.fixture(scope="module")
def fhn_branch(fhn_cont):
    return fhn_cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.0})


# --------------------------------------------------------------------------------------------- FHN closed forms


def test_fhn_branch_points_are_equilibria_with_correct_stability(fhn_branch):
    br = fhn_branch
    assert br.params[0] == 0.0 and br.params[-1] == 2.0  # the run ends exactly on the bounds
    sys_ = br.system
    for I, x, eig, st in zip(br.params, br.states, br.eigenvalues, br.stable):
        p = sys_.params_vector({"I": I})
        assert np.max(np.abs(sys_.evaluate(x, p))) < 1e-11
        # v* is the real root of the cubic v^3/3 + (1/b - 1) v + a/b - I = 0 (unique for b < 1)
        roots = np.roots([1 / 3, 0.0, 1 / 0.8 - 1, 0.7 / 0.8 - I])
        v_true = roots[np.argmin(np.abs(roots.imag))].real
        assert abs(x[0] - v_true) < 1e-10
        J = np.array([[1 - x[0] ** 2, -1.0], [1 / 12.5, -0.8 / 12.5]])
        np.testing.assert_allclose(np.sort_complex(eig), np.sort_complex(np.linalg.eigvals(J)), atol=1e-12)
        assert st == (np.trace(J) < 0)
    assert np.all(np.diff(br.params) > 0)  # a single-valued branch (b < 1)


def test_fhn_hopf_points_match_closed_form(fhn_branch):
    # Trace zero: 1 - v^2 = b/tau  =>  v = +-sqrt(1 - b/tau); I from the equilibrium condition
    # I = v^3/3 + (1/b - 1) v + a/b; omega^2 = det J = (1 - b (1 - v^2)) / tau = (1 - b^2/tau) / tau.
    a, b, tau = 0.7, 0.8, 12.5
    hopf = fhn_branch.special("hopf")
    assert [sp.kind for sp in fhn_branch.special_points] == ["hopf", "hopf"]
    for sp, sign in zip(hopf, (-1, 1)):
        v = sign * np.sqrt(1 - b / tau)
        I = v**3 / 3 + (1 / b - 1) * v + a / b
        assert abs(sp.params["I"] - I) < 1e-10
        assert abs(sp.state["v"] - v) < 1e-10 and abs(sp.state["w"] - (v + a) / b) < 1e-10
        assert abs(sp.omega - np.sqrt((1 - b**2 / tau) / tau)) < 1e-10
        J = np.array([[1 - v**2, -1.0], [1 / tau, -b / tau]])
        q = sp.eigenvector
        np.testing.assert_allclose(J @ q, 1j * sp.omega * q, atol=1e-10)
        assert abs(np.linalg.norm(q) - 1) < 1e-12
        assert abs(np.vdot(sp.adjoint_eigenvector, q) - 1) < 1e-12
        assert sp.index in range(len(fhn_branch)) and fhn_branch.params[sp.index] == sp.params["I"]


def test_fhn_folds_match_discriminant():
    # b = 2 > 1: the cubic v^3/3 + (1/b - 1) v + a/b - I has three real roots between two folds where
    # dI/dv = v^2 + 1/b - 1 = 0, i.e. v = +-sqrt(1 - 1/b).
    a, b = 0.7, 2.0
    cont = Continuation(fhn, param="I", bounds=(-1.0, 2.0))
    br = cont.equilibria(start={"v": -1.5, "w": -0.4}, params={"I": 0.0, "b": b})
    folds = br.special("fold")
    assert len(folds) == 2
    for sp in folds:
        v = np.sign(sp.state["v"]) * np.sqrt(1 - 1 / b)
        I = v**3 / 3 + (1 / b - 1) * v + a / b
        assert abs(sp.params["I"] - I) < 1e-10 and abs(sp.state["v"] - v) < 1e-10
        # the discriminant of v^3 + P v + Q (times 3) vanishes at a fold: -4 P^3 - 27 Q^2 = 0
        P, Q = 3 * (1 / b - 1), 3 * (a / b - sp.params["I"])
        assert abs(-4 * P**3 - 27 * Q**2) < 1e-9
        q = sp.eigenvector
        J = np.array([[1 - sp.state["v"] ** 2, -1.0], [1 / 12.5, -b / 12.5]])
        assert np.linalg.norm(J @ q) < 1e-10 and abs(np.linalg.norm(q) - 1) < 1e-12
        # normal-form coefficient a = 1/2 p^T B(q, q) with B(q, q) = (-2 v q_v^2, 0)
        expected = 0.5 * sp.adjoint_eigenvector[0] * (-2 * sp.state["v"] * q[0] ** 2)
        assert abs(sp.a - expected) < 1e-10
    # between the folds there are three equilibria for every I: the branch is S-shaped
    assert np.any(np.diff(br.params) < 0)


# --------------------------------------------------------------------------------------------- normal forms


def test_fold_normal_form():
    br = Continuation(fold_nf, "mu", (-1.0, 1.0)).equilibria(start={"x": -1.0}, params={"mu": 1.0})
    (sp,) = br.special_points
    assert sp.kind == "fold" and abs(sp.params["mu"]) < 1e-12 and abs(sp.state["x"]) < 1e-12
    # x' = mu - x^2: B(q, q) = -2 q^2, q = p = +-1  =>  |a| = 1
    assert abs(abs(sp.a) - 1.0) < 1e-12
    assert abs(br.params.min()) < 1e-12  # the branch turns at the fold
    assert abs(br.params[0] - 1.0) < 1e-12 and abs(br.params[-1] - 1.0) < 1e-12  # both ends on mu = 1


def test_pitchfork_gives_a_branch_point_not_a_fold():
    br = Continuation(pitchfork, "mu", (-1.0, 1.0)).equilibria(start={"x": 0.0}, params={"mu": -1.0})
    assert [sp.kind for sp in br.special_points] == ["branch_point"]
    assert abs(br.special_points[0].params["mu"]) < 1e-10
    assert np.all(br.stable == (br.params < 0))  # on x = 0 the eigenvalue is mu


def transcritical(x, mu=-1.0):
    return mu * x - x**2


@pytest.mark.parametrize("field, other", [(pitchfork, lambda mu: mu), (transcritical, lambda mu: mu**2)])
def test_branch_switching_at_branch_points(field, other):
    # the other branch through the branch point (0, 0): mu = x^2 (pitchfork) or x = mu (transcritical);
    # `other(mu)` returns x^2 for the pitchfork and x^2 = mu^2 for the transcritical case
    cont = Continuation(field, "mu", (-1.0, 1.0))
    trivial = cont.equilibria(start={"x": 0.0}, params={"mu": -1.0})
    (bp,) = trivial.special("branch_point")
    np.testing.assert_allclose(np.abs(bp.tangent), [0.0, 1.0], atol=1e-12)  # the trivial branch x = 0
    br = cont.equilibria(start=bp)
    x, mu = br.states[:, 0], br.params
    assert np.max(np.abs(field(x, mu))) < 1e-12
    np.testing.assert_allclose(x**2, other(mu), atol=1e-10)
    assert np.max(np.abs(x)) > 0.9 and np.min(np.abs(x)) < 1e-12  # both sides, through the branch point
    # nontrivial equilibria are stable where they exist for mu > 0 (f_x = mu - 3x^2 = -2mu, or mu - 2x = -mu)
    assert np.all(br.stable[mu > 1e-6])


@pytest.mark.parametrize("a", [-1.0, 0.5])
def test_hopf_normal_form_l1_equals_2a_over_omega(a):
    # z = x + i y obeys z' = (mu + i omega) z + a z |z|^2.  With Kuznetsov's normalisation <q, q> = 1,
    # q = (1, -i)/sqrt(2), the critical coordinate is z' = <p, x> = z / sqrt(2), which obeys
    # z'' = i omega z' + 2 a z' |z'|^2, so c1 = 2a and l1 = Re(c1) / omega = 2a / omega.
    omega = 2.0
    br = Continuation(hopf_nf, "mu", (-1.0, 1.0)).equilibria(start={"x": 0.0, "y": 0.0},
                                                             params={"mu": -1.0, "a": a, "omega": omega})
    (sp,) = br.special_points
    assert sp.kind == "hopf" and abs(sp.params["mu"]) < 1e-12
    assert abs(sp.omega - omega) < 1e-12
    assert abs(sp.l1 - 2 * a / omega) < 1e-12
    assert sp.criticality == ("supercritical" if a < 0 else "subcritical")
    assert abs(sp.period - np.pi) < 1e-12


def test_neutral_saddle_is_not_reported_as_hopf():
    br = Continuation(neutral_saddle, "mu", (-1.0, 1.0)).equilibria(start={"x": 0.0, "y": 0.0},
                                                                    params={"mu": -1.0})
    kinds = [sp.kind for sp in br.special_points]
    assert "hopf" not in kinds
    assert kinds == ["neutral_saddle"]
    sp = br.special_points[0]
    assert abs(sp.params["mu"]) < 1e-12 and sp.kappa < 0  # eigenvalues +-1: kappa = lambda1 lambda2 = -1
    assert abs(sp.kappa + 1.0) < 1e-10
    assert not np.any(br.stable)  # a saddle throughout


def test_closed_branch_is_followed_once_around():
    br = Continuation(circle, "mu", (-2.0, 2.0)).equilibria(start={"x": 1.0}, params={"mu": 0.0})
    assert "closed" in br.message
    folds = sorted(sp.params["mu"] for sp in br.special("fold"))
    assert len(folds) == 2 and abs(folds[0] + 1) < 1e-11 and abs(folds[1] - 1) < 1e-11
    assert np.max(np.abs(br.states[:, 0] ** 2 + br.params**2 - 1)) < 1e-10


# --------------------------------------------------------------------------------------------- Lyapunov coefficient


def _gh_coefficient(f2, f3, g2, g3, omega):
    """Guckenheimer & Holmes (1983) eq. (3.4.11) for x' = -omega y + f, y' = omega x + g.

    f2 = (f_xx, f_xy, f_yy), f3 = (f_xxx, f_xyy); g2 = (g_xx, g_xy, g_yy), g3 = (g_xxy, g_yyy).
    """
    fxx, fxy, fyy = f2
    gxx, gxy, gyy = g2
    return (f3[0] + f3[1] + g3[0] + g3[1]) / 16 + (fxy * (fxx + fyy) - gxy * (gxx + gyy) - fxx * gxx + fyy * gyy) / (
        16 * omega
    )


def test_l1_matches_guckenheimer_holmes_for_a_random_planar_system():
    rng = np.random.default_rng(7)
    c, d = rng.normal(size=7), rng.normal(size=7)
    omega = 1.3

    def poly(x, y, k):
        quadratic = k[0] * x * x + k[1] * x * y + k[2] * y * y
        return quadratic + k[3] * x**3 + k[4] * x * x * y + k[5] * x * y * y + k[6] * y**3

    def field(x, y, mu=-0.5):
        return mu * x - omega * y + poly(x, y, c), omega * x + mu * y + poly(x, y, d)

    br = Continuation(field, "mu", (-0.5, 0.5)).equilibria(start={"x": 0.0, "y": 0.0}, params={"mu": -0.5})
    hopf = [sp for sp in br.special_points if sp.kind == "hopf"]
    assert len(hopf) == 1 and abs(hopf[0].params["mu"]) < 1e-12
    a_gh = _gh_coefficient((2 * c[0], c[1], 2 * c[2]), (6 * c[3], 2 * c[5]),
                           (2 * d[0], d[1], 2 * d[2]), (2 * d[4], 6 * d[6]), omega)
    # In these coordinates q = (1, -i)/sqrt(2), so l1 (Kuznetsov, <q,q> = 1) = 2 a_GH / omega (see the
    # Hopf normal-form test for the factor 2).
    assert abs(hopf[0].l1 - 2 * a_gh / omega) < 1e-12 * max(1.0, abs(a_gh))


def test_fhn_l1_matches_planar_formula_in_eigen_coordinates(fhn_branch):
    # At the Hopf point u = x - x*: u' = J u + N(u_v) e_v with N(s) = -v* s^2 - s^3/3.  In coordinates
    # u = P (X, Y), P = sqrt(2) [Re q, -Im q], the linear part is [[0, -omega], [omega, 0]] and q maps to
    # (1, -i)/sqrt(2), so l1 = 2 a_GH / omega with f = c1 N(alpha . (X, Y)), g = c2 N(...), (c1, c2) = P^-1 e_v.
    for sp in fhn_branch.special("hopf"):
        q, om, v = sp.eigenvector, sp.omega, sp.state["v"]
        P = np.sqrt(2) * np.column_stack([q.real, -q.imag])
        J = np.array([[1 - v**2, -1.0], [1 / 12.5, -0.8 / 12.5]])
        np.testing.assert_allclose(np.linalg.solve(P, J @ P), [[0, -om], [om, 0]], atol=1e-12)
        ax, ay = P[0]
        c1, c2 = np.linalg.solve(P, [1.0, 0.0])
        N2, N3 = -2 * v, -2.0
        f2 = tuple(c1 * N2 * t for t in (ax * ax, ax * ay, ay * ay))
        g2 = tuple(c2 * N2 * t for t in (ax * ax, ax * ay, ay * ay))
        f3 = (c1 * N3 * ax**3, c1 * N3 * ax * ay * ay)
        g3 = (c2 * N3 * ax * ax * ay, c2 * N3 * ay**3)
        assert abs(sp.l1 - 2 * _gh_coefficient(f2, f3, g2, g3, om) / om) < 1e-10
        assert sp.l1 > 0  # both Hopf points of the classic FHN parameters are subcritical


# --------------------------------------------------------------------------------------------- MatCont


def test_mlfast_matches_the_matcont_manual():
    """The equilibrium curve of the fast Morris-Lecar subsystem, as printed in the MatCont manual.

    MatCont's output (testEquilMLfast.m, 6 significant digits):
      H  at (v, w, y) = (0.036756, 0.294770, 0.075658), "First Lyapunov coefficient = 8.238955e+00"
      LP at (-0.033738, 0.136501, -0.020727), a = -1.036700e+01
      Neutral saddle at (-0.119894, 0.045956, 0.033207)
      LP at (-0.244914, 0.008514, 0.083257), a = -2.697425e+00
    MatCont prints Re c1 = omega * l1 for the Hopf point (its nf_H omits Kuznetsov's 1/omega), so we compare
    omega * l1.  The sign of the fold coefficient a depends on the orientation of the null vector, so we
    compare |a|; MatCont's second derivatives are finite differences, hence the 1e-5 relative tolerance.
    """
    br = Continuation(mlfast, "y", (-0.1, 0.2)).equilibria(start={"v": 0.047222, "w": 0.32564},
                                                          params={"y": 0.110472})
    by_kind = {}
    for sp in br.special_points:
        by_kind.setdefault(sp.kind, []).append(sp)
    assert sorted(by_kind) == ["fold", "hopf", "neutral_saddle"]
    (h,) = by_kind["hopf"]
    np.testing.assert_allclose([h.state["v"], h.state["w"], h.params["y"]], [0.036756, 0.294770, 0.075658],
                               atol=1.5e-6)
    assert abs(h.l1 * h.omega - 8.238955) < 1e-5 * 8.238955
    (ns,) = by_kind["neutral_saddle"]
    np.testing.assert_allclose([ns.state["v"], ns.state["w"], ns.params["y"]], [-0.119894, 0.045956, 0.033207],
                               atol=1.5e-6)
    folds = sorted(by_kind["fold"], key=lambda s: s.params["y"])
    np.testing.assert_allclose([folds[0].state["v"], folds[0].state["w"], folds[0].params["y"]],
                               [-0.033738, 0.136501, -0.020727], atol=1.5e-6)
    np.testing.assert_allclose([folds[1].state["v"], folds[1].state["w"], folds[1].params["y"]],
                               [-0.244914, 0.008514, 0.083257], atol=1.5e-6)
    assert abs(abs(folds[0].a) - 10.36700) < 1e-5 * 10.367
    assert abs(abs(folds[1].a) - 2.697425) < 2e-5 * 2.697425


# --------------------------------------------------------------------------------------------- API behaviour


class FakeNeuron:
    """A tiny model following the brainlab model protocol (FitzHugh-Nagumo in model form)."""

    variable_names = ("V", "w")

    def __init__(self, I_ext: float = 0.0) -> None:
        self.I_ext = I_ext

    def vector_field(self, state, params):
        V, w = state["V"], state["w"]
        return {"V": V - V**3 / 3 - w + params["I_ext"], "w": (V + params["a"] - params["b"] * w) / params["tau"]}

    def param_values(self):
        return {"I_ext": self.I_ext, "a": 0.7, "b": 0.8, "tau": 12.5}

    def initial_state(self):
        return {"V": -1.0, "w": -0.5}


def test_model_protocol_and_resting_state_start():
    cont = Continuation(FakeNeuron(), param="I_ext", bounds=(0.0, 2.0))
    br = cont.equilibria()  # starts from the resting state found by Newton from initial_state()
    assert br.variable_names == ("V", "w")
    hopf = br.special("hopf")
    assert len(hopf) == 2 and abs(hopf[0].params["I_ext"] - 0.33128133745474575) < 1e-10
    assert br["V"].shape == br["I_ext"].shape == (len(br),)


def test_plain_function_without_start_searches_for_the_rest_state(fhn_cont, fhn_branch):
    br = fhn_cont.equilibria(params={"I": 0.0}, direction="forward")
    assert abs(br.states[0, 0] - fhn_branch.states[0, 0]) < 1e-12
    assert br.params[0] == 0.0 and np.all(np.diff(br.params) > 0)


def test_parameter_changes_do_not_recompile(fhn_cont, fhn_branch):
    sys_ = fhn_cont.system
    before = sys_.trace_count
    fhn_cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.0, "a": 0.75, "tau": 11.0})
    fhn_cont.equilibria(start={"v": -1.2, "w": -0.62}, params={"I": 0.1, "b": 0.7})
    assert sys_.trace_count == before


def test_branch_plot_returns_a_bokeh_figure(fhn_branch):
    from bokeh.embed import file_html
    from bokeh.plotting import figure
    from bokeh.resources import CDN

    fig = fhn_branch.plot("w")
    assert isinstance(fig, figure().__class__)
    assert fig.xaxis[0].axis_label == "I" and fig.yaxis[0].axis_label == "w"
    assert "<html" in file_html(fig, CDN, "branch").lower()


def test_clear_errors():
    with pytest.raises(ValueError, match=r"has no parameter 'J'.*Valid parameters: 'I', 'a', 'b', 'tau'"):
        Continuation(fhn, param="J", bounds=(0, 1))
    cont = Continuation(fhn, param="I", bounds=(0.0, 1.0))
    with pytest.raises(ValueError, match=r"has no state variable 'x'.*Valid variables: 'v', 'w'"):
        cont.equilibria(start={"x": 0.0, "v": 1.0})
    with pytest.raises(ValueError, match=r"I=3 lies outside bounds"):
        cont.equilibria(start={"v": -1.2, "w": -0.6}, params={"I": 3.0})
    with pytest.raises(ValueError, match=r"has no parameter 'c'"):
        cont.equilibria(start={"v": -1.2, "w": -0.6}, params={"c": 3.0})
    with pytest.raises(ValueError, match=r"direction must be"):
        cont.equilibria(start={"v": -1.2, "w": -0.6}, direction="up")
    with pytest.raises(ValueError, match=r"bounds=\(1, 0\) of fhn's parameter 'I' are reversed.*bounds=\(0, 1\)"):
        Continuation(fhn, param="I", bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match=r"found no equilibrium"):
        Continuation(lambda x, c=1.0: c + x**2, "c", (0.5, 2.0)).equilibria(start={"x": 0.0})
    with pytest.raises(ValueError, match=r"returned 1 derivative\(s\) for 2 variable"):
        as_system(lambda v, w, I=0.0: (v,))
    with pytest.raises(ValueError, match=r"'tau' of .* no default"):
        System.from_function(lambda v, *, tau: -v / tau).params_vector(None)
