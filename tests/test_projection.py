"""Projection: currents against dense numpy references (CUBA/COBA, per-pre kinetics, STP), weights in every form,
exact delay shifts, backend agreement, on-the-fly connectivity, gradients vs finite differences, sweeps (vmap),
an end-to-end two-neuron run against independent integrations, and input errors."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import brainlab as bl
import brainlab.engine as be
from brainlab._runner import Runner
from brainlab.engine._event import numba_status

BACKENDS = ["jax", "dense"] + (["numba"] if numba_status() is None else [])


class Source(be.Module):
    """A presynaptic population whose spikes the test sets by hand."""

    def __init__(self, n, dtype=bool):
        self.size = (n,)
        self.spike = be.HiddenState(jnp.zeros(n, dtype))

    def update(self, t, dt, I=0.0):  # noqa: E741
        return self.spike.value


def spike_pattern(n_steps, n, p, seed):
    return np.random.default_rng(seed).random((n_steps, n)) < p


def drive(proj, pattern, dt, V=None):
    """Currents of ``proj`` for the spike pattern (one row per step), compiled in one loop."""
    pre = proj.pre

    def step(t, s):
        pre.spike.value = s
        return proj.update(t, dt)

    return np.asarray(be.for_loop(step, np.arange(len(pattern)) * dt, pattern))


def expon_reference(W, pattern, dt, tau):
    """g_j after the arrivals of step n is g + W^T s; it then decays by e^{-dt/tau}."""
    g = np.zeros(W.shape[1])
    out = []
    for s in pattern:
        g = g + s.astype(float) @ W
        out.append(g.copy())
        g = g * math.exp(-dt / tau)
    return np.array(out)


# ---------------------------------------------------------------------------------------------------------------
# currents vs dense references
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_cuba_current_equals_dense_reference(backend):
    pre, post = Source(40), bl.neurons.LIF(25)
    proj = bl.Projection(pre, post, bl.conn.FixedProb(0.3, seed=4), bl.synapses.Expon(tau=3.0), bl.outputs.CUBA(),
                         weight=1.5, backend=backend)
    W = proj.conn.to_dense(dtype=float) * 1.5
    pattern = spike_pattern(30, 40, 0.2, seed=1)
    np.testing.assert_allclose(drive(proj, pattern, 0.1), expon_reference(W, pattern, 0.1, 3.0), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_coba_current_with_per_synapse_weights(backend):
    pre, post = Source(30), bl.neurons.LIF(20)
    post.V = np.linspace(-80.0, -50.0, 20)
    conn = bl.conn.FixedProb(0.4, seed=2).build(30, 20)
    w = np.random.default_rng(0).uniform(0.1, 1.0, conn.nnz)
    proj = bl.Projection(pre, post, conn, bl.synapses.Expon(tau=5.0), bl.outputs.COBA(E=-80.0), weight=w,
                         backend=backend)
    W = np.zeros((30, 20))
    np.add.at(W, (conn.pre, conn.post), w)
    pattern = spike_pattern(20, 30, 0.3, seed=3)
    V = np.asarray(post.V.value)
    ref = expon_reference(W, pattern, 0.1, 5.0) * (-80.0 - V)
    np.testing.assert_allclose(drive(proj, pattern, 0.1), ref, rtol=1e-5, atol=1e-4)


def test_weights_in_user_order_dense_matrix_and_homogeneous_forms_agree():
    rng = np.random.default_rng(5)
    i, j = rng.integers(0, 12, 60), rng.integers(0, 9, 60)           # unsorted, with multapses
    w = rng.uniform(-1.0, 1.0, 60)
    W = np.zeros((12, 9))
    np.add.at(W, (i, j), w)                                           # reference straight from the user's lists
    pattern = spike_pattern(10, 12, 0.4, seed=6)
    ref = expon_reference(W, pattern, 0.1, 2.0)
    user = bl.Projection(Source(12), bl.neurons.LIF(9), bl.conn.FromIJ(i, j), bl.synapses.Expon(tau=2.0),
                         bl.outputs.CUBA(), weight=w)
    carried = bl.Projection(Source(12), bl.neurons.LIF(9), bl.conn.FromIJ(i, j, weights=w),
                            bl.synapses.Expon(tau=2.0), bl.outputs.CUBA())
    for proj in (user, carried):
        np.testing.assert_allclose(drive(proj, pattern, 0.1), ref, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(proj.to_dense(), W, atol=1e-6)
    # a dense (n_pre, n_post) matrix is read at each synapse; the same value everywhere equals a scalar weight
    M = rng.uniform(0.0, 2.0, (12, 9))
    conn = bl.conn.FixedProb(0.5, seed=1)
    a = bl.Projection(Source(12), bl.neurons.LIF(9), conn, bl.synapses.Expon(tau=2.0), bl.outputs.CUBA(), weight=M)
    np.testing.assert_allclose(a.to_dense(), M * a.conn.to_dense(dtype=float), rtol=1e-6)
    homo = bl.Projection(Source(12), bl.neurons.LIF(9), conn, bl.synapses.Expon(), bl.outputs.CUBA(), weight=0.7)
    hetero = bl.Projection(Source(12), bl.neurons.LIF(9), conn, bl.synapses.Expon(), bl.outputs.CUBA(),
                           weight=np.full(homo.nnz, 0.7))
    np.testing.assert_allclose(drive(homo, pattern, 0.1), drive(hetero, pattern, 0.1), rtol=1e-6)


def test_from_dense_weights_are_used_when_no_weight_is_given():
    M = np.array([[0.0, 2.0, 0.0], [1.5, 0.0, -1.0]])
    proj = bl.Projection(Source(2), bl.neurons.LIF(3), bl.conn.FromDense(M), bl.synapses.Delta(), bl.outputs.CUBA())
    out = drive(proj, np.array([[True, True]]), 0.5)
    np.testing.assert_allclose(out[0], M.sum(axis=0) / 0.5, rtol=1e-6)


def test_per_presynaptic_kinetics_and_stp_match_standalone_models():
    n_pre, n_post, dt = 15, 10, 0.1
    pattern = spike_pattern(60, n_pre, 0.15, seed=8)
    conn = bl.conn.FixedProb(0.5, seed=3).build(n_pre, n_post)
    W = conn.to_dense(dtype=float) * 0.8
    post = bl.neurons.LIF(n_post)
    post.V = np.linspace(-70.0, -55.0, n_post)
    V = np.asarray(post.V.value)

    proj = bl.Projection(Source(n_pre), post, conn, bl.synapses.NMDA(), bl.outputs.MgBlock(E=0.0), weight=0.8)
    ref_syn = bl.synapses.NMDA(n_pre)
    r = np.array([np.asarray(ref_syn.update(i * dt, dt, s)) for i, s in enumerate(pattern)])
    mg = 1.0 / (1.0 + 1.2 * np.exp(-0.062 * V) / 3.57)
    np.testing.assert_allclose(drive(proj, pattern, dt), (r @ W) * mg * (0.0 - V), rtol=1e-4, atol=1e-6)

    stp_proj = bl.Projection(Source(n_pre), post, conn, bl.synapses.Expon(tau=4.0), bl.outputs.CUBA(), weight=0.8,
                             stp=bl.synapses.STP(U=0.3, tau_f=200.0, tau_d=100.0))
    ref_stp = bl.synapses.STP(n_pre, U=0.3, tau_f=200.0, tau_d=100.0)
    efficacy = np.array([np.asarray(ref_stp.update(i * dt, dt, s)) for i, s in enumerate(pattern)])
    g, ref = np.zeros(n_post), []
    for e in efficacy:
        g = g + e @ W
        ref.append(g.copy())
        g *= math.exp(-dt / 4.0)
    np.testing.assert_allclose(drive(stp_proj, pattern, dt), np.array(ref), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "dense"])
def test_onthefly_connectivity_matches_its_materialised_matrix(backend):
    pre, post = Source(200), bl.neurons.LIF(150)
    proj = bl.Projection(pre, post, bl.conn.FixedProb(0.05, seed=11), bl.synapses.Expon(tau=2.0), bl.outputs.CUBA(),
                         weight=0.4, onthefly=True, backend=backend)
    assert proj.nnz is None and "on the fly" in repr(proj)
    W = proj.to_dense()
    assert abs(np.count_nonzero(W) - 0.05 * 200 * 150) < 5 * math.sqrt(0.05 * 200 * 150)
    pattern = spike_pattern(10, 200, 0.1, seed=2)
    np.testing.assert_allclose(drive(proj, pattern, 0.1), expon_reference(W, pattern, 0.1, 2.0), rtol=1e-5,
                               atol=1e-5)


# ---------------------------------------------------------------------------------------------------------------
# delays
# ---------------------------------------------------------------------------------------------------------------


def test_homogeneous_delay_shifts_the_response_by_whole_steps():
    dt, n = 0.1, 60
    pattern = spike_pattern(n, 20, 0.1, seed=4)
    conn = bl.conn.FixedProb(0.3, seed=5)
    base = drive(bl.Projection(Source(20), bl.neurons.LIF(8), conn, bl.synapses.Alpha(tau=1.0), bl.outputs.CUBA(),
                               weight=1.0), pattern, dt)
    for delay in (0.1, 1.5, 2.0):
        k = int(round(delay / dt))
        out = drive(bl.Projection(Source(20), bl.neurons.LIF(8), conn, bl.synapses.Alpha(tau=1.0),
                                  bl.outputs.CUBA(), weight=1.0, delay=delay), pattern, dt)
        np.testing.assert_array_equal(out[:k], 0.0)
        np.testing.assert_allclose(out[k:], base[:n - k], rtol=1e-6, atol=1e-7)


def test_per_synapse_delays_match_a_numpy_reference():
    dt, n = 0.1, 40
    conn = bl.conn.FixedProb(0.4, seed=9).build(10, 6)
    rng = np.random.default_rng(1)
    d_steps = rng.integers(0, 12, conn.nnz)
    w = rng.uniform(0.5, 1.5, conn.nnz)
    proj = bl.Projection(Source(10), bl.neurons.LIF(6), conn, bl.synapses.Expon(tau=1.0), bl.outputs.CUBA(),
                         weight=w, delay=d_steps * dt)
    pattern = spike_pattern(n, 10, 0.2, seed=7)
    g, ref = np.zeros(6), []
    for t in range(n):
        arrived = np.array([pattern[t - d, i] if t - d >= 0 else False for i, d in zip(conn.pre, d_steps)])
        x = np.zeros(6)
        np.add.at(x, conn.post, w * arrived)
        g = g + x
        ref.append(g.copy())
        g *= math.exp(-dt / 1.0)
    np.testing.assert_allclose(drive(proj, pattern, dt), np.array(ref), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------------
# gradients and sweeps
# ---------------------------------------------------------------------------------------------------------------


def _loss_setup(weight, backend):
    src = bl.inputs.SpikeTimes(6, times=[0.5, 1.0, 1.2, 2.0, 2.1, 3.0], indices=[0, 1, 2, 3, 4, 5])
    post = bl.neurons.LIF(4)
    proj = bl.Projection(src, post, bl.conn.FixedProb(0.6, seed=3), bl.synapses.Expon(tau=2.0),
                         bl.outputs.COBA(E=0.0), weight=weight, backend=backend)
    net = bl.Network(src=src, post=post, proj=proj)

    def step(t):
        net.update(t, 0.1)
        return post.V.value

    def loss():
        net.reset()
        V = be.for_loop(step, jnp.arange(40) * 0.1)
        return jnp.mean((V + 60.0) ** 2)        # stays subthreshold: a smooth function of the weights

    return proj, loss


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "dense"])
def test_gradient_wrt_weight_paramstate_matches_finite_differences(backend):
    with jax.enable_x64(True):
        for weight in (be.ParamState(2.0), None):
            proj, loss = _loss_setup(2.0 if weight is None else weight, backend)
            if weight is None:                                   # per-synapse weights
                proj.weight = np.linspace(1.0, 3.0, proj.nnz)
            g = np.asarray(be.grad(loss, states=proj.weight)())
            compiled = be.jit(loss)
            w0 = np.asarray(proj.weight.value).copy()
            fd = np.zeros_like(w0)
            for k in list(np.ndindex(w0.shape))[:6]:             # central differences, component by component
                e = np.zeros_like(w0)
                e[k] = 1e-5
                proj.weight.value = w0 + e
                up = float(compiled())
                proj.weight.value = w0 - e
                down = float(compiled())
                fd[k] = (up - down) / 2e-5
            proj.weight.value = w0
            g, fd = g.reshape(-1)[:6], fd.reshape(-1)[:6]
            assert np.abs(fd).max() > 1e-3
            np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-8)


def test_sweep_over_weight_and_synapse_parameter_equals_separate_runs():
    def build():
        src = bl.inputs.SpikeTimes(5, times=[1.0, 2.0, 3.0, 4.0], indices=[0, 1, 2, 3])
        post = bl.neurons.LIF(3)
        proj = bl.Projection(src, post, bl.conn.AllToAll(), bl.synapses.Expon(tau=2.0), bl.outputs.COBA(E=0.0),
                             weight=1.0, delay=0.5)
        return bl.Network(src=src, post=post, proj=proj)

    params = {"proj.weight": [0.5, 2.0, 4.0], "proj.syn.tau": [1.0, 2.0, 5.0]}
    res = bl.sweep(build(), params, 10.0, monitors={"V": "post.V"}, dt=0.1)
    for k in (0, 2):
        net = build()
        net.proj.weight = params["proj.weight"][k]
        net.proj.syn.tau = params["proj.syn.tau"][k]
        single = Runner(net, monitors={"V": "post.V"}, dt=0.1, progress=False).run(10.0)
        np.testing.assert_allclose(res[k]["V"], single["V"], rtol=1e-6, atol=1e-5)
    assert not np.allclose(res[0]["V"], res[2]["V"])


# ---------------------------------------------------------------------------------------------------------------
# end to end
# ---------------------------------------------------------------------------------------------------------------


def test_two_lif_neurons_expon_coba_match_independent_integrations():
    dt, T, tau_s, w, E_syn = 0.01, 60.0, 5.0, 3.0, 0.0
    pre, post = bl.neurons.LIF(1, I_ext=300.0), bl.neurons.LIF(1)
    proj = bl.Projection(pre, post, bl.conn.AllToAll(), bl.synapses.Expon(tau=tau_s), bl.outputs.COBA(E=E_syn),
                         weight=w)
    res = Runner(bl.Network(pre=pre, post=post, proj=proj), monitors={"V": "post.V"}, dt=dt, progress=False).run(T)
    V = res["V"][:, 0]
    t_spk = np.asarray(res.spikes["pre"].times)          # ends of the steps in which pre crossed threshold
    assert len(res.spikes["post"]) == 0
    assert len(t_spk) >= 3
    assert np.max(V) < -50.0                               # the postsynaptic neuron stays below threshold
    tau, R, V_rest = 10.0, 0.1, -65.0

    # 1) the same scheme stepped in numpy: spike at t_k -> g jumps at t_k; V exact for the held current
    steps = set(np.rint(t_spk / dt).astype(int))
    g, v, ref = 0.0, V_rest, []
    for n in range(len(V)):
        if n in steps:
            g += w
        I = g * (E_syn - v)
        v = V_rest + R * I + (v - V_rest - R * I) * math.exp(-dt / tau)
        ref.append(v)
        g *= math.exp(-dt / tau_s)
    np.testing.assert_allclose(V, ref, atol=2e-3)

    # 2) the continuous system, integrated by scipy with the conductance in closed form
    def rhs(t, y):
        gt = w * np.sum(np.exp(-(t - t_spk[t_spk <= t]) / tau_s))
        return [(-(y[0] - V_rest) + R * gt * (E_syn - y[0])) / tau]

    sol = solve_ivp(rhs, (0.0, T), [V_rest], t_eval=res.ts, rtol=1e-9, atol=1e-9, max_step=dt,
                    first_step=dt / 10)
    assert np.max(np.abs(V - sol.y[0])) < 0.02            # first order in dt: 0.01 ms gives ~0.01 mV
    assert np.max(V) - V_rest > 1.0                       # and the PSPs are large enough to mean something


# ---------------------------------------------------------------------------------------------------------------
# description and errors
# ---------------------------------------------------------------------------------------------------------------


def test_description_summary_and_states():
    E = bl.neurons.LIF(50)
    proj = bl.Projection(E, E, bl.conn.FixedProb(0.1, seed=1), bl.synapses.Expon(tau=5.0), bl.outputs.COBA(E=0.0),
                         weight=0.6, delay=1.0, stp=bl.synapses.STD())
    text = proj.describe()
    assert "Expon(tau=5 ms)" in text and "COBA(E=0 mV)" in text and "w=0.6" in text and "delay=1 ms" in text
    assert "STD(" in text and "FixedProb" in text
    assert repr(proj).startswith("Projection(LIF(50) -> LIF(50)")
    summary = bl.Network(E=E, EE=proj).summary()
    assert f"synapses={proj.nnz}" in summary and "E -> E" in summary
    assert {"syn.g", "weight", "delay_buffer", "stp.x"} <= set(proj.states())
    assert "V" not in proj.states()                        # the populations' States belong to the populations


def test_projection_errors_name_the_argument_and_the_fix():
    pre, post = bl.neurons.LIF(10), bl.neurons.LIF(5)
    syn, out = bl.synapses.Expon(), bl.outputs.CUBA()
    conn = bl.conn.FixedProb(0.5, seed=0)
    with pytest.raises(ValueError, match=r"connectivity has shape \(n_pre, n_post\) = \(5, 10\)"):
        bl.Projection(pre, post, conn.build(5, 10), syn, out, weight=1.0)
    with pytest.raises(ValueError, match="delay must be >= 0 ms"):
        bl.Projection(pre, post, conn, syn, out, weight=1.0, delay=-1.0)
    with pytest.raises(ValueError, match="not a whole number of time steps"):
        bl.Projection(pre, post, conn, syn, out, weight=1.0, delay=0.25)
    with pytest.raises(ValueError, match=r"weight has shape \(3,\); expected a scalar, one value per synapse"):
        bl.Projection(pre, post, conn, syn, out, weight=np.ones(3))
    with pytest.raises(TypeError, match="weight is missing"):
        bl.Projection(pre, post, conn, syn, out)
    with pytest.raises(ValueError, match="backend must be one of"):
        bl.Projection(pre, post, conn, syn, out, weight=1.0, backend="cuda")
    with pytest.raises(TypeError, match="pass it as stp="):
        bl.Projection(pre, post, conn, bl.synapses.STP(), out, weight=1.0)
    with pytest.raises(TypeError, match="synapse must be a synapse model"):
        bl.Projection(pre, post, conn, "expon", out, weight=1.0)
    with pytest.raises(ValueError, match="weight must be a scalar"):
        bl.Projection(pre, post, conn, syn, out, weight=np.ones(50), onthefly=True)
    with pytest.raises(ValueError, match="per-synapse delays work with synapse models"):
        bl.Projection(pre, post, conn, bl.synapses.AMPA(), out, weight=1.0, delay=np.zeros(conn.build(10, 5).nnz))
    rate = bl.neurons.ThresholdLinear(5)
    with pytest.raises(ValueError, match="reads the postsynaptic potential 'V'"):
        bl.Projection(pre, rate, conn, syn, bl.outputs.COBA(E=0.0), weight=1.0)
    with pytest.raises(TypeError, match="emits no spikes"):
        bl.Projection(rate, post, bl.conn.FixedProb(0.5, seed=0), syn, out, weight=1.0)
    proj = bl.Projection(pre, post, conn, syn, out, weight=1.0, delay=1.0, dt=0.1)
    with pytest.raises(ValueError, match="Build the projection with dt=0.05"):
        proj.update(0.0, 0.05)
    with pytest.raises(ValueError, match="weight has NaN"):
        proj.weight = np.nan
