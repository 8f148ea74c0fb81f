"""Fixed points and slow points of high-dimensional systems by minimising the kinetic energy
:math:`q(x) = \\tfrac12\\|F(x)\\|^2` (Sussillo & Barak 2013, "Opening the black box: low-dimensional dynamics in
high-dimensional recurrent neural networks", Neural Computation 25:626).

Zeros of :math:`q` are fixed points; local minima with small positive :math:`q` are *slow points*, where the flow
almost stops (e.g. the "ghost" of a saddle-node pair just after it has disappeared). Many initial conditions are
optimised at once (``jax.vmap``): first Adam on :math:`q` (cheap, a gradient :math:`J^\\top F` per step, robust far
from a minimum), then Levenberg-Marquardt on the least-squares problem :math:`\\min \\|F(x)\\|` (dense Jacobian,
converging quadratically to fixed points) for the distinct candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np


@dataclass(frozen=True)
class SlowPoints:
    """Distinct minima of :math:`q(x) = \\frac12\\|F(x)\\|^2` found from many starts, sorted by ``q``.

    Attributes:
        points: ``(K, N)`` the points (state units, e.g. mV or firing-rate units of the network).
        q: ``(K,)`` their kinetic energy :math:`q` (state units² per time unit²).
        is_fixed: ``(K,)`` ``q <= fixed_tol``: fixed points; the others are slow points (``fixed_tol < q <= q_tol``).
        eigenvalues: ``(K, N)`` complex eigenvalues of the Jacobian :math:`D_xF` at each point (1/time unit), by
            decreasing real part; ``n_unstable``: ``(K,)`` how many have positive real part.
        q_tol, fixed_tol: the thresholds used; ``n_starts``: how many initial conditions were optimised.
    """

    points: np.ndarray
    q: np.ndarray
    is_fixed: np.ndarray
    eigenvalues: np.ndarray
    n_unstable: np.ndarray
    q_tol: float
    fixed_tol: float
    n_starts: int

    def __len__(self) -> int:
        return int(self.q.size)

    @property
    def fixed_points(self) -> np.ndarray:
        """``(k, N)``: the points with ``q <= fixed_tol``."""
        return self.points[self.is_fixed]

    @property
    def slow_points(self) -> np.ndarray:
        """``(k, N)``: the points with ``fixed_tol < q <= q_tol``."""
        return self.points[~self.is_fixed]

    def plot(self, fig: Any = None) -> Any:
        """Bokeh figure of the Jacobian spectra in the complex plane (fixed points and slow points coloured
        apart; the imaginary axis, where stability changes, drawn dashed)."""
        from ..plotting.cycles import plot_slow_points

        return plot_slow_points(self, fig=fig)

    def __repr__(self) -> str:
        return (f"SlowPoints({int(self.is_fixed.sum())} fixed, {int((~self.is_fixed).sum())} slow, from "
                f"{self.n_starts} starts; q_tol={self.q_tol:g}, fixed_tol={self.fixed_tol:g})")


def _cached(builder: Callable) -> Callable:
    """``lru_cache`` for kernel builders keyed by the user's ``F`` (falls back to no caching if unhashable)."""
    cached = lru_cache(maxsize=16)(builder)

    def get(*args):
        try:
            return cached(*args)
        except TypeError:
            return builder(*args)

    return get


@_cached
def _adam(F: Callable, steps: int):
    """Batched Adam on :math:`q` with a learning rate decaying geometrically from ``lr`` to ``lr / 1000``."""
    q = lambda x: 0.5 * jnp.sum(F(x) ** 2)  # noqa: E731
    grad = jax.vmap(jax.grad(q))

    def run(x, lr):
        def step(carry, k):
            x, m, v = carry
            g = grad(x)
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            mhat = m / (1.0 - 0.9 ** (k + 1.0))
            vhat = v / (1.0 - 0.999 ** (k + 1.0))
            rate = lr * 1e-3 ** (k / steps)
            return (x - rate * mhat / (jnp.sqrt(vhat) + 1e-30), m, v), None

        zeros = jnp.zeros_like(x)
        (x, _, _), _ = jax.lax.scan(step, (x, zeros, zeros), jnp.arange(steps, dtype=x.dtype))
        return x

    return jax.jit(run)


