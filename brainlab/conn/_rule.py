"""The common interface of connectivity rules."""

from __future__ import annotations

import abc

from ._connectivity import Connectivity
from ._validate import Size, shape_of


class ConnRule(abc.ABC):
    """A rule that builds a :class:`Connectivity` for given presynaptic and postsynaptic population sizes.

    Rules are small frozen dataclasses: they describe *how* to connect, and :meth:`build` applies them to
    populations of given sizes (``int`` neuron counts, or grid shapes such as ``(32, 32)``).
    """

    @abc.abstractmethod
    def build(self, n_pre: Size, n_post: Size) -> Connectivity:
        """Build the connectivity between ``n_pre`` presynaptic and ``n_post`` postsynaptic neurons."""

    def _shapes(self, n_pre: Size, n_post: Size) -> tuple[tuple[int, ...], tuple[int, ...]]:
        owner = f"{type(self).__name__}.build"
        return shape_of(owner, "n_pre", n_pre), shape_of(owner, "n_post", n_post)
