"""Event-driven spike propagation: numba typed-FFI kernels and the pure-JAX path against dense numpy references,
under jit / vmap / grad, the FFI handshake and error paths, and the statistics of on-the-fly connectivity."""

from __future__ import annotations

import ctypes

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
from jax.test_util import check_grads
from scipy import stats

from brainlab.engine._event import (
    csr_matvec,
    delay_push,
    delayed,
    event_csr_matvec,
    event_fixedprob_onthefly,
    fixedprob_onthefly_csr,
    numba_status,
)

HAVE_NUMBA = numba_status() is None
BACKENDS = ["numba", "jax"] if HAVE_NUMBA else ["jax"]
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason=f"numba FFI backend unavailable: {numba_status()}")


# --------------------------------------------------------------------------------------------------------------
# Helpers: random CSR connectivity with empty rows, dense references
# --------------------------------------------------------------------------------------------------------------
def random_csr(n_pre, n_post, density, seed, dtype=np.float32, empty_rows=(0, 3)):
    rng = np.random.default_rng(seed)
    a = sp.random(n_pre, n_post, density=density, format="lil", random_state=seed, dtype=np.float64)
    for r in empty_rows:
        if r < n_pre:
            a.rows[r], a.data[r] = [], []
    a = a.tocsr()
    a.data = rng.normal(size=a.nnz)
    return a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data.astype(dtype)


def dense(indptr, indices, w, n_post):
    """A[i, j] = sum of the weights of synapses i -> j (w scalar or per synapse)."""
    n_pre = len(indptr) - 1
    data = np.broadcast_to(np.asarray(w, np.float64), indices.shape)
    return sp.csr_matrix((data, indices, indptr), shape=(n_pre, n_post)).toarray()


def spike_vector(kind, n, rate, seed, dtype):
    rng = np.random.default_rng(seed)
    if kind == "none":
        return np.zeros(n, bool)
    if kind == "all":
        return np.ones(n, bool)
    s = rng.random(n) < rate
    if kind == "bool":
        return s
    return (s * rng.normal(size=n)).astype(dtype)  # surrogate-gradient spike values


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------------------------------
# FFI bridge: layout, handshake, error path (called directly through ctypes)
# --------------------------------------------------------------------------------------------------------------
@needs_numba
def test_layout_matches_jaxlib_header_and_detects_a_changed_one(tmp_path):
    import jax.ffi

    from brainlab.engine._event import _ffi

    header = jax.ffi.include_dir() + "/xla/ffi/api/c_api.h"
    assert _ffi.check_layout(header) is None
    text = open(header, encoding="utf-8").read()
    changed = tmp_path / "c_api.h"
    changed.write_text(text.replace("  int64_t rank;\n", "  int32_t flags;\n  int64_t rank;\n", 1))
    reason = _ffi.check_layout(str(changed))
    assert reason is not None and "XLA_FFI_Buffer" in reason
    changed.write_text(text.replace("#define XLA_FFI_API_MAJOR 0", "#define XLA_FFI_API_MAJOR 1"))
    assert "API version" in _ffi.check_layout(str(changed))