@_cached
def _levenberg_marquardt(F: Callable, steps: int):
    """Batched Levenberg-Marquardt: :math:`(J^\\top J + \\lambda I)\\Delta = -J^\\top F`, a step kept only if it
    lowers :math:`q`; :math:`\\lambda` shrinks after a success and grows after a failure."""
    jac = jax.jacfwd(F)

    def one(x):
        def step(carry, _):
            x, lam = carry
            f = F(x)
            J = jac(x)
            g = J.T @ f
            H = J.T @ J
            scale = jnp.maximum(jnp.max(jnp.diag(H)), 1e-300)
            dx = -jnp.linalg.solve(H + lam * scale * jnp.eye(x.size), g)
            x_new = x + dx
            better = jnp.sum(F(x_new) ** 2) < jnp.sum(f**2)
            x = jnp.where(better, x_new, x)
            lam = jnp.where(better, jnp.maximum(lam / 3.0, 1e-15), jnp.minimum(lam * 4.0, 1e15))
            return (x, lam), None

        (x, _), _ = jax.lax.scan(step, (x, jnp.asarray(1e-3, x.dtype)), None, length=steps)
        return x

    return jax.jit(jax.vmap(one))


@_cached
def _speed_and_jacobian(F: Callable) -> tuple[Callable, Callable]:
    return jax.jit(jax.vmap(lambda x: 0.5 * jnp.sum(F(x) ** 2))), jax.jit(jax.vmap(jax.jacfwd(F)))


def _dedup(points: np.ndarray, q: np.ndarray, tol: float) -> np.ndarray:
    """Indices of distinct points, lowest ``q`` first; two points closer than ``tol`` in RMS are the same."""
    order = np.argsort(q, kind="stable")
    keep: list[int] = []
    n = points.shape[1]
    for i in order:
        if all(np.linalg.norm(points[i] - points[j]) / np.sqrt(n) > tol for j in keep):
            keep.append(int(i))
    return np.array(keep, dtype=int)


