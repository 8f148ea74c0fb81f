"""numba kernels for CSR event propagation, exposed to XLA as typed-FFI handlers.

Three operations on a CSR pre->post connectivity (row ``i`` holds synapses ``k in [indptr[i], indptr[i+1])`` with
targets ``indices[k]`` and weights ``w[k]``, or one weight ``w`` for every synapse) make a closed family under
differentiation, all derived from the trilinear form :math:`F(s, w, x) = \\sum_k s_{r(k)} w_k x_{j(k)}`:

* ``scatter``  :math:`y_j = \\partial F / \\partial x_j = \\sum_{k: j(k) = j} s_{r(k)} w_k` (the event
  propagation itself; only rows with :math:`s_i \\ne 0` are visited),
* ``gather``   :math:`g_i = \\partial F / \\partial s_i = \\sum_{k \\in \\text{row } i} w_k x_{j(k)}`,
* ``wgrad``    :math:`d_k = \\partial F / \\partial w_k = s_{r(k)} x_{j(k)}` (zero on rows with :math:`s_i = 0`).

Every operand that may carry a batch has a leading dimension of size 1 (shared) or ``L`` (the result's), so one
kernel call serves a whole ``vmap`` batch.  Each handler is specialised, by numba, for float32 and float64 and for
bool or float spikes, and branches once per row between a homogeneous weight (``w`` of shape ``[W, 1]``) and
per-synapse weights (``[W, nnz]``).  Index arrays are bounds-checked as they are read; a bad one makes the XLA
call fail with a message instead of writing out of bounds.

Operands (all row-major):

=========  ======================================================================  ==================
handler    operands                                                                result
=========  ======================================================================  ==================
scatter    spikes [S, n_pre] (bool | T), indptr int32 [n_pre+1], indices int32     [L, n_post] T
           [nnz], weights T [W, 1 | nnz]
gather     x T [S, n_post], indptr, indices, weights T [W, 1 | nnz]                [L, n_pre] T
wgrad      spikes [S, n_pre] (bool | T), indptr, indices, x T [C, n_post]          [L, nnz] T
=========  ======================================================================  ==================
"""

from __future__ import annotations

import numpy as np
from numba import carray, njit, types
from numba.extending import overload

from . import _ffi_numba as F
from ._native import HandlerTable

_SIG = types.voidptr(types.voidptr)


def times(w, v):  # pragma: no cover - replaced by the overload inside compiled code
    """``w * v`` for a real spike value ``v``; ``w`` itself for a bool spike (no multiply by 1)."""
    return w * v


@overload(times, inline="always")
def _times_overload(w, v):
    if isinstance(v, types.Boolean):
        return lambda w, v: w
    return lambda w, v: w * v


@njit(cache=True)
def _check_rows(indptr, nnz):  # pragma: no cover - compiled
    n = indptr.shape[0]
    if n == 0 or indptr[0] < 0 or indptr[n - 1] > nnz:
        return F.E_INDPTR
    for i in range(n - 1):
        if indptr[i + 1] < indptr[i]:
            return F.E_INDPTR
    return F.OK


@njit(inline="always")
def _zero_64_bytes(a):  # pragma: no cover - compiled
    """Whether the 64 bytes at address ``a`` are all zero (8 unaligned 64-bit loads: no spike among them)."""
    return (F.load_u64_unaligned(a) | F.load_u64_unaligned(a + 8) | F.load_u64_unaligned(a + 16)
            | F.load_u64_unaligned(a + 24) | F.load_u64_unaligned(a + 32) | F.load_u64_unaligned(a + 40)
            | F.load_u64_unaligned(a + 48) | F.load_u64_unaligned(a + 56)) == 0


@njit(inline="always")
def _scatter_row(i, v, indptr, indices, wr, homo, limit, nnz, o):  # pragma: no cover - compiled
    """Add row ``i``'s synapses, scaled by the spike value ``v``, into ``o``; returns an error code."""
    start = indptr[i]
    stop = indptr[i + 1]
    if start < 0 or stop < start or stop > nnz:
        return F.E_INDPTR
    if homo:
        c = times(wr[0], v)
        for k in range(start, stop):
            j = np.uint32(indices[k])  # a negative index wraps to a large one: one compare checks both ends
            if j >= limit:
                return F.E_INDEX
            o[j] += c
    else:
        for k in range(start, stop):
            j = np.uint32(indices[k])
            if j >= limit:
                return F.E_INDEX
            o[j] += times(wr[k], v)
    return F.OK


