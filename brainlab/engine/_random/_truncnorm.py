r"""Standard normal samples restricted to an interval, by inverting the CDF on the side where it is accurate.

For bounds :math:`a < b` (in standard units), :math:`x = \Phi^{-1}\big(\Phi(a) + u\,(\Phi(b) - \Phi(a))\big)`
with :math:`u \sim U(0, 1)` has the truncated normal law.  Computed literally this fails in the upper tail:
for :math:`a = 5`, :math:`\Phi(a) = 1 - 2.9\times10^{-7}` has only a handful of float32 neighbours below 1,
so the samples collapse onto a few values.  When the whole interval lies above 0 the sampler therefore uses
the mirror image :math:`x = -\Phi^{-1}\big(\Phi(-a) - u\,(\Phi(-a) - \Phi(-b))\big)`, where the probabilities
are small numbers with full relative precision (``ndtri`` is accurate for them).

Limit: :math:`\Phi` underflows beyond about 13 standard deviations in float32 (38 in float64); intervals lying
entirely further out than that return the bound nearest the mean.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr, ndtri

__all__ = ["truncated_standard_normal"]


def truncated_standard_normal(key: jax.Array, a: jax.Array, b: jax.Array, shape: tuple[int, ...], dtype) -> jax.Array:
    """Samples of :math:`N(0, 1)` conditioned on ``a <= x <= b`` (bounds broadcast to ``shape``)."""
    a = jnp.broadcast_to(a.astype(dtype), shape)
    b = jnp.broadcast_to(b.astype(dtype), shape)
    flip = a > 0
    lo = jnp.where(flip, -b, a)
    hi = jnp.where(flip, -a, b)
    p_lo = ndtr(lo)
    p_hi = ndtr(hi)
    u = jax.random.uniform(key, shape, dtype)
    # the mirrored interval lies below 0; draw from its upper end so that small u stays near the mean
    p = jnp.where(flip, p_hi - u * (p_hi - p_lo), p_lo + u * (p_hi - p_lo))
    x = jnp.where(p_hi > p_lo, jnp.clip(ndtri(p), lo, hi), hi)  # interval beyond underflow: nearest bound
    return jnp.where(flip, -x, x)
