"""Tests of brainlab.engine._integrators against analytic solutions, SciPy, and measured convergence orders."""

from __future__ import annotations

import doctest
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from brainlab.engine import _integrators as I
from brainlab.engine._integrators import (
    ODE_METHODS,
    AbstractODEMethod,
    AdaptiveStatus,
    odeint,
    phi1,
    register_ode_method,
    sdeint,
    solve_adaptive,
)
from brainlab.engine._integrators._tableau import rk_stages
from brainlab.engine._integrators._tree import lincomb

FIXED_TABLEAUS = [I.EULER, I.MIDPOINT, I.HEUN, I.RALSTON, I.KUTTA3, I.RK4]
EXPECTED_ORDER = {"euler": 1, "midpoint": 2, "heun": 2, "rk2": 2, "rk3": 3, "rk4": 4, "exp_euler": 1}


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


@functools.lru_cache(maxsize=None)
def fixed_runner(step):
    """A compiled ``run(x0, dt, n, *params)`` applying ``step`` n times from t = 0; n and dt are traced, so one
    compilation serves every step size."""

    @jax.jit
    def run(x0, dt, n, *params):
        return jax.lax.fori_loop(0, n, lambda i, x: step(x, i * dt, dt, *params), x0)

    return run


def fitted_slope(dts, errors):
    return float(np.polyfit(np.log(np.asarray(dts)), np.log(np.asarray(errors)), 1)[0])


# ----------------------------------------------------------------------------------------------- tableaus


def _order_conditions(tab, weights):
    """Residuals of the Runge-Kutta order conditions up to order 4 (Butcher's rooted trees), by order."""
    s = tab.stages
    A = np.zeros((s, s))
    for i, row in enumerate(tab.a):
        A[i, : len(row)] = row
    b, c = np.asarray(weights), np.asarray(tab.c)
    return {
        1: [b.sum() - 1],
        2: [b @ c - 1 / 2],
        3: [b @ c**2 - 1 / 3, b @ A @ c - 1 / 6],
        4: [b @ c**3 - 1 / 4, b @ (c * (A @ c)) - 1 / 8, b @ A @ c**2 - 1 / 12, b @ A @ A @ c - 1 / 24],
    }


@pytest.mark.parametrize("tab", FIXED_TABLEAUS, ids=lambda t: t.name)
def test_tableaus_have_exactly_the_declared_order(tab):
    res = _order_conditions(tab, tab.b)
    for p in range(1, tab.order + 1):
        assert np.allclose(res[p], 0, atol=1e-14), (tab.name, p)
    if tab.order < 4:  # and at least one condition of the next order fails: the order is not higher
        assert np.max(np.abs(res[tab.order + 1])) > 1e-3


@pytest.mark.parametrize("tab", [I.DOPRI5, I.RKF45], ids=lambda t: t.name)
def test_embedded_pairs_satisfy_order_conditions_up_to_four(tab):
    for weights in (tab.b, tab.b_hat):
        res = _order_conditions(tab, weights)
        assert all(np.allclose(res[p], 0, atol=1e-14) for p in range(1, 5))


# ------------------------------------------------------------------------------- fixed-step convergence


def forced_decay(x, t):
    return -x + jnp.sin(t)


def forced_decay_exact(x0, t):  # dx/dt = -x + sin t
    return (x0 + 0.5) * np.exp(-t) + (np.sin(t) - np.cos(t)) / 2


@pytest.mark.parametrize("method", list(EXPECTED_ORDER))
def test_measured_order_scalar(method, x64):
    step = odeint(forced_decay, method)
    assert step.order == EXPECTED_ORDER[method] == ODE_METHODS[method].order
    T, x0 = 2.0, jnp.array([1.0, -0.3])
    ns = [16, 32, 64, 128]
    errs = [
        float(jnp.max(jnp.abs(fixed_runner(step)(x0, T / n, n) - forced_decay_exact(np.asarray(x0), T))))
        for n in ns
    ]
    slope = fitted_slope([T / n for n in ns], errs)
    assert abs(slope - step.order) < 0.15, (method, slope, errs)


def damped_rotation(s, t, gamma, omega):
    return {"x": -gamma * s["x"] - omega * s["y"], "y": omega * s["x"] - gamma * s["y"]}