class _FakeXla:
    """A hand-built call frame and API struct (the documented 0.3 layout) to drive a handler through ctypes."""

    def __init__(self):
        from brainlab.engine._event import _ffi

        self.f = _ffi
        self.messages = []
        proto = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.POINTER(_ffi._ErrorCreateArgs))

        def create(args):
            self.messages.append((ctypes.string_at(args.contents.message).decode(), args.contents.errc))
            return 0xE7707

        self._create = proto(create)
        self.api = _ffi._ApiPrefix(struct_size=ctypes.sizeof(_ffi._ApiPrefix))
        self.api.XLA_FFI_Error_Create = ctypes.cast(self._create, ctypes.c_void_p).value

    def handshake(self, handler):
        """Call ``handler`` with XLA's registration handshake; it must return NULL; returns the metadata it filled."""
        md = self.f._Metadata(struct_size=ctypes.sizeof(self.f._Metadata))
        md.traits, md.state_type_id = 0xFFFF, 99
        ext = self.f._MetadataExtension(metadata=ctypes.addressof(md))
        ext.extension_base.struct_size = ctypes.sizeof(self.f._MetadataExtension)
        ext.extension_base.type = self.f.EXTENSION_METADATA
        assert handler(ctypes.addressof(self.frame(ext=ctypes.addressof(ext)))) is None  # NULL: success
        return md

    def assert_rejects_bad_frames(self, handler):
        """A gather-like handler (4 operands, 1 result) turns malformed frames into XLA errors with a message."""
        assert handler(ctypes.addressof(self.frame(n_args=2, n_rets=1))) == 0xE7707
        assert "wrong number of operands" in self.messages[-1][0] and self.messages[-1][1] == 3
        assert handler(ctypes.addressof(self.frame(stage=1, n_args=4, n_rets=1))) == 0xE7707
        assert "stage" in self.messages[-1][0]

    def frame(self, stage=3, n_args=0, n_rets=0, ext=None):
        fr = self.f._CallFrame(struct_size=self.f.FRAME_SIZE_REQUIRED, stage=stage)
        fr.api = ctypes.addressof(self.api)
        fr.extension_start = ext
        fr.args.size, fr.rets.size = n_args, n_rets
        return fr


@needs_numba
def test_handshake_reports_api_version_and_no_traits():
    from brainlab.engine._event import _csr_kernels

    fake = _FakeXla()
    handler = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)(_csr_kernels.scatter_handler.address)
    md = fake.handshake(handler)
    assert (md.api_version.major_version, md.api_version.minor_version) == (0, 3)
    assert md.api_version.struct_size == 24 and md.traits == 0 and md.state_type_id == 0
    assert fake.messages == []


@needs_numba
def test_handler_returns_xla_errors_for_bad_frames():
    from brainlab.engine._event import _csr_kernels

    fake = _FakeXla()
    handler = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)(_csr_kernels.gather_handler.address)
    fake.assert_rejects_bad_frames(handler)


@needs_numba
@pytest.mark.parametrize("name", ["scatter", "gather"])
def test_handler_loaded_from_the_kernel_cache_answers_like_numba(name, tmp_path, monkeypatch):
    """The object code written to brainlab's kernel cache, loaded without numba, is the same handler: same
    handshake answer and same XLA errors as the numba cfunc."""
    from brainlab.engine._event import _csr_kernels, _native

    monkeypatch.setenv("BRAINLAB_CACHE_DIR", str(tmp_path))
    target = f"brainlab_event_csr_{name}_v1"
    assert not _native.cached(target)
    _native.compile_handler(target, getattr(_csr_kernels, f"_{name}_handler"), _csr_kernels._SIG)
    assert _native.cached(target)
    address, owner = _native.load(target)
    assert isinstance(owner, _native.LoadedKernels) and address != getattr(_csr_kernels, f"{name}_handler").address
    handler = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p)(address)

    fake = _FakeXla()
    md = fake.handshake(handler)
    assert (md.api_version.major_version, md.api_version.minor_version, md.traits) == (0, 3, 0)
    fake.assert_rejects_bad_frames(handler)


