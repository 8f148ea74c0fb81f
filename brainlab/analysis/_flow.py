"""Trajectories of a low-dimensional system in float64, and periodic orbits found by simulation.

Integration uses the engine's adaptive Dormand-Prince 5(4) solver (:func:`solve_adaptive`) inside one
compiled, vmapped function per (system, number of output points).  Periods are measured on a Poincaré
section and refined by Newton's method on the return time.  One compiled flow per system (and output-count
bucket) serves trajectories, separatrices and cycles.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from brainlab.engine._integrators import solve_adaptive

__all__ = ["build_flow", "hermite_crossings", "find_limit_cycle"]

MAX_STEPS = 200_000


def build_flow(rhs: Callable, n_out: int) -> Callable:
    """A compiled ``flow(z0, ts, sign, args, lo, hi, rtol, atol) -> (xs, status)`` for one start.

    ``rhs(z, args)`` is the (reduced) vector field and ``ts`` (shape ``(n_out,)``, from 0, non-decreasing) the
    output times; repeating the last time costs nothing, so shorter requests are padded to ``n_out`` and one
    compilation serves them all.  The field is set to zero outside the box ``[lo, hi]``, so a trajectory that
    leaves it stops there; ``sign = -1`` integrates backward in time.  ``xs`` has shape ``(n_out, d)``.
    Several starts are integrated one after the other (a vmapped adaptive loop compiles slower and runs
    every lane as long as the slowest).
    """

    def one(z0, ts, sign, args, lo, hi, rtol, atol):
        def f(z, t):
            inside = jnp.all((z >= lo) & (z <= hi))
            return jnp.where(inside, sign * rhs(z, args), jnp.zeros_like(z))

        sol = solve_adaptive(f, z0, (jnp.zeros((), z0.dtype), ts[-1]), rtol=rtol, atol=atol, ts=ts,
                             max_steps=MAX_STEPS)
        return sol.xs, sol.status

    return jax.jit(one)


def hermite_crossings(t: np.ndarray, s: np.ndarray, ds: np.ndarray) -> np.ndarray:
    r"""Times where the sampled signal ``s`` crosses zero upwards, from cubic Hermite interpolation.

    On each interval with :math:`s_k < 0 \le s_{k+1}` the cubic matching values and slopes ``ds`` at both ends
    is solved by safeguarded Newton iterations; the error is :math:`O(\Delta t^4)`.
    """
    k = np.nonzero((s[:-1] < 0) & (s[1:] >= 0))[0]
    out = []
    for i in k:
        h = t[i + 1] - t[i]
        p0, p1, m0, m1 = s[i], s[i + 1], ds[i] * h, ds[i + 1] * h
        lo_, hi_ = 0.0, 1.0
        u = p0 / (p0 - p1)
        for _ in range(30):
            u2, u3 = u * u, u * u * u
            val = (2 * u3 - 3 * u2 + 1) * p0 + (u3 - 2 * u2 + u) * m0 + (-2 * u3 + 3 * u2) * p1 + (u3 - u2) * m1
            der = (6 * u2 - 6 * u) * p0 + (3 * u2 - 4 * u + 1) * m0 + (-6 * u2 + 6 * u) * p1 + (3 * u2 - 2 * u) * m1
            if val < 0:
                lo_ = u
            else:
                hi_ = u
            u_new = u - val / der if der != 0 else 0.5 * (lo_ + hi_)
            if not (lo_ < u_new < hi_):
                u_new = 0.5 * (lo_ + hi_)
            if abs(u_new - u) < 1e-15:
                u = u_new
                break
            u = u_new
        out.append(t[i] + u * h)
    return np.asarray(out)


def find_limit_cycle(
    integrate: Callable[[np.ndarray, float, int, float], tuple[np.ndarray, np.ndarray]],
    rhs: Callable[[np.ndarray], np.ndarray],
    z_start: np.ndarray,
    *,
    transient: float,
    duration: float,
    n_points: int,
    scale: np.ndarray,
    max_returns: int = 30,
) -> dict:
    """Integrate past a transient, detect the period on a Poincaré section, refine it; returns a dict.

    ``integrate(z0, duration, n_points, rtol) -> (t, states)`` integrates one start (in the chosen time
    direction, NaN after leaving the window); ``rhs(z)`` is the vector field in the same direction (batched).
    ``scale`` is the window size per variable (for relative tolerances).  The transient and the detection run
    use loose tolerances (1e-6, 1e-8); the return-time refinement and the final orbit use 1e-11.
    """
    tight = 1e-11
    _, za = integrate(z_start, transient, 2, 1e-6)
    z0 = za[-1]
    if not np.all(np.isfinite(z0)):
        return {"found": False, "message": "the trajectory left the window during the transient; widen the "
                "window or start elsewhere."}
    t, z = integrate(z0, duration, n_points, 1e-8)
    if not np.all(np.isfinite(z)):
        return {"found": False, "message": "the trajectory left the window; widen the window or start elsewhere."}
    half = z[len(z) // 2:]
    rel = np.ptp(half, axis=0) / scale
    j = int(np.argmax(rel))
    if rel[j] < 1e-6:
        return {"found": False, "message": "the trajectory converged to an equilibrium: no limit cycle is "
                "reached from this start (try another start, or backward=True for a repelling cycle)."}
    level = 0.5 * (half[:, j].min() + half[:, j].max())
    dz = rhs(z)
    tc = hermite_crossings(t, z[:, j] - level, dz[:, j])
    if len(tc) < 3:
        return {"found": False, "message": f"fewer than 3 returns to the section in duration={duration} ms; "
                "increase duration (or transient)."}

    def to_section(x: np.ndarray, tau: float) -> tuple[float, np.ndarray] | None:
        """Newton on the flight time: the first time near ``tau`` at which x_j crosses the level."""
        for _ in range(12):
            _, zz = integrate(x, tau, 2, tight)
            x_end = zz[-1]
            if not np.all(np.isfinite(x_end)):
                return None
            d = rhs(x_end[None])[0, j]
            if d <= 0:
                return None
            step = (x_end[j] - level) / d
            tau -= step
            if abs(step) <= 1e-13 * max(1.0, abs(tau)):
                break
        _, zz = integrate(x, tau, 2, tight)
        return tau, zz[-1]

    # start from the sample just before the last crossing (on the attracting orbit, up to the loose tolerance)
    k = int(np.searchsorted(t, tc[-1]) - 1)
    hit = to_section(z[k], float(tc[-1] - t[k]))
    if hit is None:
        return {"found": False, "message": "could not locate the return to the Poincaré section."}
    xc = hit[1]
    period = float(tc[-1] - tc[-2])
    err = err_abs = np.inf
    for _ in range(max_returns):
        hit = to_section(xc, period)
        if hit is None:
            return {"found": False, "message": "the orbit did not return to the Poincaré section."}
        period, x_next = float(hit[0]), hit[1]
        err_abs = float(np.max(np.abs(x_next - xc)))
        err = float(np.max(np.abs(x_next - xc) / scale))
        xc = x_next
        if err < 1e-10:
            break
    t_orbit, orbit = integrate(xc, period, n_points, tight)
    return {
        "found": True,
        "period": period,
        "t": t_orbit,
        "states": orbit,
        "section": j,
        "level": float(level),
        "return_error": err_abs,
        "message": "periodic orbit found" if err < 1e-6 else
        f"periodic orbit found, but successive returns still differ by {err:.2g} of the window: the orbit "
        "attracts slowly; increase transient.",
    }