@pytest.mark.parametrize("method", list(EXPECTED_ORDER))
def test_measured_order_joint_pytree(method, x64):
    step = odeint(damped_rotation, method)
    gamma, omega, T = 0.3, 2.0, 3.0
    s0 = {"x": jnp.array(1.0), "y": jnp.array(0.0)}
    ex = math.exp(-gamma * T)
    exact = {"x": ex * math.cos(omega * T), "y": ex * math.sin(omega * T)}
    ns = [32, 64, 128, 256]
    errs = []
    for n in ns:
        s = fixed_runner(step)(s0, T / n, n, gamma, omega)
        assert set(s) == {"x", "y"}
        errs.append(max(abs(float(s[k]) - exact[k]) for k in s))
    slope = fitted_slope([T / n for n in ns], errs)
    assert abs(slope - step.order) < 0.15, (method, slope, errs)


def test_exp_euler_exact_for_linear_systems(x64):
    a = jnp.array([-3.0, -0.5, 0.0, 0.7])  # includes a = 0, the phi1 limit
    b = jnp.array([1.0, -2.0, 0.5, 0.1])
    step = odeint(lambda x, t, a, b: a * x + b, "exp_euler")
    x0 = jnp.array([0.2, 1.0, -1.0, 0.3])
    T = 2.0
    exact = np.where(a != 0, (x0 + b / np.where(a != 0, a, 1)) * np.exp(a * T) - b / np.where(a != 0, a, 1), x0 + b * T)
    for n in (1, 3, 50):
        x = fixed_runner(step)(x0, T / n, n, a, b)
        np.testing.assert_allclose(x, exact, rtol=1e-12, atol=1e-12)


def test_exp_euler_exact_on_hh_gating_at_large_step(x64):
    """Hodgkin-Huxley m gate at clamped V (HH 1952 rates, V in mV relative to rest): exact at any step size."""

    def alpha_m(v):
        return 0.1 * (25 - v) / (jnp.exp((25 - v) / 10) - 1)

    def beta_m(v):
        return 4 * jnp.exp(-v / 18)

    def hh(state, t):
        v, m = state
        return jnp.zeros_like(v), alpha_m(v) * (1 - m) - beta_m(v) * m

    v = jnp.array([0.0, 10.0, 40.0])
    m0 = jnp.array([0.05, 0.5, 0.9])
    al, be = alpha_m(v), beta_m(v)
    tau, minf = 1 / (al + be), al / (al + be)
    T, n = 5.0, 5  # dt = 1 ms is several times tau_m: forward Euler diverges here
    exact = minf + (m0 - minf) * np.exp(-T / tau)
    v_out, m_out = fixed_runner(odeint(hh, "exp_euler"))((v, m0), T / n, n)
    np.testing.assert_allclose(m_out, exact, rtol=1e-12)
    np.testing.assert_array_equal(v_out, v)
    _, m_euler = fixed_runner(odeint(hh, "euler"))((v, m0), T / n, n)
    assert np.max(np.abs(m_euler - exact)) > 1.0


def test_phi1_matches_expm1_ratio_and_is_smooth_at_zero(x64):
    zs = np.concatenate([-np.logspace(-9, 1.5, 60), np.logspace(-9, 1.5, 60)])
    ref = np.array([math.expm1(z) / z for z in zs])
    np.testing.assert_allclose(jax.jit(phi1)(jnp.asarray(zs)), ref, rtol=2e-15)
    assert float(phi1(jnp.array(0.0))) == 1.0
    dphi = jax.jit(jax.vmap(jax.grad(phi1)))
    z = jnp.array([0.0, 1e-6, -5e-3, 5e-3, 0.02, -0.5, 2.0])
    zz = np.asarray(z)
    safe = np.where(zz == 0, 1.0, zz)
    exact = np.where(np.abs(zz) < 1e-4, 0.5 + zz / 3, (zz * np.exp(zz) - np.expm1(zz)) / safe**2)
    np.testing.assert_allclose(dphi(z), exact, rtol=1e-9)


# ------------------------------------------------------------------------------ transforms and dtypes


