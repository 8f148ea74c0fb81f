"""numba kernels for on-the-fly fixed-probability connectivity, exposed to XLA as typed-FFI handlers.

The targets of presynaptic row ``i`` are regenerated at every call from ``(seed, i)`` by the generator of
:mod:`._rng` (same integer arithmetic, written here with 64-bit registers masked to 32 bits), walking the row with
geometric gaps so the cost is proportional to the number of synapses of the visited rows.

=========  ======================================================================  ==================
handler    operands                                                                result
=========  ======================================================================  ==================
scatter    spikes [S, n_pre] (bool | T), weight T [W], seed uint32 [R],            [L, n_post] T
           table uint32 [T_len], guide uint32 [M]
gather     x T [S, n_post], weight T [W], seed uint32 [R], table, guide            [L, n_pre] T
=========  ======================================================================  ==================

``scatter`` computes :math:`y_j = w \\sum_{i: s_i \\ne 0,\\, j \\in \\mathcal{T}(i)} s_i` (rows with
:math:`s_i = 0` are skipped), ``gather`` :math:`g_i = w \\sum_{j \\in \\mathcal{T}(i)} x_j` for every row.  An empty
table means probability 1 (every neuron is a target).
"""

from __future__ import annotations

import numpy as np
from numba import carray, njit, types

from . import _ffi_numba as F
from . import _rng as R
from ._native import HandlerTable

_SIG = types.voidptr(types.voidptr)
_MASK = np.uint64(0xFFFFFFFF)
_S15 = np.uint64(15)
_S16 = np.uint64(16)
_GOLDEN = np.uint64(R.GOLDEN)
_C_SEED = np.uint64(R.C_SEED)
_C_ROW = np.uint64(R.C_ROW)
_C_KEY2 = np.uint64(R.C_KEY2)
_M1 = np.uint64(R.MIX_M1)
_M2 = np.uint64(R.MIX_M2)


@njit(inline="always")
def _mix32(x):  # pragma: no cover - compiled
    x = x ^ (x >> _S16)
    x = (x * _M1) & _MASK
    x = x ^ (x >> _S15)
    x = (x * _M2) & _MASK
    return x ^ (x >> _S15)


@njit(inline="always")
def _seed_key(seed):  # pragma: no cover - compiled
    return _mix32((np.uint64(seed) + _C_SEED) & _MASK)


@njit(inline="always")
def _row_keys(k0, row):  # pragma: no cover - compiled
    r = np.uint64(row) & _MASK
    k1 = _mix32(k0 ^ _mix32((r * _GOLDEN + _C_ROW) & _MASK))
    return k1, _mix32(k1 ^ _C_KEY2)


@njit(inline="always")
def _draw(k1, k2, t):  # pragma: no cover - compiled
    return _mix32(_mix32((k1 + (np.uint64(t) & _MASK) * _GOLDEN) & _MASK) ^ k2)


@njit(inline="always")
def _step(k1, k2, t, table, size, guide, shift):  # pragma: no cover - compiled
    """Advance of the row cursor for draw ``t``, and whether it lands on a target."""
    u = _draw(k1, k2, t)
    if u >= np.uint64(table[size - 1]):
        return size, False
    g = min(np.int64(guide[u >> shift]), size - 1)
    # Usually 0 or 1 step up (see _rng.guide_table): one branch-free step, then a loop that rarely runs.
    g += np.int64(np.uint64(table[g]) <= u)
    while np.uint64(table[g]) <= u:
        g += 1
    return g + 1, True


@njit(cache=True)
def _guide_shift(table, guide):  # pragma: no cover - compiled
    """``bit_length(table[-1]) - log2(len(guide))`` (see ``_rng.guide_table``)."""
    top = 0
    v = np.uint64(table[table.shape[0] - 1]) if table.shape[0] > 0 else np.uint64(0)
    while v > 0:
        v >>= np.uint64(1)
        top += 1
    bits = 0
    m = guide.shape[0]
    while m > 1:
        m >>= 1
        bits += 1
    return np.uint64(max(top - bits, 0))


@njit(inline="always")
def _scatter_row(i, c, k0, table, size, guide, shift, o):  # pragma: no cover - compiled
    """Add ``c`` to every target of row ``i``."""
    n_post = o.shape[0]
    if size == 0:
        for j in range(n_post):
            o[j] += c
        return
    k1, k2 = _row_keys(k0, i)
    cursor = -1
    t = 0
    while cursor < n_post - 1:
        step, hit = _step(k1, k2, t, table, size, guide, shift)
        t += 1
        cursor += step
        if hit and cursor < n_post:
            o[cursor] += c


