"""bl.train readouts: Ridge and RidgeAccumulator (float64, streaming, bias), RLS, LMS and FORCE.

Truth comes from numpy's float64 closed forms written out here; every random draw has a fixed seed.
"""

import jax.numpy as jnp
import numpy as np
import pytest

import brainlab as bl


def _ridge_numpy(X, Y, lam, bias=True):
    """The ridge solution with an unpenalised bias, from the centred normal equations in float64."""
    X = np.asarray(X, np.float64)
    Y = np.asarray(Y, np.float64)
    if bias:
        mx, my = X.mean(0), Y.mean(0)
        Xc, Yc = X - mx, Y - my
    else:
        Xc, Yc = X, Y
    W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ Yc)
    b = my - mx @ W if bias else np.zeros(Y.shape[1])
    return W, b


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6)) + 3.0  # a large mean, which the bias must absorb without penalty
    W = rng.normal(size=(6, 2))
    Y = X @ W + np.array([1.5, -2.0]) + 0.1 * rng.normal(size=(500, 2))
    return X, Y


def test_ridge_matches_numpy_closed_form_with_unpenalised_bias(problem):
    X, Y = problem
    for lam in (0.0, 1e-3, 10.0):
        r = bl.train.Ridge(lam).fit(X, Y)
        W, b = _ridge_numpy(X, Y, lam)
        np.testing.assert_allclose(r.W64, W, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(r.b64, b, rtol=1e-10, atol=1e-12)
    # a huge penalty shrinks W to zero but leaves the bias at the mean of Y (it is not penalised)
    r = bl.train.Ridge(1e12).fit(X, Y)
    np.testing.assert_allclose(r.b64, Y.mean(0), rtol=1e-6)
    r0 = bl.train.Ridge(1e-3, fit_bias=False).fit(X, Y)
    np.testing.assert_allclose(r0.W64, _ridge_numpy(X, Y, 1e-3, bias=False)[0], rtol=1e-10)
    assert np.all(r0.b64 == 0)


def test_accumulator_streams_chunks_and_trials_of_different_lengths(problem):
    X, Y = problem
    W, b = _ridge_numpy(X, Y, 1e-2)
    acc = bl.train.RidgeAccumulator(1e-2)
    for i in range(0, 500, 70):  # uneven chunks
        acc.add(X[i:i + 70], Y[i:i + 70])
    W1, b1 = acc.solve()
    np.testing.assert_allclose(W1, W, rtol=1e-10)
    np.testing.assert_allclose(b1, b, rtol=1e-10)
    # a list of trials of different lengths, each with a warm-up that is dropped
    cuts = [0, 120, 300, 500]
    trials_x = [X[a:c] for a, c in zip(cuts[:-1], cuts[1:])]
    trials_y = [Y[a:c] for a, c in zip(cuts[:-1], cuts[1:])]
    r = bl.train.Ridge(1e-2).fit(trials_x, trials_y, warmup=10)
    keep = np.concatenate([np.arange(a + 10, c) for a, c in zip(cuts[:-1], cuts[1:])])
    W2, b2 = _ridge_numpy(X[keep], Y[keep], 1e-2)
    np.testing.assert_allclose(r.W64, W2, rtol=1e-10)
    np.testing.assert_allclose(r.b64, b2, rtol=1e-10)
    # a padded batch with a mask gives the same as the unpadded trials
    Xb = np.zeros((2, 300, 6)); Yb = np.zeros((2, 300, 2)); m = np.zeros((2, 300))
    Xb[0, :120], Yb[0, :120], m[0, :120] = X[:120], Y[:120], 1
    Xb[1, :300], Yb[1, :300], m[1, :300] = X[120:420], Y[120:420], 1
    rm = bl.train.Ridge(1e-2).fit(Xb, Yb, mask=m)
    np.testing.assert_allclose(rm.W64, _ridge_numpy(X[:420], Y[:420], 1e-2)[0], rtol=1e-10)


@pytest.mark.parametrize("bias", [True, False])
def test_host_chunks_of_states_give_the_closed_form(problem, bias):
    """RidgeAccumulator.add_states (ESN.fit's host path: float64 numpy BLAS, samples kept by a boolean mask) gives
    the closed form on the kept samples, with and without the bias."""
    X, Y = problem
    keep = np.random.default_rng(1).uniform(size=(2, 250)) < 0.8
    acc = bl.train.RidgeAccumulator(1e-2, fit_bias=bias)
    for lo in (0, 125):  # two chunks of a (2 trials, 250 steps) batch
        acc.add_states(X.reshape(2, 250, 6)[:, lo:lo + 125], Y.reshape(2, 250, 2)[:, lo:lo + 125],
                       keep[:, lo:lo + 125])
    W, b = acc.solve()
    W0, b0 = _ridge_numpy(X[keep.ravel()], Y[keep.ravel()], 1e-2, bias=bias)
    np.testing.assert_allclose(W, W0, rtol=1e-9)
    np.testing.assert_allclose(b, b0, rtol=1e-9, atol=1e-12)


def test_ridge_solves_in_float64_and_a_float32_solve_loses_accuracy():
    """Reservoir states are correlated: with ridge 1e-6 the normal matrix has condition number ~4e9 here.

    Truth: numpy's float64 solve of the same normal equations from the same float32 states.  bl.train.Ridge
    (float64 sums and solve) agrees to ~1e-6 relative (cond x eps64); the same solve in float32 is off by more
    than 10 % in W and at least doubles the test NRMSE (measured at this seed: 3.55 relative weight error, test
    NRMSE 0.0047 -> 0.0175).
    """
    x = bl.train.mackey_glass(2000)
    x = 2 * (x - x.min()) / (x.max() - x.min()) - 1
    esn = bl.train.ESN(1, n_units=100, leak=0.3, spectral_radius=1.25, seed=3)
    S = np.asarray(esn.harvest(x[:1500]))[100:]
    assert S.dtype == np.float32
    Y = x[110:1510]
    lam = 1e-6
    W_true, b_true = _ridge_numpy(S, Y, lam)
    r = bl.train.Ridge(lam).fit(S, Y)
    err64 = np.linalg.norm(r.W64 - W_true) / np.linalg.norm(W_true)
    S32, Y32 = jnp.asarray(S), jnp.asarray(Y, jnp.float32)
    S32c, Y32c = S32 - S32.mean(0), Y32 - Y32.mean(0)
    W32 = np.asarray(jnp.linalg.solve(S32c.T @ S32c + lam * jnp.eye(100, dtype=jnp.float32), S32c.T @ Y32c), np.float64)
    err32 = np.linalg.norm(W32 - W_true) / np.linalg.norm(W_true)
    assert err64 < 1e-5, err64
    assert err32 > 0.1 and err32 > 1e4 * err64, (err32, err64)
    St = np.asarray(esn.harvest(x[1500:1990]), np.float64)
    yt = x[1510:2000]

    def nrmse(W):
        b = Y.mean(0) - S.astype(np.float64).mean(0) @ W
        return np.sqrt(np.mean((St @ W + b - yt) ** 2)) / yt.std()

    assert nrmse(r.W64) < 0.01
    assert nrmse(W32) > 2 * nrmse(r.W64)


def test_rls_started_at_identity_over_alpha_equals_ridge_after_one_pass(problem):
    """W_T = (X^T X + alpha I)^-1 X^T Y exactly (matrix inversion lemma), so float64 agreement to ~1e-10."""
    X, Y = problem
    for alpha in (1e-2, 1.0, 100.0):
        rls = bl.train.RLS(6, 2, alpha=alpha)
        errs = rls.fit(X, Y)
        assert errs.shape == (500, 2)
        W_ridge, _ = _ridge_numpy(X, Y, alpha, bias=False)
        np.testing.assert_allclose(np.asarray(rls.W.value), W_ridge, rtol=1e-9, atol=1e-12)
        assert rls.W.value.dtype == jnp.float64
    # trials given as a list are taken one after another
    rls = bl.train.RLS(6, 2, alpha=1.0)
    rls.fit([X[:200], X[200:]], [Y[:200], Y[200:]])
    np.testing.assert_allclose(np.asarray(rls.W.value), _ridge_numpy(X, Y, 1.0, bias=False)[0], rtol=1e-9)


def test_rls_forgetting_tracks_a_change_that_plain_rls_averages():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 3))
    W1, W2 = np.array([[1.0], [0.0], [-1.0]]), np.array([[-1.0], [2.0], [0.5]])
    Y = np.concatenate([X[:1000] @ W1, X[1000:] @ W2])
    forget = bl.train.RLS(3, 1, alpha=1.0, forgetting=0.98)
    forget.fit(X, Y)
    plain = bl.train.RLS(3, 1, alpha=1.0)
    plain.fit(X, Y)
    # memory ~ 1/(1-0.98) = 50 samples: the last 1000 samples set W (noise-free, so to ~1e-8)
    np.testing.assert_allclose(np.asarray(forget.W.value), W2, atol=1e-6)
    # without forgetting, W is the least-squares fit to both halves, near their average
    assert np.abs(np.asarray(plain.W.value) - W2).max() > 0.5