@needs_numba
def test_a_new_process_runs_the_kernels_from_the_cache_without_numba(tmp_path):
    """Once numba has compiled the kernels, a new process loads their machine code without importing numba
    (about 1.6 s saved at start-up) and gets the same numbers, bit for bit."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        from brainlab.engine._event import _ffi, event_csr_matvec, event_fixedprob_onthefly
        from brainlab.engine._event._csr import event_csr_matvec_multi
        rng = np.random.default_rng(0)
        n = 300
        indptr = np.r_[0, np.cumsum(rng.integers(0, 12, n))].astype(np.int32)
        indices = rng.integers(0, n, indptr[-1]).astype(np.int32)
        w = rng.normal(size=indptr[-1]).astype(np.float32)
        s = rng.random(n) < 0.2
        a = np.asarray(event_csr_matvec(s, indptr, indices, w, n, backend="numba"))
        b, c = event_csr_matvec_multi(s, [(indptr, indices, w, n), (indptr, indices, np.float32(0.5), n)],
                                      backend="numba")
        d = np.asarray(event_fixedprob_onthefly(s, 0.05, np.float32(0.3), np.uint32(7), n, backend="numba"))
        owners = sorted(type(o).__name__ for o in _ffi._REGISTERED.values())
        print("RESULT", "numba" in sys.modules, owners, float(a @ np.arange(n)), float(np.asarray(b) @ np.arange(n)),
              float(np.asarray(c) @ np.arange(n)), float(d @ np.arange(n)))
        """
    )
    env = dict(__import__("os").environ, BRAINLAB_CACHE_DIR=str(tmp_path))
    outs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
            for _ in range(2)]
    for out in outs:
        assert out.returncode == 0, out.stderr[-3000:]
    first, second = (o.stdout.split("RESULT", 1)[1].split(maxsplit=1) for o in outs)
    assert first[0] == "True"  # the first process compiled the kernels with numba and wrote their objects
    assert second[0] == "False"  # the second loaded them without importing numba
    assert "LoadedKernels" in second[1] and "CFunc" not in second[1]
    assert first[1].split("]", 1)[1] == second[1].split("]", 1)[1]  # identical numbers


# --------------------------------------------------------------------------------------------------------------
# event_csr_matvec against a dense reference
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["bool", "float", "none", "all"])
@pytest.mark.parametrize("homo", [True, False])
def test_event_csr_matvec_matches_dense(backend, dtype, kind, homo):
    n_pre, n_post = 57, 43
    indptr, indices, w = random_csr(n_pre, n_post, 0.15, seed=1, dtype=dtype)
    weights = dtype(0.7) if homo else w
    s = spike_vector(kind, n_pre, 0.3, seed=2, dtype=dtype)
    ref = s.astype(np.float64) @ dense(indptr, indices, weights, n_post)
    with jax.enable_x64(dtype == np.float64):
        y = event_csr_matvec(jnp.asarray(s), indptr, indices, jnp.asarray(weights), n_post, backend=backend)
        y_jit = jax.jit(lambda s: event_csr_matvec(s, indptr, indices, weights, n_post, backend=backend))(s)
        assert y.dtype == dtype and y.shape == (n_post,)
        np.testing.assert_allclose(y, ref, **tol(dtype))
        np.testing.assert_allclose(y_jit, ref, **tol(dtype))


@needs_numba
def test_numba_and_jax_backends_agree_on_a_large_network():
    n = 2000
    indptr, indices, w = random_csr(n, n, 0.02, seed=5)
    s = spike_vector("bool", n, 0.05, seed=6, dtype=np.float32)
    a = event_csr_matvec(s, indptr, indices, w, n, backend="numba")
    b = event_csr_matvec(s, indptr, indices, w, n, backend="jax")
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # connectivity passed as traced arguments (the pure-JAX path then expands row pointers in the graph)
    traced = jax.jit(lambda s, p, i, w: [event_csr_matvec(s, p, i, w, n, backend=b) for b in BACKENDS])
    for y in traced(s, indptr, indices, w):
        np.testing.assert_allclose(y, a, rtol=1e-5, atol=1e-5)


