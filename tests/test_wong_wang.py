"""The reduced Wong-Wang decision model against an independent numpy/scipy implementation of its equations.

Reference: Wong KF, Wang XJ (2006) J Neurosci 26:1314-1328 (the two-variable model and its parameters).
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, fsolve

import brainlab as bl
from brainlab.neurons._wong_wang import ww_transfer

# The paper's values, written out again here (not read from the class): a [Hz/nA], b [Hz], d [s], gamma,
# tau_S [s], J_N11, J_N12, I_0 [nA], J_A,ext [nA/Hz].
A, B, D, GAMMA, TAU_S = 270.0, 108.0, 0.154, 0.641, 0.100
J11, J12, I0, JEXT = 0.2609, 0.0497, 0.3255, 5.2e-4


def H(x):
    y = A * x - B
    with np.errstate(over="ignore"):  # far below threshold (fsolve's trial points): H = 0
        return y / (1.0 - np.exp(-D * y))


def field_per_s(S, mu0=0.0, c=0.0):
    """dS/dt in 1/s, written from the paper's equations."""
    S1, S2 = S
    x1 = J11 * S1 - J12 * S2 + I0 + JEXT * mu0 * (1 + c / 100)
    x2 = J11 * S2 - J12 * S1 + I0 + JEXT * mu0 * (1 - c / 100)
    return np.array([-S1 / TAU_S + (1 - S1) * GAMMA * H(x1), -S2 / TAU_S + (1 - S2) * GAMMA * H(x2)])


def jacobian_fd(S, **kw):
    h = 1e-7
    J = np.zeros((2, 2))
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        J[:, j] = (field_per_s(S + e, **kw) - field_per_s(S - e, **kw)) / (2 * h)
    return J


def scipy_fixed_points(**kw):
    found = []
    for s1 in np.linspace(0.01, 0.95, 24):
        for s2 in np.linspace(0.01, 0.95, 24):
            s, _, ier, _ = fsolve(lambda z: field_per_s(z, **kw), [s1, s2], full_output=True, xtol=1e-13)
            if ier == 1 and np.max(np.abs(field_per_s(s, **kw))) < 1e-9 and np.all((s > 0) & (s < 1)):
                if not any(np.allclose(s, q, atol=1e-6) for q in found):
                    found.append(s)
    return sorted(found, key=lambda q: (q[0], q[1]))


def plane(mu0=0.0, c=0.0):
    ww = bl.neurons.WongWang(1)
    return bl.analysis.PhasePlane(ww, variables={"S1": (0.0, 0.9), "S2": (0.0, 0.9)},
                                  params={"mu0": mu0, "coherence": c})


def test_vector_field_equals_the_papers_equations_at_random_points():
    ww = bl.neurons.WongWang(1)
    rng = np.random.default_rng(0)
    for _ in range(20):
        S = rng.uniform(0.0, 0.9, 2)
        noise = rng.normal(0.0, 0.02, 2)
        mu0, c = rng.uniform(0, 60), rng.uniform(-50, 50)
        p = dict(ww.param_values(), mu0=mu0, coherence=c)
        got = ww.vector_field({"S1": S[0], "S2": S[1], "I_noise1": noise[0], "I_noise2": noise[1]}, p)
        x1 = J11 * S[0] - J12 * S[1] + I0 + JEXT * mu0 * (1 + c / 100) + noise[0]
        x2 = J11 * S[1] - J12 * S[0] + I0 + JEXT * mu0 * (1 - c / 100) + noise[1]
        want = [(-S[0] / TAU_S + (1 - S[0]) * GAMMA * H(x1)) / 1000.0,  # 1/s -> 1/ms
                (-S[1] / TAU_S + (1 - S[1]) * GAMMA * H(x2)) / 1000.0]
        np.testing.assert_allclose([float(got["S1"]), float(got["S2"])], want, rtol=2e-5, atol=1e-9)
        np.testing.assert_allclose([float(got["I_noise1"]), float(got["I_noise2"])], -noise / 2.0, rtol=1e-6)


