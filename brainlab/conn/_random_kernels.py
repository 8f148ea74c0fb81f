"""numba kernels for the fixed-degree random builders (FixedPostNum, FixedPreNum).

Every row (presynaptic neuron, or postsynaptic neuron for FixedPreNum) draws from its own stream
(:mod:`._rng`), so the kernels run rows in parallel with ``prange`` and still give the same result for every
thread count. Imported lazily (this module imports numba). FixedProb needs no kernel: it is vectorised numpy
(:mod:`._fixed_prob`, on the same kind of per-row streams).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._rng import STREAM_FIXED_NUM, next_below, row_state


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
