r"""The FixedProb builder in numpy: Bernoulli rows by geometric skipping, one counter-based stream per row.

Streams: row ``i`` draws from SplitMix64 started at ``s_i = row_state(seed, STREAM_FIXED_PROB, i)``, exactly as
the numba streams of :mod:`._rng` (the constants and the hash are repeated here so that this module needs numpy
only). The ``k``-th draw of the row (``k = 1, 2, ...``) is ``z_k = mix64(s_i + k G)`` (``G = 0x9E3779B97F4A7C15``,
arithmetic modulo :math:`2^{64}`), and gives the uniforms

.. math:: u_k = ((z_k \gg 11) + 1)\, 2^{-53} \in (0, 1], \qquad u'_k = (z_k \gg 11)\, 2^{-53} \in [0, 1).

Selection (geometric skipping): with :math:`\log q = \mathrm{log1p}(-p)`, the positions

.. math:: x_0 = -1, \qquad x_k = x_{k-1} + 1 + \lfloor \log u_k / \log q \rfloor

are the selected candidates while :math:`x_k < m` (``m`` candidates per row); the first draw with
:math:`x_k \ge m` ends the row (it is consumed, not selected). The gaps are Geometric(p), since
:math:`P(\lfloor \log u / \log q \rfloor \ge g) = P(u \le q^g) = q^g`, so the ``c`` selected candidates are each
candidate kept independently with probability ``p``, come out sorted and distinct, and cost ``c + 1`` draws.
When self-connections are excluded, candidate ``j >= i`` is target ``j + 1``.

With multapses the count ``c`` is the same, and the targets are the next ``c`` draws of the stream
(``k = c + 2, ..., 2c + 1``), each :math:`\min(\lfloor u'_k m \rfloor, m - 1)` (then shifted as above), sorted
within the row.

Vectorisation: rows are processed in blocks of ``R`` rows times ``K`` draws (``K`` about the mean count plus two
standard deviations, ``R K`` at most :data:`WORK`), with a handful of whole-array operations per block: the
hash, ``log``, and one ``cumsum`` along the rows for the positions. The few rows that have not reached ``m``
after ``K`` draws (all ``K`` of their draws selected) are continued together afterwards, from their stream
state and last position, in rounds sized to the row furthest behind, and their further targets are inserted
after their first ones. Memory is O(nnz + n_pre) plus work buffers of :data:`WORK` elements. uint64 arithmetic
wraps modulo :math:`2^{64}` as in the scalar recurrence, so the result is the numba kernels' bit for bit, up to
numpy's ``log`` differing from the C library's ``log`` in the last ulp (numpy calls the C library on CPUs without
AVX-512; with AVX-512 it has its own SIMD ``log``), which can move a target only when :math:`\log u / \log q`
falls within an ulp of an integer.
"""

from __future__ import annotations

import math

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15
STREAM_FIXED_PROB = 1  # the stream id of ._rng (FixedProb)
_MASK = 2**64 - 1
_G = np.uint64(GOLDEN)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TWO_M53 = 2.0**-53

WORK = 1 << 17
"""Draws per block (elements of each work buffer): the blocks stay in the CPU caches."""