def test_lms_converges_to_least_squares():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5000, 4))
    W = rng.normal(size=(4, 1))
    Y = X @ W
    lms = bl.train.LMS(4, 1, lr=0.02)
    errs = np.asarray(lms.fit(X, Y))
    np.testing.assert_allclose(np.asarray(lms.W.value), W, atol=1e-4)
    assert np.abs(errs[:50]).mean() > 100 * np.abs(errs[-50:]).mean()


def _four_sines(t_ms):
    """Sussillo & Abbott (2009) Fig. 2's periodic target: four harmonics, here of a 600 ms period."""
    w = 2 * np.pi / 600.0
    return (1.3 / 1.5) * (np.sin(w * t_ms) + np.sin(2 * w * t_ms) / 2 + np.sin(3 * w * t_ms) / 6
                          + np.sin(4 * w * t_ms) / 3)


def test_force_learns_a_sum_of_four_sines():
    """The paper's network (N = 1000, g = 1.5, p = 0.1, tau = 10 ms, P0 = I, learning every 2 steps of 1 ms).

    After 12 s of training (20 periods), with learning off, the output over the next 1.2 s (2 periods) has a
    test NRMSE (RMSE / s.d. of the target) below 0.05 (measured: 0.0137 at seed 0); the untrained readout
    (w = 0) has NRMSE 1.
    """
    net = bl.train.FORCE(n_units=1000, g=1.5, p=0.1, tau=10.0, dt=1.0, alpha=1.0, learn_every=2, seed=0)
    t = np.arange(12000.0)
    z_train = np.asarray(net.train(_four_sines(t)[:, None]))[:, 0]
    assert np.sqrt(np.mean((z_train[-1200:] - _four_sines(t[-1200:])) ** 2)) < 0.02
    t_test = t[-1] + 1 + np.arange(1200.0)
    z = np.asarray(net.run(1200))[:, 0]
    f = _four_sines(t_test)
    nrmse = np.sqrt(np.mean((z - f) ** 2)) / f.std()
    assert nrmse < 0.05, nrmse
    # same seed, same network
    assert np.array_equal(np.asarray(bl.train.FORCE(n_units=50, seed=3).J.value),
                          np.asarray(bl.train.FORCE(n_units=50, seed=3).J.value))


