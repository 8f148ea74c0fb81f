"""Transmission delays for the event operators: a ring buffer of past spike vectors.

The event operators propagate whatever spike vector they are given.  For a delay of :math:`d` time steps
(:math:`d = \\text{delay} / dt`, e.g. 1.5 ms at dt = 0.1 ms is 15 steps) the caller keeps the last :math:`D > d`
spike vectors in a ``[D, n_pre]`` array, writes step :math:`t`'s spikes into slot :math:`t \\bmod D` and passes
the vector of step :math:`t - d`, read from slot :math:`(t - d) \\bmod D`:

.. code-block:: python

    def step(carry, t):
        v, buf = carry
        spikes = v > v_th
        buf = delay_push(buf, t, spikes)
        g_in = event_csr_matvec(delayed(buf, t, d), indptr, indices, w, n_post)
        ...
    jax.lax.scan(step, (v0, jnp.zeros((d + 1, n_pre), bool)), jnp.arange(n_steps))

One delay per projection costs one buffer read per step; several delays are several projections (one per
delay value) sharing the buffer.
"""

from __future__ import annotations

import numbers
from typing import Any

import jax
import jax.numpy as jnp


def _check_buffer(owner: str, buffer: Any) -> int:
    if jnp.ndim(buffer) < 1 or jnp.shape(buffer)[0] == 0:
        raise ValueError(
            f"{owner}: buffer must have a leading time axis of at least one slot, shape [D, ...]; got shape "
            f"{jnp.shape(buffer)}. Create it with jnp.zeros((max_delay_steps + 1, n_pre), bool)."
        )
    return int(jnp.shape(buffer)[0])


def delay_push(buffer: jax.Array, step: Any, value: jax.Array) -> jax.Array:
    """Write ``value`` (the spikes of time step ``step``) into slot ``step % D`` of a ``[D, ...]`` ring buffer.

    Example:
        >>> import jax.numpy as jnp
        >>> buf = delay_push(jnp.zeros((3, 2), bool), 4, jnp.array([True, False]))
        >>> buf[1]
        Array([ True, False], dtype=bool)

    Limits: ``step`` must be a non-negative integer (traced is fine).
    """
    size = _check_buffer("delay_push", buffer)
    if jnp.shape(value) != jnp.shape(buffer)[1:]:
        raise ValueError(
            f"delay_push: value has shape {jnp.shape(value)} but the buffer stores vectors of shape "
            f"{jnp.shape(buffer)[1:]}; push one spike vector of the buffer's population per step."
        )
    return buffer.at[jnp.mod(step, size)].set(jnp.asarray(value, buffer.dtype))


def delayed(buffer: jax.Array, step: Any, delay_steps: Any) -> jax.Array:
    """The spike vector of time step ``step - delay_steps`` from a ``[D, ...]`` ring buffer filled by
    :func:`delay_push`.

    .. math:: \\text{delayed}(t, d) = \\text{buffer}[(t - d) \\bmod D], \\qquad 0 \\le d < D .

    Args:
        buffer: ``[D, n]`` past spike vectors (slot ``t % D`` holds step ``t``).
        step: the current time step (int, may be traced).
        delay_steps: the delay in time steps, ``round(delay / dt)`` (int, may be traced).

    Example:
        >>> import jax.numpy as jnp
        >>> buf = jnp.zeros((4, 2), bool)
        >>> for t in range(3):
        ...     buf = delay_push(buf, t, jnp.array([t == 0, t == 1]))
        >>> delayed(buf, 2, 2)  # the spikes of step 0
        Array([ True, False], dtype=bool)

    Limits: a static ``delay_steps`` must be < D (checked); a traced one is not checked and wraps modulo D.
    Before step ``delay_steps`` the buffer returns its initial contents (usually zeros: no spikes).
    """
    size = _check_buffer("delayed", buffer)
    if isinstance(delay_steps, numbers.Integral) and not 0 <= int(delay_steps) < size:
        raise ValueError(
            f"delayed: delay_steps = {delay_steps} does not fit a ring buffer of {size} slots (need "
            f"0 <= delay_steps < {size}). Allocate the buffer with delay_steps + 1 slots or more."
        )
    return buffer[jnp.mod(step - delay_steps, size)]
