"""Implementation of :mod:`brainlab.engine.random` (see that module for the overview)."""

from ._default import DEFAULT
from ._generator import RandomState, default_rng

__all__ = ["DEFAULT", "RandomState", "default_rng"]
