"""The Runner's fast paths: bit-packed spike records, one compiled program for every chunk length, host-side NaN
checks with pipelined chunks, the on-disk executable cache, and projections sharing one kernel call."""

import os
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest

import brainlab as bl
import brainlab.engine as be
from brainlab._runner import NonFiniteError, Runner
from brainlab.engine._event import _spikes
from brainlab.engine._event._csr import event_csr_matvec_multi
from brainlab.engine._event._csr import event_csr_matvec


@pytest.mark.parametrize("n", [1, 7, 8, 63, 64, 100, 800, 4001])
def test_packed_spikes_decode_to_the_same_steps_and_indices(n):
    rng = np.random.default_rng(n)
    raster = rng.random((9, n)) < 0.1
    packed = np.stack([np.asarray(_spikes.pack_spikes(jnp.asarray(row))) for row in raster])
    assert packed.shape == (9, _spikes.packed_bytes(n))
    steps, idx = _spikes.decode_packed(packed, 7)
    ref_steps, ref_idx = np.nonzero(raster[:7])
    np.testing.assert_array_equal(steps, ref_steps)
    np.testing.assert_array_equal(idx, ref_idx)
    pad = (-packed.shape[1]) % 8
    rows = np.ascontiguousarray(np.concatenate([packed[:7], np.zeros((7, pad), np.uint8)], axis=1))
    decoders = [_spikes._decode_numpy] + ([_spikes._numba_kernel()] if _spikes._numba_kernel() else [])
    for decode in decoders:  # NumPy, and numba's kernel (used when numba is loaded anyway)
        steps, idx = decode(rows, packed.shape[1])
        np.testing.assert_array_equal(steps, ref_steps)
        np.testing.assert_array_equal(idx, ref_idx)


def _coba(n=400, seed=1):
    be.random.seed(seed)
    ne = int(0.8 * n)
    kw = dict(V_rest=-60.0, V_reset=-60.0, V_th=-50.0, tau=20.0, R=1.0, t_ref=5.0, I_ext=20.0)
    E, I = bl.neurons.LIF(ne, **kw), bl.neurons.LIF(n - ne, **kw)
    p = 80 / n

    def proj(pre, post, s, tau, rev, w, **extra):
        return bl.Projection(pre, post, bl.conn.FixedProb(p, seed=s), bl.synapses.Expon(tau=tau),
                             bl.outputs.COBA(E=rev), weight=w, **extra)

    net = bl.Network(E=E, I=I, EE=proj(E, E, 1, 5.0, 0.0, 0.6), EI=proj(E, I, 2, 5.0, 0.0, 0.6),
                     IE=proj(I, E, 3, 10.0, -80.0, 6.7), II=proj(I, I, 4, 10.0, -80.0, 6.7))
    E.V.value = be.random.uniform(-60.0, -50.0, ne)
    I.V.value = be.random.uniform(-60.0, -50.0, n - ne)
    return net


def test_short_and_long_runs_share_one_compiled_program_and_chunking_is_invisible():
    net = _coba()
    r = Runner(net, monitors={"V": ("E.V", [0, 5])}, progress=False)
    a = r.run(1.0)
    b = r.run(250.0)
    assert len(r._compiled) == 1 and next(iter(r._compiled.values())).trace_count == 1
    net2 = _coba()
    c = Runner(net2, monitors={"V": ("E.V", [0, 5])}, progress=False, chunk_ms=3.3).run(251.0)
    np.testing.assert_array_equal(np.concatenate([a["V"], b["V"]]), c["V"])
    t = np.concatenate([a.spikes.times, b.spikes.times])
    i = np.concatenate([a.spikes.indices, b.spikes.indices])
    np.testing.assert_array_equal(t, c.spikes.times)
    np.testing.assert_array_equal(i, c.spikes.indices)
    assert len(c.spikes) > 100


def test_spike_record_matches_the_spike_state_step_by_step():
    net = _coba()
    r = Runner(net, monitors={"s": "E.spike"}, progress=False, chunk_ms=2.0)
    res = r.run(60.0)
    steps, idx = np.nonzero(res["s"])
    rec = res.spikes["E"]
    np.testing.assert_allclose(rec.times, res.ts[steps])
    np.testing.assert_array_equal(rec.indices, idx)


@pytest.mark.parametrize("chunk", [1.0, 2.0, 10.0])
def test_nan_in_an_early_chunk_stops_at_the_exact_step_with_later_chunks_in_flight(chunk):
    lif = bl.neurons.LIF(3)
    r = Runner(lif, monitors={"V": "LIF.V"}, progress=False, chunk_ms=chunk)
    series = np.zeros(100, dtype=np.float32)
    series[15] = np.nan
    with pytest.raises(NonFiniteError, match=r"at t = 1\.6 ms \(step 15\)") as info:
        r.run(10.0, inputs={lif: series})
    res = info.value.result
    assert len(res.ts) == 16 and np.isnan(res["V"][-1]).all() and np.isfinite(res["V"][:-1]).all()