def test_transfer_function_is_finite_and_smooth_through_its_removable_singularity():
    import jax

    x = np.array([-10.0, 0.0, 0.3, B / A - 1e-9, B / A, B / A + 1e-9, 0.45, 2.0])
    with jax.enable_x64(True):
        got = np.asarray(ww_transfer(jax.numpy.asarray(x)))
        grads = np.asarray(jax.vmap(jax.grad(ww_transfer))(jax.numpy.asarray(x)))
    ref = np.array([H(v) if abs(A * v - B) > 1e-6 else 1.0 / D for v in x])
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-20)  # Hz: far below threshold H is 0
    assert np.all(np.isfinite(grads)) and np.all(grads >= 0.0)
    assert grads[4] == pytest.approx(A / 2.0, rel=1e-6)  # dH/dx = a (z/2 + ...)' = a/2 at a x = b


@pytest.mark.parametrize("mu0, c", [(0.0, 0.0), (30.0, 0.0), (30.0, 6.4), (50.0, 0.0)])
def test_fixed_points_and_their_stability_match_scipy(mu0, c):
    ref = scipy_fixed_points(mu0=mu0, c=c)
    got = plane(mu0, c).fixed_points()
    assert len(got) == len(ref), (got, ref)
    for fp, s in zip(sorted(got, key=lambda f: (f.state["S1"], f.state["S2"])), ref):
        np.testing.assert_allclose([fp.state["S1"], fp.state["S2"]], s, atol=1e-7)
        lam_ref = np.sort(np.linalg.eigvals(jacobian_fd(s, mu0=mu0, c=c)).real) / 1000.0  # 1/s -> 1/ms
        np.testing.assert_allclose(np.sort(fp.eigenvalues.real), lam_ref, rtol=1e-4, atol=1e-8)
        kind = "saddle" if lam_ref[0] < 0 < lam_ref[1] else ("stable" if lam_ref[1] < 0 else "unstable")
        assert kind in fp.kind, (fp, lam_ref)


def test_no_stimulus_multistability_and_decision_regime_wong_wang_2006():
    """Wong & Wang (2006): without stimulus the reduced model is multistable, a symmetric spontaneous state
    coexisting with two persistent-activity (working-memory) states; the stimulus (mu0 = 30 Hz) destabilises the
    symmetric state, a saddle between the two choice attractors (the decision-making regime)."""
    rest = plane(0.0).fixed_points()
    stable = [fp for fp in rest if fp.kind.startswith("stable")]
    saddles = [fp for fp in rest if fp.kind == "saddle"]
    assert len(stable) == 3 and len(saddles) == 2
    sym = [fp for fp in stable if abs(fp.state["S1"] - fp.state["S2"]) < 1e-9]
    assert len(sym) == 1
    ww = bl.neurons.WongWang(1)
    r_spont = ww.rates(sym[0].state["S1"], sym[0].state["S2"])[0]
    memory = max(stable, key=lambda f: f.state["S1"])
    r_mem, r_other = ww.rates(memory.state["S1"], memory.state["S2"])
    # rates from the independent implementation: spontaneous ~1.8 Hz, memory ~20 Hz against ~0.5 Hz
    assert r_spont == pytest.approx(H(J11 * sym[0].state["S1"] - J12 * sym[0].state["S2"] + I0), rel=1e-6)
    assert r_spont < 5.0 and r_mem > 15.0 > r_other  # 15 Hz: the decision threshold of Wong & Wang (2006)
    stim = plane(30.0).fixed_points()
    kinds = sorted(fp.kind for fp in stim)
    assert kinds == ["saddle", "stable node", "stable node"]
    (saddle,) = [fp for fp in stim if fp.kind == "saddle"]
    assert saddle.state["S1"] == pytest.approx(saddle.state["S2"], abs=1e-9)