@njit(inline="always")
def _prefetch_row(i, indptr, indices, wr, homo, nnz):  # pragma: no cover - compiled
    """Start loading row ``i``'s targets (and weights) into the cache; the row is processed one spike later, so
    the memory latency of the next row overlaps the work on the current one."""
    start = indptr[i]
    stop = indptr[i + 1]
    if start < 0 or stop < start or stop > nnz:
        return
    base = indices.ctypes.data
    for k in range(start, stop, 16):  # 16 int32 per 64-byte cache line
        F.prefetch(base + 4 * k)
    if not homo:
        wbase = wr.ctypes.data
        step = 64 // wr.itemsize
        for k in range(start, stop, step):
            F.prefetch(wbase + wr.itemsize * k)


@njit(cache=True)
def scatter_kernel(spikes, indptr, indices, w, out):  # pragma: no cover - compiled
    n_batch, n_post = out.shape
    n_s, n_pre = spikes.shape
    n_w, m = w.shape
    nnz = indices.shape[0]
    homo = m == 1
    limit = np.uint32(n_post)
    size = spikes.itemsize
    per_word = 8 // size  # spikes tested 8 bytes at a time: 8 bool, 2 float32 or 1 float64 spikes
    per_block = 8 * per_word  # and 64 bytes (8 words) at a time first
    for b in range(n_batch):
        o = out[b]
        o[:] = 0
        s = spikes[b if n_s > 1 else 0]
        wr = w[b if n_w > 1 else 0]
        base = s.ctypes.data
        pending = -1  # the spiking row found last, processed when the next one is found (after its prefetch)
        pv = s[0] if n_pre > 0 else s.dtype.type(0)
        i = 0
        while i < n_pre:
            if i + per_block <= n_pre:
                if _zero_64_bytes(base + i * size):
                    i += per_block  # no spike in these 64 bytes (the common case: a few % of neurons spike per step)
                    continue
                stop = i + per_block
            else:
                stop = n_pre
            while i < stop:  # word by word within the block (or the tail)
                end = min(i + per_word, stop)
                if end - i == per_word and F.load_u64_unaligned(base + i * size) == 0:
                    i = end
                    continue
                for ii in range(i, end):
                    v = s[ii]
                    if v != 0:
                        _prefetch_row(ii, indptr, indices, wr, homo, nnz)
                        if pending >= 0:
                            code = _scatter_row(pending, pv, indptr, indices, wr, homo, limit, nnz, o)
                            if code != F.OK:
                                return code
                        pending = ii
                        pv = v
                i = end
        if pending >= 0:
            code = _scatter_row(pending, pv, indptr, indices, wr, homo, limit, nnz, o)
            if code != F.OK:
                return code
    return F.OK


@njit(inline="always")
def _multi_conn(frame, n_pre, p, probe):  # pragma: no cover - compiled
    """The arrays of connectivity ``p`` of a validated multi-connectivity call frame (views of XLA's buffers)."""
    bi = F.arg_buffer(frame, 2 + 3 * p)
    bw = F.arg_buffer(frame, 3 + 3 * p)
    bo = F.ret_buffer(frame, p)
    nnz = F.buf_dim(bi, 0)
    m = F.buf_dim(bw, 1)
    indptr = carray(F.buf_data(F.arg_buffer(frame, 1 + 3 * p)), (n_pre + 1,), np.int32)
    indices = carray(F.buf_data(bi), (nnz,), np.int32)
    wr = carray(F.buf_data(bw), (m,), probe.dtype)
    o = carray(F.buf_data(bo), (F.buf_dim(bo, 1),), probe.dtype)
    return indptr, indices, wr, o, nnz, m


