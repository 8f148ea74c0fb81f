"""Deterministic connectivity: all-to-all and one-to-one."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._connectivity import Connectivity
from ._rule import ConnRule
from ._validate import Size, check_nnz, flag


@dataclass(frozen=True)
class AllToAll(ConnRule):
    r"""Every presynaptic neuron connects to every postsynaptic neuron: :math:`A_{ij} = 1`.

    Args:
        include_self: when False and ``n_pre == n_post`` (the same population), the diagonal
            :math:`i = j` is left out (:math:`N(N-1)` synapses). With different sizes it has no effect.

    Example:
        >>> AllToAll(include_self=False).build(3, 3).nnz
        6

    Limits: the result has :math:`N_{\mathrm{pre}}N_{\mathrm{post}}` synapses, so time and memory are of that
    size by nature (about 4 bytes per synapse); at most 2**31 - 1 synapses.
    """

    include_self: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "include_self", flag("AllToAll", "include_self", self.include_self))

    def build(self, n_pre: Size, n_post: Size) -> Connectivity:
        """Build the complete connectivity; see the class docstring."""
        pre_shape, post_shape = self._shapes(n_pre, n_post)
        npre, npost = math.prod(pre_shape), math.prod(post_shape)
        exclude = (not self.include_self) and npre == npost
        per_row = npost - 1 if exclude else npost
        check_nnz("AllToAll.build", npre * per_row, "Use a sparse rule (FixedProb, FixedPostNum) instead.")
        indptr = (np.arange(npre + 1, dtype=np.int64) * per_row).astype(np.int32)
        cols = np.broadcast_to(np.arange(per_row, dtype=np.int32), (npre, per_row))
        if exclude:
            rows = np.arange(npre, dtype=np.int32)[:, None]
            indices = (cols + (cols >= rows)).astype(np.int32).ravel()
        else:
            indices = np.ascontiguousarray(cols).ravel()
        return Connectivity(indptr, indices, pre_shape, post_shape, rule=repr(self))


@dataclass(frozen=True)
class OneToOne(ConnRule):
    r"""Neuron :math:`i` of the presynaptic population connects to neuron :math:`i` of the postsynaptic one.

    :math:`A = I`, with ``n_pre == n_post`` required (the shapes may differ, e.g. ``(32, 32)`` and ``1024``:
    the ids are the row-major flat indices).

    Example:
        >>> OneToOne().build(4, 4).indices
        array([0, 1, 2, 3], dtype=int32)

    Limits: raises when the two populations have different sizes.
    """

    def build(self, n_pre: Size, n_post: Size) -> Connectivity:
        """Build the identity connectivity; see the class docstring."""
        pre_shape, post_shape = self._shapes(n_pre, n_post)
        npre, npost = math.prod(pre_shape), math.prod(post_shape)
        if npre != npost:
            raise ValueError(
                f"OneToOne.build: n_pre and n_post must be equal (neuron i connects to neuron i); got "
                f"n_pre={npre} and n_post={npost}. Use populations of the same size, or another rule such as "
                f"FixedPostNum(1)."
            )
        indptr = np.arange(npre + 1, dtype=np.int32)
        indices = np.arange(npre, dtype=np.int32)
        return Connectivity(indptr, indices, pre_shape, post_shape, rule=repr(self))