def test_deterministic_run_matches_solve_ivp_and_chooses_the_stronger_input():
    ww = bl.neurons.WongWang.from_preset("decision", 1, coherence=6.4, sigma_noise=0.0)
    res = bl.Runner(ww, monitors={"S1": "WongWang.S1", "S2": "WongWang.S2"}, dt=0.1, progress=False).run(1500.0)
    sol = solve_ivp(lambda t, s: field_per_s(s, mu0=30.0, c=6.4), (0.0, 1.5), [0.1, 0.1], rtol=1e-10, atol=1e-12,
                    t_eval=res.ts / 1000.0)
    np.testing.assert_allclose(res["S1"][:, 0], sol.y[0], atol=2e-4)
    np.testing.assert_allclose(res["S2"][:, 0], sol.y[1], atol=2e-4)
    assert res["S1"][-1, 0] > 0.5 > 0.1 > res["S2"][-1, 0]


def test_noisy_trials_at_high_coherence_choose_the_stronger_stimulus():
    n = 100
    cohs = np.repeat([51.2, -51.2], n)
    ww = bl.neurons.WongWang.from_preset("decision", 2 * n, coherence=cohs, seed=3)
    bl.Runner(ww, dt=0.5, progress=False).run(1500.0)
    r1, r2 = ww.rates(np.asarray(ww.S1.value), np.asarray(ww.S2.value))
    assert np.mean(r1[:n] > 15.0) >= 0.97 and np.mean(r2[:n] < 15.0) >= 0.97
    assert np.mean(r2[n:] > 15.0) >= 0.97 and np.mean(r1[n:] < 15.0) >= 0.97


def test_noise_is_the_ou_process_of_the_paper_and_seeded():
    """tau dI/dt = -I + eta sqrt(tau) sigma: stationary s.d. sigma / sqrt(2), correlation time tau."""
    n = 4000
    ww = bl.neurons.WongWang(n, sigma_noise=0.02, seed=1)
    res = bl.Runner(ww, monitors={"n1": "WongWang.I_noise1", "n2": "WongWang.I_noise2"}, dt=0.5,
                    progress=False).run(30.0)
    n1, n2 = res["n1"], res["n2"]
    assert np.std(n1[-1]) == pytest.approx(0.02 / np.sqrt(2), rel=0.05)
    assert abs(np.corrcoef(n1[-1], n2[-1])[0, 1]) < 0.06  # independent pools
    lag = int(2.0 / 0.5)  # one correlation time: correlation e^-1
    corr = np.corrcoef(n1[-1 - lag], n1[-1])[0, 1]
    assert corr == pytest.approx(np.exp(-1.0), abs=0.05)
    again = bl.neurons.WongWang(n, sigma_noise=0.02, seed=1)
    res2 = bl.Runner(again, monitors={"n1": "WongWang.I_noise1"}, dt=0.5, progress=False).run(30.0)
    np.testing.assert_array_equal(res2["n1"], n1)


def test_bad_coherence_names_the_parameter_and_its_range():
    with pytest.raises(ValueError, match=r"coherence.*outside its admissible range \[-100, 100\] %"):
        bl.neurons.WongWang(1, coherence=150.0)


def H_prime(x):
    """dH/dx in Hz/nA, differentiated by hand from H."""
    y = A * x - B
    e = np.exp(-D * y)
    return A * ((1.0 - e) - y * D * e) / (1.0 - e) ** 2


def symmetric_state(mu0):
    """S on the symmetric branch S1 = S2 = S: the root of -S/tau + (1 - S) gamma H((J11 - J12) S + I0 + ...)."""
    return brentq(lambda S: field_per_s(np.array([S, S]), mu0=mu0)[0], 1e-9, 1.0 - 1e-9, xtol=1e-15)


def symmetry_breaking_eigenvalue(mu0):
    """The eigenvalue (1/s) of the Jacobian for the antisymmetric direction (1, -1) on the symmetric branch:
    d f1/d S1 - d f1/d S2 = -1/tau - gamma H + (1 - S) gamma H' (J11 + J12)."""
    S = symmetric_state(mu0)
    x = (J11 - J12) * S + I0 + JEXT * mu0
    return -1.0 / TAU_S - GAMMA * H(x) + (1.0 - S) * GAMMA * H_prime(x) * (J11 + J12)