def _mix64_int(z: int) -> int:
    """SplitMix64 finaliser on a Python int (mod 2**64)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _mix64(z: np.ndarray, tmp: np.ndarray) -> None:
    """SplitMix64 finaliser in place on a uint64 array (``tmp``: a buffer of the same shape)."""
    np.right_shift(z, 30, out=tmp)
    z ^= tmp
    z *= _M1
    np.right_shift(z, 27, out=tmp)
    z ^= tmp
    z *= _M2
    np.right_shift(z, 31, out=tmp)
    z ^= tmp


def row_states(seed: int, stream: int, rows: np.ndarray) -> np.ndarray:
    """``row_state(seed, stream, r)`` of :mod:`._rng` for every ``r`` of ``rows`` (uint64)."""
    base = _mix64_int((seed & _MASK) ^ _mix64_int((stream * GOLDEN + GOLDEN) & _MASK))
    s = rows.astype(np.uint64)
    s += np.uint64(1)
    s *= _G
    s += np.uint64(base)
    _mix64(s, np.empty_like(s))
    return s


class _Buffers:
    """Work buffers of ``size`` elements, viewed as ``rows x k`` blocks (``rows k <= size``)."""

    def __init__(self, size: int) -> None:
        self.z = np.empty(size, dtype=np.uint64)
        self.tmp = np.empty(size, dtype=np.uint64)
        self.f = np.empty(size, dtype=np.float64)
        self.b = np.empty(size, dtype=np.bool_)
        self.steps = np.arange(1, size + 1, dtype=np.uint64) * _G  # (1, 2, ..., size) G mod 2**64


def _positions(buf: _Buffers, state: np.ndarray, last: np.ndarray, k: int, m: int, logq: float) -> np.ndarray:
    """Positions ``x`` after each of the next ``k`` draws of every row (``rows x k`` int64, a view of ``buf``).

    ``state``: each row's generator state (start state plus ``G`` times the draws already made); ``last``: each
    row's current position. Gaps are clipped at ``m + 1``, which changes no position below ``m``, and keeps
    the sums far from int64 overflow.
    """
    r = state.shape[0]
    z = buf.z[: r * k].reshape(r, k)
    tmp = buf.tmp[: r * k].reshape(r, k)
    f = buf.f[: r * k].reshape(r, k)
    np.add(state[:, None], buf.steps[None, :k], out=z)
    _mix64(z, tmp)
    z >>= np.uint64(11)
    z += np.uint64(1)
    np.multiply(z.view(np.int64), _TWO_M53, out=f)  # exact: an integer in [1, 2**53] times a power of two
    np.log(f, out=f)
    with np.errstate(over="ignore"):
        f /= logq  # >= 0 (or -0.0); +inf for a subnormal logq (p < 1e-308)
    if -37.0 / logq > m:  # a gap can exceed m (-log u <= 53 log 2 < 37): clip it, also before the int cast
        np.minimum(f, float(m), out=f)
    x = z.view(np.int64)
    np.copyto(x, f, casting="unsafe")  # truncation = floor for non-negative values
    x += 1
    x[:, 0] += last
    np.cumsum(x, axis=1, out=x)
    return x


def _draw_count(mean: float, var: float, bound: int) -> int:
    """Draws to make per row in one round: the mean count plus two standard deviations, at most ``bound``."""
    return max(1, min(bound, math.ceil(mean + 2.0 * math.sqrt(var)) + 2))


def fixed_prob_csr(
    seed: int, n_pre: int, m: int, p: float, exclude_self: bool, multapses: bool, max_nnz: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Draw FixedProb rows ``0..n_pre-1`` over ``m`` candidates (module docstring).

    Returns ``(counts, indices)``: the int64 synapse count of every row and the int32 targets, row after row
    (sorted within a row). When the count exceeds ``max_nnz`` the targets are dropped as soon as that is known
    (counting goes on, so ``counts`` is exact) and ``indices`` is None.
    """
    counts = np.zeros(n_pre, dtype=np.int64)
    if n_pre == 0 or m == 0 or p <= 0.0:
        return counts, np.empty(0, dtype=np.int32)
    logq = math.log1p(-p) if p < 1.0 else -math.inf  # p = 1: every gap is 1
    k = min(_draw_count(m * p, m * p * (1.0 - p), m + 1), WORK)
    block = max(1, WORK // k)
    buf = _Buffers(WORK)
    keep = not multapses  # keep the selected candidates of the first round (the targets without multapses)
    firsts: list[np.ndarray] = []
    going_parts: list[np.ndarray] = []
    last_parts: list[np.ndarray] = []
    kept = 0
    for r0 in range(0, n_pre, block):
        rows = np.arange(r0, min(r0 + block, n_pre), dtype=np.int64)
        r = rows.shape[0]
        x = _positions(buf, row_states(seed, STREAM_FIXED_PROB, rows), np.full(r, -1, dtype=np.int64), k, m, logq)
        sel = buf.b[: r * k].reshape(r, k)
        np.less(x, m, out=sel)
        c = np.argmin(sel, axis=1)  # the selected draws are a prefix of the row (positions increase)
        going = np.flatnonzero(sel[:, -1])  # all k draws selected: the row has not reached m yet
        c[going] = k
        counts[r0 : r0 + r] = c
        if going.size:
            going_parts.append(going + r0)
            last_parts.append(x[going, -1])
        if keep:
            if exclude_self:
                x += x >= rows[:, None]
            firsts.append(x[sel].astype(np.int32))
            kept += firsts[-1].shape[0]
            if kept > max_nnz:
                keep = False
                firsts.clear()
    going = np.concatenate(going_parts) if going_parts else np.empty(0, dtype=np.int64)
    first_counts = counts.copy() if going.size and keep else counts
    last = np.concatenate(last_parts) if last_parts else going
    extra = _continue(buf, seed, going, last, k, counts, m, p, logq, exclude_self, keep)
    if int(counts.sum()) > max_nnz:
        return counts, None
    if multapses:
        return counts, _multapse_targets(buf, seed, counts, block, m, exclude_self)
    if not going.size:
        return counts, np.concatenate(firsts)
    return counts, _interleave(firsts, block, first_counts, going, counts[going] - k, extra)


def _continue(
    buf: _Buffers,
    seed: int,
    going: np.ndarray,
    last: np.ndarray,
    done: int,
    counts: np.ndarray,
    m: int,
    p: float,
    logq: float,
    exclude_self: bool,
    write: bool,
) -> np.ndarray:
    """Continue the rows ``going`` (ascending), at positions ``last`` after ``done`` draws each, until they reach m.

    Adds their further counts to ``counts``; returns, when ``write``, their further targets ordered by row.
    """
    out: list[np.ndarray] = []
    group = max(1, WORK // 8)  # rows continued together, so that each round draws at least 8 per row
    for g0 in range(0, going.shape[0], group):
        rows, pos = going[g0 : g0 + group], last[g0 : g0 + group]
        state = row_states(seed, STREAM_FIXED_PROB, rows) + np.uint64((done * GOLDEN) & _MASK)
        row_parts, val_parts = [], []
        while rows.size:
            left = m - 1 - int(pos.min())  # candidates left to the row furthest behind
            k = max(1, min(_draw_count(left * p, left * p * (1.0 - p), left + 1), WORK // rows.size))
            x = _positions(buf, state, pos, k, m, logq)
            sel = x < m
            cnt = np.count_nonzero(sel, axis=1)
            counts[rows] += cnt
            still = cnt == k
            pos = x[still, -1]
            if write:
                if exclude_self:
                    x += x >= rows[:, None]
                val_parts.append(x[sel].astype(np.int32))
                row_parts.append(np.repeat(rows, cnt))
            rows, state = rows[still], state[still] + np.uint64((k * GOLDEN) & _MASK)
        if write:
            vals = np.concatenate(val_parts)
            out.append(vals[np.argsort(np.concatenate(row_parts), kind="stable")])
    return np.concatenate(out) if out else np.empty(0, dtype=np.int32)


def _interleave(
    firsts: list[np.ndarray],
    block: int,
    first_counts: np.ndarray,
    going: np.ndarray,
    extra_counts: np.ndarray,
    extra: np.ndarray,
) -> np.ndarray:
    """All targets in row order: the blocks' first-round targets, with the further targets of each continued row
    (``extra``, by row) inserted after its first-round ones."""
    cum = np.zeros(first_counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(first_counts, out=cum[1:])
    blocks = going // block
    local_end = (cum[going + 1] - cum[blocks * block]).tolist()  # in the block's array
    e = np.zeros(going.shape[0] + 1, dtype=np.int64)
    np.cumsum(extra_counts, out=e[1:])
    e_list, b_list = e.tolist(), blocks.tolist()
    pieces = []
    g, n = 0, len(b_list)
    for b, arr in enumerate(firsts):
        start = 0
        while g < n and b_list[g] == b:
            pieces.append(arr[start : local_end[g]])
            pieces.append(extra[e_list[g] : e_list[g + 1]])
            start = local_end[g]
            g += 1
        pieces.append(arr[start:])
    return np.concatenate(pieces)


def _multapse_targets(
    buf: _Buffers, seed: int, counts: np.ndarray, block: int, m: int, exclude_self: bool
) -> np.ndarray:
    """The targets with multapses: ``counts[i]`` draws with replacement for row ``i``, sorted within rows.

    Draw ``t`` (``t = 1..c``) of a row with ``c`` synapses is draw ``c + 1 + t`` of its stream, after the ``c + 1``
    that drew the count.
    """
    indptr = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    out = np.empty(int(indptr[-1]), dtype=np.int32)
    for r0 in range(0, counts.shape[0], block):
        r1 = min(r0 + block, counts.shape[0])
        rows = np.arange(r0, r1, dtype=np.int64)
        c = counts[r0:r1]
        lo, hi = int(indptr[r0]), int(indptr[r1])
        if hi == lo:
            continue
        base = row_states(seed, STREAM_FIXED_PROB, rows) + (c.astype(np.uint64) + np.uint64(1)) * _G
        ends = indptr[r0 + 1 : r1 + 1] - lo
        for a in range(0, hi - lo, WORK):  # chunks of at most WORK synapses (a block's rows, or one long row)
            b = min(a + WORK, hi - lo)
            pos = np.arange(a, b, dtype=np.int64)
            row = np.searchsorted(ends, pos, side="right")  # block-local row of each synapse
            z = buf.z[: b - a]
            np.multiply((pos - (ends - c)[row] + 1).astype(np.uint64), _G, out=z)
            z += base[row]
            _mix64(z, buf.tmp[: b - a])
            z >>= np.uint64(11)
            f = buf.f[: b - a]
            np.multiply(z.view(np.int64), _TWO_M53, out=f)  # u in [0, 1), exact
            f *= m
            t = f.astype(np.int64)
            np.minimum(t, m - 1, out=t)  # u * m can round up to m
            if exclude_self:
                t += t >= rows[row]
            out[lo + a : lo + b] = t
        seg = out[lo:hi]
        if r1 - r0 == 1:
            seg.sort()
        else:
            row = np.repeat(np.arange(r1 - r0, dtype=np.int64), c)
            key = row * (m + 1) + seg
            key.sort()
            key -= row * (m + 1)
            seg[:] = key
    return out
