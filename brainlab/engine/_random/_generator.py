"""``RandomState``: a numpy.random-style generator whose key is a State."""

from __future__ import annotations

import jax

from ._continuous import ContinuousSamplers
from ._discrete import DiscreteSamplers
from ._multivariate import MultivariateSamplers
from ._positive import PositiveSamplers

__all__ = ["RandomState", "default_rng"]


class RandomState(ContinuousSamplers, PositiveSamplers, DiscreteSamplers, MultivariateSamplers):
    r"""A random number generator with numpy.random's methods, usable eagerly and inside brainlab transforms.

    The generator holds one JAX key in a :class:`~brainlab.engine.RandomKeyState` (attribute ``key``).  Each
    sampler call splits it, :math:`k \to (k', s)`, draws from :math:`s` and stores :math:`k'`.  Because the key is
    a State, ``be.jit`` / ``be.for_loop`` / ``be.vmap`` thread it through compiled code: a compiled function that
    draws numbers compiles once, gives new numbers at every call, and advances the key exactly as the same
    calls made eagerly would (so eager and compiled runs from one seed give the same numbers).

    Args:
        seed: a non-negative int below ``2**64``, a JAX key, or ``None`` (fresh entropy from the OS).

    Example:
        >>> import brainlab.engine as be
        >>> rng = be.random.RandomState(0)
        >>> class Noisy(be.Module):
        ...     def __init__(self):
        ...         self.rng = be.random.RandomState(1)
        ...         self.v = be.State(be.zeros(3))
        ...     def step(self):
        ...         self.v.value = self.v.value + self.rng.normal(0.0, 0.5, size=3)   # mV
        >>> m = Noisy(); step = be.jit(m.step); step(); step()
        >>> step.trace_count
        1

    Limits: the numbers differ from numpy's for the same seed (JAX's threefry generator, not Mersenne
    Twister).  Argument checks (``scale >= 0`` ...) run only on values known while tracing; a traced invalid
    parameter gives meaningless numbers (often NaN).  A generator used inside a raw ``jax.jit``/``jax.lax``
    loop raises, because the new key could not be carried out: use brainlab's transforms.
    """

    def __init__(self, seed: int | jax.Array | None = None):
        super().__init__(seed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r})"


def default_rng(seed: int | jax.Array | None = None) -> RandomState:
    """A new independent :class:`RandomState` (numpy's ``default_rng`` spelling).

    Example:
        >>> import brainlab.engine as be
        >>> a = be.random.default_rng(7).normal(size=3); b = be.random.default_rng(7).normal(size=3)
        >>> bool((a == b).all())
        True
    """
    return RandomState(seed)
