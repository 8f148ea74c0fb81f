"""numba kernels for the random builders (FixedProb, FixedPostNum, FixedPreNum).

Every row (presynaptic neuron, or postsynaptic neuron for FixedPreNum) draws from its own stream
(:mod:`._rng`), so the kernels run rows in parallel with ``prange`` and still give the same result for every
thread count. Imported lazily (this module imports numba).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._rng import STREAM_FIXED_NUM, STREAM_FIXED_PROB, next_below, next_open01, row_state

NO_SHIFT = np.int64(2**62)


@njit(cache=True)
def bernoulli_row(state, m, logq, out, write, shift_at):  # type: ignore[no-untyped-def]
    """Select each of the candidates ``0..m-1`` independently with probability ``p`` (``logq = log(1 - p)``).

    Geometric skipping: the gap to the next selected candidate is ``floor(log(u) / log(1 - p))`` with ``u``
    uniform in (0, 1], which is Geometric(p) distributed since ``P(gap >= g) = P(u <= (1-p)**g) = (1-p)**g``;
    the number of selected candidates is therefore Binomial(m, p) and they come out sorted and distinct, at a
    cost of one random number per selected candidate (plus one). A candidate ``c >= shift_at`` is written as
    ``c + 1`` (this skips the diagonal when self-connections are excluded). Returns ``(state, count)``.
    """
    c = 0
    pos = -1.0
    mf = float(m)
    cap = out.shape[0]
    while True:
        state, u = next_open01(state)
        pos += 1.0 + math.floor(math.log(u) / logq)
        if pos >= mf:
            break
        if write and c < cap:
            j = np.int64(pos)
            if j >= shift_at:
                j += 1
            out[c] = j
        c += 1
    return state, c


@njit(cache=True, parallel=True)
def fixed_prob_counts(seed, n_pre, m, p, counts):  # type: ignore[no-untyped-def]
    """Pass 1 of FixedProb: the number of synapses of every row, Binomial(m, p) each."""
    logq = math.log1p(-p)
    dummy = np.empty(0, dtype=np.int32)
    for i in prange(n_pre):
        state = row_state(seed, STREAM_FIXED_PROB, i)
        state, c = bernoulli_row(state, m, logq, dummy, False, NO_SHIFT)
        counts[i] = c


@njit(cache=True, parallel=True)
def fixed_prob_fill(seed, n_pre, m, p, exclude_self, multapses, indptr, indices):  # type: ignore[no-untyped-def]
    """Pass 2 of FixedProb: regenerate every row from its stream and write its targets.

    Without multapses the targets are the Bernoulli-selected candidates. With multapses the row's count is the
    same Binomial(m, p) draw and the targets are that many uniform draws with replacement, sorted.
    Returns the number of rows whose regenerated count disagreed with ``indptr`` (0 unless there is a bug).
    """
    logq = math.log1p(-p)
    bad = 0
    for i in prange(n_pre):
        lo = indptr[i]
        hi = indptr[i + 1]
        out = indices[lo:hi]
        state = row_state(seed, STREAM_FIXED_PROB, i)
        shift = np.int64(i) if exclude_self else NO_SHIFT
        if multapses:
            state, c = bernoulli_row(state, m, logq, out, False, shift)
            if c == hi - lo:
                for t in range(c):
                    state, k = next_below(state, m)
                    if k >= shift:
                        k += 1
                    out[t] = k
                out.sort()
        else:
            state, c = bernoulli_row(state, m, logq, out, True, shift)
        if c != hi - lo:
            bad += 1
    return bad


@njit(cache=True)
def distinct_sorted(state, buf, m):  # type: ignore[no-untyped-def]
    """Fill ``buf`` with ``len(buf)`` distinct integers of ``[0, m)``, uniformly among such subsets, sorted.

    Draw the missing values with replacement, sort, drop repeats, and repeat until ``len(buf)`` distinct values
    are held. The kept set is the set of the first ``len(buf)`` distinct values of an i.i.d. uniform sequence,
    whose law is invariant under relabelling the values, hence uniform over subsets. Each round a new draw
    repeats with probability below ``len(buf) / m`` (at most 1/2 as callers ensure), so rounds are few.
    """
    k = buf.shape[0]
    filled = 0
    while filled < k:
        for t in range(filled, k):
            state, v = next_below(state, m)
            buf[t] = v
        buf.sort()
        w = 1
        for t in range(1, k):
            if buf[t] != buf[w - 1]:
                buf[w] = buf[t]
                w += 1
        filled = w
    return state


@njit(cache=True, parallel=True)
def fixed_num_fill(seed, stream, n_rows, k, m, exclude_self, multapses, indices):  # type: ignore[no-untyped-def]
    """Every row gets exactly ``k`` targets among ``m`` candidates (``indices`` has ``n_rows * k`` entries).

    Without multapses the ``k`` targets are distinct (for ``2k > m`` the ``m - k`` left-out candidates are drawn
    instead, so the cost stays O(m) per row); with multapses they are ``k`` draws with replacement. The
    candidate ``c >= row`` maps to ``c + 1`` when self-connections are excluded. Rows are sorted.
    """
    for i in prange(n_rows):
        out = indices[i * k : (i + 1) * k]
        state = row_state(seed, stream, i)
        if multapses:
            for t in range(k):
                state, v = next_below(state, m)
                out[t] = v
            out.sort()
        elif 2 * k <= m:
            state = distinct_sorted(state, out, m)
        else:
            excl = np.empty(m - k, dtype=np.int64)
            state = distinct_sorted(state, excl, m)
            e = 0
            w = 0
            for v in range(m):
                if e < m - k and excl[e] == v:
                    e += 1
                else:
                    out[w] = v
                    w += 1
        if exclude_self:
            for t in range(k):
                if out[t] >= i:
                    out[t] += 1


STREAM_FIXED_POST = STREAM_FIXED_NUM
STREAM_FIXED_PRE = STREAM_FIXED_NUM + 100