@njit(cache=True)
def scatter_multi_kernel(spikes, n_pre, frame, n_conn, probe):  # pragma: no cover - compiled
    """:func:`scatter_kernel` for several connectivities from the same presynaptic neurons: the spikes are scanned
    once and each spiking row is added into every connectivity's output, in the same order as separate calls (so
    the same numbers).  The connectivities are read from the (validated) call frame; ``probe`` is any array of the
    weights' dtype.  Allocates nothing."""
    size = spikes.itemsize
    per_word = 8 // size
    per_block = 8 * per_word
    for p in range(n_conn):
        _multi_conn(frame, n_pre, p, probe)[3][:] = 0
    base = spikes.ctypes.data
    i = 0
    while i < n_pre:
        if i + per_block <= n_pre:
            if _zero_64_bytes(base + i * size):
                i += per_block
                continue
            stop = i + per_block
        else:
            stop = n_pre
        while i < stop:
            end = min(i + per_word, stop)
            if end - i == per_word and F.load_u64_unaligned(base + i * size) == 0:
                i = end
                continue
            for ii in range(i, end):
                v = spikes[ii]
                if v != 0:
                    for p in range(n_conn):
                        indptr, indices, wr, o, nnz, m = _multi_conn(frame, n_pre, p, probe)
                        code = _scatter_row(ii, v, indptr, indices, wr, m == 1, np.uint32(o.shape[0]), nnz, o)
                        if code != F.OK:
                            return code
            i = end
    return F.OK


@njit(cache=True)
def gather_kernel(x, indptr, indices, w, out):  # pragma: no cover - compiled
    n_batch, n_pre = out.shape
    n_x, n_post = x.shape
    n_w, m = w.shape
    nnz = indices.shape[0]
    code = _check_rows(indptr, nnz)
    if code != F.OK:
        return code
    homo = m == 1
    limit = np.uint32(n_post)
    for b in range(n_batch):
        xr = x[b if n_x > 1 else 0]
        wr = w[b if n_w > 1 else 0]
        o = out[b]
        for i in range(n_pre):
            acc = out.dtype.type(0)
            for k in range(indptr[i], indptr[i + 1]):
                j = np.uint32(indices[k])
                if j >= limit:
                    return F.E_INDEX
                if homo:
                    acc += xr[j]
                else:
                    acc += wr[k] * xr[j]
            o[i] = acc * wr[0] if homo else acc
    return F.OK


@njit(cache=True)
def wgrad_kernel(spikes, indptr, indices, x, out):  # pragma: no cover - compiled
    n_batch, nnz = out.shape
    n_s, n_pre = spikes.shape
    n_x, n_post = x.shape
    limit = np.uint32(n_post)
    for b in range(n_batch):
        o = out[b]
        for k in range(nnz):
            o[k] = 0
        s = spikes[b if n_s > 1 else 0]
        xr = x[b if n_x > 1 else 0]
        for i in range(n_pre):
            v = s[i]
            if v != 0:
                start = indptr[i]
                stop = indptr[i + 1]
                if start < 0 or stop < start or stop > nnz:
                    return F.E_INDPTR
                for k in range(start, stop):
                    j = np.uint32(indices[k])
                    if j >= limit:
                        return F.E_INDEX
                    o[k] = times(xr[j], v)
    return F.OK


@njit(cache=True)
def _decode_csr(frame, lead):  # pragma: no cover - compiled
    """Shared checks of the CSR operands 1 and 2; returns (code, n_rows, nnz)."""
    bp = F.arg_buffer(frame, 1)
    bi = F.arg_buffer(frame, 2)
    if F.buf_dtype(bp) != F.DT_S32 or F.buf_dtype(bi) != F.DT_S32:
        return F.E_DTYPE, 0, 0
    if F.buf_rank(bp) != 1 or F.buf_rank(bi) != 1 or F.buf_rank(lead) != 2:
        return F.E_SHAPE, 0, 0
    return F.OK, F.buf_dim(bp, 0) - 1, F.buf_dim(bi, 0)


@njit(cache=True)
def _batch_ok(n, n_batch):  # pragma: no cover - compiled
    return n == 1 or n == n_batch


