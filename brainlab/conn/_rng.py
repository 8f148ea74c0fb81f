"""Counter-based random streams for the builders (one independent stream per row), as numba functions.

Each row ``r`` of a builder gets its own generator whose start state is a hash of ``(seed, stream, r)``; the
generator is SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): the state advances by the odd constant
``0x9E3779B97F4A7C15`` and each output is the state passed through a 64-bit finaliser (bijective mix). Because a
row's numbers depend only on ``(seed, stream, r)``, the result of a build is the same whatever the number of
threads and whatever order ``prange`` visits the rows in (or how the numpy FixedProb builder,
:mod:`._fixed_prob`, which draws the same streams with array arithmetic, blocks them), and a row can be
regenerated exactly.

Limits: all rows walk the same 2**64-periodic sequence from pseudo-random start points, so two rows overlap only
if their start points fall within a row's length of each other (probability about ``rows * draws / 2**64``,
negligible). Integers in ``[0, m)`` are drawn as ``floor(u * m)`` with a 53-bit uniform ``u``, a relative bias
below ``m / 2**53`` (1e-10 for m = 2**31).

This module imports numba; the numba builders (FixedPostNum, FixedPreNum, GaussianProb) import it lazily, on
their first ``build``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO_M53 = 2.0**-53

# Stream identifiers: the same seed gives unrelated connectivity for different rules.
STREAM_FIXED_PROB = 1
STREAM_FIXED_NUM = 2
STREAM_GAUSSIAN = 3


@njit(cache=True, inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser: a bijection of 64-bit integers with good avalanche."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def row_state(seed: np.uint64, stream: np.int64, row: np.int64) -> np.uint64:
    """Start state of row ``row``'s generator for the given seed and stream."""
    base = mix64(seed ^ mix64(np.uint64(stream) * GOLDEN + GOLDEN))
    return mix64(base + (np.uint64(row) + _ONE) * GOLDEN)


@njit(cache=True, inline="always")
def next_u64(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    """Advance the generator: returns ``(new_state, 64 random bits)``."""
    state = state + GOLDEN
    return state, mix64(state)


@njit(cache=True, inline="always")
def next_open01(state: np.uint64) -> tuple[np.uint64, float]:
    """A uniform double in (0, 1] (never 0, so its logarithm is finite)."""
    state, z = next_u64(state)
    return state, float((z >> _S11) + _ONE) * _TWO_M53


@njit(cache=True, inline="always")
def next_01(state: np.uint64) -> tuple[np.uint64, float]:
    """A uniform double in [0, 1)."""
    state, z = next_u64(state)
    return state, float(z >> _S11) * _TWO_M53


@njit(cache=True, inline="always")
def next_below(state: np.uint64, m: np.int64) -> tuple[np.uint64, np.int64]:
    """A uniform integer in ``[0, m)`` (``m >= 1``)."""
    state, u = next_01(state)
    k = np.int64(u * m)
    if k >= m:  # u * m can round up to m when u is within one ulp of 1
        k = m - 1
    return state, k
