"""Periodic orbits: collocation continuation, Floquet multipliers, bifurcations of cycles, fast-slow analysis.

Independent truth used here:
- Hopf normal form, supercritical and subcritical (r' = mu r + 2 r^3 - r^5): cycles are circles with known radii,
  period 2 pi/omega, radial Floquet multiplier exp(T d(dr/dt)/dr), and a fold of cycles at mu = -1, r = 1.
- Constructed cycles with exactly known multipliers: the unit circle in the (x, y) plane with a transverse frame
  turning half a revolution per lap (a Moebius band: multiplier -exp(2 pi mu), period doubling at mu = 0) and a
  rotating transverse pair (multipliers exp(2 pi (mu - 0.3 +- i beta)), torus at mu = 0.3).
- Van der Pol at mu = 1: period 6.6632868593231301896996820305 and amplitude 2.00861986087484313650940188 (Hairer,
  Norsett & Wanner, "Solving Ordinary Differential Equations I", 2nd ed., Springer 1993, Sec. I.16, exercise 1);
  the simulated orbit comes from scipy's solve_ivp.
- Collocation superconvergence: the period error falls like h^(2 ncol) (de Boor & Swartz 1973).
- Roessler (a = b = 0.2): the first period doubling located by collocation is confirmed by an independent shooting
  computation (scipy solve_ivp on the variational equations) on either side of it.
- Hindmarsh-Rose fast subsystem (a=1, b=3, c=1, d=5, I=2): equilibria satisfy z = 3 - x^3 - 2 x^2, so folds sit at
  x = 0 (z = 3) and x = -4/3 (z = 49/27), and the trace -3x^2 + 6x - 1 vanishes at x = 1 - sqrt(2/3) (Hopf, with
  omega^2 = det = 3x^2 + 4x).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import root

from brainlab.analysis._fast_slow import fast_slow_analysis, simulate_rk4
from brainlab.analysis._periodic import (
    CycleBranch,
    continue_cycles,
    continue_cycles_from_hopf,
    cycle_from_trajectory,
)

OMEGA = 2.0
Q = np.array([1.0, -1.0j]) / np.sqrt(2.0)  # eigenvector of [[mu, -w], [w, mu]] for +i w


def supercritical(x, mu):
    r2 = x[0] ** 2 + x[1] ** 2
    return jnp.stack([mu * x[0] - OMEGA * x[1] - r2 * x[0], OMEGA * x[0] + mu * x[1] - r2 * x[1]])


def subcritical(x, mu):
    r2 = x[0] ** 2 + x[1] ** 2
    g = mu + 2.0 * r2 - r2**2
    return jnp.stack([g * x[0] - x[1], x[0] + g * x[1]])


BETA = 0.3


def moebius_torus(u, mu):
    """Unit circle in (x, y) at angular speed 1; transverse (r - 1, z) in a frame turning by theta/2 with rates
    (mu, -1), and a transverse pair (w1, w2) rotating with rates mu - 0.3 +- i BETA."""
    x, y, z, w1, w2 = u
    r = jnp.sqrt(x * x + y * y)
    c, s = x / r, y / r
    v1, v2 = r - 1.0, z
    a, b = (mu - 1.0) / 2.0, (mu + 1.0) / 2.0
    n2 = v1 * v1 + v2 * v2
    dv1 = -0.5 * v2 + (a + b * c) * v1 + b * s * v2 - n2 * v1
    dv2 = 0.5 * v1 + b * s * v1 + (a - b * c) * v2 - n2 * v2
    m2 = w1 * w1 + w2 * w2
    dw1 = (mu - 0.3) * w1 - BETA * w2 - m2 * w1
    dw2 = BETA * w1 + (mu - 0.3) * w2 - m2 * w2
    return jnp.stack([dv1 * c - y, dv1 * s + x, dv2, dw1, dw2])


def van_der_pol(x, mu):
    return jnp.stack([x[1], mu * (1.0 - x[0] ** 2) * x[1] - x[0]])


VDP_PERIOD = 6.6632868593231301896996820305
VDP_AMPLITUDE = 2.00861986087484313650940188


def hindmarsh_rose(u, a=1.0, b=3.0, c=1.0, d=5.0, s=4.0, xr=-1.6, r=0.001, I=2.0):
    x, y, z = u
    return jnp.stack([y - a * x**3 + b * x**2 - z + I, c - d * x**2 - y, r * (s * (x - xr) - z)])


# ---------------------------------------------------------------------------------------------- Hopf start


@pytest.fixture(scope="module")
def super_branch() -> CycleBranch:
    return continue_cycles_from_hopf(supercritical, 0.0, np.zeros(2), OMEGA, Q, p_bounds=(-1.0, 1.5), max_steps=40,
                                     ds_max=0.2)


def test_supercritical_cycles_have_radius_sqrt_mu_and_period_2pi_over_omega(super_branch):
    br = super_branch
    mu = br.params
    assert br.stop_reason == "p_bounds" and mu.max() > 1.0 and len(br) > 8
    assert np.all(np.diff(mu) > 0) and np.all(mu > 0)  # the branch lies on the supercritical side
    radius = np.sqrt((br.orbits**2).sum(axis=-1))  # at every collocation node
    np.testing.assert_allclose(radius, np.sqrt(mu)[:, None] * np.ones_like(radius), rtol=0, atol=1e-8)
    np.testing.assert_allclose(br.periods, 2 * np.pi / OMEGA, rtol=0, atol=1e-8)
    np.testing.assert_allclose(br.maxima, np.sqrt(mu)[:, None] * np.ones((1, 2)), atol=1e-8)
    np.testing.assert_allclose(br.minima, -np.sqrt(mu)[:, None] * np.ones((1, 2)), atol=1e-8)
    t, x = br.orbit(len(br) - 1, 50)
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), np.sqrt(mu[-1]), atol=1e-6)
    assert t[-1] == pytest.approx(br.periods[-1])


def test_supercritical_floquet_multipliers(super_branch):
    br = super_branch
    np.testing.assert_allclose(br.multipliers[:, 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(br.multipliers[:, 1], np.exp(-2 * br.params * br.periods), rtol=1e-8)
    assert np.all(br.trivial_error < 1e-8)  # the discretised monodromy matrix agrees with Liouville's formula
    assert br.stable.all() and br.special_points == ()


def test_subcritical_branch_folds_at_mu_minus_one():
    br = continue_cycles_from_hopf(subcritical, 0.0, np.zeros(2), 1.0, Q, p_bounds=(-2.0, 1.0), max_steps=80,
                                   ds_max=0.2)
    folds = br.special("fold_cycle")
    assert len(folds) == 1
    lpc = folds[0]
    assert lpc.param == pytest.approx(-1.0, abs=1e-6)
    assert lpc.maxima[0] == pytest.approx(1.0, abs=1e-6)  # r = 1 at the fold
    np.testing.assert_allclose(lpc.multipliers, [1.0, 1.0], atol=1e-6)  # a second multiplier at +1
    r2 = (br.orbits**2).sum(axis=-1).mean(axis=1)
    inner = 1.0 - np.sqrt(1.0 + br.params)
    outer = 1.0 + np.sqrt(1.0 + br.params)
    err = np.minimum(np.abs(r2 - inner), np.abs(r2 - outer))
    assert err.max() < 1e-8
    # Before the fold the small cycles are unstable, after it the large ones are stable.
    assert not br.stable[: lpc.index].any() and br.stable[lpc.index:].all()
    radial = np.exp(4 * r2 * (1 - r2) * br.periods)  # exp(T * d/dr (mu r + 2 r^3 - r^5)) on the cycle
    np.testing.assert_allclose(br.multipliers[:, 1].real, radial, rtol=1e-6)
    assert br.params[-1] > 0.5 and br.stop_reason == "p_bounds"
    from bokeh.models import LabelSet

    fig = br.plot()
    (labels,) = [r for r in fig.center if isinstance(r, LabelSet)]
    assert list(labels.source.data["label"]) == ["LPC"]
    assert labels.source.data["x"][0] == pytest.approx(-1.0, abs=1e-6)


# ---------------------------------------------------------------------------------------------- cycle bifurcations


def test_period_doubling_and_torus_located_with_exact_multipliers():
    t = np.linspace(0.0, 2 * np.pi, 64, endpoint=False)
    orbit = np.stack([np.cos(t), np.sin(t), 0 * t, 0 * t, 0 * t], axis=1)
    br = continue_cycles(moebius_torus, orbit, 2 * np.pi, -0.4, p_bounds=(-0.4, 0.6), ds=0.05, ds_max=0.1,
                         ntst=20)
    assert br.stop_reason == "p_bounds"
    mu = br.params
    exact = np.stack([np.ones_like(mu), -np.exp(2 * np.pi * mu), np.exp(2 * np.pi * (mu - 0.3 + 1j * BETA)),
                      np.exp(2 * np.pi * (mu - 0.3 - 1j * BETA)), -np.exp(-2 * np.pi * np.ones_like(mu))], axis=1)
    for row, ref in zip(br.multipliers, exact):
        got = np.sort_complex(np.round(row, 12))
        np.testing.assert_allclose(got, np.sort_complex(np.round(ref, 12)), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(br.periods, 2 * np.pi, atol=1e-9)
    kinds = [(sp.kind, sp.param) for sp in br.special_points]
    assert [k for k, _ in kinds] == ["period_doubling", "torus"]
    assert kinds[0][1] == pytest.approx(0.0, abs=1e-8)
    assert kinds[1][1] == pytest.approx(0.3, abs=1e-8)
    pd, tr = br.special_points
    assert np.min(np.abs(pd.multipliers + 1.0)) < 1e-7
    pair = tr.multipliers[np.abs(tr.multipliers.imag) > 1e-3]
    np.testing.assert_allclose(np.abs(pair), 1.0, atol=1e-7)
    np.testing.assert_allclose(np.sort(np.angle(pair)), [-2 * np.pi * BETA, 2 * np.pi * BETA], atol=1e-7)
    assert br.stable[mu < 0].all() and not br.stable[mu > 0].any()


def _roessler_shooting_multiplier(c: float, guess: np.ndarray, a: float = 0.2, b: float = 0.2) -> float:
    """The most negative Floquet multiplier by shooting: solve for (y0, z0, T) with x0 = 0, then integrate the
    variational equations over one period with scipy."""

    def rhs(t, u):
        x, y, z = u[:3]
        J = np.array([[0.0, -1.0, -1.0], [1.0, a, 0.0], [z, 0.0, x - c]])
        V = u[3:].reshape(3, 3)
        return np.concatenate([[-y - z, x + a * y, b + z * (x - c)], (J @ V).ravel()])

    def flow(s):
        u0 = np.array([0.0, s[0], s[1]])
        sol = solve_ivp(rhs, (0.0, s[2]), np.concatenate([u0, np.eye(3).ravel()]), rtol=1e-11, atol=1e-12,
                        method="DOP853")
        return u0, sol.y[:, -1]

    sol = root(lambda s: (lambda u0, uT: uT[:3] - u0)(*flow(s)), guess, tol=1e-12)
    assert sol.success
    _, uT = flow(sol.x)
    return float(np.min(np.linalg.eigvals(uT[3:].reshape(3, 3)).real))


def test_roessler_period_doubling_matches_shooting():
    a = b = 0.2
    c0 = 2.5

    def roessler(u, c):
        x, y, z = u
        return jnp.stack([-y - z, x + a * y, b + z * (x - c)])

    sim = solve_ivp(lambda t, u: [-u[1] - u[2], u[0] + a * u[1], b + u[2] * (u[0] - c0)], (0, 300), [1.0, 1.0, 0.0],
                    rtol=1e-9, atol=1e-11, dense_output=True)
    t = np.linspace(200, 300, 20001)
    orbit, period = cycle_from_trajectory(t, sim.sol(t).T, variable=1)
    br = continue_cycles(roessler, orbit, period, c0, p_bounds=(c0, 3.0), ds_max=0.1, param_name="c",
                         variable_names=("x", "y", "z"))
    pds = br.special("period_doubling")
    assert len(pds) == 1
    c_pd = pds[0].param
    assert 2.8 < c_pd < 2.86  # the textbook value "c near 2.83" for the first doubling
    i = int(np.argmin(np.abs(br.params - c_pd)))
    # Shooting starts on x = 0: take the collocation orbit's upward crossing there as the guess.
    _, x = br.orbit(i, 4000)
    cross = np.nonzero((x[:-1, 0] < 0) & (x[1:, 0] >= 0))[0][0]
    guess = np.array([x[cross, 1], x[cross, 2], br.periods[i]])
    assert _roessler_shooting_multiplier(c_pd - 1e-4, guess) > -1.0
    assert _roessler_shooting_multiplier(c_pd + 1e-4, guess) < -1.0


# ---------------------------------------------------------------------------------------------- from a simulation


def test_van_der_pol_period_from_simulated_orbit_and_superconvergence():
    sim = solve_ivp(lambda t, x: [x[1], (1 - x[0] ** 2) * x[1] - x[0]], (0, 60), [2.0, 0.0], rtol=1e-8, atol=1e-10,
                    dense_output=True)
    t = np.linspace(0, 60, 6001)
    orbit, period = cycle_from_trajectory(t, sim.sol(t).T)
    assert abs(period - VDP_PERIOD) < 1e-3  # the simulation alone: limited by sampling and interpolation
    br = continue_cycles(van_der_pol, orbit, period, 1.0, p_bounds=(0.5, 2.0), max_steps=0)
    assert len(br) == 1
    assert br.periods[0] == pytest.approx(VDP_PERIOD, abs=1e-6)
    assert br.maxima[0, 0] == pytest.approx(VDP_AMPLITUDE, abs=1e-6)
    assert br.stable[0] and br.trivial_error[0] < 1e-6
    # Collocation with ncol = 4 Gauss points: period error ~ h^8 on a fixed (uniform) mesh.
    errs = [abs(continue_cycles(van_der_pol, orbit, period, 1.0, p_bounds=(0.5, 2.0), max_steps=0, ntst=m,
                                adapt_mesh_every=0).periods[0] - VDP_PERIOD) for m in (20, 40)]
    order = np.log2(errs[0] / errs[1])
    assert 7.0 < order < 9.0, (errs, order)


def test_van_der_pol_branch_in_both_directions():
    sim = solve_ivp(lambda t, x: [x[1], (1 - x[0] ** 2) * x[1] - x[0]], (0, 60), [2.0, 0.0], rtol=1e-8, atol=1e-10,
                    dense_output=True)
    t = np.linspace(0, 60, 6001)
    orbit, period = cycle_from_trajectory(t, sim.sol(t).T)
    up = continue_cycles(van_der_pol, orbit, period, 1.0, p_bounds=(0.05, 3.0), direction=+1)
    down = continue_cycles(van_der_pol, orbit, period, 1.0, p_bounds=(0.05, 3.0), direction=-1, ds_max=0.2)
    assert np.all(np.diff(up.params) > 0) and np.all(np.diff(down.params) < 0)
    assert np.all(np.diff(up.periods) > 0)  # the relaxation oscillation slows down as mu grows
    # Weakly nonlinear limit (Lindstedt-Poincare): T = 2 pi (1 + mu^2/16 - 5 mu^4/3072 + ...), amplitude 2 + O(mu^2).
    mu = down.params[-1]
    assert mu < 0.3
    assert down.periods[-1] == pytest.approx(2 * np.pi * (1 + mu**2 / 16 - 5 * mu**4 / 3072), abs=1e-5)
    assert down.maxima[-1, 0] == pytest.approx(2.0, abs=0.01)
    assert up.stable.all() and down.stable.all()


# ---------------------------------------------------------------------------------------------- fast-slow


@pytest.fixture(scope="module")
def hr_analysis():
    return fast_slow_analysis(hindmarsh_rose, [-1.6, -12.0, 2.0], slow_index=2, z_bounds=(1.0, 3.5), t_final=1500.0,
                              transient=300.0, spiking_cycles=False, cycle_options={"max_steps": 25},
                              names=("x", "y", "z"))


def test_hindmarsh_rose_fast_subsystem_folds_and_hopf(hr_analysis):
    res = hr_analysis
    folds = sorted(res.folds, key=lambda p: p.z)
    assert len(folds) == 2
    assert folds[0].z == pytest.approx(49 / 27, abs=1e-8)
    assert folds[0].x[0] == pytest.approx(-4 / 3, abs=1e-6)
    assert folds[1].z == pytest.approx(3.0, abs=1e-8)
    assert folds[1].x[0] == pytest.approx(0.0, abs=1e-6)
    hopfs = [h for h in res.hopfs]
    assert len(hopfs) == 1
    xh = 1 - np.sqrt(2 / 3)
    assert hopfs[0].z == pytest.approx(3 - xh**3 - 2 * xh**2, abs=1e-8)
    assert hopfs[0].omega == pytest.approx(np.sqrt(3 * xh**2 + 4 * xh), rel=1e-8)
    # The whole curve satisfies the equilibrium conditions; the lower branch (x < -4/3) is stable.
    np.testing.assert_allclose(res.z, 3 - res.x[:, 0] ** 3 - 2 * res.x[:, 0] ** 2, atol=1e-9)
    np.testing.assert_allclose(res.x[:, 1], 1 - 5 * res.x[:, 0] ** 2, atol=1e-9)
    lower = res.x[:, 0] < -4 / 3 - 1e-3
    assert res.stable[lower].all()
    # Cycles are born at the Hopf point with period 2 pi / omega.
    (cyc,) = res.cycles
    assert cyc.periods[0] == pytest.approx(2 * np.pi / hopfs[0].omega, rel=1e-3)
    assert cyc.param == "z" and cyc.variable_names == ("x", "y")
    # The burst trajectory: z stays between the lower fold and the Hopf point.
    z = res.trajectory[:, 2]
    assert 49 / 27 - 0.2 < z.min() and z.max() < 3 - xh**3 - 2 * xh**2
    assert res.trajectory[:, 0].max() > 1.0  # it spikes


def test_rk4_is_fourth_order():
    def osc(u):
        return jnp.stack([u[1], -u[0]])

    errs = []
    for dt in (0.1, 0.05):
        t, u = simulate_rk4(osc, [1.0, 0.0], 10.0, dt)
        errs.append(abs(u[-1, 0] - np.cos(t[-1])))
    assert np.log2(errs[0] / errs[1]) == pytest.approx(4.0, abs=0.15)


# ---------------------------------------------------------------------------------------------- plots and errors


def test_plots_return_bokeh_figures(super_branch, hr_analysis):
    from bokeh.plotting import figure

    fig = super_branch.plot()
    assert isinstance(fig, figure) and len(fig.renderers) >= 2
    assert fig.xaxis[0].axis_label == "p"
    assert isinstance(super_branch.plot(quantity="period"), figure)
    fs = hr_analysis.plot("x")
    assert isinstance(fs, figure) and fs.xaxis[0].axis_label == "z"
    with pytest.raises(ValueError, match="no variable 'v'"):
        super_branch.plot("v")
    with pytest.raises(ValueError, match="quantity='amplitude'"):
        super_branch.plot(quantity="amplitude")


def test_bad_input_messages():
    with pytest.raises(ValueError, match="p_bounds"):
        continue_cycles_from_hopf(supercritical, 0.0, np.zeros(2), OMEGA, Q, p_bounds=(1.0, 2.0))
    with pytest.raises(ValueError, match="omega=-1"):
        continue_cycles_from_hopf(supercritical, 0.0, np.zeros(2), -1.0, Q, p_bounds=(-1, 1))
    with pytest.raises(ValueError, match="not an eigenvector"):
        continue_cycles_from_hopf(supercritical, 0.0, np.zeros(2), OMEGA, np.array([1.0, 0.0]), p_bounds=(-1, 1))
    with pytest.raises(ValueError, match="not an equilibrium"):
        continue_cycles_from_hopf(supercritical, 0.0, np.ones(2), OMEGA, Q, p_bounds=(-1, 1))
    with pytest.raises(ValueError, match="direction"):
        continue_cycles(van_der_pol, np.zeros((20, 2)), 6.0, 1.0, p_bounds=(0, 2), direction=2)
    with pytest.raises(ValueError, match="orbit0 must be an array"):
        continue_cycles(van_der_pol, np.zeros(20), 6.0, 1.0, p_bounds=(0, 2))
    with pytest.raises(ValueError, match="ncol=9"):
        continue_cycles(van_der_pol, np.zeros((20, 2)), 6.0, 1.0, p_bounds=(0, 2), ncol=9)
    with pytest.raises(ValueError, match="crosses level"):
        cycle_from_trajectory(np.arange(10.0), np.zeros((10, 2)))
    with pytest.raises(ValueError, match="slow_index=5"):
        fast_slow_analysis(hindmarsh_rose, [0.0, 0.0, 0.0], slow_index=5, z_bounds=(0, 1), t_final=1.0)