def test_projections_from_one_population_share_a_kernel_call_with_the_same_numbers():
    rng = np.random.default_rng(0)
    n_pre = 300

    def csr(n_post):
        deg = rng.binomial(n_post, 0.05, n_pre)
        indptr = np.concatenate([[0], np.cumsum(deg)]).astype(np.int32)
        return indptr, rng.integers(0, n_post, indptr[-1]).astype(np.int32)

    (p1, i1), (p2, i2) = csr(200), csr(77)
    w2 = jnp.asarray(rng.random(len(i2)), jnp.float32)
    conns = [(p1, i1, 0.6, 200), (p2, i2, w2, 77)]
    spikes = jnp.asarray(rng.random(n_pre) < 0.2)
    for backend in ("numba", "jax"):
        together = event_csr_matvec_multi(spikes, conns, backend=backend)
        apart = [event_csr_matvec(spikes, p, i, w, n, backend=backend) for p, i, w, n in conns]
        for x, y in zip(together, apart):
            np.testing.assert_array_equal(x, y)

    def loss(fn, w):
        outs = fn([(p1, i1, w, 200), (p2, i2, 2 * w, 77)])
        return sum((o * jnp.arange(o.shape[0])).sum() for o in outs)

    import jax

    g1 = jax.grad(lambda w: loss(lambda cs: event_csr_matvec_multi(spikes, cs), w))(0.3)
    g2 = jax.grad(lambda w: loss(lambda cs: [event_csr_matvec(spikes, p, i, ww, n) for p, i, ww, n in cs], w))(0.3)
    np.testing.assert_allclose(g1, g2, rtol=1e-6)


def test_a_network_with_shared_kernel_calls_matches_the_pure_jax_backend():
    def run(backend):
        be.random.seed(2)
        E, I = bl.neurons.LIF(160, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, R=1.0, t_ref=5.0,
                              I_ext=20.0), bl.neurons.LIF(40, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0,
                                                          R=1.0, t_ref=5.0, I_ext=20.0)
        mk = lambda pre, post, s, w: bl.Projection(pre, post, bl.conn.FixedProb(0.1, seed=s), bl.synapses.Expon(),  # noqa: E731
                                                   bl.outputs.COBA(E=0.0), weight=w, backend=backend)
        net = bl.Network(E=E, I=I, EE=mk(E, E, 1, 0.6), EI=mk(E, I, 2, 0.6))
        E.V.value = be.random.uniform(-60.0, -50.0, 160)
        return Runner(net, progress=False).run(100.0)

    a, b = run("numba"), run("jax")
    assert len(a.spikes) > 10
    np.testing.assert_array_equal(a.spikes.times, b.spikes.times)
    np.testing.assert_array_equal(a.spikes.indices, b.spikes.indices)


def test_executable_cache_round_trip_in_a_new_process(tmp_path):
    code = textwrap.dedent(
        """
        import numpy as np, brainlab as bl
        import brainlab._runner as R
        lif = bl.neurons.LIF(5)
        res = bl.Runner(lif, monitors={'V': 'LIF.V'}, progress=False).run(20.0, inputs={lif: 400.0})
        print('CACHE', len(list(R._executable_cache().dir.glob('*.bin'))), 'SPIKES', len(res.spikes),
              'V', float(np.asarray(res['V']).sum()))
        """
    )
    env = dict(os.environ, BRAINLAB_CACHE_DIR=str(tmp_path / "xla"))
    outs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
            for _ in range(2)]
    for out in outs:
        assert out.returncode == 0, out.stderr[-2000:]
    first, second = (o.stdout.split("CACHE", 1)[1].split() for o in outs)
    assert first[0] == "1" and second[0] == "1"  # written by the first process, reused by the second
    assert first[1:] == second[1:]  # same spikes and traces from the loaded executable
    off = dict(os.environ, BRAINLAB_CACHE_DIR="0")
    out = subprocess.run([sys.executable, "-c", "import brainlab._runner as R; print(R._executable_cache())"],
                         env=off, capture_output=True, text=True, timeout=300)
    assert out.stdout.strip() == "None"


def test_compile_options_this_xla_refuses_are_dropped_with_one_warning(monkeypatch):
    """An XLA without one of the Runner's compile options still runs the network (the same numbers), and the
    Runner says, once, that it compiled without them."""
    import brainlab._runner as runner_module

    def run():
        lif = bl.neurons.LIF(20, I_ext=30.0)
        return Runner(lif, monitors={"V": "LIF.V"}, progress=False).run(20.0)

    expected = run()
    monkeypatch.setitem(runner_module._CPU_COMPILER_OPTIONS, "xla_cpu_option_that_does_not_exist", True)
    monkeypatch.setattr(runner_module, "_OPTIONS_WARNED", set())
    with pytest.warns(RuntimeWarning, match="refused the compile options") as record:
        got = run()
        run()
    assert sum("refused the compile options" in str(w.message) for w in record) == 1
    np.testing.assert_array_equal(got["V"], expected["V"])
    np.testing.assert_array_equal(got.spikes.times, expected.spikes.times)
    # A new process (a fresh warned-set) whose on-disk cache already holds the program compiled without the
    # options says so again: the fallback is cached under no options, never under the refused ones.
    monkeypatch.setattr(runner_module, "_OPTIONS_WARNED", set())
    with pytest.warns(RuntimeWarning, match="refused the compile options"):
        again = run()
    np.testing.assert_array_equal(again["V"], expected["V"])