def test_bad_arguments_are_refused_with_the_fix():
    with pytest.raises(ValueError, match="ridge=-1.*>= 0"):
        bl.train.Ridge(-1)
    with pytest.raises(ValueError, match="no data; call add"):
        bl.train.RidgeAccumulator().solve()
    with pytest.raises(ValueError, match="trial 0 has 10 time steps in X but 9 in Y"):
        bl.train.Ridge().fit(np.ones((10, 2)), np.ones((9, 1)))
    with pytest.raises(ValueError, match="warmup=10 drops all 10 steps"):
        bl.train.Ridge().fit(np.ones((10, 2)), np.ones((10, 1)), warmup=10)
    with pytest.raises(ValueError, match="not fitted; call fit"):
        bl.train.Ridge().predict(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"forgetting=1.5 must be in \(0, 1\]"):
        bl.train.RLS(3, forgetting=1.5)
    with pytest.raises(ValueError, match="lr=0 must be a positive"):
        bl.train.LMS(3, lr=0)
    with pytest.raises(ValueError, match="learn_every=0 must be a positive integer"):
        bl.train.FORCE(n_units=10, learn_every=0)
    with pytest.raises(ValueError, match=r"target must be \(time, 1\)"):
        bl.train.FORCE(n_units=10).train(np.ones((10, 2)))
    with pytest.raises(FloatingPointError, match="singular.*use ridge > 0"):
        bl.train.Ridge(0.0).fit(np.ones((10, 2)), np.ones((10, 1)))