def _scatter_handler(frame_ptr):  # pragma: no cover - compiled
    frame = F.address_of(frame_ptr)
    hs = F.answer_handshake(frame)
    if hs == 1:
        return F.null_error()
    api = F.frame_api(frame)
    if hs < 0:
        return F.fail(api, F.E_METADATA)
    code = F.check_frame(frame, 4, 1)
    if code != F.OK:
        return F.fail(api, code)
    bs = F.arg_buffer(frame, 0)
    bw = F.arg_buffer(frame, 3)
    bo = F.ret_buffer(frame, 0)
    code, n_rows, nnz = _decode_csr(frame, bs)
    if code != F.OK:
        return F.fail(api, code)
    if F.buf_rank(bw) != 2 or F.buf_rank(bo) != 2:
        return F.fail(api, F.E_SHAPE)
    n_s, n_pre = F.buf_dim(bs, 0), F.buf_dim(bs, 1)
    n_w, m = F.buf_dim(bw, 0), F.buf_dim(bw, 1)
    n_batch, n_post = F.buf_dim(bo, 0), F.buf_dim(bo, 1)
    if n_rows != n_pre or not (m == 1 or m == nnz) or not _batch_ok(n_s, n_batch) or not _batch_ok(n_w, n_batch):
        return F.fail(api, F.E_SHAPE)
    dt = F.buf_dtype(bw)
    ds = F.buf_dtype(bs)
    if F.buf_dtype(bo) != dt or not (ds == F.DT_PRED or ds == dt):
        return F.fail(api, F.E_DTYPE)
    indptr = carray(F.buf_data(F.arg_buffer(frame, 1)), (n_pre + 1,), np.int32)
    indices = carray(F.buf_data(F.arg_buffer(frame, 2)), (nnz,), np.int32)
    sp = F.buf_data(bs)
    if dt == F.DT_F32:
        w32 = carray(F.buf_data(bw), (n_w, m), np.float32)
        o32 = carray(F.buf_data(bo), (n_batch, n_post), np.float32)
        if ds == F.DT_PRED:
            code = scatter_kernel(carray(sp, (n_s, n_pre), np.bool_), indptr, indices, w32, o32)
        else:
            code = scatter_kernel(carray(sp, (n_s, n_pre), np.float32), indptr, indices, w32, o32)
    elif dt == F.DT_F64:
        w64 = carray(F.buf_data(bw), (n_w, m), np.float64)
        o64 = carray(F.buf_data(bo), (n_batch, n_post), np.float64)
        if ds == F.DT_PRED:
            code = scatter_kernel(carray(sp, (n_s, n_pre), np.bool_), indptr, indices, w64, o64)
        else:
            code = scatter_kernel(carray(sp, (n_s, n_pre), np.float64), indptr, indices, w64, o64)
    else:
        code = F.E_DTYPE
    if code != F.OK:
        return F.fail(api, code)
    return F.null_error()