@njit(cache=True)
def scatter_kernel(spikes, weight, seed, table, guide, out):  # pragma: no cover - compiled
    n_batch, n_post = out.shape
    n_s, n_pre = spikes.shape
    n_w = weight.shape[0]
    n_r = seed.shape[0]
    size = table.shape[0]
    shift = _guide_shift(table, guide)
    item = spikes.itemsize
    per_word = 8 // item  # spikes tested 8 bytes at a time (see the CSR scatter kernel)
    for b in range(n_batch):
        o = out[b]
        o[:] = 0
        s = spikes[b if n_s > 1 else 0]
        w = weight[b if n_w > 1 else 0]
        k0 = _seed_key(seed[b if n_r > 1 else 0])
        base = s.ctypes.data
        i = 0
        while i < n_pre:
            stop = min(i + per_word, n_pre)
            if stop - i == per_word and F.load_u64_unaligned(base + i * item) == 0:
                i = stop
                continue
            for ii in range(i, stop):
                if s[ii] != 0:
                    _scatter_row(ii, w * out.dtype.type(s[ii]), k0, table, size, guide, shift, o)
            i = stop
    return F.OK


@njit(cache=True)
def gather_kernel(x, weight, seed, table, guide, out):  # pragma: no cover - compiled
    n_batch, n_pre = out.shape
    n_x, n_post = x.shape
    n_w = weight.shape[0]
    n_r = seed.shape[0]
    size = table.shape[0]
    shift = _guide_shift(table, guide)
    for b in range(n_batch):
        o = out[b]
        xr = x[b if n_x > 1 else 0]
        w = weight[b if n_w > 1 else 0]
        k0 = _seed_key(seed[b if n_r > 1 else 0])
        total = out.dtype.type(0)
        if size == 0:
            for j in range(n_post):
                total += xr[j]
        for i in range(n_pre):
            if size == 0:
                o[i] = w * total
                continue
            k1, k2 = _row_keys(k0, i)
            acc = out.dtype.type(0)
            cursor = -1
            t = 0
            while cursor < n_post - 1:
                step, hit = _step(k1, k2, t, table, size, guide, shift)
                t += 1
                cursor += step
                if hit and cursor < n_post:
                    acc += xr[cursor]
            o[i] = w * acc
    return F.OK


@njit(cache=True)
def _decode_common(frame, lead):  # pragma: no cover - compiled
    """Checks of operands 1-4 (weight, seed, table, guide); returns (code, n_w, n_r, size, n_guide)."""
    bw = F.arg_buffer(frame, 1)
    br = F.arg_buffer(frame, 2)
    bt = F.arg_buffer(frame, 3)
    bg = F.arg_buffer(frame, 4)
    if F.buf_dtype(br) != F.DT_U32 or F.buf_dtype(bt) != F.DT_U32 or F.buf_dtype(bg) != F.DT_U32:
        return F.E_DTYPE, 0, 0, 0, 0
    if (F.buf_rank(bw) != 1 or F.buf_rank(br) != 1 or F.buf_rank(bt) != 1 or F.buf_rank(bg) != 1
            or F.buf_rank(lead) != 2):
        return F.E_SHAPE, 0, 0, 0, 0
    n_guide = F.buf_dim(bg, 0)
    if n_guide < 1:
        return F.E_SHAPE, 0, 0, 0, 0
    return F.OK, F.buf_dim(bw, 0), F.buf_dim(br, 0), F.buf_dim(bt, 0), n_guide


