"""Bit-packed spike rasters: packing inside compiled loops, decoding into sparse (step, neuron) pairs on the host.

A spike vector of ``n`` neurons is stored as ``n_bytes = ceil(n / 8)`` bytes in *bit-planar* order: bit ``k`` of
byte ``j`` is neuron ``k * n_bytes + j``.  Packing is then eight contiguous slices OR-ed together (an elementwise
XLA loop, no reduction, fused with the write into the raster), and when decoding, 64-bit words of a row without
any spike are skipped.  :func:`decode_packed` returns the spikes ordered by step, then neuron, in time
proportional to the number of 64-bit words plus the number of spikes: a numba kernel (compiled once, cached on
disk) on CPU, NumPy otherwise.
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


@functools.lru_cache(maxsize=1)
def _kernel() -> Callable[..., Any] | None:
    from ._backend import numba_status

    if numba_status() is not None:
        return None
    from ._spikes_kernels import decode_planar

    return decode_planar


def _decode_numpy(rows: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    n_steps, n_bytes = rows.shape
    words = rows.reshape(-1).view(np.uint64)
    hit = np.flatnonzero(words)  # the 8-byte groups holding at least one spike
    if hit.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32)
    byte_ids = (hit[:, None] * 8 + np.arange(8)).reshape(-1)
    values = rows.reshape(-1)[byte_ids]
    keep = values != 0
    byte_ids, values = byte_ids[keep], values[keep]
    bits = (values[:, None] >> np.arange(8, dtype=np.uint8)) & 1  # [bytes with spikes, 8 planes]
    which, plane = np.nonzero(bits)
    step, byte = np.divmod(byte_ids[which], n_bytes)
    neuron = plane * stride + byte
    order = np.lexsort((neuron, step))
    return step[order], neuron[order].astype(np.int32)
