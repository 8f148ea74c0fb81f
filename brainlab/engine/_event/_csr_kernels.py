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
from numba import carray, cfunc, njit, types
from numba.extending import overload

from . import _ffi as F

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
    for b in range(n_batch):
        o = out[b]
        o[:] = 0
        s = spikes[b if n_s > 1 else 0]
        wr = w[b if n_w > 1 else 0]
        base = s.ctypes.data
        i = 0
        while i < n_pre:
            stop = min(i + per_word, n_pre)
            if stop - i == per_word and F.load_u64_unaligned(base + i * size) == 0:
                i = stop  # no spike in this word (the common case: a few % of neurons spike per step)
                continue
            for ii in range(i, stop):
                v = s[ii]
                if v != 0:
                    code = _scatter_row(ii, v, indptr, indices, wr, homo, limit, nnz, o)
                    if code != F.OK:
                        return code
            i = stop
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


@cfunc(_SIG, cache=True)
def scatter_handler(frame_ptr):  # pragma: no cover - compiled
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


@cfunc(_SIG, cache=True)
def gather_handler(frame_ptr):  # pragma: no cover - compiled
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


@cfunc(_SIG, cache=True)
def wgrad_handler(frame_ptr):  # pragma: no cover - compiled
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


HANDLERS = {
    "brainlab_event_csr_scatter_v1": scatter_handler,
    "brainlab_event_csr_gather_v1": gather_handler,
    "brainlab_event_csr_wgrad_v1": wgrad_handler,
}
