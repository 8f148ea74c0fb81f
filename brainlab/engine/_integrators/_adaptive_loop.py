"""The step-size-controlled ``while_loop`` behind :func:`solve_adaptive` (inputs already validated)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from ._solution import AdaptiveSolution, AdaptiveStatus
from ._tableau import ButcherTableau, rk_stages
from ._tree import PyTree, checked, lincomb, rms_norm

_SAFETY = 0.9
_MIN_FACTOR = 0.2
_MAX_FACTOR = 10.0


class _Carry(NamedTuple):
    tau: jax.Array  # time since t0 along the direction of integration (>= 0)
    x: PyTree
    k1: PyTree  # f at (x, tau): reused by the next attempt
    h: jax.Array  # the step size to try next
    idx: jax.Array  # index of the next output time
    out: PyTree
    n_accepted: jax.Array
    n_rejected: jax.Array
    status: jax.Array
    last_rejected: jax.Array


def initial_step(g: Callable, x0: PyTree, k1: PyTree, order: int, rtol: Any, atol: Any) -> jax.Array:
    """A first step size from the size of x0, of f(x0) and of f's variation over a trial Euler step.

    Chooses h so that the leading error term of an order-``order`` method is about 1% of the tolerance
    (the heuristic of Hairer, Nørsett & Wanner, *Solving ODEs I*, 2nd ed., Sec. II.4).
    """
    scale = jax.tree.map(lambda v: atol + rtol * jnp.abs(v), x0)
    d0 = rms_norm(x0, scale)
    d1 = rms_norm(k1, scale)
    tiny = (d0 < 1e-5) | (d1 < 1e-5)
    h0 = jnp.where(tiny, 1e-6, 0.01 * d0 / jnp.where(tiny, 1.0, d1))
    k2 = g(lincomb(x0, h0, (1.0,), (k1,)), h0)
    d2 = rms_norm(jax.tree.map(lambda a, b: a - b, k2, k1), scale) / h0
    dmax = jnp.maximum(d1, d2)
    flat = dmax <= 1e-15
    h1 = jnp.where(flat, jnp.maximum(1e-6, 1e-3 * h0), (0.01 / jnp.where(flat, 1.0, dmax)) ** (1.0 / order))
    return jnp.minimum(100 * h0, h1)


def integrate_adaptive(
    f: Callable[..., PyTree],
    tableau: ButcherTableau,
    max_steps: int,
    who: str,
    x0: PyTree,
    t0: jax.Array,
    t1: jax.Array,
    out_t: jax.Array,
    params: tuple[Any, ...],
    rtol: Any,
    atol: Any,
    dt0: Any,
) -> AdaptiveSolution:
    """Run the embedded pair ``tableau`` from ``t0`` through the output times ``out_t`` (all of dtype of t0).

    Time is reparametrised as :math:`\\tau = \\pm(t - t_0) \\ge 0` so that backward integration is the same loop.
    Each iteration either records the state at the next output time, once it has been reached, or attempts one
    step, shortened when needed to land exactly on that output time.
    """
    tdtype = t0.dtype
    n_out = out_t.shape[0]
    direction = jnp.where(t1 >= t0, 1, -1).astype(tdtype)
    tau_out = direction * (out_t - t0)
    fc = checked(f, x0, who=who)

    def g(x: PyTree, tau: jax.Array) -> PyTree:
        return jax.tree.map(lambda d: direction * d, fc(x, t0 + direction * tau, *params))

    tau0 = jnp.zeros((), tdtype)
    k1 = g(x0, tau0)
    if dt0 is None:
        h0 = initial_step(g, x0, k1, tableau.error_order + 1, rtol, atol)
    else:
        h0 = jnp.abs(jnp.asarray(dt0))
    h0 = jnp.where(tau_out[-1] > 0, jnp.minimum(h0, tau_out[-1]), h0).astype(tdtype)

    eps = jnp.finfo(tdtype).eps
    exponent = -1.0 / (tableau.error_order + 1)
    b_err = tuple(b - bh for b, bh in zip(tableau.b, tableau.b_hat))

    def target_of(c: _Carry) -> jax.Array:
        return tau_out[jnp.minimum(c.idx, n_out - 1)]

    def ready(c: _Carry, target: jax.Array) -> jax.Array:
        return target - c.tau <= 8 * eps * jnp.maximum(jnp.abs(target), jnp.abs(c.tau))

    def attempt(c: _Carry) -> _Carry:
        target = target_of(c)
        remaining = target - c.tau
        truncated = c.h >= remaining
        h = jnp.minimum(c.h, remaining)
        ks = rk_stages(tableau, g, c.x, c.tau, h, k1=c.k1)
        x_new = lincomb(c.x, h, tableau.b, ks)
        err_vec = lincomb(jax.tree.map(jnp.zeros_like, c.x), h, b_err, ks)
        scale = jax.tree.map(lambda a, b: atol + rtol * jnp.maximum(jnp.abs(a), jnp.abs(b)), c.x, x_new)
        err = rms_norm(err_vec, scale)
        err = jnp.where(jnp.isfinite(err), err, jnp.inf)
        accept = err <= 1.0
        factor = jnp.where(err == 0, _MAX_FACTOR, _SAFETY * jnp.where(err == 0, 1.0, err) ** exponent)
        factor = jnp.clip(factor, _MIN_FACTOR, _MAX_FACTOR)
        factor = jnp.where(c.last_rejected | ~accept, jnp.minimum(factor, 1.0), factor)  # no growth after a rejection
        h_next = h * factor
        # a step shortened to hit an output time says nothing against the longer step proposed before
        h_next = jnp.where(accept & truncated, jnp.maximum(h_next, c.h), h_next).astype(tdtype)
        tau_new = jnp.where(truncated, target, c.tau + h)
        k_new = ks[-1] if tableau.fsal else g(x_new, tau_new)
        tau = jnp.where(accept, tau_new, c.tau)
        too_small = h_next <= 8 * eps * jnp.maximum(jnp.abs(tau), jnp.abs(target))
        status = jnp.where(too_small, int(AdaptiveStatus.STEP_TOO_SMALL), c.status).astype(jnp.int32)

        def select(new: PyTree, old: PyTree) -> PyTree:
            return jax.tree.map(lambda n, o: jnp.where(accept, n, o).astype(o.dtype), new, old)

        return c._replace(
            tau=tau,
            x=select(x_new, c.x),
            k1=select(k_new, c.k1),
            h=h_next,
            n_accepted=c.n_accepted + accept.astype(jnp.int32),
            n_rejected=c.n_rejected + (~accept).astype(jnp.int32),
            status=status,
            last_rejected=~accept,
        )

    def cond(c: _Carry) -> jax.Array:
        steps_left = c.n_accepted + c.n_rejected < max_steps
        return (c.idx < n_out) & (c.status == 0) & (steps_left | ready(c, target_of(c)))

    def body(c: _Carry) -> _Carry:
        # Both branches are computed and one selected: much cheaper to compile than a lax.cond, and what
        # jax.vmap would turn the cond into anyway.
        rdy = ready(c, target_of(c))
        tried = attempt(c)
        slot = jnp.minimum(c.idx, n_out - 1)
        out = jax.tree.map(lambda buf, xl: buf.at[slot].set(jnp.where(rdy, xl, buf[slot])), c.out, c.x)
        keep = jax.tree.map(lambda old, new: jnp.where(rdy, old, new), c, tried)
        return keep._replace(out=out, idx=c.idx + rdy.astype(jnp.int32))

    init = _Carry(
        tau=tau0,
        x=x0,
        k1=jax.tree.map(lambda k, xl: k.astype(xl.dtype), k1, x0),
        h=h0,
        idx=jnp.zeros((), jnp.int32),
        out=jax.tree.map(lambda xl: jnp.full((n_out, *xl.shape), jnp.nan, xl.dtype), x0),
        n_accepted=jnp.zeros((), jnp.int32),
        n_rejected=jnp.zeros((), jnp.int32),
        status=jnp.zeros((), jnp.int32),
        last_rejected=jnp.zeros((), bool),
    )
    final = jax.lax.while_loop(cond, body, init)
    status = jnp.where(
        (final.idx < n_out) & (final.status == 0), int(AdaptiveStatus.MAX_STEPS), final.status
    ).astype(jnp.int32)
    return AdaptiveSolution(
        ts=out_t,
        xs=final.out,
        status=status,
        n_steps=final.n_accepted + final.n_rejected,
        n_accepted=final.n_accepted,
        n_rejected=final.n_rejected,
        n_saved=final.idx,
        t_last=t0 + direction * final.tau,
        x_last=final.x,
    )
