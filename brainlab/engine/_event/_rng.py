"""The counter-based generator behind on-the-fly connectivity, in integer arithmetic that every backend repeats
bit for bit.

The targets of presynaptic neuron ``i`` are a function of ``(seed, i)`` alone.  Draw number ``t`` of row ``i`` is

.. math::

    k_0 = h(\\text{seed} + c_0), \\quad k_1(i) = h\\big(k_0 \\oplus h(i\\,\\varphi + c_1)\\big), \\quad
    k_2(i) = h\\big(k_1(i) \\oplus c_2\\big), \\quad u_t = h\\big(h(k_1 + t\\,\\varphi) \\oplus k_2\\big),

with all arithmetic modulo :math:`2^{32}`, :math:`\\varphi` = 0x9E3779B9 (the golden-ratio Weyl increment) and
:math:`h` a two-multiply xorshift mixer (a bijection of 32-bit words; constants from C. Wellons' "hash prospector"
search, 2018).  The second key :math:`k_2` decorrelates rows whose first keys happen to lie on one Weyl sequence.

The gap to the next target is geometric, :math:`P(G = g) = (1-p)^g p`, drawn by inverse CDF from a table of
32-bit thresholds :math:`c_g = \\mathrm{round}(2^{32} (1 - (1-p)^{g+1}))`, :math:`g < T` with
:math:`T = \\min(\\lceil 3/p \\rceil, 2^{16})`: :math:`G = \\#\\{g : c_g \\le u\\}` when :math:`u < c_{T-1}`,
otherwise (probability :math:`(1-p)^T \\le e^{-3}`) the draw skips :math:`T` neurons without a target and the next
draw continues, which is exact because the geometric law is memoryless.  Only integer compares are involved, so
numba (CPU), XLA CPU and XLA GPU give the same targets.  ``p = 1`` (all-to-all) uses an empty table.

Limits: a hash, not a cryptographic generator; the CDF is exact up to :math:`2^{-32}` per threshold, so a
connection probability below about :math:`10^{-7}` is resolved only to a few percent in the shape of single gaps
(the mean number of targets stays exact to about :math:`10^{-5}`).  Seeds are 32-bit.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

GOLDEN = 0x9E3779B9
C_SEED = 0x6A09E667
C_ROW = 0xBB67AE85
C_KEY2 = 0x3C6EF372
MIX_M1 = 0x21F0AAAD
MIX_M2 = 0x735A2D97
TAIL_MEAN_SKIPS = 3.0  # T = ceil(3 / p): a draw lands in the tail with probability (1 - p)**T <= e**-3
TABLE_MAX = 1 << 16


def mix32(x: Any, xp: Any = np) -> Any:
    """The 32-bit mixer :math:`h` on uint32 arrays of numpy or jax.numpy (wrapping arithmetic)."""
    x = x ^ (x >> 16)
    x = x * xp.uint32(MIX_M1)
    x = x ^ (x >> 15)
    x = x * xp.uint32(MIX_M2)
    return x ^ (x >> 15)


def seed_key(seed: Any, xp: Any = np) -> Any:
    return mix32(xp.asarray(seed, dtype=xp.uint32) + xp.uint32(C_SEED), xp)


def row_keys(k0: Any, rows: Any, xp: Any = np) -> tuple[Any, Any]:
    """The two keys of each row (``rows`` any integer array; ``k0`` from :func:`seed_key`)."""
    r = xp.asarray(rows).astype(xp.uint32)
    k1 = mix32(k0 ^ mix32(r * xp.uint32(GOLDEN) + xp.uint32(C_ROW), xp), xp)
    k2 = mix32(k1 ^ xp.uint32(C_KEY2), xp)
    return k1, k2


def draw(k1: Any, k2: Any, t: Any, xp: Any = np) -> Any:
    """Draw number ``t`` (uint32) of the rows with keys ``(k1, k2)``; broadcasts."""
    t = xp.asarray(t).astype(xp.uint32)
    return mix32(mix32(k1 + t * xp.uint32(GOLDEN), xp) ^ k2, xp)


@functools.lru_cache(maxsize=64)
def _gap_table_cached(prob: float) -> np.ndarray:
    if prob >= 1.0:
        return np.zeros(0, dtype=np.uint32)
    size = int(min(math.ceil(TAIL_MEAN_SKIPS / prob), TABLE_MAX))
    g = np.arange(1, size + 1, dtype=np.float64)
    cdf = -np.expm1(g * math.log1p(-prob))
    c = np.minimum(np.rint(cdf * 2.0**32), 2.0**32 - 1.0)
    table = c.astype(np.uint32)
    table.setflags(write=False)
    return table


def gap_table(prob: float) -> np.ndarray:
    """The uint32 threshold table :math:`c_0 \\dots c_{T-1}` for connection probability ``prob`` in (0, 1]."""
    return _gap_table_cached(float(prob))


GUIDE_CELLS_PER_ENTRY = 4
GUIDE_MAX_BITS = 18


@functools.lru_cache(maxsize=64)
def _guide_cached(prob: float) -> tuple[np.ndarray, int, int]:
    table = gap_table(prob)
    if len(table) == 0:
        return np.zeros(1, dtype=np.uint32), 0, 0
    top = int(table[-1]).bit_length()  # every non-tail draw u < table[-1] < 2**top
    bits = min(GUIDE_MAX_BITS, top, max(1, int(GUIDE_CELLS_PER_ENTRY * len(table) - 1).bit_length()))
    shift = top - bits
    starts = np.arange(1 << bits, dtype=np.uint64) << np.uint64(shift)
    guide = np.searchsorted(table[:-1], starts, side="right").astype(np.uint32)
    ends = starts + np.uint64((1 << shift) - 1)
    steps = np.searchsorted(table[:-1], ends, side="right") - guide
    guide.setflags(write=False)
    return guide, shift, int(steps.max())


def guide_table(prob: float) -> tuple[np.ndarray, int, int]:
    """A guide table for the inverse-CDF search (Chen & Asau, 1974): ``(guide, shift, max_steps)``.

    Non-tail draws satisfy :math:`u < c_{T-1} < 2^r`; the range :math:`[0, 2^r)` is cut into
    :math:`M = 2^b \\ge 4T` cells (:math:`b \\le 18`) of width :math:`2^{\\text{shift}}`, and ``guide[m]`` is
    the gap of the smallest draw of cell ``m``.  The gap of ``u`` is found by stepping up from
    ``guide[u >> shift]`` while :math:`c_G \\le u`, at most ``max_steps`` times (typically 1-3): the same
    :math:`G` as a binary search, found faster.  Kernels recompute ``shift`` as
    ``bit_length(c_{T-1}) - log2(M)``.
    """
    return _guide_cached(float(prob))


def expected_draws(prob: float, n_post: int) -> float:
    """Mean number of draws to walk a row of ``n_post`` candidates: :math:`n\\,p / (1 - (1-p)^T)`."""
    if prob >= 1.0:
        return float(n_post)
    size = len(gap_table(prob))
    return n_post * prob / -math.expm1(size * math.log1p(-prob))


def row_targets_numpy(prob: float, seed: int, row: int, n_post: int) -> np.ndarray:
    """The targets of one row, by the definition above, in plain numpy (the reference for the kernels)."""
    if prob >= 1.0:
        return np.arange(n_post, dtype=np.int64)
    table = gap_table(prob)
    size = len(table)
    with np.errstate(over="ignore"):
        k1, k2 = row_keys(seed_key(np.array([seed], dtype=np.uint32)), np.array([row]))
    out = []
    cursor, t = -1, 0
    chunk = max(16, int(expected_draws(prob, n_post)) + 16)
    while cursor < n_post - 1:
        with np.errstate(over="ignore"):
            u = draw(k1, k2, np.arange(t, t + chunk, dtype=np.uint32))
        t += chunk
        for value in u:
            if value >= table[-1]:
                cursor += size
            else:
                cursor += int(np.searchsorted(table, value, side="right")) + 1
                if cursor < n_post:
                    out.append(cursor)
            if cursor >= n_post - 1:
                break
    return np.asarray(out, dtype=np.int64)