def _scatter_handler(frame_ptr):  # pragma: no cover - compiled
    frame = F.address_of(frame_ptr)
    hs = F.answer_handshake(frame)
    if hs == 1:
        return F.null_error()
    api = F.frame_api(frame)
    if hs < 0:
        return F.fail(api, F.E_METADATA)
    code = F.check_frame(frame, 5, 1)
    if code != F.OK:
        return F.fail(api, code)
    bs = F.arg_buffer(frame, 0)
    bw = F.arg_buffer(frame, 1)
    bo = F.ret_buffer(frame, 0)
    code, n_w, n_r, size, n_guide = _decode_common(frame, bs)
    if code != F.OK:
        return F.fail(api, code)
    if F.buf_rank(bo) != 2:
        return F.fail(api, F.E_SHAPE)
    n_s, n_pre = F.buf_dim(bs, 0), F.buf_dim(bs, 1)
    n_batch, n_post = F.buf_dim(bo, 0), F.buf_dim(bo, 1)
    for n in (n_s, n_w, n_r):
        if not (n == 1 or n == n_batch):
            return F.fail(api, F.E_SHAPE)
    dt = F.buf_dtype(bw)
    ds = F.buf_dtype(bs)
    if F.buf_dtype(bo) != dt or not (ds == F.DT_PRED or ds == dt):
        return F.fail(api, F.E_DTYPE)
    seed = carray(F.buf_data(F.arg_buffer(frame, 2)), (n_r,), np.uint32)
    table = carray(F.buf_data(F.arg_buffer(frame, 3)), (size,), np.uint32)
    guide = carray(F.buf_data(F.arg_buffer(frame, 4)), (n_guide,), np.uint32)
    sp = F.buf_data(bs)
    if dt == F.DT_F32:
        w32 = carray(F.buf_data(bw), (n_w,), np.float32)
        o32 = carray(F.buf_data(bo), (n_batch, n_post), np.float32)
        if ds == F.DT_PRED:
            code = scatter_kernel(carray(sp, (n_s, n_pre), np.bool_), w32, seed, table, guide, o32)
        else:
            code = scatter_kernel(carray(sp, (n_s, n_pre), np.float32), w32, seed, table, guide, o32)
    elif dt == F.DT_F64:
        w64 = carray(F.buf_data(bw), (n_w,), np.float64)
        o64 = carray(F.buf_data(bo), (n_batch, n_post), np.float64)
        if ds == F.DT_PRED:
            code = scatter_kernel(carray(sp, (n_s, n_pre), np.bool_), w64, seed, table, guide, o64)
        else:
            code = scatter_kernel(carray(sp, (n_s, n_pre), np.float64), w64, seed, table, guide, o64)
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
    code = F.check_frame(frame, 5, 1)
    if code != F.OK:
        return F.fail(api, code)
    bx = F.arg_buffer(frame, 0)
    bw = F.arg_buffer(frame, 1)
    bo = F.ret_buffer(frame, 0)
    code, n_w, n_r, size, n_guide = _decode_common(frame, bx)
    if code != F.OK:
        return F.fail(api, code)
    if F.buf_rank(bo) != 2:
        return F.fail(api, F.E_SHAPE)
    n_x, n_post = F.buf_dim(bx, 0), F.buf_dim(bx, 1)
    n_batch, n_pre = F.buf_dim(bo, 0), F.buf_dim(bo, 1)
    for n in (n_x, n_w, n_r):
        if not (n == 1 or n == n_batch):
            return F.fail(api, F.E_SHAPE)
    dt = F.buf_dtype(bw)
    if F.buf_dtype(bo) != dt or F.buf_dtype(bx) != dt:
        return F.fail(api, F.E_DTYPE)
    seed = carray(F.buf_data(F.arg_buffer(frame, 2)), (n_r,), np.uint32)
    table = carray(F.buf_data(F.arg_buffer(frame, 3)), (size,), np.uint32)
    guide = carray(F.buf_data(F.arg_buffer(frame, 4)), (n_guide,), np.uint32)
    if dt == F.DT_F32:
        code = gather_kernel(carray(F.buf_data(bx), (n_x, n_post), np.float32),
                             carray(F.buf_data(bw), (n_w,), np.float32), seed, table, guide,
                             carray(F.buf_data(bo), (n_batch, n_pre), np.float32))
    elif dt == F.DT_F64:
        code = gather_kernel(carray(F.buf_data(bx), (n_x, n_post), np.float64),
                             carray(F.buf_data(bw), (n_w,), np.float64), seed, table, guide,
                             carray(F.buf_data(bo), (n_batch, n_pre), np.float64))
    else:
        code = F.E_DTYPE
    if code != F.OK:
        return F.fail(api, code)
    return F.null_error()


# Compiled when first needed; later processes load the object code from brainlab's kernel cache (see :mod:`._native`).
handler, __getattr__ = HandlerTable(__name__, globals(), _SIG, {
    "brainlab_event_fixedprob_scatter_v1": "scatter_handler",
    "brainlab_event_fixedprob_gather_v1": "gather_handler",
}).accessors()