def _gather_handler(frame_ptr):  # pragma: no cover - compiled
    frame = F.address_of(frame_ptr)
    hs = F.answer_handshake(frame)
    if hs == 1:
        return F.null_error()
    api = F.frame_api(frame)
    if hs < 0:
        return F.fail(api, F.E_METADATA)
    code = F.check_frame(frame, 4, 1)
    if code != F.OK:
        return F.fail(api, code)
    bx = F.arg_buffer(frame, 0)
    bw = F.arg_buffer(frame, 3)
    bo = F.ret_buffer(frame, 0)
    code, n_rows, nnz = _decode_csr(frame, bx)
    if code != F.OK:
        return F.fail(api, code)
    if F.buf_rank(bw) != 2 or F.buf_rank(bo) != 2:
        return F.fail(api, F.E_SHAPE)
    n_x, n_post = F.buf_dim(bx, 0), F.buf_dim(bx, 1)
    n_w, m = F.buf_dim(bw, 0), F.buf_dim(bw, 1)
    n_batch, n_pre = F.buf_dim(bo, 0), F.buf_dim(bo, 1)
    if n_rows != n_pre or not (m == 1 or m == nnz) or not _batch_ok(n_x, n_batch) or not _batch_ok(n_w, n_batch):
        return F.fail(api, F.E_SHAPE)
    dt = F.buf_dtype(bw)
    if F.buf_dtype(bo) != dt or F.buf_dtype(bx) != dt:
        return F.fail(api, F.E_DTYPE)
    indptr = carray(F.buf_data(F.arg_buffer(frame, 1)), (n_pre + 1,), np.int32)
    indices = carray(F.buf_data(F.arg_buffer(frame, 2)), (nnz,), np.int32)
    if dt == F.DT_F32:
        code = gather_kernel(carray(F.buf_data(bx), (n_x, n_post), np.float32), indptr, indices,
                             carray(F.buf_data(bw), (n_w, m), np.float32),
                             carray(F.buf_data(bo), (n_batch, n_pre), np.float32))
    elif dt == F.DT_F64:
        code = gather_kernel(carray(F.buf_data(bx), (n_x, n_post), np.float64), indptr, indices,
                             carray(F.buf_data(bw), (n_w, m), np.float64),
                             carray(F.buf_data(bo), (n_batch, n_pre), np.float64))
    else:
        code = F.E_DTYPE
    if code != F.OK:
        return F.fail(api, code)
    return F.null_error()


def _wgrad_handler(frame_ptr):  # pragma: no cover - compiled
    frame = F.address_of(frame_ptr)
    hs = F.answer_handshake(frame)
    if hs == 1:
        return F.null_error()
    api = F.frame_api(frame)
    if hs < 0:
        return F.fail(api, F.E_METADATA)
    code = F.check_frame(frame, 4, 1)
    if code != F.OK:
        return F.fail(api, code)
    bs = F.arg_buffer(frame, 0)
    bx = F.arg_buffer(frame, 3)
    bo = F.ret_buffer(frame, 0)
    code, n_rows, nnz = _decode_csr(frame, bs)
    if code != F.OK:
        return F.fail(api, code)
    if F.buf_rank(bx) != 2 or F.buf_rank(bo) != 2:
        return F.fail(api, F.E_SHAPE)
    n_s, n_pre = F.buf_dim(bs, 0), F.buf_dim(bs, 1)
    n_x, n_post = F.buf_dim(bx, 0), F.buf_dim(bx, 1)
    n_batch = F.buf_dim(bo, 0)
    if n_rows != n_pre or F.buf_dim(bo, 1) != nnz or not _batch_ok(n_s, n_batch) or not _batch_ok(n_x, n_batch):
        return F.fail(api, F.E_SHAPE)
    dt = F.buf_dtype(bx)
    ds = F.buf_dtype(bs)
    if F.buf_dtype(bo) != dt or not (ds == F.DT_PRED or ds == dt):
        return F.fail(api, F.E_DTYPE)
    indptr = carray(F.buf_data(F.arg_buffer(frame, 1)), (n_pre + 1,), np.int32)
    indices = carray(F.buf_data(F.arg_buffer(frame, 2)), (nnz,), np.int32)
    sp = F.buf_data(bs)
    if dt == F.DT_F32:
        x32 = carray(F.buf_data(bx), (n_x, n_post), np.float32)
        o32 = carray(F.buf_data(bo), (n_batch, nnz), np.float32)
        if ds == F.DT_PRED:
            code = wgrad_kernel(carray(sp, (n_s, n_pre), np.bool_), indptr, indices, x32, o32)
        else:
            code = wgrad_kernel(carray(sp, (n_s, n_pre), np.float32), indptr, indices, x32, o32)
    elif dt == F.DT_F64:
        x64 = carray(F.buf_data(bx), (n_x, n_post), np.float64)
        o64 = carray(F.buf_data(bo), (n_batch, nnz), np.float64)
        if ds == F.DT_PRED:
            code = wgrad_kernel(carray(sp, (n_s, n_pre), np.bool_), indptr, indices, x64, o64)
        else:
            code = wgrad_kernel(carray(sp, (n_s, n_pre), np.float64), indptr, indices, x64, o64)
    else:
        code = F.E_DTYPE
    if code != F.OK:
        return F.fail(api, code)
    return F.null_error()


