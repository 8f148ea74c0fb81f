"""Fixed points and slow points by minimising q(x) = |F(x)|^2 / 2.

Independent truth used here:
- A linear system x' = A (x - x*) has the single fixed point x* and Jacobian A (numpy's eigenvalues).
- A Hopfield network storing one pattern xi in {-1, 1}^N, x' = -x + g W tanh(x) with W = xi xi^T / N: every
  fixed point is x = alpha xi with alpha = g tanh(alpha) (roots by scipy's brentq: 0 and +-alpha*), and the
  Jacobian -I + g sech^2(alpha) W has eigenvalues -1 (N - 1 times) and -1 + g sech^2(alpha).
- The "ghost" of a saddle-node, x' = x^2 + eps: no fixed point, and q has its minimum eps^2 / 2 at x = 0.
- A random rate network x' = -x + W tanh(x): the Jacobian -I + W diag(sech^2 x) written out by hand.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

from brainlab.analysis._fast_slow import simulate_rk4
from brainlab.analysis._slow_points import SlowPoints, find_slow_points


def test_linear_system_gives_its_fixed_point_and_the_eigenvalues_of_A():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 6)) - 1.0 * np.eye(6)  # generic: a saddle with complex eigenvalues
    x_star = rng.normal(size=6)
    res = find_slow_points(lambda x: A @ (x - x_star), x_star + 2.0 * rng.normal(size=(40, 6)))
    assert isinstance(res, SlowPoints) and len(res) == 1 and res.is_fixed.all()
    np.testing.assert_allclose(res.points[0], x_star, atol=1e-10)
    ref = np.linalg.eigvals(A)
    np.testing.assert_allclose(np.sort_complex(res.eigenvalues[0]), np.sort_complex(ref), atol=1e-10)
    assert res.n_unstable[0] == int((ref.real > 0).sum())
    assert np.all(np.diff(res.eigenvalues[0].real) <= 0)  # sorted by decreasing real part


N, GAIN = 60, 2.0


@pytest.fixture(scope="module")
def hopfield():
    rng = np.random.default_rng(2)
    xi = rng.choice([-1.0, 1.0], size=N)
    W = np.outer(xi, xi) / N

    def F(x):
        return -x + GAIN * W @ jnp.tanh(x)

    alpha = brentq(lambda a: a - GAIN * np.tanh(a), 0.5, 10.0)
    return F, xi, alpha


def test_two_attractor_network_from_simulated_states(hopfield):
    F, xi, alpha = hopfield
    rng = np.random.default_rng(3)
    # Starts: states visited by simulations from random initial conditions, plus noise (Sussillo & Barak 2013).
    starts = []
    for _ in range(6):
        _, traj = simulate_rk4(F, rng.normal(size=N), 8.0, 0.05, 20)
        starts.append(traj + 0.05 * rng.normal(size=traj.shape))
    res = find_slow_points(F, np.concatenate(starts))
    assert res.is_fixed.all() and 2 <= len(res) <= 3  # the attractors, and the origin if a start came near it
    overlap = res.points @ xi / N
    for sign in (-1, 1):  # both attractors are found, exactly at +-alpha* xi
        (k,) = np.nonzero(sign * overlap > 0.5 * alpha)[0]
        np.testing.assert_allclose(res.points[k], sign * alpha * xi, atol=1e-10)
        eig = np.sort(res.eigenvalues[k].real)
        np.testing.assert_allclose(eig[:-1], -1.0, atol=1e-10)
        assert eig[-1] == pytest.approx(-1.0 + GAIN / np.cosh(alpha) ** 2, abs=1e-10)
        assert res.n_unstable[k] == 0


def test_all_three_fixed_points_by_levenberg_marquardt_from_random_starts(hopfield):
    F, xi, alpha = hopfield
    rng = np.random.default_rng(4)
    res = find_slow_points(F, 2.0 * rng.normal(size=(48, N)), steps=0)
    assert len(res) == 3 and res.is_fixed.all()
    overlap = res.points @ xi / N
    np.testing.assert_allclose(np.sort(overlap), [-alpha, 0.0, alpha], atol=1e-10)
    origin = int(np.argmin(np.abs(overlap)))
    np.testing.assert_allclose(res.points[origin], 0.0, atol=1e-10)
    assert res.eigenvalues[origin][0].real == pytest.approx(GAIN - 1.0, abs=1e-10)  # the saddle's unstable mode
    assert res.n_unstable[origin] == 1


def test_q_thresholds_separate_fixed_points_slow_points_and_nothing():
    eps = 1e-2

    def ghost(x):  # a saddle-node pair has just vanished: slow flow near x = 0, no fixed point
        return jnp.stack([x[0] ** 2 + eps, -x[1]])

    starts = np.random.default_rng(5).normal(size=(20, 2))
    res = find_slow_points(ghost, starts, q_tol=1e-4, polish_steps=200)
    assert len(res) == 1 and not res.is_fixed[0]
    assert res.q[0] == pytest.approx(eps**2 / 2, rel=1e-8)
    np.testing.assert_allclose(res.points[0], [0.0, 0.0], atol=1e-4)
    assert res.slow_points.shape == (1, 2) and res.fixed_points.shape == (0, 2)
    assert len(find_slow_points(ghost, starts, q_tol=1e-5)) == 0  # below eps^2/2: nothing is slow enough
    loose = find_slow_points(ghost, starts, q_tol=1e-4, fixed_tol=1e-4)
    assert loose.is_fixed.all()  # with fixed_tol above eps^2/2 the ghost counts as a fixed point


def test_random_rate_network_points_are_consistent():
    rng = np.random.default_rng(6)
    n = 80
    W = 1.5 * rng.normal(size=(n, n)) / np.sqrt(n)

    def F(x):
        return -x + W @ jnp.tanh(x)

    _, traj = simulate_rk4(F, rng.normal(size=n), 40.0, 0.05, 10)
    # This chaotic network's trajectory passes near slow points (local minima of q near 1.3e-3), not fixed points.
    res = find_slow_points(F, traj[20:] + 0.01 * rng.normal(size=traj[20:].shape), q_tol=5e-3)
    assert len(res) >= 1 and np.all(res.q <= 5e-3) and np.all(np.diff(res.q) >= 0)
    for x, q, eig, fixed in zip(res.points, res.q, res.eigenvalues, res.is_fixed):
        speed = -x + W @ np.tanh(x)
        assert 0.5 * speed @ speed == pytest.approx(q, rel=1e-6, abs=1e-30)
        J = -np.eye(n) + W / np.cosh(x)[None, :] ** 2
        np.testing.assert_allclose(np.sort_complex(eig), np.sort_complex(np.linalg.eigvals(J)), atol=1e-8)
        if fixed:
            assert np.abs(speed).max() < 1e-7
    fig = res.plot()
    assert fig.xaxis[0].axis_label == "Re λ" and len(fig.renderers) >= 1


def test_bad_input_messages():
    F = lambda x: -x  # noqa: E731
    with pytest.raises(ValueError, match="initial_points must be an array"):
        find_slow_points(F, np.zeros(3))
    with pytest.raises(ValueError, match="fixed_tol <= q_tol"):
        find_slow_points(F, np.zeros((2, 3)), q_tol=1e-10, fixed_tol=1e-6)
    with pytest.raises(ValueError, match="state's shape"):
        find_slow_points(lambda x: x[:2], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="steps=-1"):
        find_slow_points(F, np.zeros((2, 3)), steps=-1)
    with pytest.raises(TypeError, match="must be a callable"):
        find_slow_points(None, np.zeros((2, 3)))