def find_slow_points(
    F: Any, initial_points: Any, *, params: dict | None = None, q_tol: float = 1e-6, fixed_tol: float = 1e-16,
    steps: int = 200, learning_rate: float = 0.05, polish_steps: int = 30, polish_q: float | None = None,
    dedup_tol: float = 1e-4, batch_size: int = 256,
) -> SlowPoints:
    """Find fixed points and slow points of :math:`\\dot x = F(x)` from many initial conditions.

    Each start is moved downhill on :math:`q(x) = \\tfrac12\\|F(x)\\|^2` by ``steps`` Adam steps (learning rate
    decaying geometrically from ``learning_rate`` to a thousandth of it), the distinct results (RMS distance
    above ``dedup_tol``) with :math:`q \\le` ``polish_q`` are refined by ``polish_steps`` Levenberg-Marquardt
    steps, and the distinct points with
    :math:`q \\le` ``q_tol`` are returned with the eigenvalues of :math:`D_xF` there. Points with
    :math:`q \\le` ``fixed_tol`` are fixed points (in float64 a refined fixed point has :math:`q \\sim 10^{-28}`);
    the rest are slow points.

    Args:
        F: the autonomous vector field ``F(x) -> dx/dt`` for one state ``x`` of shape ``(N,)``, JAX-traceable (e.g.
            a rate network :math:`F(x) = -x + W\\tanh(x) + b`, time in units of its time constant); or a brainlab
            model or :class:`~brainlab.analysis.System` (state in ``variable_names`` order).
        params: for a model or System: parameter values overriding its own.
        initial_points: ``(K, N)`` starts: states visited by simulations, plus some noise. (Descending :math:`q`
            from random points drifts towards wherever the flow is slow overall, e.g. the origin of a rate network,
            rather than towards the attractors the dynamics actually uses.)
        q_tol: largest :math:`q` kept (state units² per time unit²).
        fixed_tol: largest :math:`q` counted as a fixed point.
        steps, learning_rate: the Adam phase (``steps=0`` skips it; the learning rate is in state units).
        polish_steps: Levenberg-Marquardt steps for the candidates (each needs a dense ``N x N`` Jacobian and a
            linear solve: for ``N`` of several hundred keep the number of candidates modest).
        polish_q: only candidates with :math:`q` at most this after Adam are refined (default: all), a knob to
            save time for large ``N``.
        dedup_tol: RMS distance below which two points are the same.
        batch_size: starts optimised together (memory: ``batch_size * N`` for Adam, ``* N**2`` for the polish).

    Example:
        >>> import numpy as np, jax.numpy as jnp
        >>> A = np.array([[-1.0, 2.0], [0.0, -3.0]]); xs = np.array([1.0, -2.0])
        >>> res = find_slow_points(lambda x: A @ (x - xs), np.random.default_rng(0).normal(size=(16, 2)))
        >>> len(res), bool(np.allclose(res.points[0], xs))
        (1, True)

    Limits: a local search: points whose basins of :math:`q` no start falls into are missed, and two distinct points
    closer than ``dedup_tol`` are merged. A slow point is a local minimum of :math:`q`, which a
    Levenberg-Marquardt iteration approaches only linearly, so its ``q`` is accurate but its location less so.
    """
    name = "find_slow_points"
    from ._system import System, _is_model, as_system

    if isinstance(F, System) or _is_model(F):
        from ._fast_slow import state_field

        F = state_field(as_system(F), params, name)
    elif params is not None:
        raise TypeError(f"{name}: params= applies to a brainlab model or System; for a plain function F(x) close over "
                        "the parameter values instead.")
    if not callable(F):
        raise TypeError(f"{name}: F must be a callable F(x) -> dx/dt, got {type(F).__name__}.")
    if not 0 < fixed_tol <= q_tol:
        raise ValueError(f"{name}: need 0 < fixed_tol <= q_tol, got fixed_tol={fixed_tol}, q_tol={q_tol}.")
    for arg, val in (("steps", steps), ("polish_steps", polish_steps), ("batch_size", batch_size)):
        if int(val) != val or val < (1 if arg == "batch_size" else 0):
            raise ValueError(f"{name}: {arg}={val} must be a {'positive' if arg == 'batch_size' else 'non-negative'}"
                             " integer.")
    if not learning_rate > 0 or not dedup_tol > 0:
        raise ValueError(f"{name}: learning_rate={learning_rate} and dedup_tol={dedup_tol} must be positive.")
    x0 = np.asarray(initial_points, dtype=np.float64)
    if x0.ndim != 2 or x0.shape[0] < 1:
        raise ValueError(f"{name}: initial_points must be an array (K, N) of K starts, got shape {x0.shape}; for a "
                         "single start use x[None, :].")
    if not np.all(np.isfinite(x0)):
        raise ValueError(f"{name}: initial_points contains NaN or inf.")
    K, N = x0.shape
    with jax.enable_x64(True):
        try:
            out = jax.eval_shape(F, jax.ShapeDtypeStruct((N,), jnp.float64))
        except Exception as err:
            raise TypeError(f"{name}: calling F on one state of shape ({N},) failed: {err}") from err
        if out.shape != (N,):
            raise ValueError(f"{name}: F(x) must return an array of the state's shape ({N},), got {out.shape}.")
        speed, jacobians = _speed_and_jacobian(F)
        xs = x0
        if steps > 0:
            adam = _adam(F, int(steps))
            lr = np.float64(learning_rate)
            xs = np.concatenate([np.asarray(adam(x0[i:i + batch_size], lr)) for i in range(0, K, batch_size)])
        finite = np.all(np.isfinite(xs), axis=1)
        xs = xs[finite]
        q = np.asarray(speed(xs)) if xs.size else np.zeros(0)
        cand = xs[_dedup(xs, q, dedup_tol)] if xs.size else xs
        if cand.size:
            limit = np.inf if polish_q is None else float(polish_q)
            cand = cand[np.asarray(speed(cand)) <= limit]
        if polish_steps > 0 and cand.size:
            lm = _levenberg_marquardt(F, int(polish_steps))
            chunk = max(1, min(batch_size, int(2e8 // (8 * N * N))))
            cand = np.concatenate([np.asarray(lm(cand[i:i + chunk])) for i in range(0, cand.shape[0], chunk)])
        q = np.asarray(speed(cand)) if cand.size else np.zeros(0)
        ok = np.isfinite(q) & (q <= q_tol)
        cand, q = cand[ok], q[ok]
        keep = _dedup(cand, q, dedup_tol) if cand.size else np.zeros(0, dtype=int)
        pts, q = cand[keep], q[keep]
        if pts.size:
            J = np.asarray(jacobians(pts))
            eig = np.linalg.eigvals(J)
            eig = np.take_along_axis(eig, np.argsort(-eig.real, axis=1, kind="stable"), axis=1)
        else:
            pts, eig = np.zeros((0, N)), np.zeros((0, N), dtype=complex)
    return SlowPoints(pts, q, q <= fixed_tol, eig, (eig.real > 0).sum(axis=1), float(q_tol), float(fixed_tol), K)
