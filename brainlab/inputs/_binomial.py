r"""Binomial counts by inversion of the CDF, fast for the small means of Poisson drive per time step."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

# A count is returned once the CDF passes the uniform draw, or once past the mean the probability of the current
# count drops below this (the rest of the tail is then negligible next to float32 rounding).
_TAIL = 1e-10
# Inversion runs while P(k = 0) = (1 - p)^n stays above e^-80 (means below ~80); larger means use JAX's sampler.
_LOG_UNDERFLOW = -80.0


def _inversion(u: jax.Array, n: int, p: jax.Array, log_pmf0: jax.Array) -> jax.Array:
    dtype = u.dtype
    odds = p / (1.0 - p)
    mean = n * p
    pmf0 = jnp.exp(log_pmf0)

    def cond(c):
        return jnp.any(c[4])

    def body(c):
        k, pmf, cdf, comp, active = c
        kf = k.astype(dtype)
        pmf = jnp.where(active, pmf * ((n - kf) / (kf + 1.0)) * odds, pmf)
        k = jnp.where(active, k + 1, k)
        y = pmf - comp                          # Kahan summation of the CDF
        t = cdf + y
        comp = jnp.where(active, (t - cdf) - y, comp)
        cdf = jnp.where(active, t, cdf)
        tail_done = (k.astype(dtype) > mean) & (pmf < _TAIL)
        active = active & (u >= cdf) & (k < n) & ~tail_done
        return k, pmf, cdf, comp, active

    init = (jnp.zeros(u.shape, jnp.int32), pmf0, pmf0, jnp.zeros_like(u), u >= pmf0)
    return jax.lax.while_loop(cond, body, init)[0]


def binomial_counts(key: Any, n: int, p: Any, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
    r"""Binomial(``n``, ``p``) counts of the given shape (int32), from a JAX key.

    For means :math:`np` below about 80 (the case of Poisson drive in one time step) the count is the smallest
    :math:`k` whose CDF exceeds a uniform draw, the terms following the recursion
    :math:`P(k+1) = P(k)\, \frac{n - k}{k + 1} \frac{p}{1 - p}` from :math:`P(0) = (1 - p)^n`; a ``while_loop``
    advances every element at once and stops after about :math:`np + 5\sqrt{np}` iterations.  The CDF is summed
    with Kahan compensation and the tail is cut where its terms drop below :math:`10^{-10}`, so the law is exact
    up to float rounding.  Larger means switch to ``jax.random.binomial`` (BTRS rejection sampling).

    Limits: ``n`` is a Python int; the inversion costs O(mean) per step.
    """
    k_u, k_big = jax.random.split(jnp.asarray(key))
    p = jnp.broadcast_to(jnp.asarray(p, dtype), shape)
    if n == 0:
        return jnp.zeros(shape, jnp.int32)
    certain, impossible = p >= 1.0, p <= 0.0
    p_safe = jnp.where(certain | impossible, 0.5, p)
    log_pmf0 = jnp.where(impossible, 0.0, n * jnp.log1p(-p_safe))
    u = jax.random.uniform(k_u, shape, dtype)
    small = jax.lax.cond(
        jnp.any(jnp.where(certain, 0.0, log_pmf0) < _LOG_UNDERFLOW),
        lambda: jax.random.binomial(k_big, jnp.asarray(n, dtype), p_safe, shape, dtype).astype(jnp.int32),
        lambda: _inversion(u, n, p_safe, log_pmf0),
    )
    return jnp.where(certain, jnp.int32(n), jnp.where(impossible, 0, small))