def test_continuation_lists_the_symmetry_breaking_branch_points_of_the_symmetric_branch():
    """On the symmetric branch the antisymmetric eigenvalue crosses zero twice in 0 < mu0 < 80 Hz: there the
    symmetric state gains and loses the saddle direction along which the circuit decides (pitchfork points,
    branch points of the continuation)."""
    ref = [brentq(symmetry_breaking_eigenvalue, lo, hi, xtol=1e-13) for lo, hi in [(5.0, 20.0), (35.0, 60.0)]]
    assert ref[0] == pytest.approx(10.6768, abs=1e-4) and ref[1] == pytest.approx(43.0182, abs=1e-4)
    cont = bl.analysis.Continuation(bl.neurons.WongWang(1), param="mu0", bounds=(0.0, 80.0))
    branch = cont.equilibria()
    bps = branch.special("branch_point")
    assert len(bps) == 2, branch.special_points
    for bp, mu in zip(sorted(bps, key=lambda sp: sp.params["mu0"]), ref):
        assert bp.params["mu0"] == pytest.approx(mu, abs=1e-9)
        # the state to 1e-8: near a branch point the corrected points are ill-conditioned along the second branch
        assert bp.state["S1"] == pytest.approx(symmetric_state(mu), abs=1e-8)
        assert bp.state["S2"] == pytest.approx(symmetric_state(mu), abs=1e-8)
        assert np.min(np.abs(bp.eigenvalues)) < 1e-9  # 1/ms: a zero eigenvalue
    # the other branch through each point: asymmetric equilibria of the independent field, which end at
    # mu0 = 0 on the four asymmetric fixed points found by fsolve (saddles from the first point, the memory
    # states from the second)
    ends = []
    for bp in bps:
        other = cont.equilibria(start=bp)
        S, mu = other.states[:, :2], other.params
        residual = np.array([field_per_s(s, mu0=m) for s, m in zip(S, mu)])
        assert np.max(np.abs(residual)) < 1e-8
        assert mu[0] == 0.0 and mu[-1] == 0.0, other.message
        ends += [S[0], S[-1]]
    asymmetric = [s for s in scipy_fixed_points(mu0=0.0) if abs(s[0] - s[1]) > 1e-6]
    assert len(asymmetric) == 4
    np.testing.assert_allclose(sorted(map(tuple, ends)), sorted(map(tuple, asymmetric)), atol=1e-8)


def test_separatrices_of_the_no_stimulus_saddles_leave_them_and_the_unstable_ones_reach_the_attractors():
    """The saddles of the no-stimulus plane are slow (eigenvalues about +0.002 and -0.0065 per ms): the default
    separatrices run for seconds, so they leave the saddle; each unstable manifold ends on a stable fixed point
    found by fsolve on the independent field (one side the symmetric rest state, the other a memory state)."""
    pp = plane(0.0)
    seps = pp.separatrices()
    ref = scipy_fixed_points(mu0=0.0)
    stable = [s for s in ref if np.all(np.linalg.eigvals(jacobian_fd(s)).real < 0)]
    assert len(stable) == 3 and len(seps) == 8  # two saddles, four half-manifolds each
    ends = []
    for c in seps:
        saddle = np.array([c.saddle.state["S1"], c.saddle.state["S2"]])
        assert np.max(np.linalg.norm(c.states - saddle, axis=1)) > 0.15
        if c.kind == "unstable":
            dist = [np.linalg.norm(c.states[-1] - s) for s in stable]
            assert min(dist) < 1e-3
            ends.append(int(np.argmin(dist)))
    assert sorted(ends) == [0, 1, 1, 2]  # sorted by S1: memory state 2, the rest state (twice), memory state 1
    port = pp.portrait(separatrices=True)
    assert all(len(c.states) > 100 for c in port.separatrices)