@pytest.mark.parametrize("method", list(EXPECTED_ORDER))
def test_float32_state_stays_float32_with_float64_inputs(method, x64):
    step = odeint(lambda s, t, k: (-k * s[0], k * s[0] - s[1]), method)
    s0 = (jnp.ones(3, jnp.float32), jnp.zeros(3, jnp.float64))
    k = jnp.array(0.5, jnp.float64)
    out = jax.jit(step)(s0, jnp.array(0.0, jnp.float64), jnp.array(0.1, jnp.float64), k)
    assert [o.dtype for o in out] == [jnp.float32, jnp.float64]


def test_default_float32_state_and_weak_python_scalars():
    step = odeint(lambda v, t: -v / 10.0, "rk4")
    out = step(jnp.ones(4), 0.0, 0.1)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, np.exp(-0.01), rtol=1e-6)


@pytest.mark.parametrize("method", ["rk4", "exp_euler", "heun"])
def test_jit_vmap_and_grad(method, x64):
    step = odeint(lambda x, t, k: -k * x, method)
    x0s = jnp.array([0.5, 1.0, 2.0])
    batched = jax.jit(jax.vmap(lambda x: step(x, 0.0, 0.1, 0.7)))(x0s)
    single = jax.jit(step)
    np.testing.assert_allclose(batched, jnp.stack([single(x, 0.0, 0.1, 0.7) for x in x0s]), rtol=1e-15)

    k, dt, n, x0 = 0.7, 0.1, 20, 1.3

    def final(k):
        return jax.lax.fori_loop(0, n, lambda i, x: step(x, i * dt, dt, k), jnp.array(x0))

    g = float(jax.jit(jax.grad(final))(k))
    z = -k * dt  # amplification factor R(z) of each method on dx/dt = -k x
    R, dR = {
        "rk4": (1 + z + z**2 / 2 + z**3 / 6 + z**4 / 24, 1 + z + z**2 / 2 + z**3 / 6),
        "heun": (1 + z + z**2 / 2, 1 + z),
        "exp_euler": (math.exp(z), math.exp(z)),
    }[method]
    exact = x0 * n * R ** (n - 1) * dR * (-dt)
    assert g == pytest.approx(exact, rel=1e-12)


# ------------------------------------------------------------------------------------ error messages


def test_unknown_method_lists_valid_names():
    with pytest.raises(ValueError, match=r"odeint: unknown method 'rk5'.*'euler'.*'exp_euler'.*solve_adaptive"):
        odeint(forced_decay, "rk5")
    with pytest.raises(TypeError, match=r"odeint: method must be a method name"):
        odeint(forced_decay, 4)
    with pytest.raises(TypeError, match=r"odeint: f must be a function"):
        odeint(3.0)


def test_wrong_structure_shape_and_dtype_are_explained():
    def returns_list(s, t):
        return [s[0], s[1]]

    with pytest.raises(TypeError, match=r"returns_list returned derivatives with structure .*tuple \(dV, dm, dh\)"):
        odeint(returns_list)((jnp.zeros(2), jnp.zeros(2)), 0.0, 0.1)

    def missing_key(s, t):
        return {"v": -s["v"]}

    with pytest.raises(TypeError, match=r"missing_key returned derivatives with structure"):
        odeint(missing_key, "exp_euler")({"v": jnp.zeros(2), "w": jnp.zeros(2)}, 0.0, 0.1)

    def column(v, t):
        return -v[:, None]

    with pytest.raises(ValueError, match=r"column returned derivatives of shape \(3, 1\) for the state leaf x of"):
        odeint(column)(jnp.zeros(3), 0.0, 0.1)

    with pytest.raises(TypeError, match=r"state leaf x\[1\] has dtype int32.*pass floats"):
        odeint(lambda s, t: s)((jnp.zeros(2), jnp.arange(2)), 0.0, 0.1)

    # a scalar derivative for a vector variable broadcasts without changing the shape
    out = odeint(lambda v, t: 1.0, "euler")(jnp.zeros(3), 0.0, 0.5)
    np.testing.assert_array_equal(out, [0.5, 0.5, 0.5])


