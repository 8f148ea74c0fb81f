"""numba kernels on CSR arrays: transposition, and sorting user (i, j) pairs into CSR order.

All are O(nnz + n_pre + n_post) in time and memory. Imported lazily (this module imports numba).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def transpose(indptr: np.ndarray, indices: np.ndarray, n_cols: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transpose a CSR structure (counting sort by column, stable).

    Returns ``(indptr_t, indices_t, syn)``: the CSR structure of the transpose (row ids sorted within each
    column because rows are visited in order) and, for each entry of it, its position in the input ``indices``.
    """
    n_rows = indptr.shape[0] - 1
    nnz = indices.shape[0]
    indptr_t = np.zeros(n_cols + 1, dtype=np.int32)
    for k in range(nnz):
        indptr_t[indices[k] + 1] += 1
    for c in range(n_cols):
        indptr_t[c + 1] += indptr_t[c]
    fill = indptr_t[:-1].copy()
    indices_t = np.empty(nnz, dtype=np.int32)
    syn = np.empty(nnz, dtype=np.int32)
    for r in range(n_rows):
        for k in range(indptr[r], indptr[r + 1]):
            c = indices[k]
            pos = fill[c]
            indices_t[pos] = r
            syn[pos] = k
            fill[c] = pos + 1
    return indptr_t, indices_t, syn


@njit(cache=True)
def coo_to_csr(i: np.ndarray, j: np.ndarray, n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort COO pairs into CSR order by a two-pass stable radix sort (by ``j``, then by ``i``).

    Returns ``(indptr, indices, perm)`` with ``perm[k]`` the position in the input of the k-th CSR entry; equal
    pairs (multapses) keep their input order.
    """
    nnz = i.shape[0]
    # pass 1: stable counting sort by post index j
    cnt_j = np.zeros(n_post + 1, dtype=np.int64)
    for k in range(nnz):
        cnt_j[j[k] + 1] += 1
    for c in range(n_post):
        cnt_j[c + 1] += cnt_j[c]
    by_j = np.empty(nnz, dtype=np.int64)
    for k in range(nnz):
        c = j[k]
        by_j[cnt_j[c]] = k
        cnt_j[c] += 1
    # pass 2: stable counting sort of that order by pre index i
    indptr = np.zeros(n_pre + 1, dtype=np.int32)
    for k in range(nnz):
        indptr[i[k] + 1] += 1
    for r in range(n_pre):
        indptr[r + 1] += indptr[r]
    fill = indptr[:-1].astype(np.int64)
    indices = np.empty(nnz, dtype=np.int32)
    perm = np.empty(nnz, dtype=np.int32)
    for t in range(nnz):
        k = by_j[t]
        r = i[k]
        pos = fill[r]
        indices[pos] = j[k]
        perm[pos] = k
        fill[r] = pos + 1
    return indptr, indices, perm
