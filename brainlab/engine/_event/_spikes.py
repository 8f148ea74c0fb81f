"""Bit-packed spike rasters: packing inside compiled loops, decoding into sparse (step, neuron) pairs on the host.

A spike vector of ``n`` neurons is stored as ``n_bytes = ceil(n / 8)`` bytes in *bit-planar* order: bit ``k`` of
byte ``j`` is neuron ``k * n_bytes + j``.  Packing is then eight contiguous slices OR-ed together (an elementwise
XLA loop, no reduction, fused with the write into the raster), and when decoding, 64-bit words of a row without
any spike are skipped.  :func:`decode_packed` returns the spikes ordered by step, then neuron, in time
proportional to the number of 64-bit words plus the number of spikes: NumPy, or a numba kernel when numba is
already loaded in the process.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["pack_spikes", "packed_bytes", "decode_packed"]


def packed_bytes(n: int) -> int:
    """Bytes per step of a packed raster of ``n`` neurons."""
    return -(-n // 8)


def pack_spikes(spike: Any) -> jax.Array:
    """Bool spikes of any shape (flattened) -> ``uint8[packed_bytes(n)]`` in bit-planar order."""
    from .._array import unwrap

    flat = jnp.asarray(unwrap(spike)).reshape(-1).astype(jnp.uint8)
    pad = (-flat.shape[0]) % 8
    if pad:
        flat = jnp.concatenate([flat, jnp.zeros((pad,), flat.dtype)])
    planes = flat.reshape(8, -1)
    out = planes[0]
    for k in range(1, 8):
        out = out | (planes[k] << jnp.uint8(k))
    return out


def decode_packed(packed: np.ndarray, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, neurons)`` of the spikes in the first ``n_steps`` rows of a packed raster.

    Args:
        packed: ``uint8[rows, n_bytes]`` made by :func:`pack_spikes`.
        n_steps: how many rows to decode (``<= rows``).

    Returns:
        ``steps`` (int64) and ``neurons`` (int32), ordered by step, then neuron.
    """
    rows = np.asarray(packed)[:n_steps]
    if rows.ndim != 2:
        raise ValueError(f"decode_packed: expected uint8[rows, n_bytes], got shape {rows.shape}.")
    if rows.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    stride = rows.shape[1]  # the plane stride: bit k of byte j is neuron k * stride + j
    pad = (-stride) % 8
    if pad:  # whole 64-bit words per row
        rows = np.concatenate([rows, np.zeros((rows.shape[0], pad), np.uint8)], axis=1)
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    kernel = _kernel()
    if kernel is not None:
        return kernel(rows, stride)
    return _decode_numpy(rows, stride)


def _kernel() -> Callable[..., Any] | None:
    """The numba decoder when numba is already loaded in this process, else ``None`` (NumPy decodes).

    Loading numba costs about 1.6 s per process; the NumPy decoder costs about 20 ms per 10^4 steps of a
    4000-neuron network more than numba's 4 ms, and runs while the next chunk simulates, so it is not worth
    loading numba for.  Both give the same arrays.
    """
    import sys

    if "numba" not in sys.modules:
        return None
    return _numba_kernel()


@functools.lru_cache(maxsize=1)
def _numba_kernel() -> Callable[..., Any] | None:
    from ._backend import numba_status

    if numba_status() is not None:
        return None
    from ._spikes_kernels import decode_planar

    return decode_planar


def _decode_numpy(rows: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    n_bytes = rows.shape[1]
    flat = rows.reshape(-1)
    hit = np.flatnonzero(flat.view(np.uint64))  # the 8-byte words holding at least one spike
    if hit.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    candidates = (hit[:, None] * 8 + np.arange(8)).reshape(-1)
    values = flat[candidates]
    nonzero = np.flatnonzero(values)
    byte_ids = candidates[nonzero]
    bits = np.unpackbits(values[nonzero][:, None], axis=1, bitorder="little")  # [bytes with spikes, 8 planes]
    which = np.flatnonzero(bits)
    step, byte = np.divmod(byte_ids[which >> 3], n_bytes)
    neuron = (which & 7) * stride + byte
    order = np.argsort(step * (8 * stride) + neuron, kind="stable")
    return step[order], neuron[order].astype(np.int32)
