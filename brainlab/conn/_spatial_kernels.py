"""numba kernels for distance-dependent connectivity on grids (GaussianProb). Imported lazily."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ._rng import STREAM_GAUSSIAN, next_01, next_open01, row_state

CHUNKS = 1024  # rows are processed in this many blocks (scratch arrays allocated once per block)


@njit(cache=True)
def axis_window(x, size, radius, periodic, cells, d2):  # type: ignore[no-untyped-def]
    """Post cells along one axis within ``radius`` of coordinate ``x``; returns how many were written.

    ``cells`` gets their indices and ``d2`` their squared distances to ``x``. Periodic axes wrap; when the
    window ``2 radius`` covers the whole axis every cell is listed once with its minimum-image distance.
    """
    if periodic and 2.0 * radius >= size:
        for c in range(size):
            dx = c - x
            dx -= size * math.floor(dx / size + 0.5)
            cells[c] = c
            d2[c] = dx * dx
        return size
    lo = np.int64(math.ceil(x - radius))
    hi = np.int64(math.floor(x + radius))
    if not periodic:
        lo = max(lo, 0)
        hi = min(hi, size - 1)
    n = 0
    for c in range(lo, hi + 1):
        dx = c - x
        cells[n] = c % size
        d2[n] = dx * dx
        n += 1
    return n


@njit(cache=True)
def gaussian_row(  # type: ignore[no-untyped-def]
    state, i, pre, post, sigma, radius, max_prob, periodic, exclude_self, cells, d2s, along, out, write,
):
    """Draw the targets of pre neuron ``i``; returns ``(state, count)``.

    The candidates are the post cells within ``radius`` of the pre neuron, visited line by line along the last
    grid axis. On a line at squared perpendicular distance ``dp`` every cell has probability at most
    ``p_line = max_prob * exp(-dp / 2 sigma^2)``: cells are proposed at that rate by geometric skipping (the
    gap is ``floor(log(u) / log(1 - p_line))``) and a proposed cell at squared distance ``d2`` along the line is
    kept with probability ``exp(-d2 / 2 sigma^2)``. Each pair is thus connected independently with probability
    ``max_prob * exp(-(dp + d2) / 2 sigma^2)`` and the cost is about one random number per proposal plus one
    per line. ``cells``, ``d2s`` (3 x lmax) and ``along`` (lmax) are scratch arrays.
    """
    rem = i
    a2 = rem % pre[2]
    rem //= pre[2]
    a1 = rem % pre[1]
    a0 = rem // pre[1]
    # pre cell centres mapped into post grid units (the identity when the grids have the same shape)
    x0 = (a0 + 0.5) * post[0] / pre[0] - 0.5
    x1 = (a1 + 0.5) * post[1] / pre[1] - 0.5
    x2 = (a2 + 0.5) * post[2] / pre[2] - 0.5
    l0 = axis_window(x0, post[0], radius, periodic, cells[0], d2s[0])
    l1 = axis_window(x1, post[1], radius, periodic, cells[1], d2s[1])
    l2 = axis_window(x2, post[2], radius, periodic, cells[2], d2s[2])
    inv2s2 = 0.5 / (sigma * sigma)
    for t in range(l2):
        along[t] = math.exp(-d2s[2, t] * inv2s2)
    r2 = radius * radius
    lf = float(l2)
    cap = out.shape[0]
    c = 0
    for t0 in range(l0):
        for t1 in range(l1):
            dp = d2s[0, t0] + d2s[1, t1]
            if dp > r2:
                continue
            room = r2 - dp
            p_line = max_prob * math.exp(-dp * inv2s2)
            every = p_line >= 1.0
            logq = 0.0 if every else math.log1p(-p_line)
            base = (cells[0, t0] * post[1] + cells[1, t1]) * post[2]
            pos = -1.0
            while True:
                if every:
                    pos += 1.0
                else:
                    state, u = next_open01(state)
                    pos += 1.0 + math.floor(math.log(u) / logq)
                if pos >= lf:
                    break
                t2 = np.int64(pos)
                if d2s[2, t2] > room:
                    continue
                acc = along[t2]
                if acc < 1.0:
                    state, v = next_01(state)
                    if v >= acc:
                        continue
                j = base + cells[2, t2]
                if exclude_self and j == i:
                    continue
                if write and c < cap:
                    out[c] = j
                c += 1
    return state, c


@njit(cache=True, parallel=True)
def gaussian_counts(  # type: ignore[no-untyped-def]
    seed, n_pre, pre, post, sigma, radius, max_prob, periodic, exclude_self, lmax, counts,
):
    """Pass 1: the number of synapses of every pre neuron."""
    n_chunks = min(n_pre, CHUNKS)
    dummy = np.empty(0, dtype=np.int32)
    for ch in prange(n_chunks):
        cells = np.empty((3, lmax), dtype=np.int64)
        d2s = np.empty((3, lmax), dtype=np.float64)
        along = np.empty(lmax, dtype=np.float64)
        for i in range(ch * n_pre // n_chunks, (ch + 1) * n_pre // n_chunks):
            state = row_state(seed, STREAM_GAUSSIAN, i)
            state, c = gaussian_row(
                state, i, pre, post, sigma, radius, max_prob, periodic, exclude_self, cells, d2s, along, dummy, False
            )
            counts[i] = c


@njit(cache=True, parallel=True)
def gaussian_fill(  # type: ignore[no-untyped-def]
    seed, n_pre, pre, post, sigma, radius, max_prob, periodic, exclude_self, lmax, indptr, indices,
):
    """Pass 2: regenerate every row and write its sorted targets; returns the number of mismatching rows."""
    n_chunks = min(n_pre, CHUNKS)
    bad = 0
    for ch in prange(n_chunks):
        cells = np.empty((3, lmax), dtype=np.int64)
        d2s = np.empty((3, lmax), dtype=np.float64)
        along = np.empty(lmax, dtype=np.float64)
        for i in range(ch * n_pre // n_chunks, (ch + 1) * n_pre // n_chunks):
            lo = indptr[i]
            hi = indptr[i + 1]
            out = indices[lo:hi]
            state = row_state(seed, STREAM_GAUSSIAN, i)
            state, c = gaussian_row(
                state, i, pre, post, sigma, radius, max_prob, periodic, exclude_self, cells, d2s, along, out, True
            )
            out.sort()
            if c != hi - lo:
                bad += 1
    return bad


# ---- same-shape grids: one table of offsets, grouped into shells of similar probability -------------------------
@njit(cache=True)
def shell_row(  # type: ignore[no-untyped-def]
    state, i, shape, offsets, ratio, shell_start, shell_logq, periodic, out, write,
):
    """Draw the targets of neuron ``i`` when pre and post grids have the same shape; returns ``(state, count)``.

    ``offsets`` lists every grid offset within the cut-off radius, sorted by decreasing connection probability
    and grouped into shells in which the probability stays within a factor 2 of the shell's largest value
    ``p_top`` (``shell_logq = log(1 - p_top)``, ``-inf`` when ``p_top = 1``). In each shell, offsets are
    proposed at rate ``p_top`` by geometric skipping and a proposal is kept with probability
    ``ratio = p / p_top >= 1/2``: each pair is connected independently with probability ``p``, at a cost of
    about one random number per synapse (at most two) plus one per shell. Targets that fall off an open grid
    are dropped; periodic grids wrap.
    """
    rem = i
    a2 = rem % shape[2]
    rem //= shape[2]
    a1 = rem % shape[1]
    a0 = rem // shape[1]
    cap = out.shape[0]
    c = 0
    for s in range(shell_start.shape[0] - 1):
        lo = shell_start[s]
        size = float(shell_start[s + 1] - lo)
        logq = shell_logq[s]
        every = math.isinf(logq)
        pos = -1.0
        while True:
            if every:
                pos += 1.0
            else:
                state, u = next_open01(state)
                pos += 1.0 + math.floor(math.log(u) / logq)
            if pos >= size:
                break
            k = lo + np.int64(pos)
            c0 = a0 + offsets[k, 0]
            c1 = a1 + offsets[k, 1]
            c2 = a2 + offsets[k, 2]
            if periodic:
                c0 %= shape[0]
                c1 %= shape[1]
                c2 %= shape[2]
            elif c0 < 0 or c0 >= shape[0] or c1 < 0 or c1 >= shape[1] or c2 < 0 or c2 >= shape[2]:
                continue
            r = ratio[k]
            if r < 1.0:
                state, v = next_01(state)
                if v >= r:
                    continue
            if write and c < cap:
                out[c] = (c0 * shape[1] + c1) * shape[2] + c2
            c += 1
    return state, c


@njit(cache=True, parallel=True)
def shell_counts(  # type: ignore[no-untyped-def]
    seed, n, shape, offsets, ratio, shell_start, shell_logq, periodic, counts,
):
    """Pass 1 (same-shape grids): the number of synapses of every neuron."""
    dummy = np.empty(0, dtype=np.int32)
    for i in prange(n):
        state = row_state(seed, STREAM_GAUSSIAN, i)
        state, c = shell_row(state, i, shape, offsets, ratio, shell_start, shell_logq, periodic, dummy, False)
        counts[i] = c


@njit(cache=True, parallel=True)
def shell_fill(  # type: ignore[no-untyped-def]
    seed, n, shape, offsets, ratio, shell_start, shell_logq, periodic, indptr, indices,
):
    """Pass 2 (same-shape grids): regenerate every row and write its sorted targets; returns mismatching rows."""
    bad = 0
    for i in prange(n):
        lo = indptr[i]
        hi = indptr[i + 1]
        out = indices[lo:hi]
        state = row_state(seed, STREAM_GAUSSIAN, i)
        state, c = shell_row(state, i, shape, offsets, ratio, shell_start, shell_logq, periodic, out, True)
        out.sort()
        if c != hi - lo:
            bad += 1
    return bad
