"""Connectivity given explicitly by the user: (i, j) lists or a dense matrix."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._connectivity import Connectivity
from ._rule import ConnRule
from ._validate import Size, check_nnz, shape_of


def _index_array(owner: str, name: str, a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"{owner}: {name} must be a 1-D array of neuron ids; got shape {arr.shape}. Flatten it.")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{owner}: {name} must hold integer neuron ids; got dtype {arr.dtype}. Convert it with "
            f"{name}.astype(np.int64) (after checking the values are whole numbers)."
        )
    if arr.min() < 0:
        k = int(np.argmin(arr))
        raise ValueError(
            f"{owner}: {name} has a negative neuron id ({arr[k]} at position {k}); ids are in [0, n). "
            f"Fix the index (negative indices do not wrap here)."
        )
    out = arr.astype(np.int64)
    out.flags.writeable = False
    return out


def _resolve_size(owner: str, name: str, built: Size | None, given: Size | None, ids: np.ndarray) -> tuple[int, ...]:
    shape_b = None if built is None else shape_of(f"{owner}.build", name, built)
    shape_g = None if given is None else shape_of(owner, name, given)
    if shape_b is not None and shape_g is not None and math.prod(shape_b) != math.prod(shape_g):
        raise ValueError(
            f"{owner}.build: {name}={built!r} disagrees with {name}={given!r} given to {owner}(...). Pass the same "
            f"size in both places or leave one out."
        )
    shape = shape_b or shape_g
    id_max = int(ids.max()) if ids.size else -1
    if shape is None:
        if id_max < 0:
            raise ValueError(f"{owner}: there are no synapses to infer {name} from; pass {name} explicitly.")
        return (id_max + 1,)
    n = math.prod(shape)
    if id_max >= n:
        k = int(np.argmax(ids))
        src = "i" if name == "n_pre" else "j"
        raise ValueError(
            f"{owner}: {src} has the neuron id {id_max} (position {k}) but {name} is {n}; ids must be in "
            f"[0, {name}). Pass {name} >= {id_max + 1} or fix the index."
        )
    return shape


@dataclass(frozen=True, eq=False)
class FromIJ(ConnRule):
    r"""Synapses listed by the user as pairs: synapse :math:`k` goes from ``i[k]`` to ``j[k]``.

    ``build`` sorts the pairs into CSR order with a stable two-pass counting sort (O(nnz + n_pre + n_post)).
    Repeated pairs are kept as multapses, in their input order. The returned ``Connectivity.perm`` maps CSR
    position to input position, so weights listed in the user's order are reordered with
    ``conn.to_csr_order(w)`` (``w[conn.perm]``); weights passed here come back reordered as
    ``conn.weights``.

    Args:
        i: presynaptic neuron ids (1-D integers, >= 0).
        j: postsynaptic neuron ids, same length as ``i``.
        n_pre, n_post: population sizes (int or grid shape); by default ``max(i) + 1`` and ``max(j) + 1``.
            Sizes given to :meth:`build` must agree with these.
        weights: optional per-synapse values in the same order as ``i`` and ``j`` (e.g. conductances in nS).

    Example:
        >>> conn = FromIJ([1, 0, 1], [0, 2, 1], weights=[0.5, 1.0, 2.0]).build(2, 3)
        >>> conn.indices, conn.weights, conn.perm
        (array([2, 0, 1], dtype=int32), array([1. , 0.5, 2. ]), array([1, 0, 2], dtype=int32))

    Limits: ids must be whole numbers in range (no negative wrapping); at most 2**31 - 1 synapses.
    """

    i: Any
    j: Any
    n_pre: Size | None = None
    n_post: Size | None = None
    weights: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        i = _index_array("FromIJ", "i", self.i)
        j = _index_array("FromIJ", "j", self.j)
        if i.shape != j.shape:
            raise ValueError(
                f"FromIJ: i and j must have the same length (one entry per synapse); got len(i)={i.shape[0]} "
                f"and len(j)={j.shape[0]}."
            )
        check_nnz("FromIJ", int(i.shape[0]), "Split the synapses into several projections.")
        w = None
        if self.weights is not None:
            w = np.asarray(self.weights)
            if w.shape[:1] != i.shape:
                raise ValueError(
                    f"FromIJ: weights must have one entry per synapse ({i.shape[0]}); got shape {w.shape}."
                )
        object.__setattr__(self, "i", i)
        object.__setattr__(self, "j", j)
        object.__setattr__(self, "weights", w)
        if self.n_pre is not None:
            shape_of("FromIJ", "n_pre", self.n_pre)
        if self.n_post is not None:
            shape_of("FromIJ", "n_post", self.n_post)

    def __repr__(self) -> str:
        return f"FromIJ(nnz={self.i.shape[0]}, n_pre={self.n_pre!r}, n_post={self.n_post!r})"

    def build(self, n_pre: Size | None = None, n_post: Size | None = None) -> Connectivity:
        """Sort the pairs into a :class:`Connectivity`; sizes default to the constructor's or are inferred."""
        from ._csr_kernels import coo_to_csr

        pre_shape = _resolve_size("FromIJ", "n_pre", n_pre, self.n_pre, self.i)
        post_shape = _resolve_size("FromIJ", "n_post", n_post, self.n_post, self.j)
        indptr, indices, perm = coo_to_csr(
            self.i.astype(np.int32), self.j.astype(np.int32), math.prod(pre_shape), math.prod(post_shape)
        )
        weights = None if self.weights is None else self.weights[perm]
        return Connectivity(indptr, indices, pre_shape, post_shape, weights=weights, perm=perm, rule=repr(self))


