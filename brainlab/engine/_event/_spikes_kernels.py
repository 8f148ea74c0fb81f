"""numba kernel behind :func:`brainlab.engine._event._spikes.decode_packed` (imported only when numba works)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def decode_planar(raster, stride):  # pragma: no cover - compiled
    """The set bits of a C-contiguous bit-planar raster ``uint8[steps, n_bytes]`` (bit ``k`` of byte ``j`` =
    neuron ``k * stride + j``; ``n_bytes`` a multiple of 8, ``>= stride``): (step, neuron) ordered by step, then
    neuron."""
    n_steps, n_bytes = raster.shape
    n_words = n_bytes // 8
    words = raster.reshape(-1).view(np.uint64)  # [n_steps * n_words]
    total = 0
    for i in range(words.shape[0]):
        w = words[i]
        while w:
            w &= w - np.uint64(1)
            total += 1
    steps = np.empty(total, np.int64)
    neurons = np.empty(total, np.int32)
    hit = np.empty(n_bytes, np.int64)  # the bytes of one step that hold a spike
    k = 0
    for step in range(n_steps):
        n_hit = 0
        base = step * n_words
        for i in range(n_words):
            if words[base + i] != 0:
                for j in range(8 * i, 8 * i + 8):
                    if raster[step, j] != 0:
                        hit[n_hit] = j
                        n_hit += 1
        for bit in range(8):  # plane by plane: neurons come out in increasing order
            offset = bit * stride
            for h in range(n_hit):
                j = hit[h]
                if (raster[step, j] >> bit) & 1:
                    steps[k] = step
                    neurons[k] = offset + j
                    k += 1
    return steps, neurons
