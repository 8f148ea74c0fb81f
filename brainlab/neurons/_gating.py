r"""Numerically safe pieces of voltage-dependent rate functions."""

import jax
import jax.numpy as jnp

__all__ = ["exprel_rate"]

# Below this |u| the Taylor series is used: its truncation error u^3/24 is < 1e-13 there, and it avoids the 0/0.
_SERIES_BELOW = 1e-4


def exprel_rate(u: jax.Array) -> jax.Array:
    r""":math:`u / (1 - e^{-u})`, equal to 1 at :math:`u = 0` (its limit), accurate and differentiable there.

    The Hodgkin-Huxley rates :math:`\alpha_m = 0.1 (V + 40) / (1 - e^{-(V + 40)/10})` and alike are
    :math:`0/0` at one voltage; writing them as ``scale * exprel_rate((V - V_half) / k)`` removes the
    singularity.  The series :math:`1 + u/2 + u^2/12` is used for :math:`|u| < 10^{-4}` (both branches are
    finite, so gradients are too).
    """
    u = jnp.asarray(u)
    small = jnp.abs(u) < _SERIES_BELOW
    u_safe = jnp.where(small, jnp.ones_like(u), u)
    direct = u_safe / -jnp.expm1(-u_safe)
    series = 1.0 + u * (0.5 + u / 12.0)
    return jnp.where(small, series, direct)