@dataclass(frozen=True, eq=False)
class FromDense(ConnRule):
    r"""Synapses from a dense ``(n_pre, n_post)`` matrix: every nonzero entry :math:`M_{ij} \ne 0` is a synapse.

    A bool matrix gives the structure only; a numeric matrix also gives the weights, returned in CSR order as
    ``Connectivity.weights`` (same dtype as the matrix). O(n_pre · n_post) by nature of the input.

    Args:
        matrix: 2-D array-like (numpy, JAX, nested lists) of bools, integers or finite floats.

    Example:
        >>> conn = FromDense([[0.0, 2.0], [1.5, 0.0]]).build()
        >>> conn.indices, conn.weights
        (array([1, 0], dtype=int32), array([2. , 1.5]))

    Limits: an entry equal to 0 is no synapse, so a synapse of weight exactly 0 cannot be expressed (use
    :class:`FromIJ`); no multapses.
    """

    matrix: Any = field(repr=False)

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix)
        if m.ndim != 2:
            raise ValueError(
                f"FromDense: matrix must be 2-D with shape (n_pre, n_post); got shape {m.shape}. Reshape it, "
                f"e.g. matrix.reshape(n_pre, n_post)."
            )
        if not (m.dtype == np.bool_ or np.issubdtype(m.dtype, np.integer) or np.issubdtype(m.dtype, np.floating)):
            raise TypeError(
                f"FromDense: matrix must hold bools, integers or floats; got dtype {m.dtype}. Convert it, e.g. "
                f"matrix.astype(float)."
            )
        if m.size == 0:
            raise ValueError(f"FromDense: matrix is empty (shape {m.shape}); both sizes must be positive.")
        if np.issubdtype(m.dtype, np.floating) and not np.all(np.isfinite(m)):
            raise ValueError(
                "FromDense: matrix has NaN or infinite entries; every nonzero entry becomes a synapse, so replace "
                "them (np.nan_to_num) before building."
            )
        m = m.copy()
        m.flags.writeable = False
        object.__setattr__(self, "matrix", m)

    def __repr__(self) -> str:
        return f"FromDense(shape={self.matrix.shape}, dtype={self.matrix.dtype})"

    def build(self, n_pre: Size | None = None, n_post: Size | None = None) -> Connectivity:
        """Extract the nonzeros into a :class:`Connectivity`; sizes given must match the matrix shape."""
        rows, cols = self.matrix.shape
        pre_shape = (rows,) if n_pre is None else shape_of("FromDense.build", "n_pre", n_pre)
        post_shape = (cols,) if n_post is None else shape_of("FromDense.build", "n_post", n_post)
        if math.prod(pre_shape) != rows or math.prod(post_shape) != cols:
            raise ValueError(
                f"FromDense.build: the matrix has shape {self.matrix.shape} but n_pre={n_pre!r}, "
                f"n_post={n_post!r} were asked for; the matrix must be (n_pre, n_post). Transpose the matrix "
                f"if it is (n_post, n_pre)."
            )
        nz = self.matrix != 0
        per_row = np.count_nonzero(nz, axis=1)
        check_nnz("FromDense.build", int(per_row.sum()), "Use a sparse description (FromIJ).")
        indptr = np.zeros(rows + 1, dtype=np.int32)
        np.cumsum(per_row, out=indptr[1:])
        r, c = np.nonzero(nz)
        weights = None if self.matrix.dtype == np.bool_ else self.matrix[r, c]
        return Connectivity(indptr, c.astype(np.int32), pre_shape, post_shape, weights=weights, rule=repr(self))