def test_register_custom_method():
    class BackwardEulerLinear(AbstractODEMethod):  # exact backward Euler for dx/dt = f linear in x, f(0)=0
        name = "test_backward_euler_linear"
        order = 1
        description = "test"

        def step(self, f, x, t, dt, params):
            a = jax.jvp(lambda y: f(y, t, *params), (x,), (jnp.ones_like(x),))[1]
            return x / (1 - dt * a)

    method = register_ode_method(BackwardEulerLinear())
    try:
        assert "test_backward_euler_linear" in ODE_METHODS
        out = odeint(lambda x, t: -2.0 * x, "test_backward_euler_linear")(jnp.array(1.0), 0.0, 0.5)
        assert float(out) == pytest.approx(0.5)
        with pytest.raises(ValueError, match=r"already registered.*overwrite=True"):
            register_ode_method(method)
        with pytest.raises(TypeError, match=r"AbstractODEMethod subclass"):
            register_ode_method("rk4")
    finally:
        I._registry._ODE_METHODS.pop("test_backward_euler_linear", None)


# ------------------------------------------------------------------------------------- adaptive


def van_der_pol(state, t, mu):
    x, y = state
    return y, mu * (1 - x**2) * y - x


def lorenz(u, t, sigma, rho, beta):
    return jnp.stack([sigma * (u[1] - u[0]), u[0] * (rho - u[2]) - u[1], u[0] * u[1] - beta * u[2]])


def _vdp_reference(mu, t_eval, y0=(2.0, 0.0)):
    ref = scipy.integrate.solve_ivp(
        lambda t, y: [y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]],
        (0.0, float(t_eval[-1])), y0, method="DOP853", rtol=1e-13, atol=1e-13, t_eval=t_eval,
    )
    return ref.y


@pytest.mark.parametrize("method", ["dopri5", "rkf45"])
def test_adaptive_matches_scipy_on_van_der_pol(method, x64):
    ts = np.linspace(0.0, 8.0, 17)
    ref = _vdp_reference(2.0, ts)
    sol = solve_adaptive(van_der_pol, (jnp.array(2.0), jnp.array(0.0)), (0.0, 8.0), 2.0, method=method,
                         rtol=1e-10, atol=1e-12, ts=ts)
    assert sol.message.startswith("success") and int(sol.status) == 0
    assert int(sol.n_saved) == len(ts) and int(sol.n_accepted) > 0
    np.testing.assert_allclose(sol.ts, ts)
    np.testing.assert_allclose(np.stack(sol.xs), ref, atol=2e-8)
    assert float(sol.t_last) == 8.0


