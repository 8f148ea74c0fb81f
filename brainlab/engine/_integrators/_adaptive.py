"""Adaptive step-size integration with embedded Runge-Kutta pairs, for analysis and reference solutions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._adaptive_loop import integrate_adaptive
from ._embedded_tableaus import ADAPTIVE_METHODS
from ._solution import AdaptiveSolution
from ._tree import PyTree, as_state, callable_name


def _concrete(value: Any) -> np.ndarray | None:
    """``value`` as a NumPy array, or ``None`` when it is traced (inside ``jax.jit``)."""
    try:
        return np.asarray(value)
    except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
        return None


def solve_adaptive(
    f: Callable[..., PyTree],
    x0: PyTree,
    t_span: tuple[float, float],
    *params: Any,
    method: str = "dopri5",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    dt0: float | None = None,
    max_steps: int = 100_000,
    ts: Any = None,
) -> AdaptiveSolution:
    r"""Integrate :math:`\dot x = f(x, t, \theta)` over ``t_span`` with error-controlled step sizes.

    Main arguments:
        f: the right-hand side ``f(x, t, *params)`` returning derivatives with the structure of ``x`` ([x]/ms).
        x0: the initial state at ``t_span[0]``: an array or a pytree of arrays.
        t_span: ``(t0, t1)`` in ms; ``t1 < t0`` integrates backwards in time.
        params: extra arguments passed on to ``f``.
        ts: output times (ms), a 1-D array running from ``t0`` towards ``t1`` (non-decreasing in that direction,
            repeats allowed).  ``None`` means ``[t1]``.  Integration stops at ``ts[-1]``.

    Other arguments:
        method: ``'dopri5'`` (Dormand-Prince 5(4), FSAL, 6 evaluations per step) or ``'rkf45'``
            (Runge-Kutta-Fehlberg 4(5), 6 evaluations); both propagate the fifth-order solution.
        rtol, atol: relative and absolute tolerances.  A step is accepted when
            :math:`\sqrt{\mathrm{mean}_i \big(e_i / (\mathrm{atol} + \mathrm{rtol}\max(|x_i|, |x_i^{new}|))\big)^2}
            \le 1`, where :math:`e` is the embedded error estimate; the next step is
            :math:`h \cdot \mathrm{clip}(0.9\,\mathrm{err}^{-1/5}, 0.2, 10)`.
        dt0: first step size (ms); by default it is estimated from ``x0`` and ``f(x0)``.
        max_steps: the most steps attempted (accepted plus rejected) before giving up.

    Returns:
        An :class:`AdaptiveSolution`: ``ts``, ``xs`` (each leaf with a leading axis over ``ts``), ``status`` and
        ``message`` (why it stopped), the step counts, and ``t_last``/``x_last``.  If ``max_steps`` is hit or the
        step size underflows, what was computed is kept: outputs reached are filled, the others are NaN.

    Output times are hit exactly: a step that would pass the next output time is shortened to land on it, so
    the values at ``ts`` carry the solver's own accuracy (no interpolation) but each output time costs at least
    one step.  The loop is a ``jax.lax.while_loop``, so ``solve_adaptive`` works under ``jax.jit`` and
    ``jax.vmap`` (with ``method``, ``max_steps`` and the shape of ``ts`` static) and supports forward-mode
    differentiation (``jax.jvp``, ``jax.jacfwd``); reverse-mode ``jax.grad`` through it is not supported by JAX's
    while loop: differentiate a fixed-step :func:`odeint` scan instead.

    Each call traces ``f`` afresh, so it always sees the current values of globals and attributes, and compiles
    the loop (of the order of a second).  To solve repeatedly, wrap the call in ``jax.jit`` and pass what changes
    as arguments: ``solve = jax.jit(lambda x0, I: solve_adaptive(f, x0, (0.0, 100.0), I))`` compiles once for all
    values of ``x0`` and the array ``I``.

    Use float64 for tight tolerances (``with jax.enable_x64(True): ...``): in float32, ``rtol`` below about
    1e-6 cannot be met and the solver stops with ``STEP_TOO_SMALL``.  Explicit pairs are inefficient on stiff
    problems (the step is limited by stability, not accuracy).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from brainlab.engine._integrators import solve_adaptive
        >>> def decay(x, t, tau):  # dx/dt = -x / tau
        ...     return -x / tau
        >>> with jax.enable_x64(True):
        ...     sol = solve_adaptive(decay, jnp.array(1.0), (0.0, 20.0), 10.0, rtol=1e-10, atol=1e-12,
        ...                          ts=jnp.array([0.0, 10.0, 20.0]))
        ...     print(sol.message, jnp.round(sol.xs, 8))
        success: every requested output time was reached. [1.         0.36787944 0.13533528]
    """
    fname = callable_name(f)
    who = f"solve_adaptive(method={method!r}) for {fname}"
    if not callable(f):
        raise TypeError(f"solve_adaptive: f must be a function f(x, t, *params), got {type(f).__name__}.")
    if not isinstance(method, str) or method not in ADAPTIVE_METHODS:
        raise ValueError(
            f"solve_adaptive: unknown method {method!r}. Valid methods are: "
            f"{', '.join(repr(k) for k in ADAPTIVE_METHODS)}. Fixed-step methods such as 'rk4' are used "
            "through odeint(f, method=...)."
        )
    if not isinstance(max_steps, (int, np.integer)) or isinstance(max_steps, bool) or max_steps < 1:
        raise ValueError(f"{who}: max_steps must be a positive int, got {max_steps!r}.")
    for name, tol in (("rtol", rtol), ("atol", atol), ("dt0", dt0)):
        c = None if tol is None else _concrete(tol)
        if c is not None and (c.ndim != 0 or not np.isfinite(c) or c < 0 or (name == "dt0" and c == 0)):
            need = "a positive" if name == "dt0" else "a non-negative"
            raise ValueError(f"{who}: {name} must be {need} finite scalar, got {tol!r}.")
    if _concrete(rtol) is not None and _concrete(atol) is not None and rtol == 0 and atol == 0:
        raise ValueError(f"{who}: rtol and atol cannot both be 0; give a positive tolerance such as rtol=1e-6.")
    try:
        t0_in, t1_in = t_span
    except (TypeError, ValueError):
        raise ValueError(f"{who}: t_span must be a pair (t0, t1) in ms, got {t_span!r}.") from None

    x0 = as_state(x0, who=who)
    tdtype = jnp.finfo(jnp.result_type(*jax.tree.leaves(x0))).dtype  # real dtype of the state's precision
    t0 = jnp.asarray(t0_in, tdtype)
    t1 = jnp.asarray(t1_in, tdtype)
    out_t = t1[None] if ts is None else jnp.asarray(ts, tdtype)
    if out_t.ndim != 1 or out_t.shape[0] == 0:
        raise ValueError(f"{who}: ts must be a non-empty 1-D array of output times, got shape {out_t.shape}.")
    _check_output_times(who, t0, t1, out_t)

    return integrate_adaptive(
        f, ADAPTIVE_METHODS[method], max_steps, who, x0, t0, t1, out_t, params, rtol, atol, dt0
    )


def _check_output_times(who: str, t0: jax.Array, t1: jax.Array, out_t: jax.Array) -> None:
    """Check (when the values are known, i.e. outside jit) that the output times run from t0 towards t1."""
    c0, c1, cts = _concrete(t0), _concrete(t1), _concrete(out_t)
    if c0 is None or c1 is None or cts is None:
        return
    if not (np.isfinite(c0) and np.isfinite(c1) and np.all(np.isfinite(cts))):
        raise ValueError(f"{who}: t_span and ts must be finite, got t_span=({c0}, {c1}), ts={cts}.")
    sign = 1.0 if c1 >= c0 else -1.0
    tau = sign * (cts - c0)
    slack = 8 * np.finfo(cts.dtype).eps * max(abs(float(c0)), abs(float(c1)), 1.0)
    if np.any(tau < -slack) or np.any(tau > abs(float(c1 - c0)) + slack):
        raise ValueError(
            f"{who}: every output time in ts must lie within t_span=({float(c0)}, {float(c1)}); got ts={cts}."
        )
    if np.any(np.diff(tau) < 0):
        order = "non-decreasing" if sign > 0 else "non-increasing (integration runs backwards)"
        raise ValueError(f"{who}: ts must be {order}, got ts={cts}. Sort it first.")