def _scatter_multi_handler(frame_ptr):  # pragma: no cover - compiled
    """Operands: spikes [1, n_pre], then (indptr, indices, weights [1, 1 | nnz]) per connectivity; one result
    [1, n_post] per connectivity (no batch: a batch goes through the single-connectivity kernel)."""
    frame = F.address_of(frame_ptr)
    hs = F.answer_handshake(frame)
    if hs == 1:
        return F.null_error()
    api = F.frame_api(frame)
    if hs < 0:
        return F.fail(api, F.E_METADATA)
    n_conn = F.load_i64(frame + F.FRAME_NRETS)
    if n_conn < 1:
        return F.fail(api, F.E_ARITY)
    code = F.check_frame(frame, 1 + 3 * n_conn, n_conn)
    if code != F.OK:
        return F.fail(api, code)
    bs = F.arg_buffer(frame, 0)
    if F.buf_rank(bs) != 2 or F.buf_dim(bs, 0) != 1:
        return F.fail(api, F.E_SHAPE)
    n_pre = F.buf_dim(bs, 1)
    ds = F.buf_dtype(bs)
    dt = F.buf_dtype(F.arg_buffer(frame, 3))
    if not (dt == F.DT_F32 or dt == F.DT_F64) or not (ds == F.DT_PRED or ds == dt):
        return F.fail(api, F.E_DTYPE)
    for p in range(n_conn):
        bp = F.arg_buffer(frame, 1 + 3 * p)
        bi = F.arg_buffer(frame, 2 + 3 * p)
        bw = F.arg_buffer(frame, 3 + 3 * p)
        bo = F.ret_buffer(frame, p)
        if F.buf_dtype(bp) != F.DT_S32 or F.buf_dtype(bi) != F.DT_S32 or F.buf_dtype(bw) != dt \
                or F.buf_dtype(bo) != dt:
            return F.fail(api, F.E_DTYPE)
        if F.buf_rank(bp) != 1 or F.buf_rank(bi) != 1 or F.buf_rank(bw) != 2 or F.buf_rank(bo) != 2:
            return F.fail(api, F.E_SHAPE)
        nnz = F.buf_dim(bi, 0)
        m = F.buf_dim(bw, 1)
        if F.buf_dim(bp, 0) != n_pre + 1 or F.buf_dim(bw, 0) != 1 or not (m == 1 or m == nnz) \
                or F.buf_dim(bo, 0) != 1:
            return F.fail(api, F.E_SHAPE)
    sp = F.buf_data(bs)
    out0 = F.buf_data(F.ret_buffer(frame, 0))
    if dt == F.DT_F32:
        probe32 = carray(out0, (1,), np.float32)
        if ds == F.DT_PRED:
            code = scatter_multi_kernel(carray(sp, (n_pre,), np.bool_), n_pre, frame, n_conn, probe32)
        else:
            code = scatter_multi_kernel(carray(sp, (n_pre,), np.float32), n_pre, frame, n_conn, probe32)
    else:
        probe64 = carray(out0, (1,), np.float64)
        if ds == F.DT_PRED:
            code = scatter_multi_kernel(carray(sp, (n_pre,), np.bool_), n_pre, frame, n_conn, probe64)
        else:
            code = scatter_multi_kernel(carray(sp, (n_pre,), np.float64), n_pre, frame, n_conn, probe64)
    if code != F.OK:
        return F.fail(api, code)
    return F.null_error()


# The handlers become numba cfuncs (compiled once, then loaded from numba's disk cache) when first needed, and their
# object code goes to brainlab's kernel cache, from which later processes load them without numba (see
# :mod:`._native`); a forward simulation loads only the scatter handlers it uses.
handler, __getattr__ = HandlerTable(__name__, globals(), _SIG, {
    "brainlab_event_csr_scatter_v1": "scatter_handler",
    "brainlab_event_csr_scatter_multi_v1": "scatter_multi_handler",
    "brainlab_event_csr_gather_v1": "gather_handler",
    "brainlab_event_csr_wgrad_v1": "wgrad_handler",
}).accessors()