def test_adaptive_matches_scipy_on_lorenz(x64):
    args = (10.0, 28.0, 8 / 3)
    u0 = np.array([1.0, 1.0, 1.0])
    ts = np.linspace(0, 1.0, 11)
    s, r, b = args
    ref = scipy.integrate.solve_ivp(
        lambda t, u: [s * (u[1] - u[0]), u[0] * (r - u[2]) - u[1], u[0] * u[1] - b * u[2]],
        (0, 1.0), u0, method="DOP853", rtol=1e-13, atol=1e-13, t_eval=ts,
    ).y.T
    sol = solve_adaptive(lorenz, jnp.asarray(u0), (0.0, 1.0), *args, rtol=1e-11, atol=1e-11, ts=ts)
    np.testing.assert_allclose(sol.xs, ref, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("method", ["dopri5", "rkf45"])
def test_adaptive_error_falls_with_rtol(method, x64):
    ref = _vdp_reference(1.0, np.array([0.0, 5.0]))[:, -1]
    solve = jax.jit(lambda rtol: solve_adaptive(van_der_pol, (jnp.array(2.0), jnp.array(0.0)), (0.0, 5.0), 1.0,
                                                method=method, rtol=rtol, atol=rtol * 1e-2))
    errs, steps = [], []
    for rtol in (1e-4, 1e-6, 1e-8, 1e-10):  # the tolerances are traced: one compilation serves all four
        sol = solve(rtol)
        errs.append(float(np.max(np.abs(np.stack(sol.xs)[:, -1] - ref))))
        steps.append(int(sol.n_steps))
    assert all(e2 < e1 for e1, e2 in zip(errs, errs[1:])), errs
    assert errs[0] < 1e-2 and errs[-1] < 1e-8, errs
    assert all(s2 > s1 for s1, s2 in zip(steps, steps[1:])), steps
    # the error tracks the tolerance: each 100x tighter rtol gains at least 10x accuracy
    assert all(e1 / e2 > 10 for e1, e2 in zip(errs, errs[1:])), errs


@pytest.mark.parametrize("tab", [I.DOPRI5, I.RKF45], ids=lambda t: t.name)
def test_embedded_pair_weights_have_orders_five_and_four(tab, x64):
    """Fixed steps with each weight vector of the pair show the tabulated orders (a check on every coefficient)."""
    T, ns = 2.0, [16, 32, 64]  # the asymptotic regime: coarser steps show pre-asymptotic slopes up to 6
    for weights, order in ((tab.b, tab.order), (tab.b_hat, tab.error_order)):

        @jax.jit
        def run(dt, n, weights=weights):
            def body(i, x):
                return lincomb(x, dt, weights, rk_stages(tab, forced_decay, x, i * dt, dt))

            return jax.lax.fori_loop(0, n, body, jnp.array(1.0))

        errs = [abs(float(run(T / n, n)) - forced_decay_exact(1.0, T)) for n in ns]
        slope = fitted_slope([T / n for n in ns], errs)
        assert abs(slope - order) < 0.35, (tab.name, order, slope, errs)


def test_adaptive_under_jit_vmap_and_backwards(x64):
    def decay(x, t, tau):
        return -x / tau

    ts = jnp.array([0.0, 0.0, 1.0, 3.0])  # includes t0 (twice)

    @jax.jit
    def solve(x0, tau):
        return solve_adaptive(decay, x0, (0.0, 3.0), tau, rtol=1e-10, atol=1e-13, ts=ts)

    x0s = jnp.array([1.0, -2.0, 0.5])
    taus = jnp.array([1.0, 2.0, 0.5])
    sols = jax.vmap(solve)(x0s, taus)
    assert sols.xs.shape == (3, 4) and bool(jnp.all(sols.success))
    exact = x0s[:, None] * jnp.exp(-ts[None, :] / taus[:, None])
    np.testing.assert_allclose(sols.xs, exact, rtol=1e-9)
    assert len(sols.message) == 3 and all(m.startswith("success") for m in sols.message)

    back = solve_adaptive(decay, jnp.array(1.0), (2.0, 0.0), 1.0, rtol=1e-10, atol=1e-13,
                          ts=jnp.array([2.0, 1.0, 0.0]))
    np.testing.assert_allclose(back.xs, np.exp([0.0, 1.0, 2.0]), rtol=1e-9)

    # forward-mode sensitivity d x(3) / d tau through the while loop
    _, dx = jax.jvp(lambda tau: solve(jnp.array(1.0), tau).xs[-1], (2.0,), (1.0,))
    assert float(dx) == pytest.approx(3.0 / 4.0 * math.exp(-1.5), rel=1e-8)


def test_adaptive_sees_current_globals_and_compiles_once_under_jit(x64):
    setting = {"target": 2.0}
    calls = []

    def relax(x, t, rate, model):  # dx/dt = rate (target - x); model may be any Python object
        calls.append(1)
        return rate * (model["target"] - x)

    first = solve_adaptive(relax, jnp.array(0.0), (0.0, 1.0), 3.0, setting, rtol=1e-10, atol=1e-12)
    assert float(first.xs[0]) == pytest.approx(2 * (1 - math.exp(-3)), rel=1e-8)
    setting["target"] = -1.0  # no stale cache: the next call traces f again and sees the new value
    second = solve_adaptive(relax, jnp.array(0.0), (0.0, 1.0), 3.0, setting, rtol=1e-10, atol=1e-12)
    assert float(second.xs[0]) == pytest.approx(-(1 - math.exp(-3)), rel=1e-8)

    solve = jax.jit(lambda x0, rate: solve_adaptive(relax, x0, (0.0, 1.0), rate, setting, rtol=1e-10, atol=1e-12))
    calls.clear()
    a = solve(jnp.array(0.0), 3.0)
    n_traced = len(calls)
    b = solve(jnp.array(1.0), 0.5)  # new values for traced arguments: no new trace
    assert len(calls) == n_traced > 0
    assert float(a.xs[0]) == pytest.approx(-(1 - math.exp(-3)), rel=1e-8)
    assert float(b.xs[0]) == pytest.approx(-1 + 2 * math.exp(-0.5), rel=1e-8)


def test_adaptive_in_float32_keeps_dtype():
    sol = solve_adaptive(lambda x, t: -x, jnp.ones(2, jnp.float32), (0.0, 2.0), rtol=1e-5, atol=1e-7)
    assert sol.xs.dtype == jnp.float32 and sol.ts.dtype == jnp.float32 and bool(sol.success)
    np.testing.assert_allclose(sol.xs[0], math.exp(-2.0), rtol=5e-5)


def test_adaptive_keeps_partial_results_when_max_steps_is_hit(x64):
    ts = np.linspace(0.0, 20.0, 11)
    ref = _vdp_reference(1.0, ts)
    sol = solve_adaptive(van_der_pol, (jnp.array(2.0), jnp.array(0.0)), (0.0, 20.0), 1.0, rtol=1e-9,
                         atol=1e-12, ts=ts, max_steps=60)
    assert int(sol.status) == AdaptiveStatus.MAX_STEPS and not bool(sol.success)
    assert "max_steps" in sol.message and "raise max_steps" in sol.message
    assert int(sol.n_steps) == 60
    k = int(sol.n_saved)
    assert 1 <= k < len(ts)
    xs = np.stack(sol.xs)
    np.testing.assert_allclose(xs[:, :k], ref[:, :k], atol=1e-7)
    assert np.all(np.isnan(xs[:, k:]))
    assert ts[k - 1] <= float(sol.t_last) < ts[k]
    late = _vdp_reference(1.0, np.array([0.0, float(sol.t_last)]))[:, -1]
    np.testing.assert_allclose(np.stack(sol.x_last), late, atol=1e-7)


def test_adaptive_reports_step_size_collapse(x64):
    def breaks_at_half(x, t):
        return jnp.where(t > 0.5, jnp.nan, -x)

    sol = solve_adaptive(breaks_at_half, jnp.array(1.0), (0.0, 1.0), ts=jnp.array([0.25, 1.0]))
    assert int(sol.status) == AdaptiveStatus.STEP_TOO_SMALL
    assert "NaN/inf" in sol.message
    assert float(sol.xs[0]) == pytest.approx(math.exp(-0.25), rel=1e-6) and np.isnan(float(sol.xs[1]))
    assert 0.49 < float(sol.t_last) <= 0.5


def test_adaptive_argument_errors():
    f = lambda x, t: -x  # noqa: E731
    with pytest.raises(ValueError, match=r"unknown method 'rk4'.*'dopri5', 'rkf45'.*odeint"):
        solve_adaptive(f, jnp.array(1.0), (0.0, 1.0), method="rk4")
    with pytest.raises(ValueError, match=r"ts must be non-decreasing"):
        solve_adaptive(f, jnp.array(1.0), (0.0, 1.0), ts=[0.5, 0.2])
    with pytest.raises(ValueError, match=r"must lie within t_span"):
        solve_adaptive(f, jnp.array(1.0), (0.0, 1.0), ts=[0.5, 2.0])
    with pytest.raises(ValueError, match=r"t_span must be a pair"):
        solve_adaptive(f, jnp.array(1.0), 1.0)
    with pytest.raises(ValueError, match=r"rtol and atol cannot both be 0"):
        solve_adaptive(f, jnp.array(1.0), (0.0, 1.0), rtol=0.0, atol=0.0)
    with pytest.raises(ValueError, match=r"max_steps must be a positive int"):
        solve_adaptive(f, jnp.array(1.0), (0.0, 1.0), max_steps=0)
    with pytest.raises(TypeError, match=r"returned derivatives with structure"):
        solve_adaptive(lambda s, t: s[0], (jnp.array(1.0), jnp.array(2.0)), (0.0, 1.0))


# ------------------------------------------------------------------------------------------- SDEs


def _brownian(key, n_paths, n_fine, T):
    """Brownian paths W (n_paths, n_fine + 1) on a uniform grid of [0, T], starting at 0."""
    dW = jax.random.normal(key, (n_paths, n_fine)) * math.sqrt(T / n_fine)
    return jnp.concatenate([jnp.zeros((n_paths, 1)), jnp.cumsum(dW, axis=1)], axis=1)


def _sde_runner(step, x0, T, *params):
    """A compiled ``run(W, n)``: integrate every path of W with n steps (n divides the grid; traced, so one
    compilation serves every step size), each step driven by the path's own increment W(t + dt) - W(t)."""

    @jax.jit
    def run(W, n):
        stride = (W.shape[1] - 1) // n
        dt = T / n

        def one_path(w):
            def body(i, x):
                return step(x, i * dt, dt, *params, dW=w[(i + 1) * stride] - w[i * stride])

            return jax.lax.fori_loop(0, n, body, x0)

        return jax.vmap(one_path)(W)

    return run


@pytest.mark.parametrize("method, calculus, order", [("euler", "ito", 0.5), ("milstein", "ito", 1.0),
                                                     ("heun", "stratonovich", 1.0)])
def test_strong_order_on_geometric_brownian_motion(method, calculus, order, x64):
    """dX = mu X dt + sigma X dW; Ito: X_T = X0 exp((mu - sigma^2/2) T + sigma W_T), Stratonovich: without -sigma^2/2.

    The exact solution uses the same Brownian path as the schemes (Kloeden & Platen 1992, Sec. 4.4; Higham 2001).
    """
    mu, sigma, T, x0 = 1.5, 1.0, 1.0, 1.0
    step = sdeint(lambda x, t: mu * x, lambda x, t: sigma * x, method)
    assert step.calculus == calculus and step.strong_order == order
    W = _brownian(jax.random.key(42), 4000, 128, T)
    drift = mu - sigma**2 / 2 if calculus == "ito" else mu
    exact = x0 * np.exp(drift * T + sigma * np.asarray(W[:, -1]))
    run = _sde_runner(step, jnp.array(x0), T)
    ns = [16, 32, 64, 128]
    errs = [float(np.mean(np.abs(np.asarray(run(W, n)) - exact))) for n in ns]
    slope = fitted_slope([T / n for n in ns], errs)
    assert abs(slope - order) < 0.12, (method, slope, errs)


def _exact_ou_sampler(x0, theta, sigma, W, T):
    """Exact-in-distribution OU transitions driven by the grid increments of W: x_T has the closed-form moments."""
    dW = np.diff(np.asarray(W), axis=1)
    h = T / dW.shape[1]
    decay, spread = math.exp(-theta * h), sigma * math.sqrt((1 - math.exp(-2 * theta * h)) / (2 * theta) / h)
    x = np.full(dW.shape[0], x0)
    for i in range(dW.shape[1]):
        x = decay * x + spread * dW[:, i]
    return x


@pytest.mark.parametrize("method", ["euler", "milstein", "heun"])
def test_weak_order_on_ornstein_uhlenbeck(method, x64):
    """dx = -theta x dt + sigma dW: E x_T = x0 e^{-theta T}, Var x_T = sigma^2 (1 - e^{-2 theta T}) / (2 theta).

    The moments' errors are estimated against an exact sampler of the OU transition driven by the same random
    numbers (a control variate whose moments are exactly the closed form), so the Monte Carlo noise nearly cancels
    and the fitted slope measures the scheme's bias.  Euler-Maruyama and Milstein (identical for additive noise)
    have weak order 1; Heun is second order in both moments for this linear, additive-noise equation.
    """
    theta, sigma, T, x0 = 1.0, 0.5, 1.0, 1.0
    step = sdeint(lambda x, t: -theta * x, lambda x, t: sigma * jnp.ones_like(x), method)
    assert step.weak_order == 1.0
    mean_exact = x0 * math.exp(-theta * T)
    var_exact = sigma**2 * (1 - math.exp(-2 * theta * T)) / (2 * theta)
    W = _brownian(jax.random.key(7), 100_000, 16, T)
    y = _exact_ou_sampler(x0, theta, sigma, W, T)
    # the control variate itself agrees with the closed form within its Monte Carlo error (about 1e-3 here)
    assert abs(y.mean() - mean_exact) < 4 * math.sqrt(var_exact / len(y))
    assert abs(y.var() - var_exact) < 4 * var_exact * math.sqrt(2 / len(y))
    ns, expected = ([4, 8, 16], 1.0) if method != "heun" else ([2, 4, 8], 2.0)
    run = _sde_runner(step, jnp.array(x0), T)
    mean_err, var_err = [], []
    for n in ns:
        xT = np.asarray(run(W, n))
        mean_err.append(abs(xT.mean() - y.mean()))
        var_err.append(abs(xT.var() - y.var()))
    mean_slope = fitted_slope([T / n for n in ns], mean_err)
    var_slope = fitted_slope([T / n for n in ns], var_err)
    assert abs(mean_slope - expected) < 0.2, (method, mean_slope, mean_err)
    assert abs(var_slope - expected) < 0.2, (method, var_slope, var_err)


def test_sde_increments_are_gaussian_with_variance_dt(x64):
    step = sdeint(lambda s, t: jax.tree.map(jnp.zeros_like, s), lambda s, t: jax.tree.map(jnp.ones_like, s))
    dt = 0.3
    s = step((jnp.zeros(20_000), jnp.zeros(20_000)), 0.0, dt, key=jax.random.key(3))
    for leaf in s:
        assert scipy.stats.kstest(np.asarray(leaf) / math.sqrt(dt), "norm").pvalue > 0.01
    assert abs(np.corrcoef(s[0], s[1])[0, 1]) < 4 / math.sqrt(20_000)  # independent across variables
    again = step((jnp.zeros(20_000), jnp.zeros(20_000)), 0.0, dt, key=jax.random.key(3))
    np.testing.assert_array_equal(s[0], again[0])  # reproducible for a fixed key


def test_sde_dtype_jit_vmap_and_grad(x64):
    step = sdeint(lambda x, t, s: -x, lambda x, t, s: s * x, "milstein")
    step_jit = jax.jit(step)
    x = jnp.ones(5, jnp.float32)
    out = step_jit(x, 0.0, jnp.array(0.01, jnp.float64), jnp.array(0.2, jnp.float64), key=jax.random.key(0))
    assert out.dtype == jnp.float32
    keys = jax.random.split(jax.random.key(1), 4)
    batched = jax.jit(jax.vmap(lambda k: step(jnp.ones(2), 0.0, 0.01, 0.2, key=k)))(keys)
    np.testing.assert_allclose(batched[1], step_jit(jnp.ones(2), 0.0, 0.01, 0.2, key=keys[1]), rtol=1e-14)
    # gradient of one Milstein step with respect to sigma against the analytic derivative
    dW = jnp.array(0.07)
    dt = 0.01
    g = jax.jit(jax.grad(lambda s: step(jnp.array(1.3), 0.0, dt, s, dW=dW)))(0.2)
    w = float(dW)
    assert float(g) == pytest.approx(1.3 * w + 1.3 * 0.2 * (w**2 - dt), rel=1e-12)


def test_sde_errors():
    def f(x, t):
        return jax.tree.map(jnp.negative, x)

    with pytest.raises(ValueError, match=r"sdeint: unknown method 'srk'.*'euler', 'heun', 'milstein'"):
        sdeint(f, f, "srk")
    with pytest.raises(ValueError, match=r"sdeint: unknown noise 'general'.*'diagonal'"):
        sdeint(f, f, noise="general")
    with pytest.raises(TypeError, match=r"sdeint: g must be a function"):
        sdeint(f, 0.5)
    step = sdeint(f, lambda s, t: s[0])
    with pytest.raises(TypeError, match=r"returned diffusion values with structure"):
        step((jnp.ones(2), jnp.ones(2)), 0.0, 0.1, key=jax.random.key(0))
    with pytest.raises(ValueError, match=r"either key= .* or dW="):
        sdeint(f, f)(jnp.ones(2), 0.0, 0.1, key=jax.random.key(0), dW=jnp.ones(2))
    with pytest.raises(ValueError, match=r"dW returned Wiener increments of shape \(3,\)"):
        sdeint(f, f)(jnp.ones(2), 0.0, 0.1, dW=jnp.ones(3))


def test_sde_default_key_comes_from_brainlab_random():
    try:
        from brainlab.engine import random  # noqa: F401 - written by another module; skip until it exists
    except ImportError:
        pytest.skip("brainlab.engine.random is not available")
    step = sdeint(lambda x, t: jnp.zeros_like(x), lambda x, t: jnp.ones_like(x))
    a = step(jnp.zeros(8), 0.0, 1.0)
    b = step(jnp.zeros(8), 0.0, 1.0)
    assert not np.allclose(a, b)  # the default generator advances between calls


# ----------------------------------------------------------------------------------- docstrings


@pytest.mark.parametrize("module", [I._ode, I._adaptive, I._sde], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples_exist(module):
    # The examples run once, under `--doctest-modules` (pyproject.toml); here: every module has some.
    assert sum(len(t.examples) for t in doctest.DocTestFinder().find(module)) > 0