def test_csr_matvec_dense_vector_and_dtype_rules():
    indptr, indices, w = random_csr(30, 20, 0.3, seed=3)
    x = np.random.default_rng(0).normal(size=30).astype(np.float32)
    ref = x.astype(np.float64) @ dense(indptr, indices, w, 20)
    for backend in BACKENDS:
        np.testing.assert_allclose(csr_matvec(x, indptr, indices, w, 20, backend=backend), ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(TypeError, match="csr_matvec: vector must be real"):
        csr_matvec(x > 0, indptr, indices, w, 20)
    # integer spike counts are converted to the weights' dtype; float16 is computed in float32 and cast back
    counts = (x > 0).astype(np.int32) * 2
    np.testing.assert_allclose(event_csr_matvec(counts, indptr, indices, w, 20), counts @ dense(indptr, indices, w, 20),
                               rtol=1e-5, atol=1e-5)
    y16 = event_csr_matvec(x.astype(np.float16), indptr, indices, w.astype(np.float16), 20)
    assert y16.dtype == jnp.float16
    np.testing.assert_allclose(y16, ref, rtol=2e-2, atol=2e-2)


def test_empty_connectivity_and_zero_sizes():
    empty_ptr = np.zeros(6, np.int32)
    for backend in BACKENDS:
        y = event_csr_matvec(np.ones(5, bool), empty_ptr, np.zeros(0, np.int32), 1.0, 4, backend=backend)
        np.testing.assert_array_equal(y, np.zeros(4))
        assert event_csr_matvec(np.ones(5, bool), empty_ptr, np.zeros(0, np.int32), 1.0, 0).shape == (0,)


# --------------------------------------------------------------------------------------------------------------
# vmap
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_vmap_over_spikes_weights_both_and_nested(backend):
    n_pre, n_post, batch = 40, 31, 4
    indptr, indices, w = random_csr(n_pre, n_post, 0.2, seed=7)
    rng = np.random.default_rng(8)
    spikes = rng.random((batch, n_pre)) < 0.3
    weights = rng.normal(size=(batch, len(indices))).astype(np.float32)
    homos = rng.normal(size=batch).astype(np.float32)

    def op(s, wt):
        return event_csr_matvec(s, indptr, indices, wt, n_post, backend=backend)

    def ref(s, wt):
        return s.astype(np.float64) @ dense(indptr, indices, wt, n_post)

    close = dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(jax.vmap(op, (0, None))(spikes, w), [ref(s, w) for s in spikes], **close)
    np.testing.assert_allclose(jax.vmap(op, (None, 0))(spikes[0], weights), [ref(spikes[0], x) for x in weights],
                               **close)
    np.testing.assert_allclose(jax.vmap(op, (None, 0))(spikes[0], homos), [ref(spikes[0], h) for h in homos], **close)
    np.testing.assert_allclose(jax.vmap(op)(spikes, weights), [ref(s, x) for s, x in zip(spikes, weights)], **close)
    # nested: outer over weights, inner over spikes (batch axes in other positions)
    nested = jax.vmap(jax.vmap(op, (0, None)), (None, 1), out_axes=1)(spikes, weights.T)
    expect = np.stack([[ref(s, x) for x in weights] for s in spikes])
    np.testing.assert_allclose(nested, expect, **close)


@pytest.mark.parametrize("backend", BACKENDS)
def test_vmap_over_connectivities(backend):
    """numba: one block-diagonal kernel call; pure JAX: JAX's own batching of the gather/segment_sum."""
    batch, n_pre, n_post = 3, 20, 15
    nets = [random_csr(n_pre, n_post, 0.25, seed=20 + b) for b in range(3)]
    nnz = min(len(n[1]) for n in nets)  # equal nnz: truncate rows' tails by rebuilding indptr
    ptrs = np.stack([np.minimum(n[0], nnz) for n in nets])
    idxs = np.stack([n[1][:nnz] for n in nets])
    ws = np.stack([n[2][:nnz] for n in nets])
    s = np.random.default_rng(1).random((batch, n_pre)) < 0.5
    for homo in (False, True):
        wts = ws if not homo else np.float32(1.5)
        f = jax.vmap(lambda s, p, i, w: event_csr_matvec(s, p, i, w, n_post, backend=backend),
                     (0, 0, 0, 0 if not homo else None))
        out = f(s, ptrs, idxs, wts)
        for b in range(batch):
            wb = ws[b] if not homo else 1.5
            np.testing.assert_allclose(out[b], s[b] @ dense(ptrs[b], idxs[b], wb, n_post), rtol=1e-5, atol=1e-5)
    # gradients w.r.t. per-network weights and float spikes through the batched (block-diagonal) transposes
    sf = s * np.random.default_rng(2).normal(size=s.shape).astype(np.float32)
    ct = np.random.default_rng(3).normal(size=(batch, n_post)).astype(np.float32)
    loss = lambda s, w: jnp.sum(jax.vmap(  # noqa: E731
        lambda s, p, i, w: event_csr_matvec(s, p, i, w, n_post, backend=backend))(s, ptrs, idxs, w) * ct)
    gs, gw = jax.grad(loss, (0, 1))(sf, ws)
    for b in range(batch):
        rows = np.repeat(np.arange(n_pre), np.diff(ptrs[b]))
        np.testing.assert_allclose(gw[b][: len(rows)], sf[b][rows] * ct[b][idxs[b][: len(rows)]], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(gs[b], dense(ptrs[b], idxs[b], ws[b], n_post) @ ct[b], rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------------------------------------------
# gradients
# --------------------------------------------------------------------------------------------------------------
@needs_numba
@pytest.mark.parametrize("homo", [True, False])
def test_grad_matches_pure_jax_autodiff_and_the_analytic_formula(homo):
    n_pre, n_post = 35, 28
    indptr, indices, w = random_csr(n_pre, n_post, 0.2, seed=11)
    rng = np.random.default_rng(12)
    s = spike_vector("float", n_pre, 0.5, seed=13, dtype=np.float32)
    ct = rng.normal(size=n_post).astype(np.float32)
    weights = np.float32(0.8) if homo else w

    def loss(s, wt, backend):
        return jnp.dot(event_csr_matvec(s, indptr, indices, wt, n_post, backend=backend), ct)

    gs_n, gw_n = jax.grad(loss, (0, 1))(s, weights, "numba")
    gs_j, gw_j = jax.grad(loss, (0, 1))(s, weights, "jax")
    np.testing.assert_allclose(gs_n, gs_j, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gw_n, gw_j, rtol=1e-5, atol=1e-5)
    rows = np.repeat(np.arange(n_pre), np.diff(indptr))
    wk = np.broadcast_to(weights, indices.shape)
    np.testing.assert_allclose(gs_n, np.bincount(rows, wk * ct[indices], minlength=n_pre), rtol=1e-5, atol=1e-5)
    grad_w = s[rows] * ct[indices]
    np.testing.assert_allclose(gw_n, grad_w.sum() if homo else grad_w, rtol=1e-5, atol=1e-5)
    # bool spikes: the gradient w.r.t. the weights only visits spiking rows
    sb = s != 0
    gw_b = jax.grad(lambda wt: loss(sb, wt, "numba"))(weights)
    expect = sb[rows] * ct[indices]
    np.testing.assert_allclose(gw_b, expect.sum() if homo else expect, rtol=1e-5, atol=1e-5)


@needs_numba
def test_gradients_against_finite_differences_float64():
    n_pre, n_post = 12, 9
    indptr, indices, w = random_csr(n_pre, n_post, 0.4, seed=14, dtype=np.float64)
    with jax.enable_x64(True):
        s = jnp.asarray(np.random.default_rng(0).normal(size=n_pre))
        x = jnp.asarray(np.random.default_rng(1).normal(size=n_post))

        @jax.jit
        def f(s, wt):
            y = event_csr_matvec(s, indptr, indices, wt, n_post, backend="numba")
            return jnp.sin(y) @ x

        check_grads(f, (s, jnp.asarray(w)), order=2, modes=["fwd", "rev"], atol=1e-6, rtol=1e-6)
        check_grads(f, (s, jnp.float64(0.3)), order=2, modes=["fwd", "rev"], atol=1e-6, rtol=1e-6)
        # gradients of a vmapped loss (batched cotangents reach the transposed kernels as one batch)
        sb = jnp.stack([s, 2 * s, -s])
        check_grads(lambda sb, wt: jax.vmap(f, (0, None))(sb, wt).sum(), (sb, jnp.asarray(w)), order=1,
                    modes=["rev"], atol=1e-6, rtol=1e-6)


# --------------------------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------------------------
def test_bad_arguments_raise_clear_errors():
    indptr, indices, w = random_csr(10, 8, 0.3, seed=15)
    s = np.ones(10, bool)
    with pytest.raises(ValueError, match="indptr has 11 entries but spikes has n_pre = 9"):
        event_csr_matvec(s[:9], indptr, indices, w, 8)
    with pytest.raises(ValueError, match="weights must be a scalar .* or have one entry per synapse"):
        event_csr_matvec(s, indptr, indices, w[:-1], 8)
    with pytest.raises(ValueError, match="spikes must be a 1-D vector .* jax.vmap"):
        event_csr_matvec(s[None], indptr, indices, w, 8)
    with pytest.raises(TypeError, match="n_post must be a Python int"):
        event_csr_matvec(s, indptr, indices, w, 8.0)
    with pytest.raises(TypeError, match="indices must hold integers"):
        event_csr_matvec(s, indptr, indices.astype(float), w, 8)
    with pytest.raises(ValueError, match="backend must be one of"):
        event_csr_matvec(s, indptr, indices, w, 8, backend="cuda")
    with pytest.raises(ValueError, match="delay_steps = 4 does not fit a ring buffer of 4 slots"):
        delayed(jnp.zeros((4, 3), bool), 5, 4)


@needs_numba
def test_numba_kernel_rejects_out_of_range_indices():
    indptr, indices, w = random_csr(10, 8, 0.3, seed=16)
    bad = indices.copy()
    bad[2] = 8
    with pytest.raises(Exception, match="column index in `indices` is out of range"):
        jax.block_until_ready(event_csr_matvec(np.ones(10, bool), indptr, bad, w, 8, backend="numba"))
    bad_ptr = indptr.copy()
    bad_ptr[4] = bad_ptr[5] + 1
    with pytest.raises(Exception, match="not a valid CSR row-pointer array"):
        jax.block_until_ready(event_csr_matvec(np.ones(10, bool), bad_ptr, indices, w, 8, backend="numba"))


# --------------------------------------------------------------------------------------------------------------
# on-the-fly fixed-probability connectivity
# --------------------------------------------------------------------------------------------------------------
def test_onthefly_csr_follows_the_generator_definition():
    from brainlab.engine._event import _rng

    indptr, indices = fixedprob_onthefly_csr(0.05, seed=9, n_pre=40, n_post=300)
    for row in (0, 7, 39):
        np.testing.assert_array_equal(indices[indptr[row]:indptr[row + 1]],
                                      _rng.row_targets_numpy(0.05, 9, row, 300))
    # guide-table search equals a plain binary search on the thresholds for every probability regime
    u = np.random.default_rng(0).integers(0, 2**32, size=20000, dtype=np.uint64).astype(np.uint32)
    for p in (0.9, 0.3, 0.02, 1e-4, 1e-7):
        table = _rng.gap_table(p)
        guide, shift, steps = _rng.guide_table(p)
        uu = u[u < table[-1]]
        g = guide[uu >> shift].astype(np.int64)
        for _ in range(steps):
            g = np.where(table[g] <= uu, g + 1, g)
        np.testing.assert_array_equal(g, np.searchsorted(table, uu, side="right"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_onthefly_matches_materialised_connectivity_exactly(backend):
    n_pre, n_post, p = 300, 250, 0.04
    indptr, indices = fixedprob_onthefly_csr(p, seed=21, n_pre=n_pre, n_post=n_post)
    counts = dense(indptr, indices, 1.0, n_post)
    s = spike_vector("bool", n_pre, 0.2, seed=3, dtype=np.float32)
    sf = spike_vector("float", n_pre, 0.2, seed=4, dtype=np.float32)

    @jax.jit
    def run(seed):  # one compilation for every case; the seed is a traced operand
        def op(x, w):
            return event_fixedprob_onthefly(x, p, w, seed, n_post, backend=backend)

        return op(s, 1.0), op(np.ones(n_pre, bool), 1.0), op(sf, 0.5)

    y, y_all, y_float = run(21)
    np.testing.assert_array_equal(y, s @ counts)  # integer sums: bit-exact
    np.testing.assert_array_equal(y_all, counts.sum(0))
    np.testing.assert_allclose(y_float, 0.5 * sf @ counts, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(run(21)[0], y)  # the same connectivity at every call
    assert not np.array_equal(run(22)[0], y)  # another seed, another network
    np.testing.assert_array_equal(event_fixedprob_onthefly(s, p, 1.0, 21, n_post, backend=backend), y)  # eager


@pytest.mark.parametrize("p", [0.9, 2e-3, 2e-6])
def test_onthefly_backends_agree_across_probability_regimes(p):
    """Dense rows (few table entries), sparse rows and very sparse rows (a full 2**16 table, tail skips)."""
    n_pre, n_post = 200, 3000 if p > 1e-5 else 400_000
    indptr, indices = fixedprob_onthefly_csr(p, seed=5, n_pre=n_pre, n_post=n_post)
    s = spike_vector("bool", n_pre, 0.3, seed=6, dtype=np.float32)
    expect = np.bincount(indices[np.repeat(s, np.diff(indptr))], minlength=n_post)
    for backend in BACKENDS:
        np.testing.assert_array_equal(event_fixedprob_onthefly(s, p, 1.0, 5, n_post, backend=backend), expect)


def test_onthefly_in_degree_is_binomial_chi_square():
    """In-degrees of a FixedProb(p) network are Binomial(n_pre, p); out-degrees Binomial(n_post, p)."""
    n, p = 3000, 0.03
    indptr, indices = fixedprob_onthefly_csr(p, seed=1234, n_pre=n, n_post=n)
    for degrees in (np.bincount(indices, minlength=n), np.diff(indptr)):
        edges = np.arange(int(stats.binom.ppf(0.005, n, p)), int(stats.binom.ppf(0.995, n, p)) + 2, 4)
        observed = np.histogram(degrees, bins=np.concatenate([[-0.5], edges - 0.5, [n + 0.5]]))[0]
        cdf = stats.binom.cdf(np.concatenate([edges - 1, [n]]), n, p)
        expected = n * np.diff(np.concatenate([[0.0], cdf]))
        assert expected.min() > 5
        chi2, pval = stats.chisquare(observed, expected)
        assert pval > 1e-3, (chi2, pval)
    # pairs of rows share targets as independent rows would: n_post * p**2 in common on average
    rows = [set(indices[indptr[i]:indptr[i + 1]]) for i in range(200)]
    common = np.array([len(rows[i] & rows[i + 1]) for i in range(199)])
    assert abs(common.mean() - n * p * p) < 4 * np.sqrt(n * p * p / 199)


def test_onthefly_edge_probabilities():
    s = np.zeros(50, bool)
    s[[1, 4]] = True
    for backend in BACKENDS:
        np.testing.assert_array_equal(event_fixedprob_onthefly(s, 1.0, 2.0, 0, 30, backend=backend), np.full(30, 4.0))
        np.testing.assert_array_equal(event_fixedprob_onthefly(s, 0.0, 2.0, 0, 30, backend=backend), np.zeros(30))
    with pytest.raises(ValueError, match="prob must lie in \\[0, 1\\]"):
        event_fixedprob_onthefly(s, 1.5, 1.0, 0, 30)
    with pytest.raises(TypeError, match="prob must be a Python float"):
        jax.jit(lambda p: event_fixedprob_onthefly(s, p, 1.0, 0, 30))(0.1)
    with pytest.raises(ValueError, match="seed must lie in \\[0, 2\\*\\*32\\)"):
        event_fixedprob_onthefly(s, 0.1, 1.0, -1, 30)
    with pytest.raises(ValueError, match="weight must be a scalar"):
        event_fixedprob_onthefly(s, 0.1, np.ones(3), 0, 30)


@pytest.mark.parametrize("backend", BACKENDS)
def test_onthefly_vmap_and_grad(backend):
    n_pre, n_post, p = 60, 45, 0.1
    rng = np.random.default_rng(5)
    seeds = np.array([3, 4, 5], np.uint32)
    counts = [dense(*fixedprob_onthefly_csr(p, int(k), n_pre, n_post), 1.0, n_post) for k in seeds]
    s = (rng.random((3, n_pre)) < 0.3) * rng.normal(size=(3, n_pre)).astype(np.float32)
    ws = np.array([0.5, -1.0, 2.0], np.float32)
    ct = rng.normal(size=n_post).astype(np.float32)

    def op(s, w, seed):
        return event_fixedprob_onthefly(s, p, w, seed, n_post, backend=backend)

    @jax.jit
    def run(s, ws, seeds):  # one compilation for every case
        batched = jax.vmap(op)(s, ws, seeds)
        shared = jax.vmap(op, (0, None, None))(s, ws[0], seeds[0])
        gs, gw = jax.grad(lambda x, w: op(x, w, seeds[0]) @ ct, (0, 1))(s[0], ws[0])
        gws = jax.grad(lambda w: jax.vmap(op)(s, w, seeds) @ ct @ jnp.ones(3))(ws)
        return batched, shared, gs, gw, gws

    batched, shared, gs, gw, gws = run(s, ws, seeds)
    np.testing.assert_allclose(batched, [w * x @ c for x, w, c in zip(s, ws, counts)], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(shared, 0.5 * s @ counts[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gs, 0.5 * counts[0] @ ct, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gw, s[0] @ counts[0] @ ct, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(gws, [x @ c @ ct for x, c in zip(s, counts)], rtol=1e-5, atol=1e-4)


@needs_numba
def test_onthefly_finite_differences_float64():
    with jax.enable_x64(True):
        s = jnp.asarray(np.random.default_rng(2).normal(size=20))
        x = jnp.asarray(np.random.default_rng(3).normal(size=15))

        @jax.jit
        def f(s, w):
            return jnp.tanh(event_fixedprob_onthefly(s, 0.3, w, 11, 15, backend="numba")) @ x

        check_grads(f, (s, jnp.float64(0.7)), order=2, modes=["fwd", "rev"], atol=1e-6, rtol=1e-6)


def test_numba_primitives_lower_to_pure_jax_for_gpu():
    """A program traced with backend='numba' still compiles for GPU: off CPU the primitives lower to pure JAX
    (checked by exporting for CUDA on this CPU-only machine; no custom call may remain)."""
    from jax import export

    indptr, indices, w = random_csr(12, 9, 0.3, seed=30)

    def f(s, wt):
        y = event_csr_matvec(s, indptr, indices, wt, 9, backend="numba")
        return y + event_fixedprob_onthefly(s, 0.3, 1.0, 3, 9, backend="numba")

    g = jax.jit(jax.grad(lambda s, wt: f(s, wt).sum(), (0, 1)))
    specs = (jax.ShapeDtypeStruct((12,), jnp.float32), jax.ShapeDtypeStruct(w.shape, jnp.float32))
    for fn in (jax.jit(f), g):
        module = export.export(fn, platforms=["cuda"])(*specs).mlir_module()
        assert "custom_call" not in module


def test_docstring_examples_exist():
    import doctest

    from brainlab.engine._event import _csr, _delay, _onthefly

    # The examples run once, under `--doctest-modules` (pyproject.toml); here: every module has some.
    for module in (_csr, _onthefly, _delay):
        assert sum(len(t.examples) for t in doctest.DocTestFinder().find(module)) > 0, module.__name__


# --------------------------------------------------------------------------------------------------------------
# delays
# --------------------------------------------------------------------------------------------------------------
def test_ring_buffer_delays_a_spike_train_inside_scan():
    n_steps, d, n = 12, 3, 5
    raster = np.random.default_rng(0).random((n_steps, n)) < 0.4
    indptr, indices = np.arange(n + 1, dtype=np.int32), np.arange(n, dtype=np.int32)  # identity connectivity

    def step(buf, xs):
        t, spikes = xs
        buf = delay_push(buf, t, spikes)
        return buf, event_csr_matvec(delayed(buf, t, d), indptr, indices, 1.0, n)

    _, out = jax.lax.scan(step, jnp.zeros((d + 1, n), bool), (jnp.arange(n_steps), raster))
    expect = np.concatenate([np.zeros((d, n)), raster[:-d]]).astype(np.float32)
    np.testing.assert_array_equal(out, expect)
