"""The ``Connectivity`` value: which presynaptic neuron connects to which postsynaptic neuron."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import INT32_MAX, Size, shape_of

_DENSE_LIMIT = 100_000_000


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


def _as_int32(owner: str, name: str, a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{owner}: {name} must be a 1-D array; got shape {arr.shape}.")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{owner}: {name} must hold integers; got dtype {arr.dtype}. Convert it with .astype(np.int32)."
        )
    if arr.dtype != np.int32:
        if arr.size and (arr.min() < -INT32_MAX - 1 or arr.max() > INT32_MAX):
            raise ValueError(f"{owner}: {name} has values outside the int32 range; CSR arrays are int32.")
        arr = arr.astype(np.int32)
    return np.ascontiguousarray(arr)


def csr_violation(indptr: np.ndarray, indices: np.ndarray, n_post: int) -> tuple[int, int]:
    """First broken CSR invariant, as ``(code, row)``; ``(0, -1)`` when the arrays are a valid CSR structure.

    Codes: 1 ``indptr[0] != 0``; 2 ``indptr`` decreases after ``row``; 3 ``indptr[-1] != len(indices)``;
    4 an index of ``row`` outside ``[0, n_post)``; 5 the indices of ``row`` are not sorted (repeats allowed).
    Of codes 4 and 5, the one met first in CSR order is reported.  Vectorised numpy, O(nnz + n_pre).
    """
    n_pre = indptr.shape[0] - 1
    if indptr[0] != 0:
        return 1, 0
    falls = np.flatnonzero(np.diff(indptr) < 0)
    if falls.size:
        return 2, int(falls[0])
    if indptr[n_pre] != indices.shape[0]:
        return 3, n_pre
    if indices.shape[0] == 0:
        return 0, -1
    outside = np.flatnonzero((indices < 0) | (indices >= n_post))
    first_outside = int(outside[0]) if outside.size else indices.shape[0]
    descends = np.diff(indices) < 0  # entry k + 1 below entry k ...
    starts = indptr[1:-1]
    descends[starts[(starts > 0) & (starts < indices.shape[0])] - 1] = False  # ... within a row only
    down = np.flatnonzero(descends)
    first_down = int(down[0]) + 1 if down.size else indices.shape[0]
    if first_outside == first_down == indices.shape[0]:
        return 0, -1
    k = min(first_outside, first_down)
    row = int(np.searchsorted(indptr, k, side="right")) - 1
    return (4 if first_outside <= first_down else 5), row


@dataclass(frozen=True, eq=False, repr=False, init=False)
class Connectivity:
    r"""Synapses between a presynaptic and a postsynaptic population, stored as CSR (pre → post).

    The synapses of presynaptic neuron :math:`i` are ``indices[indptr[i]:indptr[i + 1]]``, the postsynaptic
    neurons it connects to, sorted in increasing order (a repeated index is a multapse: several synapses
    between the same pair). Synapse :math:`k` (CSR order) goes from ``pre[k]`` to ``post[k]``; any per-synapse
    array (weights, delays) is meant to be laid out in this order. The adjacency matrix is
    :math:`A_{ij} = \#\{k : \mathrm{pre}_k = i,\ \mathrm{post}_k = j\}`.

    Attributes:
        indptr: int32 ``[n_pre + 1]``, non-decreasing, ``indptr[0] == 0``, ``indptr[-1] == nnz``.
        indices: int32 ``[nnz]``, postsynaptic ids in ``[0, n_post)``, sorted within each row.
        pre_shape, post_shape: population shapes (``(n,)`` for a plain population, e.g. ``(32, 32)`` for a
            grid; neuron ids are the row-major flat indices of the grid).
        seed: the seed that produced a random connectivity (pass it back to the rule to rebuild it), else None.
        weights: per-synapse values in CSR order when the source carried them (``FromDense`` of a non-bool
            matrix, ``FromIJ`` with ``weights=``), else None.
        perm: for connectivity built from user lists (``FromIJ``): ``perm[k]`` is the position, in the user's
            (i, j) arrays, of CSR synapse ``k``, so ``w_csr = w_user[perm]`` (see :meth:`to_csr_order`).
        rule: a short description of the rule that built it (shown by ``repr``).

    The arrays are read-only views: a ``Connectivity`` is a value. Callers convert them to JAX arrays with
    ``jnp.asarray(conn.indices)``.

    Example:
        >>> import numpy as np
        >>> c = Connectivity(np.array([0, 2, 3]), np.array([0, 2, 1]), pre_shape=2, post_shape=3)
        >>> c.pre, c.post
        (array([0, 0, 1], dtype=int32), array([0, 2, 1], dtype=int32))

    Limits: indices are int32, so at most 2**31 - 1 synapses and neurons per population.
    """

    indptr: np.ndarray
    indices: np.ndarray
    pre_shape: tuple[int, ...]
    post_shape: tuple[int, ...]
    seed: int | None = None
    weights: np.ndarray | None = None
    perm: np.ndarray | None = None
    rule: str | None = field(default=None)

    def __init__(
        self,
        indptr: Any,
        indices: Any,
        pre_shape: Size,
        post_shape: Size,
        seed: int | None = None,
        weights: Any = None,
        perm: Any = None,
        rule: str | None = None,
    ) -> None:
        owner = "Connectivity"
        pre = shape_of(owner, "pre_shape", pre_shape)
        post = shape_of(owner, "post_shape", post_shape)
        ip = _as_int32(owner, "indptr", indptr)
        ix = _as_int32(owner, "indices", indices)
        n_pre, n_post = math.prod(pre), math.prod(post)
        if ip.shape[0] != n_pre + 1:
            raise ValueError(
                f"{owner}: indptr must have n_pre + 1 = {n_pre + 1} entries for pre_shape={pre}; got "
                f"{ip.shape[0]}."
            )
        code, row = csr_violation(ip, ix, n_post)
        if code:
            problem = {
                1: f"indptr[0] must be 0; got {ip[0]}",
                2: f"indptr must be non-decreasing; it decreases after row {row}",
                3: f"indptr[-1] must equal len(indices) = {ix.shape[0]}; got {ip[-1]}",
                4: f"row {row} has a postsynaptic index outside [0, n_post = {n_post})",
                5: f"the indices of row {row} are not sorted",
            }[code]
            raise ValueError(f"{owner}: invalid CSR structure: {problem}. Build it with FromIJ to sort pairs.")
        nnz = ix.shape[0]
        w = None
        if weights is not None:
            w = np.asarray(weights)
            if w.shape[:1] != (nnz,):
                raise ValueError(f"{owner}: weights must have one entry per synapse ({nnz}); got shape {w.shape}.")
            w = _readonly(w)
        p = None
        if perm is not None:
            p = _as_int32(owner, "perm", perm)
            if p.shape[0] != nnz or (nnz and (p.min() < 0 or p.max() >= nnz)):
                raise ValueError(f"{owner}: perm must be a permutation of range({nnz}).")
            p = _readonly(p)
        object.__setattr__(self, "indptr", _readonly(ip))
        object.__setattr__(self, "indices", _readonly(ix))
        object.__setattr__(self, "pre_shape", pre)
        object.__setattr__(self, "post_shape", post)
        object.__setattr__(self, "seed", None if seed is None else int(seed))
        object.__setattr__(self, "weights", w)
        object.__setattr__(self, "perm", p)
        object.__setattr__(self, "rule", rule)

    # ---- sizes ---------------------------------------------------------------------------------------------
    @property
    def n_pre(self) -> int:
        """Number of presynaptic neurons."""
        return self.indptr.shape[0] - 1

    @property
    def n_post(self) -> int:
        """Number of postsynaptic neurons."""
        return math.prod(self.post_shape)

    @property
    def nnz(self) -> int:
        """Number of synapses (multapses counted once per synapse)."""
        return int(self.indices.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_pre, n_post)``: the shape of the adjacency matrix."""
        return (self.n_pre, self.n_post)

    # ---- views ---------------------------------------------------------------------------------------------
    @property
    def pre(self) -> np.ndarray:
        """Presynaptic id of each synapse (int32 ``[nnz]``, CSR order, non-decreasing)."""
        return np.repeat(np.arange(self.n_pre, dtype=np.int32), np.diff(self.indptr))

    @property
    def post(self) -> np.ndarray:
        """Postsynaptic id of each synapse (int32 ``[nnz]``, CSR order); the same array as ``indices``."""
        return self.indices

    def out_degree(self) -> np.ndarray:
        """Number of synapses leaving each presynaptic neuron (int32 ``[n_pre]``)."""
        return np.diff(self.indptr).astype(np.int32)

    def in_degree(self) -> np.ndarray:
        """Number of synapses reaching each postsynaptic neuron (int32 ``[n_post]``)."""
        return np.bincount(self.indices, minlength=self.n_post).astype(np.int32)

    def to_dense(self, dtype: Any = bool, max_elements: int = _DENSE_LIMIT) -> np.ndarray:
        r"""The adjacency matrix, shape ``(n_pre, n_post)``.

        With ``dtype=bool`` (default) entry :math:`(i, j)` says whether at least one synapse goes from
        :math:`i` to :math:`j`; with a numeric dtype it counts the synapses (multapses add up).

        Raises:
            MemoryError: when ``n_pre * n_post > max_elements`` (default 1e8): the dense matrix of a large
                network does not fit in memory; work on the sparse arrays instead or raise the limit.
        """
        size = self.n_pre * self.n_post
        if size > max_elements:
            nbytes = size * np.dtype(dtype).itemsize
            raise MemoryError(
                f"Connectivity.to_dense: the dense matrix would have {self.n_pre} x {self.n_post} = {size:,} "
                f"entries ({nbytes / 1e9:.1f} GB), above max_elements={max_elements:,}. A dense matrix is "
                f"O(n_pre * n_post) while this network has only {self.nnz:,} synapses: use the sparse arrays "
                f"(conn.indptr/conn.indices, or conn.pre/conn.post), or pass a larger max_elements if you do "
                f"have the memory."
            )
        dense = np.zeros((self.n_pre, self.n_post), dtype=dtype)
        if np.dtype(dtype) == np.bool_:
            dense[self.pre, self.indices] = True
        else:
            np.add.at(dense, (self.pre, self.indices), 1)
        return dense

    def csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The post → pre structure: ``(indptr, indices, syn)``.

        ``indptr`` (int32 ``[n_post + 1]``) and ``indices`` (int32 ``[nnz]``, presynaptic ids sorted within each
        postsynaptic neuron) are the CSR arrays of the transposed matrix; ``syn[k]`` is the CSR (pre → post)
        position of that synapse, so a per-synapse array ``w`` in CSR order reads ``w[syn]`` in CSC order.
        O(nnz + n_post).
        """
        from ._csr_kernels import transpose

        ip, ix, syn = transpose(np.asarray(self.indptr), np.asarray(self.indices), self.n_post)
        return ip, ix, syn

    def transpose(self) -> Connectivity:
        """The reversed connectivity (post → pre as a ``Connectivity``), carrying weights and ``perm`` along."""
        ip, ix, syn = self.csc()
        return Connectivity(
            ip,
            ix,
            pre_shape=self.post_shape,
            post_shape=self.pre_shape,
            seed=self.seed,
            weights=None if self.weights is None else self.weights[syn],
            perm=None if self.perm is None else self.perm[syn],
            rule=None if self.rule is None else f"transpose of {self.rule}",
        )

    @property
    def T(self) -> Connectivity:
        """Alias of :meth:`transpose`."""
        return self.transpose()

    def to_csr_order(self, values: Any) -> np.ndarray:
        """Reorder per-synapse values given in the user's (i, j) order (``FromIJ``) into CSR order.

        Returns ``np.asarray(values)[perm]``. Raises when the connectivity was not built from user lists (its
        synapses then have no user order) or when ``values`` has the wrong length.
        """
        if self.perm is None:
            raise ValueError(
                "Connectivity.to_csr_order: this connectivity was not built from user (i, j) lists, so there is "
                "no user order to convert from; per-synapse values for it are already in CSR order "
                "(synapse k goes from conn.pre[k] to conn.post[k])."
            )
        v = np.asarray(values)
        if v.shape[:1] != (self.nnz,):
            raise ValueError(
                f"Connectivity.to_csr_order: values must have one entry per synapse ({self.nnz}); got shape "
                f"{v.shape}."
            )
        return v[self.perm]

    # ---- value semantics -------------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Connectivity):
            return NotImplemented
        same_w = (self.weights is None and other.weights is None) or (
            self.weights is not None and other.weights is not None and np.array_equal(self.weights, other.weights)
        )
        return (
            self.pre_shape == other.pre_shape
            and self.post_shape == other.post_shape
            and np.array_equal(self.indptr, other.indptr)
            and np.array_equal(self.indices, other.indices)
            and same_w
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        def fmt(s: tuple[int, ...]) -> str:
            return str(s[0]) if len(s) == 1 else "x".join(map(str, s))

        parts = [f"pre={fmt(self.pre_shape)}", f"post={fmt(self.post_shape)}", f"nnz={self.nnz:,}"]
        if self.n_pre:
            parts.append(f"mean out-degree={self.nnz / self.n_pre:.3g}")
        if self.rule:
            parts.append(f"rule={self.rule}")
        if self.seed is not None and not (self.rule and f"seed={self.seed}" in self.rule):
            parts.append(f"seed={self.seed}")
        if self.weights is not None:
            parts.append(f"weights={self.weights.dtype}")
        return f"Connectivity({', '.join(parts)})"
